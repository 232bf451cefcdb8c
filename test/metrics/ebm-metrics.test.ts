/** ebmMetrics and contrastivePairs on hand-built trees with hand-computed values. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { contrastivePairs, ebmMetrics, metricsTableFromColumns, siblingGroups, type MetricsTable } from "../../src/metrics/index.js";
import { demoTable, demoWorld, plantedEnergies } from "./metrics-fixtures.js";

type Row = readonly [theorem: string, state: number, parent: number | null, depth: number, label: string, energy: number];

function tableOf(rows: readonly Row[]): { table: MetricsTable; energies: Float64Array } {
  const table = metricsTableFromColumns("hand", {
    theorem_name: rows.map((r) => r[0]),
    state_id: rows.map((r) => r[1]),
    parent_state_id: rows.map((r) => r[2]),
    depth_from_root: rows.map((r) => r[3]),
    label: rows.map((r) => r[4]),
    state_pp: rows.map((r) => `${r[0]}:${r[1]}`),
  });
  return { table, energies: Float64Array.from(rows, (r) => r[5]) };
}

/**
 * T: children of 0 at depth 1: 1(+, 1.0) 2(−, 2.0) 3(−, 0.5) → argmin 3 is negative: rank-1 miss, strict miss
 *    children of 1 at depth 2: 4(+, 0.2) 5(−, 0.2) → tie: argmin takes 4 (first): rank-1 hit, strict miss
 *    children of 4 at depth 3: 6(−, 3.0) 7(+, −1.0) → hit, strict hit
 * U: same state ids, all negative (never a mixed group; grouped with T's by parent id it would be)
 * V: a chain to depth 3, then children of 3 at depth 4: 4(+, 2.0) 5(−, 1.0) → miss
 */
const HAND: readonly Row[] = [
  ["T", 0, null, 0, "positive", 0],
  ["T", 1, 0, 1, "positive", 1.0],
  ["T", 2, 0, 1, "negative", 2.0],
  ["T", 3, 0, 1, "negative", 0.5],
  ["T", 4, 1, 2, "positive", 0.2],
  ["T", 5, 1, 2, "negative", 0.2],
  ["T", 6, 4, 3, "negative", 3.0],
  ["T", 7, 4, 3, "positive", -1.0],
  ["U", 0, null, 0, "negative", 5],
  ["U", 1, 0, 1, "negative", -4],
  ["U", 2, 0, 1, "negative", 6],
  ["V", 0, null, 0, "positive", 0],
  ["V", 1, 0, 1, "positive", 0],
  ["V", 2, 1, 2, "positive", 0],
  ["V", 3, 2, 3, "positive", 0],
  ["V", 4, 3, 4, "positive", 2.0],
  ["V", 5, 3, 4, "negative", 1.0],
];

test("rank-1 overall and by depth band, sibling discrimination (strict, ties fail), by hand", () => {
  const { table, energies } = tableOf(HAND);
  const m = ebmMetrics({ table, energies });
  assert.equal(m.values["rank1_accuracy"], 2 / 4);
  assert.equal(m.values["rank1_d0_1"], 0);
  assert.equal(m.values["rank1_d2_3"], 1);
  assert.equal(m.values["rank1_d4+"], 0);
  assert.equal(m.values["sibling_discrimination"], 1 / 4);
  assert.equal((m.details as { mixed_sibling_groups: number }).mixed_sibling_groups, 4);
  // random baselines: p/k = (1/3 + 1/2 + 1/2 + 1/2)/4 and 1/C(k, p) the same here (one positive per group)
  assert.equal((m.details as { chance: Record<string, number> }).chance["rank1_accuracy"], (1 / 3 + 1.5) / 4);
});

test("energy gap and population standard deviations (ddof 0), by hand", () => {
  const { table, energies } = tableOf(HAND);
  const m = ebmMetrics({ table, energies });
  const pos = HAND.filter((r) => r[4] === "positive").map((r) => r[5]);
  const neg = HAND.filter((r) => r[4] === "negative").map((r) => r[5]);
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const sd = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / a.length);
  assert.ok(Math.abs(m.values["energy_gap"]! - (mean(neg) - mean(pos))) < 1e-12);
  assert.ok(Math.abs(m.values["energy_std_pos"]! - sd(pos)) < 1e-12);
  assert.ok(Math.abs(m.values["energy_std_neg"]! - sd(neg)) < 1e-12);
});

test("sibling groups are keyed by theorem and parent: restarting state ids do not merge trees", () => {
  const { table } = tableOf(HAND);
  const groups = siblingGroups(table).map((g) => g.map((r) => `${table.theorem_name[r]}:${table.state_id[r]}`));
  assert.deepEqual(groups, [["T:1", "T:2", "T:3"], ["T:4", "T:5"], ["T:6", "T:7"], ["U:1", "U:2"], ["V:1"], ["V:2"], ["V:3"], ["V:4", "V:5"]]);
  // with a run_id column, the same theorem in two runs is two trees
  const two = metricsTableFromColumns("runs", {
    run_id: ["a", "a", "b", "b"],
    theorem_name: ["T", "T", "T", "T"],
    state_id: [1, 2, 1, 2],
    parent_state_id: [0, 0, 0, 0],
    depth_from_root: [1, 1, 1, 1],
    label: ["positive", "negative", "positive", "negative"],
    state_pp: ["x", "y", "x", "y"],
  });
  assert.deepEqual(siblingGroups(two), [[0, 1], [2, 3]]);
});

