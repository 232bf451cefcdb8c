import { test } from "node:test";
import assert from "node:assert/strict";
import { checkIndexAlignment, contrastivePlan, isValTheorem, valTheorems, type PlanIndexColumns, type PlanTrajectoryColumns } from "../../src/ebm/contrastive-plan.js";
import { generateDemoWorld } from "../../src/demo/index.js";

const SRC = { trajectories_path: "t.arrow", index_path: "ix.arrow" };

interface Node {
  run: string;
  thm: string;
  id: number;
  parent: number | null;
  label: "positive" | "negative" | "unknown";
  text?: string;
  done?: boolean;
}

function tables(nodes: Node[], excluded: Record<number, string> = {}): { t: PlanTrajectoryColumns; ix: PlanIndexColumns } {
  const t: PlanTrajectoryColumns = {
    theorem_name: nodes.map((n) => n.thm),
    run_id: nodes.map((n) => n.run),
    state_id: nodes.map((n) => n.id),
    parent_state_id: nodes.map((n) => n.parent),
    label: nodes.map((n) => n.label),
    is_proof_complete: nodes.map((n) => n.done === true),
    state_pp: nodes.map((n) => (n.done ? "" : (n.text ?? `⊢ ${n.thm} ${n.id}`))),
  };
  const ix: PlanIndexColumns = {
    row: nodes.map((_, i) => i),
    run_id: t.run_id,
    theorem_name: t.theorem_name,
    state_id: t.state_id,
    excluded: nodes.map((n, i) => n.done === true || i in excluded),
    exclude_reason: nodes.map((n, i) => (n.done ? "terminal" : (excluded[i] ?? null))),
  };
  return { t, ix };
}

// Theorem A searched twice (runs r1, r2): state ids restart per run, so parent 0 of r1 and of r2 are different nodes.
const TREE: Node[] = [
  { run: "r1", thm: "A", id: 0, parent: null, label: "positive" }, //   0 root
  { run: "r1", thm: "A", id: 1, parent: 0, label: "positive" }, //      1 anchor
  { run: "r1", thm: "A", id: 2, parent: 0, label: "negative" }, //      2 sibling of 1
  { run: "r1", thm: "A", id: 3, parent: 0, label: "negative" }, //      3 sibling of 1
  { run: "r1", thm: "A", id: 4, parent: 1, label: "positive", done: true }, // 4 terminal: excluded
  { run: "r1", thm: "A", id: 5, parent: 1, label: "negative" }, //      5 sibling of the terminal only
  { run: "r2", thm: "A", id: 0, parent: null, label: "negative" }, //   6 root of the second search
  { run: "r2", thm: "A", id: 1, parent: 0, label: "negative" }, //      7 NOT a sibling of row 1
  { run: "r2", thm: "A", id: 2, parent: 0, label: "unknown" }, //       8 unlabelled
  { run: "r1", thm: "B", id: 0, parent: null, label: "negative" }, //   9
  { run: "r1", thm: "B", id: 1, parent: 0, label: "negative", text: "  " }, // 10 empty text, not terminal
  { run: "r1", thm: "B", id: 2, parent: 0, label: "negative" }, //      11 non-finite (index)
  { run: "r1", thm: "B", id: 3, parent: 0, label: "negative" }, //      12
];

test("siblings are keyed by (run, theorem, parent); terminal, empty and excluded rows appear nowhere", () => {
  const { t, ix } = tables(TREE, { 11: "non_finite" });
  const plan = contrastivePlan(t, ix, { val_fraction: 0, seed: 0 }, SRC);
  const a = plan.arrays.train;
  assert.deepEqual(a.anchors, [1]);
  assert.deepEqual(a.anchor_theorem, [0]);
  assert.deepEqual(a.sibling_offsets, [0, 2]);
  assert.deepEqual(a.sibling_rows, [2, 3]); // row 7 shares theorem A and parent id 0, but run r2
  assert.deepEqual(a.theorem_neg_offsets, [0, 5, 7]); // A: 2 3 5 6 7; B: 9 12
  assert.deepEqual(a.theorem_neg_rows, [2, 3, 5, 6, 7, 9, 12]);
  assert.deepEqual(a.group_offsets, [0, 3]); // only (r1, A, 0) has both labels; (r1, A, 1) lost its positive (terminal)
  assert.deepEqual(a.group_rows, [1, 2, 3]);
  assert.deepEqual(a.group_is_positive, [1, 0, 0]);
  assert.deepEqual(plan.summary.excluded, { terminal: 1, empty_text: 1, non_finite: 1, all_zero: 0 });
  assert.equal(plan.summary.unlabelled_rows, 1);
  assert.equal(plan.summary.root_positives, 1);
  assert.equal(plan.summary.usable_rows, 10);
  assert.deepEqual(plan.arrays.val.anchors, []);
  assert.deepEqual(plan.arrays.val.theorem_neg_offsets, [0]);
});

