/**
 * Eigenvalues of a small dense symmetric matrix by cyclic Jacobi rotations.
 * Cost is O(d³) per sweep with ~6–10 sweeps: fine for the demo's d ≤ a few hundred (d = 64 takes
 * milliseconds); the 4096-d real run uses numpy / onnxruntime instead.
 */

export interface JacobiOptions {
  /** Stop when the off-diagonal Frobenius norm is below tol × the matrix's Frobenius norm. */
  readonly tol?: number;
  readonly max_sweeps?: number;
}

/**
 * @param matrix row-major d × d, symmetric (only symmetry up to rounding is assumed)
 * @returns the d eigenvalues, sorted descending
 */
export function jacobiEigenvalues(matrix: ArrayLike<number>, d: number, options: JacobiOptions = {}): Float64Array {
  if (matrix.length !== d * d) throw new Error(`jacobiEigenvalues: expected ${d}×${d} = ${d * d} entries, got ${matrix.length}`);
  const tol = options.tol ?? 1e-14;
  const maxSweeps = options.max_sweeps ?? 60;
  const a = Float64Array.from(matrix);
  let frob2 = 0;
  for (let i = 0; i < d * d; i++) {
    const v = a[i]!;
    if (!Number.isFinite(v)) throw new Error(`jacobiEigenvalues: non-finite entry ${v} at (${Math.floor(i / d)}, ${i % d})`);
    frob2 += v * v;
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    if (offDiagonal2(a, d) <= tol * tol * frob2) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) rotate(a, d, p, q);
    }
  }
  const eig = new Float64Array(d);
  for (let i = 0; i < d; i++) eig[i] = a[i * d + i]!;
  return eig.sort().reverse();
}

function offDiagonal2(a: Float64Array, d: number): number {
  let s = 0;
  for (let p = 0; p < d; p++) {
    for (let q = p + 1; q < d; q++) s += 2 * a[p * d + q]! * a[p * d + q]!;
  }
  return s;
}

/** One rotation A ← Jᵀ A J that zeroes a[p][q] (Numerical Recipes' stable form). */
function rotate(a: Float64Array, d: number, p: number, q: number): void {
  const apq = a[p * d + q]!;
  if (apq === 0) return;
  const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    // columns p and q
    const akp = a[k * d + p]!;
    const akq = a[k * d + q]!;
    a[k * d + p] = c * akp - s * akq;
    a[k * d + q] = s * akp + c * akq;
  }
  for (let k = 0; k < d; k++) {
    // rows p and q
    const apk = a[p * d + k]!;
    const aqk = a[q * d + k]!;
    a[p * d + k] = c * apk - s * aqk;
    a[q * d + k] = s * apk + c * aqk;
  }
  a[p * d + q] = 0;
  a[q * d + p] = 0;
}
