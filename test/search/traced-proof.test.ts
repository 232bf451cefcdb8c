/** The found proof as LeanDojo-style traced tactics. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tracedProof } from "../../src/search/traced-proof.js";
import { handMadeTree, handMadeUnproved } from "./search-fakes.js";

test("the proof path becomes (tactic, state_before, state_after) triples ending in 'no goals'", () => {
  assert.deepEqual(tracedProof(handMadeTree()), {
    theorem_name: "hand_made",
    traced_tactics: [
      { tactic: "a", state_before: "R", state_after: "A" },
      { tactic: "c", state_before: "A", state_after: "C" },
      { tactic: "t", state_before: "C", state_after: "no goals" },
    ],
  });
});

test("no proof, no traced tactics", () => {
  assert.equal(tracedProof(handMadeUnproved()), null);
});
