/**
 * The metrics recover the demo world's planted values (src/demo/planted-values.ts, tolerances from
 * PLANTED_VALUE_DOCS): centroid_l2 and its fading with depth, the exact sibling collision rate and
 * dual-label counts, the variance-spectrum ratios; rows the embeddings index excludes are exactly
 * the terminal rows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PLANTED_VALUE_DOCS, DEMO_ITERATIONS } from "../../src/demo/index.js";
import { embeddingMetrics } from "../../src/metrics/index.js";
import { arrayVectorSource } from "../../src/numeric/index.js";
import { demoTable, demoWorld } from "./metrics-fixtures.js";

const world = demoWorld({ seed: 41 });

function near(key: string, got: number | undefined, planted: number): void {
  const doc = PLANTED_VALUE_DOCS[key]!;
  const tol = doc.relative ? doc.tolerance * Math.abs(planted) : doc.tolerance;
  assert.ok(got !== undefined && Math.abs(got - planted) <= tol, `${key}: got ${got}, planted ${planted} (tolerance ${tol})`);
}

for (const id of DEMO_ITERATIONS) {
  test(`${id}: planted values are recovered by embeddingMetrics`, async () => {
    const it = world[id];
    const planted = world.planted[id];
    const table = demoTable(it);
    const r = await embeddingMetrics({ table, vectors: arrayVectorSource(it.state_embeddings, table.n_rows, it.dim), index_excluded: it.embeddings_index.excluded, params: { seed: 3 } });
    const v = r.file.values;
    const det = r.file.details as { excluded: { by_index: number; non_finite: number; all_zero: number }; siblings: { pairs: number; collisions: number }; dual_label: { distinct_state_texts: number } };
    assert.deepEqual(det.excluded.by_index, planted.n_terminal);
    assert.equal(det.excluded.non_finite + det.excluded.all_zero, 0);
    near("population_centroid_l2", v["centroid_l2"], planted.population_centroid_l2);
    // exact: every colliding pair is < 0.5 apart, every other > 1.5
    assert.equal(det.siblings.pairs, planted.sibling_pairs);
    assert.equal(det.siblings.collisions, planted.colliding_sibling_pairs);
    assert.equal(v["sibling_collision_rate"], planted.sibling_collision_rate);
    assert.equal(v["dual_label_states"], planted.dual_label_states);
    assert.equal(det.dual_label.distinct_state_texts, planted.distinct_state_texts);
    assert.equal(v["dual_label_rate"], planted.dual_label_rate);
    near("top1_variance_ratio", v["top1_variance_ratio"], planted.top1_variance_ratio);
    near("top10_variance_ratio", v["top10_variance_ratio"], planted.top10_variance_ratio);
    near("effective_dimension", v["effective_dimension"], planted.effective_dimension);
    for (let i = 0; i < 5; i++) near("population_covariance_eigenvalues", r.top_eigenvalues[i], planted.population_covariance_eigenvalues[i]!);
    // depth-stratified centroid_l2 ≈ s(d) (the shift along u dominates) where each label has ≥ 50 rows, and fades with depth
    const shown = r.centroid_by_depth.filter((c) => c.centroid_l2 !== null && c.n_positive >= 50 && c.n_negative >= 50);
    assert.ok(shown.length >= 3, `depths with ≥ 50 rows of each label: ${shown.length}`);
    for (const c of shown) near("centroid_shift_by_depth", c.centroid_l2!, planted.centroid_shift_by_depth[String(c.depth)]!);
    assert.ok(shown[0]!.centroid_l2! > shown[shown.length - 1]!.centroid_l2!);
    // a clear planted shift: the probe separates well above the majority rate
    const majority = 1 - planted.n_positive / planted.n_rows;
    assert.ok(v["linear_probe_acc"]! > majority, `probe ${v["linear_probe_acc"]} vs majority ${majority}`);
  });
}

test("iter_1's planted improvement shows: larger centroid_l2, fewer collisions", async () => {
  const out = [];
  for (const id of DEMO_ITERATIONS) {
    const it = world[id];
    const table = demoTable(it);
    out.push(await embeddingMetrics({ table, vectors: arrayVectorSource(it.state_embeddings, table.n_rows, it.dim), index_excluded: it.embeddings_index.excluded, parts: ["centroid", "siblings"] }));
  }
  assert.ok(out[1]!.file.values["centroid_l2"]! > out[0]!.file.values["centroid_l2"]! + 1);
  assert.ok(out[1]!.file.values["sibling_collision_rate"]! < out[0]!.file.values["sibling_collision_rate"]!);
});
