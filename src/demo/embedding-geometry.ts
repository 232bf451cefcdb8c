/**
 * Directions shared by both demo iterations: the orthonormal basis the noise spectrum lives in,
 * the unit direction u along which positives and negatives separate, and one offset per searched
 * theorem (its "topic"), which every state of that theorem carries and its goal embedding shows.
 */
import { Prng } from "../numeric/prng.js";

export interface EmbeddingGeometry {
  readonly dim: number;
  /** Row-major dim × dim; row i is the unit eigenvector of noise eigenvalue λ_i. */
  readonly basis: Float64Array;
  /** Unit vector (dim): positives sit at +s(d)/2 · u, negatives at −s(d)/2 · u. */
  readonly shift_direction: Float64Array;
  /** Row-major n_goals × dim: per-theorem offset c_T added to every state of theorem T. */
  readonly goal_offsets: Float64Array;
}

/** Per-coordinate standard deviation of the theorem offsets c_T. */
export const GOAL_OFFSET_STD = 0.6;

export function drawEmbeddingGeometry(seed: number, dim: number, n_goals: number): EmbeddingGeometry {
  const rng = Prng.stream(seed, "embedding-geometry");
  const basis = randomOrthonormalBasis(rng, dim);
  // Mostly along the top noise direction: class signal in high-variance directions, so the
  // separation is real but siblings overlap at depth (as the plan observed).
  const u = new Float64Array(dim);
  for (let k = 0; k < dim; k++) u[k] = 0.9 * basis[k]! + 0.3 * basis[dim + k]! + 0.3 * basis[2 * dim + k]!;
  normalize(u);
  const goal_offsets = new Float64Array(n_goals * dim);
  for (let i = 0; i < goal_offsets.length; i++) goal_offsets[i] = GOAL_OFFSET_STD * rng.normal();
  return { dim, basis, shift_direction: u, goal_offsets };
}

/** Gram–Schmidt (modified, two passes for stability) of Gaussian vectors. */
export function randomOrthonormalBasis(rng: Prng, dim: number): Float64Array {
  const q = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    const v = q.subarray(i * dim, (i + 1) * dim);
    for (let k = 0; k < dim; k++) v[k] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const w = q.subarray(j * dim, (j + 1) * dim);
        let dot = 0;
        for (let k = 0; k < dim; k++) dot += v[k]! * w[k]!;
        for (let k = 0; k < dim; k++) v[k] = v[k]! - dot * w[k]!;
      }
    }
    normalize(v);
  }
  return q;
}

function normalize(v: Float64Array): void {
  let n2 = 0;
  for (let k = 0; k < v.length; k++) n2 += v[k]! * v[k]!;
  const inv = 1 / Math.sqrt(n2);
  for (let k = 0; k < v.length; k++) v[k] = v[k]! * inv;
}
