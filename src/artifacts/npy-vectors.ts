/**
 * Embedding matrices and per-row scores from .npy files: rows are read by ranges, so a multi-GB
 * file never sits in the JS heap.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { VectorSource } from "../numeric/vector-source.js";
import { readNpyHeader, readNpyRows } from "./npy.js";

export function npyVectorSource(path: string): VectorSource {
  const h = readNpyHeader(path);
  if (h.shape.length !== 2) throw new Error(`${path}: expected a 2-d (n, dim) embedding matrix, got shape (${h.shape.join(", ")})`);
  if (h.dtype !== "float16" && h.dtype !== "float32" && h.dtype !== "float64") throw new Error(`${path}: expected float16/float32/float64 embeddings, got ${h.dtype}`);
  return {
    origin: path,
    n_rows: h.n_rows,
    dim: h.row_size,
    readRows(start, count) {
      const data = readNpyRows(path, start, count, h);
      return data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
    },
    readRowsInto(start, count, dest) {
      if (dest.length !== count * h.row_size) throw new Error(`${path}: readRowsInto needs ${count * h.row_size} floats, got ${dest.length}`);
      if (h.dtype !== "float32") {
        dest.set(this.readRows(start, count));
        return;
      }
      if (start < 0 || start + count > h.n_rows) throw new Error(`${path}: rows [${start}, ${start + count}) out of range (${h.n_rows} rows)`);
      // float32 on disk: read straight into the destination's bytes
      const bytes = new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength);
      const fd = openSync(path, "r");
      try {
        let off = 0;
        while (off < bytes.length) {
          const n = readSync(fd, bytes, off, bytes.length - off, h.data_offset + start * h.row_size * 4 + off);
          if (n === 0) throw new Error(`${path}: file shrank while reading`);
          off += n;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Energies (or any per-row score): a 1-d .npy, or (n, 1). */
export function readRowScores(path: string): Float64Array {
  const h = readNpyHeader(path);
  if (!(h.shape.length === 1 || (h.shape.length === 2 && h.shape[1] === 1))) throw new Error(`${path}: expected one score per row, shape (n,) or (n, 1), got (${h.shape.join(", ")})`);
  if (h.dtype === "int64") throw new Error(`${path}: expected float scores, got int64`);
  const data = readNpyRows(path, 0, h.n_rows, h);
  return Float64Array.from(data as Float32Array | Float64Array | Int32Array);
}
