/** Candidate filtering: budget, empty, banned words, bullets, whitespace duplicates, order. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterCandidates, normalizeTacticWhitespace } from "../../src/search/filter-candidates.js";
import { cand } from "./search-fakes.js";

test("drops empty, banned and bulleted tactics, merges whitespace duplicates, sorts by per-token log-prob", () => {
  const { kept, counts } = filterCandidates(
    [
      cand("simp", -2, 1),
      cand("nlinarith [sq_nonneg (a - b)]", -3, 6),
      cand("   ", -0.1, 1),
      cand("exact sorry", -0.1, 2),
      cand("admit", -0.1, 1),
      cand("· simp", -0.1, 2),
      cand("nlinarith  [sq_nonneg (a - b)]\n", -2.4, 6),
      cand("  ring", -1, 1),
      cand("exact sorryAx _", -5, 1),
    ],
    16,
  );
  // the better-scored copy of nlinarith wins and keeps its text, trimmed
  assert.deepEqual(kept, [cand("nlinarith  [sq_nonneg (a - b)]", -2.4, 6), cand("ring", -1, 1), cand("simp", -2, 1), cand("exact sorryAx _", -5, 1)]);
  assert.deepEqual(counts, { proposed: 9, over_n: 0, empty: 1, banned_word: 2, bullet: 1, duplicate: 1, kept: 4 });
});

test("only the first n proposed candidates are considered", () => {
  const { kept, counts } = filterCandidates([cand("a", -3), cand("b", -2), cand("c", -1)], 2);
  assert.deepEqual(kept.map((c) => c.tactic), ["b", "a"]);
  assert.equal(counts.over_n, 1);
});

test("equal per-token scores keep the policy's order", () => {
  const { kept } = filterCandidates([cand("x", -2, 2), cand("y", -1, 1), cand("z", -4, 4)], 16);
  assert.deepEqual(kept.map((c) => c.tactic), ["x", "y", "z"]);
});

test("whitespace normalisation collapses runs and trims", () => {
  assert.equal(normalizeTacticWhitespace("  rw [h]\n\t <;> simp  "), "rw [h] <;> simp");
});

test("a candidate with a non-finite log-prob or no tokens is a broken client", () => {
  assert.throws(() => filterCandidates([cand("simp", Number.NaN, 1)], 4), /policy candidate 'simp' has log_prob_sum NaN/);
  assert.throws(() => filterCandidates([cand("simp", -1, 0)], 4), /n_tokens 0/);
});