test("active ratio: with one negative sibling per anchor and hard_ratio 1 the pairs are fixed", () => {
  // anchors (positive, non-root) A1, A3, B1 each have exactly one negative sibling; hard draws only, 1 each
  const rows: Row[] = [
    ["A", 0, null, 0, "positive", 0],
    ["A", 1, 0, 1, "positive", 0.0],
    ["A", 2, 0, 1, "negative", 0.5], // margin 0.5 < 1: active
    ["A", 3, 1, 2, "positive", -1.0],
    ["A", 4, 1, 2, "negative", 2.0], // margin 3.0: inactive
    ["B", 0, null, 0, "positive", 0],
    ["B", 1, 0, 1, "positive", 1.0],
    ["B", 2, 0, 1, "negative", 1.0], // margin 0: active
  ];
  const { table, energies } = tableOf(rows);
  const m = ebmMetrics({ table, energies, params: { hard_ratio: 1, k_negatives: 1 } });
  assert.equal(m.values["active_ratio"], 2 / 3);
  assert.equal((m.details as { contrastive_pairs: number }).contrastive_pairs, 3);
  const hardOnly = contrastivePairs(table, () => true, { hard_ratio: 1, k_negatives: 1, seed: 0 });
  assert.deepEqual(Array.from(hardOnly.hard), [1, 1, 1]);
  // hard_ratio 0: every negative comes from the other theorem
  const easy = contrastivePairs(table, () => true, { hard_ratio: 0, k_negatives: 4, seed: 1 });
  assert.equal(easy.positive.length, 12);
  for (let i = 0; i < easy.positive.length; i++) assert.notEqual(table.theorem_name[easy.positive[i]!], table.theorem_name[easy.negative[i]!]);
});

test("no negative anywhere (every search succeeded at once): no pairs, and the metrics say not enough data", () => {
  const rows: Row[] = [
    ["A", 0, null, 0, "positive", 0],
    ["A", 1, 0, 1, "positive", 0.2],
    ["B", 0, null, 0, "positive", 0],
    ["B", 1, 0, 1, "positive", 0.1],
  ];
  const { table, energies } = tableOf(rows);
  for (const hard_ratio of [0, 0.6, 1]) assert.equal(contrastivePairs(table, () => true, { hard_ratio, k_negatives: 3, seed: 0 }).positive.length, 0);
  const m = ebmMetrics({ table, energies, params: { hard_ratio: 0.6, k_negatives: 3 } });
  assert.equal(m.values["active_ratio"], undefined);
  assert.match(JSON.stringify(m.not_computed), /active_ratio/);
});

test("pairs on the demo world: ~60% hard, hard ones are siblings (or the theorem's negatives), seeded", () => {
  const it = demoWorld().iter_0;
  const table = demoTable(it);
  const pairs = contrastivePairs(table, () => true, { hard_ratio: 0.6, k_negatives: 3, seed: 5 });
  const again = contrastivePairs(table, () => true, { hard_ratio: 0.6, k_negatives: 3, seed: 5 });
  assert.deepEqual(again.negative, pairs.negative);
  const hardShare = pairs.hard.reduce((s, h) => s + h, 0) / pairs.hard.length;
  assert.ok(Math.abs(hardShare - 0.6) < 0.05, `hard share ${hardShare}`);
  for (let i = 0; i < pairs.positive.length; i++) {
    const [p, q] = [pairs.positive[i]!, pairs.negative[i]!];
    assert.equal(table.label[p], "positive");
    assert.equal(table.label[q], "negative");
    assert.equal(table.theorem_name[p] === table.theorem_name[q], pairs.hard[i] === 1);
  }
  assert.ok(pairs.n_hard_fallback < pairs.hard.length / 2);
});

test("a planted-projection energy on the demo world ranks positives first far above chance", () => {
  const world = demoWorld();
  const it = world.iter_0;
  const table = demoTable(it);
  const m = ebmMetrics({ table, energies: plantedEnergies(it, world.planted.iter_0.shift_direction) });
  const d = (m.details as { chance: Record<string, number> }).chance;
  assert.ok(m.values["rank1_accuracy"]! > 2 * d["rank1_accuracy"]!, `${m.values["rank1_accuracy"]} vs random ${d["rank1_accuracy"]}`);
  assert.ok(m.values["sibling_discrimination"]! <= m.values["rank1_accuracy"]!);
  assert.ok(m.values["energy_gap"]! > 0);
  // the shift fades with depth, so the deep band is harder than the shallow one
  assert.ok(m.values["rank1_d0_1"]! > m.values["rank1_d4+"]!);
  // a collapsed head (all energies equal) gets 0 in the strict test, whatever the table order
  const flat = ebmMetrics({ table, energies: new Float64Array(table.n_rows) });
  assert.equal(flat.values["sibling_discrimination"], 0);
});
