/**
 * The search's scorer: one embeddings request per call for the children, the root goal embedded
 * once per theorem, energies from the head; a width mismatch and a foreign embedding recipe are
 * errors that say what differs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EbmScorer, type EnergyModel } from "../../src/prover/ebm-scorer.js";
import { checkEncoderRecipe, recipeDifference } from "../../src/prover/policy-service.js";
import { startSyntheticPolicyServer } from "../../src/demo/synthetic/synthetic-policy-server.js";
import { EMBED_RECIPE } from "../../src/ebm/embed-recipe.js";
import { smallWorld } from "../demo/synthetic/synthetic-fixtures.js";

/** Embeds a text as [length, first code unit]; counts requests. */
function fakeEncoder() {
  const calls: string[][] = [];
  return {
    calls,
    embed: async (inputs: readonly string[]) => {
      calls.push([...inputs]);
      return inputs.map((s) => Float32Array.from([s.length, s.charCodeAt(0)]));
    },
  };
}
/** E = state[0] - goal[0] (the length difference): checks the rows reach the head in order. */
const head: EnergyModel = {
  d_model: 2,
  score: async (zs, zg, n) => Float32Array.from({ length: n }, (_, i) => zs[2 * i]! - zg[2 * i]!),
};

test("children in one request, the goal once per theorem; energies in input order", async () => {
  const enc = fakeEncoder();
  const s = new EbmScorer(enc, head);
  assert.deepEqual(Array.from(await s.score(["ab", "abcd", "a"], "xyz")), [-1, 1, -2]);
  assert.deepEqual(Array.from(await s.score(["abcdef"], "xyz")), [3]);
  assert.deepEqual(enc.calls, [["xyz"], ["ab", "abcd", "a"], ["abcdef"]]);
  assert.deepEqual(s.stats(), { calls: 2, states: 4, goal_cache_hits: 1, goal_embeds: 1 });
  assert.equal((await s.score([], "xyz")).length, 0);
});

test("an encoder of another width than the head is an error naming both", async () => {
  const wide = { embed: async (inputs: readonly string[]) => inputs.map(() => new Float32Array(3).fill(1)) };
  await assert.rejects(new EbmScorer(wide, head).score(["a"], "g"), /3-wide goal embedding but the energy head takes 2/);
});

test("the encoder's recipe is checked at /health; a differing field is named; an encoder without one is refused", async () => {
  assert.equal(recipeDifference({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), null);
  assert.match(recipeDifference({ template: "[GOAL]{state}[PROOFSTEP]" }, { template: "{state}" })!, /^template: the run's recipe has "\[GOAL\]\{state\}\[PROOFSTEP\]", the encoder "\{state\}"$/);
  const world = smallWorld(4);
  const good = await startSyntheticPolicyServer(world, { policies: [{ model: "m", p_correct: 1 }], embed_recipe: EMBED_RECIPE });
  const bad = await startSyntheticPolicyServer(world, { policies: [{ model: "m", p_correct: 1 }], embed_recipe: { ...EMBED_RECIPE, compute_dtype: "float16" } });
  const none = await startSyntheticPolicyServer(world, { policies: [{ model: "m", p_correct: 1 }] });
  try {
    await checkEncoderRecipe(good.url, EMBED_RECIPE);
    await assert.rejects(checkEncoderRecipe(bad.url, EMBED_RECIPE), /applies another embedding recipe than the run \(design pitfall 3\): compute_dtype: the run's recipe has "bfloat16", the encoder "float16"/);
    await assert.rejects(checkEncoderRecipe(none.url, EMBED_RECIPE), /reports no embed_recipe: the encoder must be burnqed\.serve/);
  } finally {
    await Promise.all([good.close(), bad.close(), none.close()]);
  }
});
