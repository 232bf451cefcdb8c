/** embeddingMetrics on tiny tables whose every value is worked out by hand. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { embeddingMetrics, metricsTableFromColumns, type MetricsTable } from "../../src/metrics/index.js";
import { arrayVectorSource } from "../../src/numeric/index.js";

/**
 * Two theorems whose state ids both start at 0 (ids restart per theorem):
 *   T: 0 root (+) [0,2];  children of 0: 1 (+) [3,4], 2 (−) [0,4], 3 (−) [3,4.5];  child of 1: 4 (−) [1,1], same text as 1
 *   U: 0 root (−) [2,2];  children of 0: 1 (−) [2,2.2], 2 (−) [5,2]
 * Sibling pairs: T(1,2) = 3, T(1,3) = 0.5, T(2,3) = √9.25, U(1,2) = √9.04 — 4 pairs (grouping by
 * parent id alone would merge T's and U's children of "0" into 10 pairs).
 */
function tinyTable(): { table: MetricsTable; vectors: Float32Array } {
  const rows = [
    ["T", 0, null, 0, "positive", "A", [0, 2]],
    ["T", 1, 0, 1, "positive", "B", [3, 4]],
    ["T", 2, 0, 1, "negative", "C", [0, 4]],
    ["T", 3, 0, 1, "negative", "D", [3, 4.5]],
    ["T", 4, 1, 2, "negative", "B", [1, 1]],
    ["U", 0, null, 0, "negative", "E", [2, 2]],
    ["U", 1, 0, 1, "negative", "F", [2, 2.2]],
    ["U", 2, 0, 1, "negative", "G", [5, 2]],
  ] as const;
  const table = metricsTableFromColumns("tiny", {
    theorem_name: rows.map((r) => r[0]),
    state_id: rows.map((r) => r[1]),
    parent_state_id: rows.map((r) => r[2]),
    depth_from_root: rows.map((r) => r[3]),
    label: rows.map((r) => r[4]),
    state_pp: rows.map((r) => r[5]),
  });
  return { table, vectors: Float32Array.from(rows.flatMap((r) => r[6])) };
}

