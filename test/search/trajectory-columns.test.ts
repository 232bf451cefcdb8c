/** A searched tree as TRAJECTORIES columns: exactly the schema's names, valid values, labels from searchLabels. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateColumns } from "../../src/artifacts/arrow-table.js";
import { TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { bestFirstSearch } from "../../src/search/best-first.js";
import { normalizeSearchConfig } from "../../src/search/search-config.js";
import { trajectoryColumns } from "../../src/search/trajectory-columns.js";
import { cand, FakeClock, FakeEnv, FakePolicy, handMadeTree, tableStep } from "./search-fakes.js";

test("column names are exactly the schema's, in its order, and the values pass its validation", () => {
  const cols = trajectoryColumns(handMadeTree(), "iter_0");
  assert.deepEqual(Object.keys(cols), TRAJECTORIES.columns.map((c) => c.name));
  assert.equal(validateColumns("trajectoryColumns(hand_made)", TRAJECTORIES, cols), 7);
});

test("rows of the hand-made tree", () => {
  const c = trajectoryColumns(handMadeTree(), "iter_0");
  assert.deepEqual(c.state_id, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(c.parent_state_id, [null, 0, 0, 1, 1, 2, 3]);
  assert.deepEqual(c.state_pp, ["R", "A", "B", "C", "D", "E", ""]);
  assert.deepEqual(c.tactic_applied, ["", "a", "b", "c", "d", "e", "t"]);
  assert.deepEqual(c.depth_from_root, [0, 1, 1, 2, 2, 2, 3]);
  assert.deepEqual(c.label, ["positive", "positive", "negative", "positive", "unknown", "unknown", "positive"]);
  assert.deepEqual(c.remaining_depth, [3, 2, -1, 1, -1, -1, 0]);
  assert.deepEqual(c.llm_log_prob, [0, -1, -1, -1, -1, -1, -0.5]);
  assert.deepEqual(c.ebm_score, [0.5, 0.25, 1, -1, 2, 3, null]);
  assert.deepEqual(c.is_proof_complete, [false, false, false, false, false, false, true]);
  assert.deepEqual(c.visits, [1, 2, 1, 1, 0, 0, 0]);
  assert.deepEqual(c.q_value, [null, null, null, null, null, null, null]);
  assert.deepEqual(new Set(c.goal_pp), new Set(["R"]));
  assert.deepEqual(new Set(c.run_id), new Set(["iter_0"]));
  assert.deepEqual(new Set(c.theorem_name), new Set(["hand_made"]));
  assert.deepEqual(c.llm_time_ms, [null, 10, 10, 10, 10, 10, 10]);
  assert.deepEqual(c.lean_time_ms, [null, 20, 20, 20, 20, 20, 20]);
});

test("state ids restart at 0 for every theorem searched", async () => {
  const ids = [];
  for (const name of ["first", "second"]) {
    const clock = new FakeClock();
    const policy = new FakePolicy({ R: [cand("a")] }, clock);
    const env = new FakeEnv({ root: "R", step: tableStep({ R: { a: { goals: "A" } } }), clock });
    const r = await bestFirstSearch({ name }, { policy, env, clock }, normalizeSearchConfig());
    const c = trajectoryColumns(r, "iter_0");
    ids.push([...c.theorem_name.map((t, i) => `${t}:${c.state_id[i]}`)]);
  }
  assert.deepEqual(ids, [["first:0", "first:1"], ["second:0", "second:1"]]);
});

test("a proof-complete node carrying state text is refused (terminal rows must be empty)", () => {
  const t = handMadeTree();
  const nodes = t.nodes.map((n) => (n.is_proof_complete ? { ...n, state_pp: "no goals" } : n));
  assert.throws(() => trajectoryColumns({ ...t, nodes }, "iter_0"), /proof-complete node 6 has state text "no goals"/);
});
