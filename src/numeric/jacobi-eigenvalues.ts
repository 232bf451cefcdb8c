/**
 * Eigenvalues of a small dense symmetric matrix (the demo world's population covariance, d = 64):
 * the cyclic Jacobi solver of src/metrics, values only, with the input checked first.
 */
import { symmetricEigen } from "./symmetric-eigen.js";

export interface JacobiOptions {
  readonly max_sweeps?: number;
}

/**
 * @param matrix row-major d × d, symmetric (only symmetry up to rounding is assumed)
 * @returns the d eigenvalues, sorted descending
 */
export function jacobiEigenvalues(matrix: ArrayLike<number>, d: number, options: JacobiOptions = {}): Float64Array {
  if (matrix.length !== d * d) throw new Error(`jacobiEigenvalues: expected ${d}×${d} = ${d * d} entries, got ${matrix.length}`);
  for (let i = 0; i < d * d; i++) {
    const v = matrix[i]!;
    if (!Number.isFinite(v)) throw new Error(`jacobiEigenvalues: non-finite entry ${v} at (${Math.floor(i / d)}, ${i % d})`);
  }
  return symmetricEigen(matrix, d, options.max_sweeps ?? 100).values;
}
