/**
 * silhouetteScore: scikit-learn's `silhouette_score(X, labels, sample_size=s, random_state=seed)`
 * (euclidean): the sample is `RandomState(seed).permutation(n)[:s]` (reproduced bit for bit by
 * NumpyRandomState), a(i) is the mean distance to the other members of i's cluster, b(i) the
 * smallest mean distance to another cluster, s(i) = (b − a) / max(a, b), and 0 for a singleton.
 */
import { matmulTransB } from "../numeric/matmul-engine.js";
import { NumpyRandomState } from "../numeric/numpy-random-state.js";

export interface SilhouetteInput {
  /** Returns row i (of n) as float32. */
  readonly row: (i: number) => Float32Array;
  readonly n: number;
  readonly dim: number;
  /** Cluster of each row (small non-negative integers). */
  readonly labels: ArrayLike<number>;
}

export type SilhouetteResult =
  | { readonly kind: "value"; readonly value: number; readonly n_sampled: number }
  | { readonly kind: "not_computed"; readonly reason: string };

/** Indices of the sample: the first `size` of numpy's RandomState(seed).permutation(n). */
export function silhouetteSample(n: number, size: number, seed: number): Int32Array {
  return new NumpyRandomState(seed).permutation(n).slice(0, Math.min(size, n));
}

export async function silhouetteScore(input: SilhouetteInput, sample_size: number, seed: number): Promise<SilhouetteResult> {
  const idx = silhouetteSample(input.n, sample_size, seed);
  const s = idx.length;
  const d = input.dim;
  const labelsOf = Array.from(idx, (i) => input.labels[i]!);
  const clusters = [...new Set(labelsOf)].sort((a, b) => a - b);
  if (clusters.length < 2 || clusters.length > s - 1) {
    return { kind: "not_computed", reason: `the sample of ${s} rows has ${clusters.length} label(s); silhouette needs 2 to n−1` };
  }
  // gather and centre the sample (distances are translation invariant; centring keeps ‖a‖²+‖b‖²−2a·b accurate)
  const x = new Float32Array(s * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < s; i++) {
    const r = input.row(idx[i]!);
    x.set(r, i * d);
    for (let k = 0; k < d; k++) mean[k] += r[k]!;
  }
  for (let k = 0; k < d; k++) mean[k] = mean[k]! / s;
  const sq = new Float64Array(s);
  for (let i = 0; i < s; i++) {
    let t = 0;
    for (let k = 0; k < d; k++) {
      const v = x[i * d + k]! - mean[k]!;
      x[i * d + k] = v;
      t += v * v;
    }
    sq[i] = t;
  }
  const dots = await matmulTransB(x, s, d, x, s);
  const cid = labelsOf.map((l) => clusters.indexOf(l));
  const sizes = new Float64Array(clusters.length);
  for (const c of cid) sizes[c]!++;
  const sums = new Float64Array(clusters.length);
  let total = 0;
  for (let i = 0; i < s; i++) {
    sums.fill(0);
    for (let j = 0; j < s; j++) {
      if (j === i) continue;
      const d2 = sq[i]! + sq[j]! - 2 * dots[i * s + j]!;
      sums[cid[j]!] += Math.sqrt(Math.max(d2, 0));
    }
    const own = cid[i]!;
    if (sizes[own]! <= 1) continue; // singleton cluster: s(i) = 0
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < clusters.length; c++) if (c !== own) b = Math.min(b, sums[c]! / sizes[c]!);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return { kind: "value", value: total / s, n_sampled: s };
}
