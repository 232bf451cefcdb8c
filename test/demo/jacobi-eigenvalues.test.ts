import { test } from "node:test";
import assert from "node:assert/strict";
import { varianceSpectrum } from "../../src/demo/index.js";
import { Prng, jacobiEigenvalues } from "../../src/numeric/index.js";
import { randomOrthonormalBasis } from "../../src/demo/embedding-geometry.js";

test("2×2 and diagonal matrices", () => {
  assert.deepEqual(Array.from(jacobiEigenvalues([2, 1, 1, 2], 2)).map((v) => +v.toFixed(12)), [3, 1]);
  assert.deepEqual(Array.from(jacobiEigenvalues([1, 0, 0, 0, 5, 0, 0, 0, 3], 3)), [5, 3, 1]);
  assert.deepEqual(Array.from(jacobiEigenvalues([4], 1)), [4]);
});

test("recovers the spectrum of Q diag(λ) Qᵀ", () => {
  const d = 24;
  const q = randomOrthonormalBasis(new Prng(3), d);
  const lambda = Array.from({ length: d }, (_, i) => 10 * 0.8 ** i);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) a[r * d + c] = a[r * d + c]! + lambda[i]! * q[i * d + r]! * q[i * d + c]!;
  const eig = jacobiEigenvalues(a, d);
  eig.forEach((v, i) => assert.ok(Math.abs(v - lambda[i]!) < 1e-10, `λ_${i}: ${v} vs ${lambda[i]}`));
});

test("basis is orthonormal", () => {
  const d = 16;
  const q = randomOrthonormalBasis(new Prng(9), d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += q[i * d + k]! * q[j * d + k]!;
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
    }
});

test("rejects a wrong size or non-finite entry", () => {
  assert.throws(() => jacobiEigenvalues([1, 2, 3], 2), /expected 2×2/);
  assert.throws(() => jacobiEigenvalues([1, NaN, NaN, 1], 2), /non-finite entry NaN at \(0, 1\)/);
});

test("varianceSpectrum on exact eigenvalues", () => {
  const s = varianceSpectrum([1, 4, 1]);
  assert.equal(s.top1_variance_ratio, 4 / 6);
  assert.equal(s.top10_variance_ratio, 1);
  assert.equal(s.effective_dimension, 36 / 18);
  const flat = varianceSpectrum(new Array(20).fill(2));
  assert.equal(flat.top10_variance_ratio, 0.5);
  assert.equal(flat.effective_dimension, 20);
  assert.throws(() => varianceSpectrum([0, 0]), /sum to 0/);
});
