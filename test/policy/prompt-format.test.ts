/**
 * The policy prompt is byte-identical to the prompt of the SFT records the policy trained on:
 * checked on an exact literal and on every state of the real search traces in ../shared/data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { policyPrompt } from "../../src/policy/prompt-format.js";
import { sftRecord } from "../../src/data/sft-format.js";
import { readSearchTracePairs } from "../../src/data/search-trace-pairs.js";
import { SHARED_DATA } from "../fixtures/repl-double/double.js";

test("exact prompt: [GOAL]{state}[PROOFSTEP], no separator, UTF-8 bytes as in the SFT record", () => {
  const state = "x : ℕ\nh₀ : x = 2\n⊢ x + 0 = 2";
  const p = policyPrompt(state);
  assert.equal(p, "[GOAL]x : ℕ\nh₀ : x = 2\n⊢ x + 0 = 2[PROOFSTEP]");
  const rec = sftRecord({ theorem_name: "t", source: "s", state_pp: state, tactic: "norm_num [h₀]", depth: 0 });
  assert.ok(Buffer.from(p, "utf8").equals(Buffer.from(rec.prompt, "utf8")));
  // what the model saw in training is prompt + tactic: the prompt is its exact byte prefix
  assert.ok(Buffer.from(rec.text, "utf8").subarray(0, Buffer.byteLength(p)).equals(Buffer.from(p, "utf8")));
  // trailing whitespace in a state is kept, not trimmed
  assert.equal(policyPrompt("⊢ True \n"), "[GOAL]⊢ True \n[PROOFSTEP]");
});

test("every real traced state: policyPrompt === sftRecord(...).prompt byte for byte", () => {
  const pairs = readSearchTracePairs(join(SHARED_DATA, "tactic_states")).pairs;
  assert.equal(pairs.state_pp.length, 599);
  pairs.state_pp.forEach((state, i) => {
    const rec = sftRecord({ theorem_name: pairs.theorem_name[i]!, source: "minif2f", state_pp: state, tactic: pairs.tactic[i]!, depth: pairs.depth[i]! });
    assert.ok(Buffer.from(policyPrompt(state), "utf8").equals(Buffer.from(rec.prompt, "utf8")), `state ${i} of ${pairs.theorem_name[i]}`);
  });
});

test("a state containing [PROOFSTEP] is an error naming the theorem", () => {
  assert.throws(() => policyPrompt("⊢ [PROOFSTEP] x", "thm_bad"), /theorem 'thm_bad'.*contains '\[PROOFSTEP\]'/);
});
