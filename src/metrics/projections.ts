/**
 * 2-D projections for the Task 2.3 plots: a seeded sample of usable labelled rows, PCA to 50
 * dimensions (as users of UMAP / t-SNE do before either), then UMAP (umap-js, seeded) in process
 * and Barnes–Hut t-SNE (scikit-learn) as a Python job. tsne-js was measured at 1.85 s per
 * iteration for 2K points (~31 min for 1000 iterations), far outside the 60 s budget for 5K
 * points; scikit-learn's Barnes–Hut does 5K points in ~13 s, deterministically for a seed (the
 * t-SNE job: src/stages/tsne-job.ts).
 */
import { UMAP } from "umap-js";
import { Prng } from "../numeric/prng.js";
import { matmulTransB } from "../numeric/matmul-engine.js";
import type { MetricsTable } from "./metrics-table.js";
import { rowMatrixFromArray } from "../numeric/row-matrix.js";
import { covarianceAbout } from "../numeric/row-moments.js";
import { topEigen } from "../numeric/top-eigen.js";
import type { VectorSource } from "../numeric/vector-source.js";

export interface ProjectionSample {
  /** Table rows of the sampled points, ascending. */
  readonly rows: Int32Array;
  /** Row-major (n × dim) float32 vectors of those rows. */
  readonly vectors: Float32Array;
  readonly dim: number;
  /** Drawn rows dropped because their vector is NaN/Inf or all zeros. */
  readonly n_dropped: number;
}

/**
 * Up to `max_points` rows, balanced by label so the rare positives show: up to half of the points
 * are positives, the rest negatives (fewer of one label leave room for the other), each drawn
 * uniformly without replacement (seeded) among labelled rows the index does not exclude. A drawn
 * row whose vector is NaN/Inf or all zeros is dropped and the draw continues, so the sample is
 * full whenever enough usable rows exist. Only the drawn rows are read from the source.
 */
export function sampleRows(table: MetricsTable, source: VectorSource, max_points: number, seed: number, index_excluded?: ArrayLike<boolean>): ProjectionSample {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let r = 0; r < table.n_rows; r++) {
    if (index_excluded?.[r]) continue;
    if (table.label[r] === "positive") pos.push(r);
    else if (table.label[r] === "negative") neg.push(r);
  }
  const rng = Prng.stream(seed, "projection-sample");
  const d = source.dim;
  const row = new Float32Array(d);
  const usable = (r: number): boolean => {
    source.readRowsInto(r, 1, row);
    let nonzero = false;
    for (let k = 0; k < d; k++) {
      if (!Number.isFinite(row[k]!)) return false;
      if (row[k] !== 0) nonzero = true;
    }
    return nonzero;
  };
  let dropped = 0;
  // partial Fisher–Yates over a copy: draw until `take` usable rows or the list runs out
  const draw = (items: readonly number[], take: number): number[] => {
    const a = items.slice();
    const got: number[] = [];
    for (let i = 0; i < a.length && got.length < take; i++) {
      const j = i + Math.floor(rng.next() * (a.length - i));
      [a[i], a[j]] = [a[j]!, a[i]!];
      if (usable(a[i]!)) got.push(a[i]!);
      else dropped++;
    }
    return got;
  };
  const gotPos = draw(pos, Math.max(Math.floor(max_points / 2), max_points - neg.length));
  const gotNeg = draw(neg, max_points - gotPos.length);
  const chosen = [...gotPos, ...gotNeg].sort((a, b) => a - b);
  const vectors = new Float32Array(chosen.length * d);
  chosen.forEach((r, i) => source.readRowsInto(r, 1, vectors.subarray(i * d, (i + 1) * d)));
  return { rows: Int32Array.from(chosen), vectors, dim: d, n_dropped: dropped };
}

/** PCA scores (n × k, float32) of row-major (n × d) data: centred, projected on the top-k covariance eigenvectors. */
export async function pcaProject(data: Float32Array, n: number, d: number, k: number, seed: number): Promise<Float32Array> {
  const kk = Math.min(k, d, Math.max(1, n - 1));
  const m = rowMatrixFromArray(data, n, d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += data[i * d + c]!;
  for (let c = 0; c < d; c++) mean[c] = mean[c]! / n;
  const cov = await covarianceAbout(m, mean, 1);
  const eig = await topEigen(cov, d, kk, { seed, tol: 1e-3 });
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) centred[i * d + c] = data[i * d + c]! - mean[c]!;
  return matmulTransB(centred, n, d, Float32Array.from(eig.vectors), kk);
}

function rows2d(data: Float32Array, n: number, k: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * k, (i + 1) * k)));
}

/** UMAP to 2-D (umap-js defaults: 15 neighbours, min_dist 0.1), seeded; row-major (n × 2). */
export function umap2d(points: Float32Array, n: number, k: number, seed: number): Float32Array {
  const rng = Prng.stream(seed, "umap");
  const nNeighbors = Math.max(2, Math.min(15, n - 1));
  const umap = new UMAP({ nComponents: 2, nNeighbors, minDist: 0.1, random: () => rng.next() });
  // synchronous epochs: fitAsync yields to the event loop after every epoch and runs ~2× slower
  const epochs = umap.initializeFit(rows2d(points, n, k));
  for (let i = 0; i < epochs; i++) umap.step();
  return Float32Array.from(umap.getEmbedding().flat());
}
