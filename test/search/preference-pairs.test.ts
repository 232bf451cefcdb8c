/** Preference pairs: proof-path tactic against each tactic Lean rejected at the same state. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { preferencePairs } from "../../src/search/preference-pairs.js";
import { handMadeTree, handMadeUnproved } from "./search-fakes.js";

test("one pair per failed tactic at a proof-path state; failures off the path are not used", () => {
  const pair = (state_id: number, state_pp: string, depth: number, chosen_tactic: string, rejected_tactic: string, rejected_kind: string, rejected_message: string) => ({
    theorem_name: "hand_made", state_id, state_pp, depth, chosen_tactic, rejected_tactic, rejected_kind, rejected_message,
  });
  assert.deepEqual(preferencePairs(handMadeTree()), [
    pair(0, "R", 0, "a", "simp", "lean_error", "simp made no progress"),
    pair(1, "A", 1, "c", "ring", "lean_error", "ring failed"),
    pair(3, "C", 2, "t", "decide", "verify_failed", "declaration uses 'sorry'"),
    pair(3, "C", 2, "t", "omega", "lean_error", "omega could not prove the goal"),
  ]);
});

test("an unproved tree gives no pairs", () => {
  assert.deepEqual(preferencePairs(handMadeUnproved()), []);
});
