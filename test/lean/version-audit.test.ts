/**
 * The version audit on the real pins in ../shared/data/toolchains (every lake-manifest format:
 * v5 {"git": …} entries, v7, 1.0.0, 1.1.0) and the plan's decision table.
 */
import { SHARED_DATA } from "../fixtures/repl-double/double.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { auditVersions, decideVersion, formatAuditTable, parseLeanVersion, pinFromProject, readLeanProject } from "../../src/lean/version-audit.js";
import { catalogPins } from "../../src/data/dataset-catalog.js";

const TC = join(SHARED_DATA, "toolchains");

test("every toolchain folder: Lean version, manifest version, Mathlib", () => {
  const got = ["deepseek_goedel_mathlib4_fork_2f65ba7", "imo_steps_v4.17.0", "kimina_prover_preview_minif2f_v4.15.0", "rah4927_lean-dojo-mew_d00c776", "wzj423_lean-dojo-mew_1ef4e4c", "yangky11_miniF2F-lean4_HEAD"].map((d) => {
    const p = readLeanProject(join(TC, d));
    return [d, p.lean.raw, p.lean.kind, p.manifest_version, p.mathlib === "(this project)" ? p.mathlib : (p.mathlib?.slice(0, 12) ?? null), p.repl?.slice(0, 12) ?? null];
  });
  assert.deepEqual(got, [
    ["deepseek_goedel_mathlib4_fork_2f65ba7", "v4.9.0-rc1", "release", "1.0.0", "(this project)", "3334a97b268e"],
    ["imo_steps_v4.17.0", "v4.17.0", "release", "1.1.0", "d066138f11f7", null],
    ["kimina_prover_preview_minif2f_v4.15.0", "v4.15.0", "release", "1.1.0", "9837ca9d65d9", null],
    ["rah4927_lean-dojo-mew_d00c776", "nightly-2023-08-19", "nightly", "5", "093597d49548", null],
    ["wzj423_lean-dojo-mew_1ef4e4c", "v4.7.0", "release", "7", "f83fe2ffbf66", null],
    ["yangky11_miniF2F-lean4_HEAD", "v4.24.0", "release", "1.1.0", "f897ebcf72cd", null],
  ]);
  assert.throws(() => readLeanProject(join(TC, "internlm_lean_workbook_header")), /no lean-toolchain file/);
});

test("the plan's decision: within one minor → match; further → parallel install; seed > 20 % failed → fall back", () => {
  const v = parseLeanVersion;
  assert.deepEqual(v("leanprover/lean4:v4.9.0-rc1"), { raw: "v4.9.0-rc1", kind: "release", major: 4, minor: 9, patch: 0, pre: "rc1" });
  assert.equal(decideVersion(v("v4.9.0"), v("v4.9.0-rc1"), null).decision, "match");
  assert.equal(decideVersion(v("v4.8.0-rc1"), v("v4.9.0-rc1"), null).decision, "match");
  assert.equal(decideVersion(v("v4.15.0"), v("v4.9.0-rc1"), null).decision, "parallel_install");
  assert.equal(decideVersion(v("v4.3.0"), v("v4.8.0"), null).decision, "parallel_install");
  assert.equal(decideVersion(v("nightly-2023-08-19"), v("nightly-2023-08-19"), null).decision, "match");
  assert.equal(decideVersion(v("nightly-2023-08-19"), v("v4.0.0"), null).decision, "parallel_install");
  assert.equal(decideVersion(v("v4.9.0-rc1"), v("v4.9.0-rc1"), 0.31).decision, "fall_back");
  assert.equal(decideVersion(null, v("v4.9.0-rc1"), null).decision, "no_local_project");
});

test("audit table: a v4.15 project against the datasets' pins", () => {
  const local = readLeanProject(join(TC, "kimina_prover_preview_minif2f_v4.15.0"));
  const pins = [...catalogPins(), pinFromProject("miniF2F (yangky11 HEAD)", join(TC, "yangky11_miniF2F-lean4_HEAD")), pinFromProject("IMO-Steps", join(TC, "imo_steps_v4.17.0"))];
  const rows = auditVersions(local, pins, { "Goedel-LM/Lean-workbook-proofs": 0.35 });
  assert.deepEqual(
    rows.map((r) => [r.dataset, r.dataset_lean, r.decision]),
    [
      ["Goedel-LM/Lean-workbook-proofs", "v4.9.0-rc1", "fall_back"],
      ["internlm/Lean-Workbook", "v4.8.0-rc1", "parallel_install"],
      ["AI-MO/NuminaMath-LEAN", "v4.15.0", "match"],
      ["miniF2F (DeepSeek-Prover-V1.5 minif2f.jsonl)", "v4.9.0-rc1", "parallel_install"],
      ["miniF2F (yangky11 HEAD)", "v4.24.0", "parallel_install"],
      ["IMO-Steps", "v4.17.0", "parallel_install"],
    ],
  );
  const table = formatAuditTable(local, rows);
  assert.match(table, /\| AI-MO\/NuminaMath-LEAN \| v4\.15\.0 \| — \| v4\.15\.0 \| \*\*match\*\* \| trace directly; minor fixups expected \|/);
  assert.match(table, /Mathlib differs \(2f65ba7f1a91 vs local 9837ca9d65d9\)/);
  assert.match(table, /elan toolchain install leanprover\/lean4:v4\.24\.0/);
});
