/** From choices to candidates: trim, drop empty / banned, merge whitespace duplicates keeping the best, sort. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { choiceLogProb, normalizeTacticWhitespace, tacticCandidates } from "../../src/policy/tactic-candidates.js";
import type { CompletionChoice } from "../../src/policy/completions-response.js";

let idx = 0;
/** A choice whose tokens are one per given logprob (the text is what the tests look at). */
const ch = (text: string, token_logprobs: (number | null)[], finish_reason: string | null = "stop"): CompletionChoice => ({
  index: idx++,
  text,
  tokens: token_logprobs.map((_, k) => `t${k}`),
  token_logprobs,
  finish_reason,
});

test("log-prob sum and count; a null first logprob is left out of both", () => {
  assert.deepEqual(choiceLogProb(ch("simp", [-0.5, -0.25])), { log_prob_sum: -0.75, n_tokens: 2, null_first: false });
  assert.deepEqual(choiceLogProb(ch("simp", [null, -0.5, -0.25])), { log_prob_sum: -0.75, n_tokens: 2, null_first: true });
  assert.deepEqual(choiceLogProb(ch("", [])), { log_prob_sum: 0, n_tokens: 0, null_first: false });
});

test("whitespace normalisation: runs (newlines, tabs) become one space, ends trimmed", () => {
  assert.equal(normalizeTacticWhitespace("  simp  [h]\n\tat  h' \n"), "simp [h] at h'");
});

test("duplicates after whitespace normalisation keep the higher log-prob and its text; best first", () => {
  const r = tacticCandidates([
    ch("simp  [h]", [-1, -1]), // -2
    ch("simp [h]\n", [-0.5, -0.5]), // -1: the best spelling
    ch("linarith", [-0.25]),
    ch("simp\t[h]", [-3]),
  ]);
  assert.deepEqual(r.candidates, [
    { tactic: "linarith", log_prob_sum: -0.25, n_tokens: 1, finish_reason: "stop" },
    { tactic: "simp [h]", log_prob_sum: -1, n_tokens: 2, finish_reason: "stop" },
  ]);
  assert.deepEqual([r.n_choices, r.dropped_duplicates, r.dropped_banned, r.dropped_empty], [4, 2, 0, 0]);
});

test("trailing whitespace is trimmed, leading kept; empty completions dropped and counted; ties keep server order", () => {
  const r = tacticCandidates([ch("  nlinarith [sq_nonneg x]  \n", [-1]), ch(" \n", [-0.5]), ch("", []), ch("ring", [-1], "length")]);
  assert.deepEqual(r.candidates.map((c) => [c.tactic, c.finish_reason]), [["  nlinarith [sq_nonneg x]", "stop"], ["ring", "length"]]);
  assert.equal(r.dropped_empty, 2);
});

test("sorry / admit / cheat as whole words are dropped and counted; inside identifiers or comments they are not", () => {
  const r = tacticCandidates([
    ch("sorry", [-0.1]),
    ch("exact admit", [-0.1]),
    ch("exact h.cheat", [-0.1]),
    ch("have h : x = 1 := by sorry\n  simp", [-0.1]),
    ch("exact sorry_free_lemma x", [-1]),
    ch("simp -- sorry", [-2]),
    ch("admitted_tac", [-3]),
  ]);
  assert.deepEqual(r.candidates.map((c) => c.tactic), ["exact sorry_free_lemma x", "simp -- sorry", "admitted_tac"]);
  assert.equal(r.dropped_banned, 4);
});

test("a one-token choice whose only logprob is null has nothing to rank it by: dropped as unscored", () => {
  const r = tacticCandidates([ch("simp", [null]), ch("ring", [null, -0.5])]);
  assert.deepEqual(r.candidates, [{ tactic: "ring", log_prob_sum: -0.5, n_tokens: 1, finish_reason: "stop" }]);
  assert.deepEqual([r.dropped_unscored, r.null_first_logprobs], [1, 2]);
});
