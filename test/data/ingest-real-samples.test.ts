/**
 * Ingest of the real samples in ../shared/data (read in place): the Goedel-LM/Lean-workbook-proofs
 * sample rebuilt from its .lean files, and miniF2F in each published form.
 */
import { SHARED_DATA } from "../fixtures/repl-double/double.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatInventory, ingestDatasets } from "../../src/data/ingest-datasets.js";
import { theoremCode } from "../../src/data/theorem-row.js";
import { findBannedWord } from "../../src/lean/proof-check.js";

const D = SHARED_DATA;
const GOEDEL = join(D, "proofs/goedel_lean_workbook_proofs_sample_kimina/input");

test("Goedel sample: 102 .lean files = 100 workbook rows rebuilt as {problem_id, full_proof} + 2 kimina smoke files", () => {
  assert.equal(readdirSync(GOEDEL).length, 102);
  const r = ingestDatasets([{ format: "goedel", path: GOEDEL }]);
  const d = r.datasets[0]!;
  assert.deepEqual([d.records, d.theorems, d.with_proofs, d.quarantined, d.skipped], [100, 100, 100, 0, { lean_file_not_a_goedel_row: 2 }]);
  assert.equal(d.records + (d.skipped["lean_file_not_a_goedel_row"] ?? 0), 102, "every file accounted for");
  assert.ok(r.rows.every((x) => /^lean_workbook_\d+$/.test(x.name) && x.source === "workbook" && x.dataset === "Goedel-LM/Lean-workbook-proofs" && x.lean_version === "v4.9.0-rc1"));
  assert.deepEqual([...new Set(r.rows.map((x) => x.header))], ["import Mathlib\nimport Aesop\nset_option maxHeartbeats 0\nopen BigOperators Real Nat Topology Rat"]);
  // statement + proof rebuild each file's declaration exactly; no proof uses sorry/admit/cheat
  for (const row of r.rows) {
    assert.ok(readFileSync(join(GOEDEL, `goedel-${row.name}.lean`), "utf8").trimEnd().endsWith(theoremCode(row)), row.name);
    assert.equal(findBannedWord(row.proof!), null, row.name);
  }
});

test("miniF2F: per-problem .lean files, the jsonl forms, counts and splits", () => {
  const form = (path: string) => {
    const r = ingestDatasets([{ format: "minif2f", path: join(D, "minif2f", path) }]);
    const d = r.datasets[0]!;
    const splits: Record<string, number> = {};
    for (const x of r.rows) splits[x.split ?? "none"] = (splits[x.split ?? "none"] ?? 0) + 1;
    return { records: d.records, theorems: d.theorems, with_proofs: d.with_proofs, quarantined: d.quarantined, splits, notes: d.notes, dataset: d.dataset, lean: d.lean_versions };
  };
  assert.deepEqual(form("v1_yangky11_lean4/Test"), { records: 244, theorems: 244, with_proofs: 0, quarantined: 0, splits: { test: 244 }, notes: {}, dataset: "yangky11/miniF2F-lean4 (per-problem .lean)", lean: ["v4.24.0"] });
  assert.deepEqual(form("v1_yangky11_lean4/Valid").splits, { valid: 244 });
  // one row of minif2f_lean4.jsonl has `"formal_proof": NaN` (pandas): read as null, not lost
  assert.deepEqual(form("v1_yangky11_lean4/minif2f_lean4.jsonl"), { records: 488, theorems: 488, with_proofs: 77, quarantined: 0, splits: { valid: 244, test: 244 }, notes: { nan_as_null: 1 }, dataset: "yangky11/miniF2F-lean4 minif2f_lean4.jsonl", lean: ["v4.20.0"] });
  assert.deepEqual([form("v1_deepseek_prover_v1.5/minif2f.jsonl")].map((f) => [f.theorems, f.with_proofs, f.splits]), [[488, 0, { valid: 244, test: 244 }]]);
  assert.deepEqual([form("v1_deepseek_prover_v1.5/minif2f_valid_few_shot.jsonl")].map((f) => [f.theorems, f.with_proofs]), [[67, 67]]);
  assert.deepEqual([form("goedel_prover_v2/minif2f.jsonl")].map((f) => [f.theorems, f.splits]), [[244, { test: 244 }]]);
  assert.deepEqual([form("v1_internlm_math/minif2f.jsonl")].map((f) => [f.theorems, f.lean]), [[488, ["nightly-2023-08-19"]]]);
  assert.deepEqual([form("burnqed/minif2f_test.json")].map((f) => f.theorems), [244]);
});

test("one table from several inputs: names unique; identical repeats dropped, different ones quarantined", () => {
  const r = ingestDatasets([
    { format: "goedel", path: GOEDEL },
    { format: "minif2f", path: join(D, "minif2f/v1_yangky11_lean4/Test") },
    { format: "minif2f", path: join(D, "minif2f/v1_yangky11_lean4/Valid") },
    { format: "minif2f", path: join(D, "minif2f/v1_yangky11_lean4/Test") }, // the same files again
    { format: "minif2f", path: join(D, "minif2f/v1_deepseek_prover_v1.5/minif2f.jsonl") }, // same names, other text
  ]);
  // DeepSeek's `numbertheory_notequiv2i2jasqbsqdiv8` is `numbertheory_notEquiv2i2jasqbsqdiv8` at yangky11 HEAD
  assert.equal(r.rows.length, 100 + 244 + 244 + 1);
  assert.equal(new Set(r.rows.map((x) => x.name)).size, r.rows.length);
  assert.deepEqual(r.datasets[3]!.skipped, { duplicate_row: 244 });
  assert.deepEqual(r.datasets[4]!.quarantine_reasons, { duplicate_name: 487 });
  assert.deepEqual(r.datasets[4]!.theorems, 1);
  const inv = formatInventory(r.datasets);
  assert.match(inv, /\| Goedel-LM\/Lean-workbook-proofs \| workbook \| 100 \| 100 \| 0 \| v4\.9\.0-rc1 \| 29,700 \/ 29,700 \|/);
  assert.match(inv, /\| \*\*Total\*\* \| \| 589 \| 100 \| 487 \| \| \|/);
});
