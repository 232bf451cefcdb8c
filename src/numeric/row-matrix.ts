/**
 * RowMatrix: an (n × dim) float32 matrix held as row blocks of ≤ 128 MB each, so 400K × 4096
 * (6.5 GB) needs no single giant buffer, and any run of rows inside a block is a zero-copy view
 * that onnxruntime can multiply directly.
 */

export interface RowMatrix {
  readonly n_rows: number;
  readonly dim: number;
  readonly rows_per_block: number;
  /** Block b holds rows [b·rows_per_block, min(n, (b+1)·rows_per_block)), row-major. */
  readonly blocks: readonly Float32Array[];
}

/** A run of consecutive rows [start, start + count) lying in one block: `data` is a view. */
export interface RowSegment {
  readonly start: number;
  readonly count: number;
  readonly data: Float32Array;
}

const BLOCK_FLOATS = 1 << 25; // 128 MB of float32

export function defaultRowsPerBlock(dim: number): number {
  return Math.max(1, Math.floor(BLOCK_FLOATS / Math.max(1, dim)));
}

export function createRowMatrix(n_rows: number, dim: number, rows_per_block = defaultRowsPerBlock(dim)): RowMatrix {
  if (!Number.isInteger(n_rows) || n_rows < 0 || !Number.isInteger(dim) || dim < 1) throw new Error(`createRowMatrix: bad shape (${n_rows}, ${dim})`);
  if (!Number.isInteger(rows_per_block) || rows_per_block < 1) throw new Error(`createRowMatrix: rows_per_block must be a positive integer, got ${rows_per_block}`);
  const blocks: Float32Array[] = [];
  for (let start = 0; start < n_rows; start += rows_per_block) blocks.push(new Float32Array(Math.min(rows_per_block, n_rows - start) * dim));
  return { n_rows, dim, rows_per_block, blocks };
}

/** Copies a row-major (n_rows × dim) array into blocks. */
export function rowMatrixFromArray(data: ArrayLike<number>, n_rows: number, dim: number, rows_per_block?: number): RowMatrix {
  if (data.length !== n_rows * dim) throw new Error(`rowMatrixFromArray: ${data.length} values for shape (${n_rows}, ${dim})`);
  const m = createRowMatrix(n_rows, dim, rows_per_block);
  m.blocks.forEach((b, i) => {
    const off = i * m.rows_per_block * dim;
    for (let k = 0; k < b.length; k++) b[k] = data[off + k]!;
  });
  return m;
}

/** Row i as a view. */
export function matrixRow(m: RowMatrix, i: number): Float32Array {
  const b = Math.floor(i / m.rows_per_block);
  const r = i - b * m.rows_per_block;
  const block = m.blocks[b];
  if (!block || i < 0 || i >= m.n_rows) throw new Error(`matrixRow: row ${i} out of range (${m.n_rows} rows)`);
  return block.subarray(r * m.dim, (r + 1) * m.dim);
}

/** Rows [start, end) as block-aligned views. */
export function rowSegments(m: RowMatrix, start = 0, end = m.n_rows): RowSegment[] {
  if (start < 0 || end > m.n_rows || start > end) throw new Error(`rowSegments: [${start}, ${end}) out of range (${m.n_rows} rows)`);
  const out: RowSegment[] = [];
  let s = start;
  while (s < end) {
    const b = Math.floor(s / m.rows_per_block);
    const blockEnd = Math.min(end, (b + 1) * m.rows_per_block);
    const r = s - b * m.rows_per_block;
    out.push({ start: s, count: blockEnd - s, data: m.blocks[b]!.subarray(r * m.dim, (r + blockEnd - s) * m.dim) });
    s = blockEnd;
  }
  return out;
}