const close = (a: number | undefined, b: number, what: string, tol = 1e-6) => assert.ok(a !== undefined && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: got ${a}, expected ${b}`);

test("hand-computed centroid_l2, norm_gap, sibling distances, spectrum and dual labels", async () => {
  const { table, vectors } = tinyTable();
  const r = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, 8, 2) });
  const v = r.file.values;
  // centroids: positive (1.5, 3); negative (13/6, 15.7/6)
  close(v["centroid_l2"], Math.hypot(1.5 - 13 / 6, 3 - 15.7 / 6), "centroid_l2");
  const negNorms = [4, Math.hypot(3, 4.5), Math.SQRT2, Math.hypot(2, 2), Math.hypot(2, 2.2), Math.hypot(5, 2)];
  close(v["norm_gap"], (2 + 5) / 2 - negNorms.reduce((s, x) => s + x, 0) / 6, "norm_gap");
  const d = [3, 0.5, Math.sqrt(9.25), Math.sqrt(9.04)];
  close(v["sibling_l2_mean"], d.reduce((s, x) => s + x, 0) / 4, "sibling_l2_mean");
  close(v["sibling_l2_median"], (3 + Math.sqrt(9.04)) / 2, "sibling_l2_median");
  assert.equal(v["sibling_collision_rate"], 0.25);
  assert.deepEqual([...r.sibling_l2].sort((a, b) => a - b).map((x) => x.toFixed(6)), [...d].sort((a, b) => a - b).map((x) => x.toFixed(6)));
  // covariance of the 8 rows (ddof 1), eigenvalues of a 2×2 in closed form
  const xs = [0, 3, 0, 3, 1, 2, 2, 5];
  const ys = [2, 4, 4, 4.5, 1, 2, 2.2, 2];
  const mx = xs.reduce((s, x) => s + x, 0) / 8;
  const my = ys.reduce((s, y) => s + y, 0) / 8;
  const a = xs.reduce((s, x) => s + (x - mx) ** 2, 0) / 7;
  const c = ys.reduce((s, y) => s + (y - my) ** 2, 0) / 7;
  const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / 7;
  const l1 = (a + c) / 2 + Math.hypot((a - c) / 2, b);
  const l2 = (a + c) / 2 - Math.hypot((a - c) / 2, b);
  close(v["top1_variance_ratio"], l1 / (l1 + l2), "top1_variance_ratio");
  close(v["top10_variance_ratio"], 1, "top10_variance_ratio");
  close(v["effective_dimension"], (l1 + l2) ** 2 / (l1 * l1 + l2 * l2), "effective_dimension");
  close(r.top_eigenvalues[0], l1, "λ1");
  // "B" is positive (T1) and negative (T4): 1 dual text of 7
  assert.equal(v["dual_label_states"], 1);
  close(v["dual_label_rate"], 1 / 7, "dual_label_rate");
});

test("depth-stratified centroid_l2 by hand, with thin depths reported as not enough data", async () => {
  const { table, vectors } = tinyTable();
  const r = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, 8, 2), params: { depth_min_rows_per_label: 1 } });
  const byDepth = Object.fromEntries(r.centroid_by_depth.map((c) => [c.depth, c]));
  // depth 0: T0 (+) [0,2] vs U0 (−) [2,2]; depth 1: T1 (+) [3,4] vs mean of [0,4],[3,4.5],[2,2.2],[5,2] = (2.5, 3.175)
  close(byDepth[0]!.centroid_l2 ?? undefined, 2, "depth 0");
  close(byDepth[1]!.centroid_l2 ?? undefined, Math.hypot(0.5, 0.825), "depth 1");
  assert.equal(byDepth[2]!.centroid_l2, null);
  assert.equal(byDepth[2]!.reason, "not enough data: n_positive=0, n_negative=1 (need ≥ 1 of each)");
  assert.deepEqual(r.file.details?.["centroid_l2_by_depth"], r.centroid_by_depth);
});

test("too little data reads 'not enough data: …', never 0", async () => {
  const { table, vectors } = tinyTable();
  const r = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, 8, 2) });
  assert.equal(r.file.not_computed["linear_probe_acc"], "not enough data: n_positive=2, n_negative=6 (5-fold CV needs ≥ 5 of each)");
  assert.equal(r.file.not_computed["silhouette_shallow"], "not enough data: n=7 rows at depth 0–1 (need > 100)");
  assert.equal(r.file.not_computed["silhouette_deep"], "not enough data: n=0 rows at depth 4+ (need > 100)");
  for (const k of ["linear_probe_acc", "silhouette_shallow", "silhouette_mid", "silhouette_deep"]) assert.equal(r.file.values[k], undefined, k);
});

test("a 1-d separable probe scores 1.0 in every fold; no sibling pairs reads not enough data", async () => {
  // 8 positives at x ≥ 2, 12 negatives at x ≤ −2, each its own root (no siblings)
  const xs = [2, 3, 4, 5, 6, 7, 8, 9, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13];
  const n = xs.length;
  const table = metricsTableFromColumns("sep", {
    theorem_name: xs.map((_, i) => `t${i}`),
    state_id: xs.map(() => 0),
    parent_state_id: xs.map(() => null),
    depth_from_root: xs.map(() => 0),
    label: xs.map((x) => (x > 0 ? "positive" : "negative")),
    state_pp: xs.map((_, i) => `s${i}`),
  });
  const vectors = Float32Array.from(xs.flatMap((x) => [x, 1]));
  const r = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, n, 2) });
  assert.equal(r.file.values["linear_probe_acc"], 1);
  assert.equal(r.file.not_computed["sibling_l2_mean"], "not enough data: 0 sibling pairs (no parent has 2 usable children)");
  const folds = (r.file.details?.["linear_probe"] as { fold_accuracy: number[] }).fold_accuracy;
  assert.deepEqual(folds, [1, 1, 1, 1, 1]);
});

test("parts: only the requested metrics are computed", async () => {
  const { table, vectors } = tinyTable();
  const r = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, 8, 2), parts: ["siblings"] });
  assert.deepEqual(Object.keys(r.file.values), ["sibling_l2_mean", "sibling_l2_median", "sibling_collision_rate"]);
  assert.equal(r.top_eigenvalues.length, 0);
});
