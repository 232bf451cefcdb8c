/**
 * topEigen: the largest eigenpairs of a symmetric PSD matrix (a covariance) by block subspace
 * iteration with Rayleigh–Ritz. The plan's spectrum metrics need only the top 10 eigenvalues plus
 * the trace and the Frobenius norm, so the full 4096² eigendecomposition (12.5 s in numpy,
 * ~12 min with ml-matrix) is never needed: each iteration is one 4096×4096 by 4096×p product.
 */
import { matmul } from "./matmul-engine.js";
import { symmetricEigen } from "./symmetric-eigen.js";
import { Prng } from "./prng.js";

export interface TopEigenOptions {
  /** Subspace size p ≥ k (default max(2k, k + 16), at most n). */
  readonly block?: number;
  readonly max_iter?: number;
  /**
   * Stop when every wanted Ritz pair has a residual ‖A v − θ v‖ ≤ tol · θ₁ (default 1e-4). The
   * eigenvalue error is then about residual² / gap ≤ 1e-8 · θ₁² / gap; the products are float32, whose
   * round-off puts the reachable residual near 1e-6 · θ₁.
   */
  readonly tol?: number;
  readonly seed?: number;
}

export interface TopEigen {
  /** k largest eigenvalues, descending. */
  readonly values: Float64Array;
  /** Row-major (k × n): unit eigenvectors. */
  readonly vectors: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Orthonormalises the rows of q (p × n, row-major) in place by modified Gram–Schmidt, twice. */
function orthonormalizeRows(q: Float64Array, p: number, n: number, rng: Prng): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < p; i++) {
      const qi = q.subarray(i * n, (i + 1) * n);
      for (let j = 0; j < i; j++) {
        const qj = q.subarray(j * n, (j + 1) * n);
        let dot = 0;
        for (let k = 0; k < n; k++) dot += qi[k]! * qj[k]!;
        for (let k = 0; k < n; k++) qi[k] = qi[k]! - dot * qj[k]!;
      }
      let norm = 0;
      for (let k = 0; k < n; k++) norm += qi[k]! * qi[k]!;
      norm = Math.sqrt(norm);
      if (norm < 1e-12) {
        // rank-deficient: replace by a fresh random direction and re-orthogonalise next pass
        for (let k = 0; k < n; k++) qi[k] = rng.normal();
        i--;
        continue;
      }
      for (let k = 0; k < n; k++) qi[k] = qi[k]! / norm;
    }
  }
}

export async function topEigen(matrix: Float64Array, n: number, k: number, options: TopEigenOptions = {}): Promise<TopEigen> {
  if (matrix.length !== n * n) throw new Error(`topEigen: ${matrix.length} values for a ${n}×${n} matrix`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`topEigen: k must be in [1, ${n}], got ${k}`);
  const p = Math.min(n, Math.max(k, options.block ?? Math.max(2 * k, k + 16)));
  const maxIter = options.max_iter ?? 500;
  const tol = options.tol ?? 1e-4;
  const rng = Prng.stream(options.seed ?? 0, "top-eigen");
  const a32 = Float32Array.from(matrix);
  const q = new Float64Array(p * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalizeRows(q, p, n, rng);
  let values = new Float64Array(p);
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIter && !converged; iterations++) {
    // Y = Q A (rows of Y are (A q_i)ᵀ since A is symmetric)
    const y32 = await matmul(Float32Array.from(q), p, n, a32, n);
    // Rayleigh–Ritz: T = Q A Qᵀ (p × p)
    const t = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let s = 0;
        const qi = i * n;
        const yj = j * n;
        for (let c = 0; c < n; c++) s += q[qi + c]! * y32[yj + c]!;
        t[i * p + j] = s;
        t[j * p + i] = s;
      }
    }
    const eig = symmetricEigen(t, p);
    values = eig.values;
    // next basis: rotate Y by the Ritz vectors (largest first), then orthonormalise
    const next = new Float64Array(p * n);
    for (let i = 0; i < p; i++) {
      const out = next.subarray(i * n, (i + 1) * n);
      for (let j = 0; j < p; j++) {
        const w = eig.vectors[i * p + j]!;
        if (w === 0) continue;
        const yj = j * n;
        for (let c = 0; c < n; c++) out[c] = out[c]! + w * y32[yj + c]!;
      }
    }
    const scale = Math.max(Math.abs(values[0]!), 1e-300);
    // residual of Ritz pair i: ‖Σ_j S_ij (y_j − θ_i q_j)‖ (the rotated Y row is Σ_j S_ij y_j = next row i)
    converged = true;
    for (let i = 0; i < k && converged; i++) {
      let r2 = 0;
      for (let c = 0; c < n; c++) {
        let qv = 0;
        for (let j = 0; j < p; j++) qv += eig.vectors[i * p + j]! * q[j * n + c]!;
        const t = next[i * n + c]! - values[i]! * qv;
        r2 += t * t;
      }
      if (!(Math.sqrt(r2) <= tol * scale)) converged = false;
    }
    orthonormalizeRows(next, p, n, rng);
    q.set(next);
  }
  // q now holds A·(Ritz vectors), orthonormalised in Ritz order: one more power step on the Ritz vectors
  const vecs = new Float64Array(k * n);
  for (let i = 0; i < k; i++) vecs.set(q.subarray(i * n, (i + 1) * n), i * n);
  return { values: values.slice(0, k), vectors: vecs, iterations, converged };
}
