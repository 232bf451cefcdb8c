/**
 * VectorSource: random access to the rows of an (n × dim) embedding matrix as float32. Pure
 * interface; `arrayVectorSource` holds the rows in memory, `npyVectorSource`
 * (src/artifacts/npy-vectors.ts) reads them from a .npy file by row ranges.
 */

export interface VectorSource {
  /** Where the rows come from (a path or "memory"); errors name it. */
  readonly origin: string;
  readonly n_rows: number;
  readonly dim: number;
  /** Rows [start, start + count) as row-major float32. */
  readRows(start: number, count: number): Float32Array;
  /** Same, written into `dest` (count × dim floats) without an intermediate buffer. */
  readRowsInto(start: number, count: number, dest: Float32Array): void;
}

export function arrayVectorSource(data: Float32Array, n_rows: number, dim: number): VectorSource {
  if (data.length !== n_rows * dim) throw new Error(`arrayVectorSource: ${data.length} values for shape (${n_rows}, ${dim})`);
  return {
    origin: "memory",
    n_rows,
    dim,
    readRows: (start, count) => data.subarray(start * dim, (start + count) * dim),
    readRowsInto: (start, count, dest) => dest.set(data.subarray(start * dim, (start + count) * dim)),
  };
}
