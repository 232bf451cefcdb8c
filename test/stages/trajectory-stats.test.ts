import { test } from "node:test";
import assert from "node:assert/strict";
import { trajectoryStats } from "../../src/search/trajectory-stats.js";

test("trajectory stats on a hand-made tree", () => {
  const s = trajectoryStats({
    theorem_name: ["a", "a", "a", "a", "a", "b", "b"],
    depth_from_root: [0, 1, 2, 3, 4, 0, 1],
    label: ["positive", "positive", "negative", "positive", "positive", "negative", "negative"],
    is_proof_complete: [false, false, false, false, true, false, false],
  });
  assert.deepEqual(s.values, { theorems: 2, proved: 1, proved_rate: 0.5, fraction_depth4plus: 1 / 7, states: 7, positive: 4, negative: 3, unknown: 0, terminal: 1, max_depth: 4 });
  assert.deepEqual(s.details.depth_histogram, { "0": 2, "1": 2, "2": 1, "3": 1, "4": 1 });
});

test("an empty table gives 'not enough data', never a 0 rate", () => {
  const s = trajectoryStats({ theorem_name: [], depth_from_root: [], label: [], is_proof_complete: [] });
  assert.equal(s.values.proved_rate, undefined);
  assert.equal(s.values.fraction_depth4plus, undefined);
  assert.match(s.not_computed["proved_rate"]!, /not enough data: n=0/);
});
