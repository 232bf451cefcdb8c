import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { openRun } from "../../src/artifacts/run.js";
import { EBM_CONFIGS, type EbmConfigName } from "../../src/config/run-paths.js";
import { abcConsistent, AbcMismatchError, checkAbcInvariants, formatAbcProblems, type AbcFact } from "../../src/report/abc-invariants.js";
import { readAbcInvariants } from "../../src/stages/abc-invariants.js";

const ARCH = { d_model: 64, hidden_dims: [2048, 1024, 512], dropout: 0.15, first_layer_scale: 0.1, temperature_min: 0.1, temperature_max: 10, init_temperature: 1 };
const fact = (config: "A" | "B" | "C", field: AbcFact["field"], value: unknown): AbcFact => ({ config, field, value, source: `${config}.json` });

test("identical facts pass and keep the shared value with every source", () => {
  const inv = checkAbcInvariants([fact("A", "head_architecture", ARCH), fact("B", "head_architecture", { ...ARCH }), fact("C", "head_architecture", ARCH), fact("A", "head_seed", 0), fact("C", "head_seed", 0)]);
  assert.ok(abcConsistent(inv));
  assert.deepEqual(inv.fields.head_architecture?.value, ARCH);
  assert.deepEqual(inv.fields.head_architecture?.sources, ["A: A.json", "B: B.json", "C: C.json"]);
  assert.equal(inv.fields.embedding_recipe, null); // no fact: not stated, not invented
});

test("a different head width for C is named with the key, both values and their sources", () => {
  const inv = checkAbcInvariants([fact("A", "head_architecture", ARCH), fact("B", "head_architecture", ARCH), fact("C", "head_architecture", { ...ARCH, hidden_dims: [1024, 512] })]);
  assert.equal(abcConsistent(inv), false);
  assert.equal(inv.differences.length, 1);
  const d = inv.differences[0]!;
  assert.equal(d.field, "head_architecture");
  assert.equal(d.key, "hidden_dims");
  assert.deepEqual(d.values.map((g) => [g.value, g.facts.map((f) => f.config)]), [[[2048, 1024, 512], ["A", "B"]], [[1024, 512], ["C"]]]);
  const msg = new AbcMismatchError(inv).message;
  assert.match(msg, /head_architecture\.hidden_dims differs/);
  assert.match(msg, /\[1024,512\] in C \(C\.json\)/);
  assert.match(msg, /\[2048,1024,512\] in A \(A\.json\), B \(B\.json\)/);
});

test("a missing key and scalar differences are reported, each field on its own line", () => {
  const inv = checkAbcInvariants(
    [fact("A", "head_seed", 0), fact("B", "head_seed", 0), fact("C", "head_seed", 1), fact("A", "data_split", { val_fraction: 0.1, seed: 0 }), fact("B", "data_split", { val_fraction: 0.1 })],
    [{ config: "C", field: "head_architecture", reason: "no head_architecture" }],
  );
  const text = formatAbcProblems(inv);
  assert.match(text, /head_seed differs/);
  assert.match(text, /data_split\.seed differs/);
  assert.match(text, /"\(absent\)" in B/);
  assert.match(text, /head_architecture of config C is unknown: no head_architecture/);
});

// the reader, on artifacts laid out as the stages write them
function plantRun(cHidden: number[]) {
  const dir = mkdtempSync(join(tmpdir(), "abc-"));
  const run = openRun({ run_id: "abc", profile: "real", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
  const write = (rel: string, v: unknown) => {
    const p = join(run.paths.root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, JSON.stringify(v));
  };
  const recipe = { template: "[GOAL]{state}[PROOFSTEP]", max_length: 512 };
  for (const it of ["iter_0", "iter_1"] as const) write(run.paths.iter(it).embeddings.meta, { recipe });
  for (const c of ["A", "B"] as const) write(run.paths.ebm(c).plan_summary, { params: { val_fraction: 0.1, seed: 0 } });
  for (const c of ["A", "B", "C"] as EbmConfigName[]) {
    const trainedOn = c === "C" ? "A" : c; // joint training uses iter_0's plan
    write(run.paths.ebm(c).training_summary, {
      head_architecture: c === "C" ? { ...ARCH, hidden_dims: cHidden } : ARCH,
      config: { seed: 0, k_negatives: 3, hard_ratio: 0.6, plan_dir: join(run.paths.root, run.paths.ebm(trainedOn).plan_dir), ...(c === "C" ? { embed_recipe: recipe } : {}) },
    });
  }
  return run;
}

test("readAbcInvariants: a consistent run passes; C's planted width is refused, naming C's training summary", () => {
  const ok = plantRun(ARCH.hidden_dims);
  const inv = readAbcInvariants(ok, (rel) => join(ok.paths.root, rel));
  assert.ok(abcConsistent(inv), formatAbcProblems(inv));
  assert.equal(EBM_CONFIGS.C.eval_plan, "B");
  assert.ok(inv.fields.data_split!.sources.some((s) => s.startsWith("C: iter_0/ebm/contrastive_plan/plan.json#params (trained on)")), inv.fields.data_split!.sources.join("; "));
  const bad = plantRun([1024, 512]);
  const inv2 = readAbcInvariants(bad, (rel) => join(bad.paths.root, rel));
  assert.equal(abcConsistent(inv2), false);
  assert.match(formatAbcProblems(inv2), /head_architecture\.hidden_dims differs[\s\S]*\[1024,512\] in C \(iter_1\/ebm\/training_summary\.json#head_architecture\)/);
});
