import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_ITERATIONS, generateDemoWorld, type DemoIteration } from "../../src/demo/index.js";

type TrajectoryColumns = DemoIteration["trajectories"];

const world = generateDemoWorld({ seed: 31 });

/** Rows of each theorem, in table order. */
function byTheorem(t: TrajectoryColumns): Map<string, number[]> {
  const out = new Map<string, number[]>();
  t.theorem_name.forEach((name, i) => {
    const rows = out.get(name) ?? [];
    rows.push(i);
    out.set(name, rows);
  });
  return out;
}

for (const id of DEMO_ITERATIONS) {
  test(`${id}: each searched theorem forms one tree with state ids 0.. and consistent depths`, () => {
    const t = world[id].trajectories;
    const trees = byTheorem(t);
    assert.deepEqual([...trees.keys()], world.search_theorems);
    for (const [name, rows] of trees) {
      const ids = rows.map((r) => t.state_id[r]!);
      assert.deepEqual(ids, ids.map((_, i) => i), `${name}: ids restart at 0 and are contiguous`);
      const byId = new Map(rows.map((r) => [t.state_id[r]!, r]));
      const root = rows[0]!;
      assert.equal(t.parent_state_id[root], null);
      assert.equal(t.depth_from_root[root], 0);
      assert.equal(t.tactic_applied[root], "");
      assert.equal(t.goal_pp[root], t.state_pp[root]);
      const children = new Map<number, number>();
      for (const r of rows.slice(1)) {
        const parent = t.parent_state_id[r];
        assert.ok(parent !== null && parent !== undefined && byId.has(parent) && parent < t.state_id[r]!, `${name}#${t.state_id[r]}: parent ${parent}`);
        assert.equal(t.depth_from_root[r], t.depth_from_root[byId.get(parent)!]! + 1);
        assert.ok(!t.is_proof_complete[byId.get(parent)!], "terminal nodes have no children");
        assert.notEqual(t.tactic_applied[r], "");
        assert.ok(t.llm_log_prob[r]! < 0);
        assert.equal(t.goal_pp[r], t.state_pp[root]);
        children.set(parent, (children.get(parent) ?? 0) + 1);
      }
      for (const b of children.values()) assert.ok(b >= 2 && b <= 8, `${name}: branching ${b}`);
      assert.ok(Math.max(...rows.map((r) => t.depth_from_root[r]!)) <= 8);
    }
  });

  test(`${id}: proved theorems have exactly one positive path ending in an empty terminal node`, () => {
    const t = world[id].trajectories;
    let proved = 0;
    for (const [name, rows] of byTheorem(t)) {
      const byId = new Map(rows.map((r) => [t.state_id[r]!, r]));
      const terminals = rows.filter((r) => t.is_proof_complete[r]);
      const positives = rows.filter((r) => t.label[r] === "positive");
      for (const r of rows) {
        assert.equal(t.is_proof_complete[r], t.state_pp[r] === "", `${name}: empty text iff terminal`);
        if (t.label[r] === "negative") assert.equal(t.remaining_depth[r], -1);
        assert.notEqual(t.label[r], "unknown");
      }
      if (terminals.length === 0) {
        assert.equal(positives.length, 0, `${name}: unproved but has positives`);
        continue;
      }
      proved++;
      assert.equal(terminals.length, 1, `${name}: one terminal`);
      // walk terminal → root: exactly the positive set, remaining_depth counting up
      const path: number[] = [];
      for (let r: number | undefined = terminals[0]; r !== undefined; ) {
        path.push(r);
        const parent = t.parent_state_id[r];
        r = parent === null || parent === undefined ? undefined : byId.get(parent);
      }
      assert.deepEqual([...path].sort((a, b) => a - b), positives, `${name}: positives are exactly the root→terminal path`);
      path.forEach((r, k) => assert.equal(t.remaining_depth[r], k));
      assert.ok(path.length - 1 >= 3, "found proofs have ≥ 3 tactics");
      // the search stops at the proof: only the terminal's own siblings come after it
      const last = terminals[0]!;
      for (const r of rows.filter((r) => t.state_id[r]! > t.state_id[last]!)) assert.equal(t.parent_state_id[r], t.parent_state_id[last]);
    }
    assert.equal(proved, world.planted[id].n_proved);
    assert.ok(proved / world.search_theorems.length > 0.3 && proved / world.search_theorems.length < 0.5);
  });

  test(`${id}: ≥ 20% of states at depth ≥ 4; counts match planted`, () => {
    const t = world[id].trajectories;
    const p = world.planted[id];
    const n = t.state_id.length;
    const deep = t.depth_from_root.filter((d) => d >= 4).length;
    assert.ok(deep / n >= 0.2);
    assert.equal(p.fraction_depth4plus, deep / n);
    assert.equal(p.n_rows, n);
    assert.equal(p.n_positive, t.label.filter((l) => l === "positive").length);
    assert.equal(p.n_negative, t.label.filter((l) => l === "negative").length);
    assert.equal(p.n_terminal, t.is_proof_complete.filter(Boolean).length);
    assert.equal(p.n_included, world[id].embeddings_index.excluded.filter((e) => !e).length);
  });
}
