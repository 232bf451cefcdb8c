/**
 * loadVectors and permuteRows: one pass over an embedding file. Rows are read straight into a
 * RowMatrix (float32 files without an intermediate copy) and screened as they arrive for rows
 * that cannot be used — non-finite values, all zeros (upstream pitfall 3), or excluded by the
 * embeddings index — with every row's norm measured. permuteRows then reorders the rows in place
 * (cycle by cycle, one spare row), so the usable rows sit first in the order the metrics want
 * without a second copy of a multi-GB matrix.
 */
import { createRowMatrix, matrixRow, type RowMatrix } from "../numeric/row-matrix.js";
import type { VectorSource } from "../numeric/vector-source.js";

/** Row status after the screen. */
export const ROW_USABLE = 0;
export const ROW_INDEX_EXCLUDED = 1; // the embeddings index marks it excluded (terminal, empty text, ...)
export const ROW_NON_FINITE = 2; //    a NaN or ±Infinity value
export const ROW_ALL_ZERO = 3; //      every value is 0

export interface VectorScreen {
  /** One of ROW_* per row. */
  readonly status: Uint8Array;
  /** L2 norm per row (float64 accumulation); NaN where not usable. */
  readonly norm: Float64Array;
  readonly n_usable: number;
  readonly n_index_excluded: number;
  readonly n_non_finite: number;
  readonly n_all_zero: number;
  /** First few offending rows, for messages. */
  readonly examples: { readonly non_finite: readonly number[]; readonly all_zero: readonly number[] };
}

/** Screens the rows of a matrix (see ROW_*). */
export function screenRows(m: RowMatrix, index_excluded?: ArrayLike<boolean>): VectorScreen {
  const n = m.n_rows;
  const d = m.dim;
  if (index_excluded && index_excluded.length !== n) throw new Error(`screenRows: embeddings index has ${index_excluded.length} rows, the vectors have ${n}`);
  const status = new Uint8Array(n);
  const norm = new Float64Array(n).fill(NaN);
  const examples = { non_finite: [] as number[], all_zero: [] as number[] };
  const counts = [0, 0, 0, 0];
  for (let r = 0; r < n; r++) {
    if (index_excluded?.[r]) {
      status[r] = ROW_INDEX_EXCLUDED;
      counts[ROW_INDEX_EXCLUDED]!++;
      continue;
    }
    const row = matrixRow(m, r);
    let s = 0;
    let nonzero = false;
    for (let k = 0; k < d; k++) {
      const v = row[k]!;
      s += v * v;
      if (v !== 0) nonzero = true;
    }
    // s is NaN or Infinity exactly when a value is NaN or ±Infinity (float32 squares cannot overflow float64)
    const st = !Number.isFinite(s) ? ROW_NON_FINITE : !nonzero ? ROW_ALL_ZERO : ROW_USABLE;
    status[r] = st;
    counts[st]!++;
    if (st === ROW_USABLE) norm[r] = Math.sqrt(s);
    else if (st === ROW_NON_FINITE && examples.non_finite.length < 5) examples.non_finite.push(r);
    else if (st === ROW_ALL_ZERO && examples.all_zero.length < 5) examples.all_zero.push(r);
  }
  return {
    status,
    norm,
    n_usable: counts[ROW_USABLE]!,
    n_index_excluded: counts[ROW_INDEX_EXCLUDED]!,
    n_non_finite: counts[ROW_NON_FINITE]!,
    n_all_zero: counts[ROW_ALL_ZERO]!,
    examples,
  };
}

/** Reads every row of `source` into a new RowMatrix (table order). */
export function loadVectors(source: VectorSource, rows_per_block?: number): RowMatrix {
  const m = createRowMatrix(source.n_rows, source.dim, rows_per_block);
  m.blocks.forEach((block, b) => source.readRowsInto(b * m.rows_per_block, block.length / m.dim, block));
  return m;
}

/**
 * Reorders rows in place so that new row i is old row `order[i]` for i < order.length; the
 * remaining rows follow in some order. Returns a matrix view of the first order.length rows.
 */
export function permuteRows(m: RowMatrix, order: Int32Array): RowMatrix {
  const n = m.n_rows;
  const taken = new Uint8Array(n);
  for (const r of order) {
    if (r < 0 || r >= n || taken[r]) throw new Error(`permuteRows: row ${r} out of range or repeated`);
    taken[r] = 1;
  }
  // full permutation: src[i] = old row that ends up at i
  const src = new Int32Array(n);
  src.set(order);
  let fill = order.length;
  for (let r = 0; r < n; r++) if (!taken[r]) src[fill++] = r;
  const done = new Uint8Array(n);
  const spare = new Float32Array(m.dim);
  for (let i = 0; i < n; i++) {
    if (done[i] || src[i] === i) {
      done[i] = 1;
      continue;
    }
    // follow the cycle i ← src[i] ← src[src[i]] ← … back to i
    spare.set(matrixRow(m, i));
    let j = i;
    for (;;) {
      done[j] = 1;
      const k = src[j]!;
      if (k === i) {
        matrixRow(m, j).set(spare);
        break;
      }
      matrixRow(m, j).set(matrixRow(m, k));
      j = k;
    }
  }
  return { n_rows: order.length, dim: m.dim, rows_per_block: m.rows_per_block, blocks: m.blocks };
}
