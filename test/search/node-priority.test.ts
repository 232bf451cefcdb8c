/** The priority: length-normalised path log-prob plus ebm_weight · (−energy). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nodePriority } from "../../src/search/node-priority.js";

test("the LLM term is the path's mean token log-prob; 0 at the root", () => {
  assert.equal(nodePriority({ path_log_prob_sum: 0, path_n_tokens: 0, energy: null }, 0), 0);
  // two tactics: −3 over 2 tokens and −1 over 2 tokens → −4 / 4
  assert.equal(nodePriority({ path_log_prob_sum: -4, path_n_tokens: 4, energy: null }, 0), -1);
  // a long path of likely tokens beats a short unlikely one: depth is not penalised
  assert.ok(nodePriority({ path_log_prob_sum: -2, path_n_tokens: 20, energy: null }, 0) > nodePriority({ path_log_prob_sum: -1, path_n_tokens: 2, energy: null }, 0));
});

test("the energy term: lower energy ranks higher, scaled by ebm_weight; ignored at weight 0", () => {
  assert.equal(nodePriority({ path_log_prob_sum: -4, path_n_tokens: 4, energy: 2 }, 0.5), -2);
  assert.equal(nodePriority({ path_log_prob_sum: -4, path_n_tokens: 4, energy: -2 }, 0.5), 0);
  assert.equal(nodePriority({ path_log_prob_sum: -4, path_n_tokens: 4, energy: 1000 }, 0), -1);
});

test("a missing or non-finite energy under a non-zero weight is an error, not a silent 0", () => {
  assert.throws(() => nodePriority({ path_log_prob_sum: -1, path_n_tokens: 1, energy: null }, 1), /ebm_weight is 1 but the node's energy is null/);
  assert.throws(() => nodePriority({ path_log_prob_sum: -1, path_n_tokens: 1, energy: Number.NaN }, 1), /energy is NaN/);
});
