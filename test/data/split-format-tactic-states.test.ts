/**
 * Split, format and stats on real (state, tactic) pairs: the published miniF2F search traces in
 * ../shared/data/tactic_states (InternLM-Math and llemma_formal2formal runs). Expected numbers were
 * computed independently (Python over the same files).
 */
import { join } from "node:path";
import { SHARED_DATA } from "../fixtures/repl-double/double.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readSearchTracePairs } from "../../src/data/search-trace-pairs.js";
import { buildDataProducts } from "../../src/data/data-stats.js";
import { DEFAULT_SPLIT } from "../../src/data/split-by-theorem.js";
import { GOAL_TOKEN, PROOFSTEP_TOKEN } from "../../src/data/sft-format.js";

const TS = join(SHARED_DATA, "tactic_states");

test("pairs from the published search traces: every file, proof paths, repeats across runs kept once", () => {
  const r = readSearchTracePairs(TS);
  assert.deepEqual([r.files, r.results, r.proofs, r.proofs_with_banned_word, r.repeated_pairs], [76, 1955, 585, 0, 241]);
  assert.equal(r.pairs.tactic.length, 599);
  assert.equal(new Set(r.pairs.theorem_name).size, 113);
  assert.ok(r.pairs.num_goals.every((g) => g >= 1));
  const i = r.pairs.theorem_name.indexOf("mathd_algebra_478");
  assert.equal(r.pairs.depth[i], 0);
  assert.match(r.pairs.state_pp[i]!, /^b h v : ℝ\n.*⊢ v = 65$/s);
});

test("split by theorem 95/5, [GOAL]…[PROOFSTEP]… records, contrastive pool and stats", () => {
  const r = readSearchTracePairs(TS);
  const p = buildDataProducts(r.pairs, DEFAULT_SPLIT, 3);
  assert.deepEqual(p.stats.values, { sft_pairs_train: 573, sft_pairs_val: 26, theorems_train: 107, theorems_val: 6, contrastive_theorems: 37, benchmark_pairs_excluded: 0, benchmark_theorems_excluded: 0 });
  assert.deepEqual(p.stats.details.proof_length_histogram, { "1": 47, "2": 29, "3": 23, "4": 10, "5": 3, "6": 1 });
  assert.deepEqual(p.stats.details.sources["minif2f"], { theorems: 113, pairs: 599, theorem_fraction: 1, pair_fraction: 1, contrastive: 37 });
  // no theorem on both sides
  const train = new Set(p.sft_train.map((x) => x.theorem_name));
  assert.ok(p.sft_val.every((x) => !train.has(x.theorem_name)));
  // the SFT format, with the completion boundary stored
  for (const rec of [...p.sft_train, ...p.sft_val]) {
    assert.equal(rec.text, `${GOAL_TOKEN}${rec.prompt.slice(GOAL_TOKEN.length, -PROOFSTEP_TOKEN.length)}${PROOFSTEP_TOKEN}${rec.completion}`);
    assert.ok(rec.prompt.startsWith(GOAL_TOKEN) && rec.prompt.endsWith(PROOFSTEP_TOKEN) && rec.completion.length > 0);
  }
  assert.ok(p.contrastive.every((c) => c.max_depth >= 3));
  // the evaluated benchmark's theorems never become SFT data or pool theorems
  const held = new Set(["mathd_algebra_478", ...p.contrastive.slice(0, 3).map((c) => c.theorem_name)]);
  const b = buildDataProducts(r.pairs, DEFAULT_SPLIT, 3, held);
  const nHeld = r.pairs.theorem_name.filter((n) => held.has(n)).length;
  assert.equal(b.stats.values.benchmark_theorems_excluded, 4);
  assert.equal(b.stats.values.benchmark_pairs_excluded, nHeld);
  assert.equal(b.sft_train.length + b.sft_val.length, 599 - nHeld);
  assert.ok([...b.sft_train, ...b.sft_val].every((x) => !held.has(x.theorem_name)) && b.contrastive.every((c) => !held.has(c.theorem_name)));
  // deterministic: the same split twice
  assert.deepEqual(buildDataProducts(r.pairs, DEFAULT_SPLIT, 3).sft_val.map((x) => x.theorem_name), p.sft_val.map((x) => x.theorem_name));
});
