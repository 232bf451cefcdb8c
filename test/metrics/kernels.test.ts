/** The numeric kernels behind the metrics, on small exact cases. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { crossValidatedProbe, fitLogistic, permuteRows, silhouetteScore, stratifiedFolds } from "../../src/metrics/index.js";
import { covarianceAbout, groupSums, matmul, matmulTransA, matmulTransB, NumpyRandomState, Prng, rowMatrixFromArray, rowSegments, symmetricEigen, topEigen } from "../../src/numeric/index.js";

test("numpy RandomState(seed).permutation is reproduced bit for bit", () => {
  // values printed by numpy 1.24: np.random.RandomState(0).permutation(10), RandomState(12345).permutation(3000)[:8]
  assert.deepEqual(Array.from(new NumpyRandomState(0).permutation(10)), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
  assert.deepEqual(Array.from(new NumpyRandomState(12345).permutation(3000).slice(0, 8)), [2, 544, 1002, 1414, 188, 2707, 1672, 615]);
  assert.deepEqual(Array.from(new NumpyRandomState(3).permutation(5).slice(0, 4)), [3, 4, 1, 0]);
});

test("stratified folds match scikit-learn's StratifiedKFold(shuffle=False)", () => {
  // expected: [f for f in StratifiedKFold(k).split(...)] as printed by scikit-learn 1.2
  assert.deepEqual(Array.from(stratifiedFolds([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5)), [0, 0, 1, 1, 2, 3, 4, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(Array.from(stratifiedFolds([0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0], 3)), [0, 0, 0, 1, 1, 0, 1, 1, 2, 2, 2]);
  assert.throws(() => stratifiedFolds([1, 0, 1, 0], 5), /exceeds every class count/);
});

test("silhouette: the whole set and a sklearn-drawn sample, by hand", async () => {
  // clusters {0, 1} and {10, 11, 12} on a line
  const xs = [0, 1, 10, 11, 12];
  const input = { n: 5, dim: 1, labels: [0, 0, 1, 1, 1], row: (i: number) => Float32Array.of(xs[i]!) };
  const all = await silhouetteScore(input, 2000, 0);
  const expected = (10 / 11 + 9 / 10 + 8 / 9.5 + 9.5 / 10.5 + 10 / 11.5) / 5;
  assert.equal(all.kind, "value");
  // distances come from float32 products (onnxruntime): agreement to float32 precision
  if (all.kind === "value") assert.ok(Math.abs(all.value - expected) < 1e-6, `${all.value} vs ${expected}`);
  // sample_size=4, random_state=3 draws rows [3, 4, 1, 0]: points 11, 12, 1, 0 (sklearn: 0.9089026915113871)
  const sample = await silhouetteScore(input, 4, 3);
  if (sample.kind !== "value") assert.fail(sample.reason);
  assert.ok(Math.abs(sample.value - (2 * (10.5 / 11.5) + 2 * (9.5 / 10.5)) / 4) < 1e-6);
  const oneLabel = await silhouetteScore({ ...input, labels: [1, 1, 1, 1, 1] }, 2000, 0);
  assert.deepEqual(oneLabel, { kind: "not_computed", reason: "the sample of 5 rows has 1 label(s); silhouette needs 2 to n−1" });
});

test("matrix products on onnxruntime agree with plain loops", async () => {
  const rng = Prng.stream(1, "mm");
  const a = Float32Array.from({ length: 5 * 3 }, () => rng.normal());
  const b = Float32Array.from({ length: 3 * 4 }, () => rng.normal());
  const c = await matmul(a, 5, 3, b, 4);
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * b[k * 4 + j]!;
      assert.ok(Math.abs(c[i * 4 + j]! - s) < 1e-5);
    }
  const ata = await matmulTransA(a, 5, 3, a, 3);
  const aat = await matmulTransB(a, 5, 3, a, 5);
  assert.ok(Math.abs(ata[1]! - [0, 1, 2, 3, 4].reduce((s, i) => s + a[i * 3]! * a[i * 3 + 1]!, 0)) < 1e-5);
  assert.ok(Math.abs(aat[1]! - [0, 1, 2].reduce((s, k) => s + a[k]! * a[3 + k]!, 0)) < 1e-5);
  await assert.rejects(matmul(a, 5, 3, b, 5), /has 12 values, expected 3×5/);
});

test("group sums, covariance (panelled Gram) and in-place row permutation", async () => {
  const rng = Prng.stream(2, "cov");
  const n = 37;
  const d = 9;
  const data = Float32Array.from({ length: n * d }, () => 5 + rng.normal());
  const m = rowMatrixFromArray(data, n, d, 8); // 5 blocks: segments cross block edges
  assert.deepEqual(rowSegments(m, 5, 20).map((s) => [s.start, s.count]), [[5, 3], [8, 8], [16, 4]]);
  const groups = Int32Array.from({ length: n }, (_, i) => (i % 3 === 2 ? -1 : i % 3));
  const gs = await groupSums(m, groups, 2);
  assert.deepEqual(Array.from(gs.counts), [13, 12]);
  let s0 = 0;
  for (let i = 0; i < n; i += 3) s0 += data[i * d + 4]!;
  assert.ok(Math.abs(gs.sums[4]! - s0) < 1e-4);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += data[i * d + k]! / n;
  const cov = await covarianceAbout(m, mean);
  for (const [p, q] of [[0, 0], [2, 7], [8, 1]] as const) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (data[i * d + p]! - mean[p]!) * (data[i * d + q]! - mean[q]!);
    assert.ok(Math.abs(cov[p * d + q]! - s / (n - 1)) < 1e-5, `cov[${p},${q}]`);
    assert.equal(cov[p * d + q], cov[q * d + p]);
  }
  const order = Int32Array.from([36, 0, 5, 17, 16]);
  const firstRows = [...order].map((r) => Array.from(data.subarray(r * d, (r + 1) * d)));
  const v = permuteRows(m, order);
  assert.equal(v.n_rows, 5);
  for (let i = 0; i < 5; i++) assert.deepEqual(Array.from(m.blocks[0]!.subarray(i * d, (i + 1) * d)), firstRows[i]);
});

test("top eigenpairs by subspace iteration match a full Jacobi decomposition", async () => {
  const rng = Prng.stream(3, "eig");
  const n = 40;
  const x = Float64Array.from({ length: 200 * n }, (_, i) => rng.normal() * (1 + 5 / (1 + (i % n))));
  const a = new Float64Array(n * n);
  for (let r = 0; r < 200; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += (x[r * n + i]! * x[r * n + j]!) / 200;
  const full = symmetricEigen(a, n);
  const top = await topEigen(a, n, 5, { seed: 1 });
  assert.ok(top.converged);
  for (let i = 0; i < 5; i++) {
    assert.ok(Math.abs(top.values[i]! - full.values[i]!) < 1e-6 * full.values[0]!, `λ${i}: ${top.values[i]} vs ${full.values[i]}`);
    let dot = 0;
    for (let k = 0; k < n; k++) dot += top.vectors[i * n + k]! * full.vectors[i * n + k]!;
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-4, `eigenvector ${i}: |cos| = ${Math.abs(dot)}`);
  }
});

test("logistic fit: the gradient of scikit-learn's objective vanishes; a shifted copy gives the same decisions", async () => {
  // non-separable 3-d data; objective Σ log(1 + e^z) − y z + ‖w‖²/2 (C = 1), intercept free
  const rng = Prng.stream(4, "lr");
  const n = 300;
  const d = 3;
  const y = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const data = Float32Array.from({ length: n * d }, (_, k) => rng.normal() + (y[Math.floor(k / d)]! && k % d === 0 ? 0.8 : 0));
  const fit = await fitLogistic(rowMatrixFromArray(data, n, d), y, [[0, n]]);
  const decision = (x: Float32Array, f: typeof fit, i: number) => f.intercept + [0, 1, 2].reduce((s, k) => s + x[i * d + k]! * f.w[k]!, 0);
  const g = new Float64Array(d + 1);
  for (let i = 0; i < n; i++) {
    const r = 1 / (1 + Math.exp(-decision(data, fit, i))) - y[i]!;
    for (let k = 0; k < d; k++) g[k] += r * data[i * d + k]!;
    g[d] += r;
  }
  for (let k = 0; k < d; k++) g[k] += fit.w[k]!;
  assert.ok(Math.max(...g.map(Math.abs)) < 1e-3, `gradient ${Array.from(g)}`);
  assert.ok(fit.w[0]! > 0.3, `the informative feature gets weight ${fit.w[0]}`);
  // the intercept is not penalised: shifting every row by a constant changes only the intercept
  const shifted = data.map((v) => v + 3);
  const fit2 = await fitLogistic(rowMatrixFromArray(shifted, n, d), y, [[0, n]]);
  for (let i = 0; i < n; i += 7) assert.ok(Math.abs(decision(shifted, fit2, i) - decision(data, fit, i)) < 1e-3, `row ${i}`);
  // 5 folds of 60, stored fold by fold
  const probe = await crossValidatedProbe(rowMatrixFromArray(data, n, d), y, [0, 60, 120, 180, 240, 300]);
  assert.equal(probe.fold_accuracy.length, 5);
  assert.ok(probe.accuracy > 0.6 && probe.accuracy <= 1, `accuracy ${probe.accuracy}`);
});
