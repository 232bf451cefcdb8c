/**
 * The planted values must be RECOVERED from the generated data by the plain computations the
 * metrics stages will do (plan Task 2.2), written out here independently of src/demo's internals.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO_ITERATIONS,
  PLANTED_PROVED_RATES,
  PLANTED_VALUE_DOCS,
  SEARCH_CONFIGS,
  generateDemoWorld,
  varianceSpectrum,
} from "../../src/demo/index.js";
import { jacobiEigenvalues } from "../../src/numeric/index.js";

const world = generateDemoWorld({ seed: 41 });

function tolerance(key: string, planted: number): number {
  const doc = PLANTED_VALUE_DOCS[key];
  assert.ok(doc, `no doc for ${key}`);
  return doc.relative ? doc.tolerance * Math.abs(planted) : doc.tolerance;
}

function assertNear(key: string, sample: number, planted: number): void {
  const tol = tolerance(key, planted);
  assert.ok(Math.abs(sample - planted) <= tol, `${key}: sample ${sample} vs planted ${planted} (tolerance ${tol})`);
}

for (const id of DEMO_ITERATIONS) {
  const it = world[id];
  const planted = world.planted[id];
  const t = it.trajectories;
  const d = it.dim;
  const n = t.state_id.length;
  const included = Array.from({ length: n }, (_, r) => r).filter((r) => !it.embeddings_index.excluded[r]);
  const vec = (r: number): Float32Array => it.state_embeddings.subarray(r * d, (r + 1) * d);
  const dist = (a: number, b: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (it.state_embeddings[a * d + k]! - it.state_embeddings[b * d + k]!) ** 2;
    return Math.sqrt(s);
  };
  const mean = (rows: readonly number[]): Float64Array => {
    const m = new Float64Array(d);
    for (const r of rows) for (let k = 0; k < d; k++) m[k] = m[k]! + it.state_embeddings[r * d + k]! / rows.length;
    return m;
  };

  test(`${id}: excluded rows are exactly the terminal rows, all-zero; goal embeddings are the root rows`, () => {
    for (let r = 0; r < n; r++) {
      assert.equal(it.embeddings_index.excluded[r], t.is_proof_complete[r]);
      assert.equal(it.embeddings_index.exclude_reason[r], t.is_proof_complete[r] ? "terminal" : null);
      assert.equal(it.embeddings_index.state_id[r], t.state_id[r]);
      assert.equal(it.embeddings_index.goal_row[r], it.goal_index[r]);
      assert.equal(world.search_theorems[it.goal_index[r]!], t.theorem_name[r]);
      if (t.is_proof_complete[r]) assert.ok(vec(r).every((x) => x === 0));
    }
    for (const r of included) assert.ok(vec(r).some((x) => x !== 0) && vec(r).every(Number.isFinite));
    t.state_id.forEach((sid, r) => {
      if (sid === 0) assert.deepEqual(it.goal_embeddings.subarray(it.goal_index[r]! * d, (it.goal_index[r]! + 1) * d), vec(r));
    });
  });

  test(`${id}: centroid_l2 recovered (${planted.population_centroid_l2.toFixed(2)}) and fades with depth`, () => {
    const pos = included.filter((r) => t.label[r] === "positive");
    const neg = included.filter((r) => t.label[r] === "negative");
    const [mp, mn] = [mean(pos), mean(neg)];
    const l2 = Math.sqrt(mp.reduce((s, v, k) => s + (v - mn[k]!) ** 2, 0));
    assertNear("population_centroid_l2", l2, planted.population_centroid_l2);
    assert.ok(planted.population_centroid_l2 > (id === "iter_0" ? 5 : 6) && planted.population_centroid_l2 < (id === "iter_0" ? 7 : 9));
    const u = planted.shift_direction;
    for (let depth = 0; depth <= 8; depth++) {
      const p = pos.filter((r) => t.depth_from_root[r] === depth);
      const q = neg.filter((r) => t.depth_from_root[r] === depth);
      if (p.length < 50 || q.length < 50) continue;
      const [a, b] = [mean(p), mean(q)];
      const along = u.reduce((s, uk, k) => s + uk * (a[k]! - b[k]!), 0);
      assertNear("centroid_shift_by_depth", along, planted.centroid_shift_by_depth[String(depth)]!);
    }
  });

  test(`${id}: variance spectrum recovered from the sample covariance`, () => {
    const m = mean(included);
    const cov = new Float64Array(d * d);
    const c = new Float64Array(d);
    for (const r of included) {
      for (let k = 0; k < d; k++) c[k] = it.state_embeddings[r * d + k]! - m[k]!;
      for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a * d + b] = cov[a * d + b]! + c[a]! * c[b]!;
    }
    for (let a = 0; a < d; a++)
      for (let b = a; b < d; b++) {
        cov[a * d + b] = cov[a * d + b]! / (included.length - 1);
        cov[b * d + a] = cov[a * d + b]!;
      }
    const eig = jacobiEigenvalues(cov, d);
    const s = varianceSpectrum(eig);
    assertNear("top1_variance_ratio", s.top1_variance_ratio, planted.top1_variance_ratio);
    assertNear("top10_variance_ratio", s.top10_variance_ratio, planted.top10_variance_ratio);
    assertNear("effective_dimension", s.effective_dimension, planted.effective_dimension);
    for (let i = 0; i < 5; i++) assertNear("population_covariance_eigenvalues", eig[i]!, planted.population_covariance_eigenvalues[i]!);
    // the planted summary is derived from the planted eigenvalues
    const p = varianceSpectrum(planted.population_covariance_eigenvalues);
    assert.equal(p.effective_dimension, planted.effective_dimension);
    assert.equal(planted.noise_eigenvalues.length, d);
  });

  test(`${id}: sibling collision rate is exact (${planted.sibling_collision_rate.toFixed(4)})`, () => {
    const groups = new Map<string, number[]>();
    for (const r of included) {
      if (t.parent_state_id[r] === null) continue;
      const key = `${t.run_id[r]}\u0000${t.theorem_name[r]}\u0000${t.parent_state_id[r]}`;
      const g = groups.get(key) ?? [];
      g.push(r);
      groups.set(key, g);
    }
    let pairs = 0;
    let collisions = 0;
    for (const rows of groups.values()) {
      for (let i = 0; i < rows.length; i++)
        for (let j = i + 1; j < rows.length; j++) {
          const l2 = dist(rows[i]!, rows[j]!);
          assert.ok(l2 < planted.collision_max_l2 || l2 > planted.non_collision_min_l2, `sibling pair at ${l2}`);
          pairs++;
          if (l2 < 1.0) collisions++;
        }
    }
    assert.equal(pairs, planted.sibling_pairs);
    assert.equal(collisions, planted.colliding_sibling_pairs);
    assert.equal(collisions / pairs, planted.sibling_collision_rate);
    assert.ok(planted.sibling_collision_rate > 0.03 && planted.sibling_collision_rate < 0.25);
  });

  test(`${id}: dual-label states are exact (${planted.dual_label_states})`, () => {
    const labels = new Map<string, Set<string>>();
    t.state_pp.forEach((text, r) => {
      if (text === "") return;
      const s = labels.get(text) ?? new Set<string>();
      s.add(t.label[r]!);
      labels.set(text, s);
    });
    const dual = [...labels.values()].filter((s) => s.size > 1).length;
    assert.ok(dual > 0);
    assert.equal(dual, planted.dual_label_states);
    assert.equal(labels.size, planted.distinct_state_texts);
    assert.equal(dual / labels.size, planted.dual_label_rate);
  });
}

test("iter_1 separates better than iter_0 and collides less", () => {
  assert.ok(world.planted.iter_1.population_centroid_l2 > world.planted.iter_0.population_centroid_l2 + 1);
  assert.ok(world.planted.iter_1.sibling_collision_rate < world.planted.iter_0.sibling_collision_rate);
});

test("miniF2F proved rates are exact", () => {
  for (const c of SEARCH_CONFIGS) {
    const r = world.search_results[c];
    const proved = r.proved.filter(Boolean).length;
    assert.equal(proved, world.planted.search[c].n_proved);
    assert.equal(proved / r.name.length, world.planted.search[c].proved_rate);
    assert.ok(Math.abs(proved / r.name.length - PLANTED_PROVED_RATES[c]) <= 0.5 / r.name.length);
  }
});
