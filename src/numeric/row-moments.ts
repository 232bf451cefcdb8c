/**
 * Sums per row group and the covariance of a RowMatrix, on onnxruntime matrix products with
 * float32 products inside a block and float64 accumulation across blocks.
 */
import { matmulTransA } from "./matmul-engine.js";
import { rowSegments, type RowMatrix } from "./row-matrix.js";

export interface GroupSums {
  /** Row-major (n_groups × dim): Σ of the rows in each group. */
  readonly sums: Float64Array;
  readonly counts: Float64Array;
}

/** Σ of rows per group; `group[i]` is row i's group in [0, n_groups), or −1 for none. */
export async function groupSums(m: RowMatrix, group: Int32Array, n_groups: number): Promise<GroupSums> {
  if (group.length !== m.n_rows) throw new Error(`groupSums: ${group.length} group ids for ${m.n_rows} rows`);
  const d = m.dim;
  const sums = new Float64Array(n_groups * d);
  const counts = new Float64Array(n_groups);
  for (const seg of rowSegments(m)) {
    // one-hot (count × n_groups): Gᵀ X sums the rows of each group in one product
    const onehot = new Float32Array(seg.count * n_groups);
    for (let i = 0; i < seg.count; i++) {
      const g = group[seg.start + i]!;
      if (g < 0) continue;
      if (g >= n_groups) throw new Error(`groupSums: group id ${g} ≥ ${n_groups}`);
      onehot[i * n_groups + g] = 1;
      counts[g]!++;
    }
    const part = await matmulTransA(onehot, seg.count, n_groups, seg.data, d);
    for (let k = 0; k < part.length; k++) sums[k] += part[k]!;
  }
  return { sums, counts };
}

/**
 * Column panels for the Gram product: only the q(q+1)/2 panel pairs on and above the diagonal are
 * multiplied (the lower ones are their transposes), (q+1)/(2q) of the full product's work —
 * the saving a BLAS syrk gives numpy's `X @ X.T`.
 */
const GRAM_PANELS = 4;

/** Row-major (dim × dim) covariance of rows [start, end) about `mean`, divided by (n − ddof). */
export async function covarianceAbout(m: RowMatrix, mean: Float64Array, ddof = 1, start = 0, end = m.n_rows): Promise<Float64Array> {
  const d = m.dim;
  const n = end - start;
  if (n - ddof <= 0) throw new Error(`covarianceAbout: ${n} rows, need more than ddof = ${ddof}`);
  const cov = new Float64Array(d * d);
  const mean32 = Float32Array.from(mean);
  const q = Math.min(GRAM_PANELS, d);
  const edges = Array.from({ length: q + 1 }, (_, i) => Math.round((i * d) / q));
  for (const seg of rowSegments(m, start, end)) {
    // centred copy, panel by panel (panel p: columns [edges[p], edges[p+1]) as a contiguous count × w block).
    // Centring first avoids the cancellation of E[xxᵀ] − μμᵀ when the mean is large.
    const panels = edges.slice(0, q).map((lo, p) => {
      const w = edges[p + 1]! - lo;
      const out = new Float32Array(seg.count * w);
      for (let i = 0; i < seg.count; i++) {
        const src = i * d + lo;
        const dst = i * w;
        for (let k = 0; k < w; k++) out[dst + k] = seg.data[src + k]! - mean32[lo + k]!;
      }
      return out;
    });
    for (let a = 0; a < q; a++) {
      for (let b = a; b < q; b++) {
        const wa = edges[a + 1]! - edges[a]!;
        const wb = edges[b + 1]! - edges[b]!;
        const g = await matmulTransA(panels[a]!, seg.count, wa, panels[b]!, wb);
        for (let i = 0; i < wa; i++) {
          const row = (edges[a]! + i) * d + edges[b]!;
          for (let j = 0; j < wb; j++) cov[row + j] += g[i * wb + j]!;
        }
      }
    }
  }
  // fill the lower triangle from the upper panels and scale
  const scale = 1 / (n - ddof);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (j >= i ? cov[i * d + j]! : cov[j * d + i]!) * scale;
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  return cov;
}