test("val theorems: a hash of the name alone, so a theorem keeps its side whatever else is in the set", () => {
  const names = Array.from({ length: 400 }, (_, i) => `thm_${i}`);
  const val = valTheorems(names, { val_fraction: 0.2, seed: 3 });
  // binomial(400, 0.2): mean 80, sd 8
  assert.ok(val.size > 56 && val.size < 104, `${val.size} held out`);
  assert.deepEqual(valTheorems(names, { val_fraction: 0.2, seed: 3 }), val); // deterministic
  assert.notDeepEqual(valTheorems(names, { val_fraction: 0.2, seed: 4 }), val);
  // another iteration's set (a subset, plus new names) puts every shared theorem on the same side
  const other = valTheorems([...names.slice(100, 300), "thm_new_1", "thm_new_2"], { val_fraction: 0.2, seed: 3 });
  for (const n of names.slice(100, 300)) assert.equal(other.has(n), val.has(n), n);
  assert.equal(isValTheorem("thm_7", { val_fraction: 0, seed: 3 }), false);
});

test("a misaligned index names the row and both files", () => {
  const { t, ix } = tables(TREE);
  const bad = { ...ix, state_id: Array.from(ix.state_id, (v, i) => (i === 7 ? 99 : v)) };
  assert.throws(() => checkIndexAlignment(t, bad, SRC), /ix\.arrow row 7 .*state 99.* does not describe trajectory row 7 .*state 1\) of t\.arrow/);
  const short = { ...ix, row: Array.from(ix.row).slice(0, 5) };
  assert.throws(() => contrastivePlan(t, short, { val_fraction: 0, seed: 0 }, SRC), /has 5 rows but trajectories t\.arrow have 13/);
  assert.throws(() => contrastivePlan(t, ix, { val_fraction: 1, seed: 0 }, SRC), /val_fraction must be in \[0, 1\)/);
});

test("on the demo world: every non-root, non-terminal positive is an anchor; splits partition theorems", () => {
  const w = generateDemoWorld({ n_theorems: 120, n_search_theorems: 40, dim: 16, n_minif2f: 8 });
  const it = w.iter_0;
  const plan = contrastivePlan(it.trajectories as unknown as PlanTrajectoryColumns, it.embeddings_index as unknown as PlanIndexColumns, { val_fraction: 0.25, seed: 0 }, SRC);
  const pl = w.planted.iter_0;
  const anchors = plan.arrays.train.anchors.length + plan.arrays.val.anchors.length;
  assert.equal(anchors, pl.n_positive - pl.n_terminal - pl.n_proved); // positives minus terminal nodes minus proved roots
  assert.equal(plan.summary.excluded.terminal, pl.n_terminal);
  assert.equal(plan.summary.usable_rows, pl.n_included);
  const thmOf = (r: number) => it.trajectories.theorem_name[r]!;
  const trainThm = new Set(plan.arrays.train.theorem_neg_rows.map(thmOf));
  const valThm = new Set(plan.arrays.val.theorem_neg_rows.map(thmOf));
  assert.equal([...trainThm].filter((x) => valThm.has(x)).length, 0);
  assert.equal(plan.summary.splits.train.theorems + plan.summary.splits.val.theorems, 40);
  assert.ok(plan.arrays.val.group_offsets.length > 1, "validation has rank-1 groups");
  for (const s of [plan.arrays.train, plan.arrays.val]) {
    for (let g = 0; g + 1 < s.group_offsets.length; g++) {
      const labels = s.group_is_positive.slice(s.group_offsets[g], s.group_offsets[g + 1]);
      assert.ok(labels.includes(1) && labels.includes(0));
    }
  }
});
