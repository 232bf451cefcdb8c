/**
 * NumPy `.npy` files (format 1.0–3.0, C order, little-endian): the dense-tensor contract with the
 * Python side. Reads are random-access (`readNpyRows`, `iterNpyRows`) so a 4 GB embedding file is
 * never loaded whole; writes are atomic and may be streamed row-chunk by row-chunk.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { openAtomic, type AtomicWriter } from "./atomic-write.js";

export type NpyDtype = "float16" | "float32" | "float64" | "int32" | "int64";

const DESCR: Record<NpyDtype, string> = { float16: "<f2", float32: "<f4", float64: "<f8", int32: "<i4", int64: "<i8" };
const ITEMSIZE: Record<NpyDtype, number> = { float16: 2, float32: 4, float64: 8, int32: 4, int64: 8 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** In-memory element arrays. float16 is widened to Float32Array on read; int64 stays BigInt64Array. */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface NpyHeader {
  readonly path: string;
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data_offset: number;
  readonly itemsize: number;
  /** Elements per row (product of shape[1:]); 1 for a 1-d array. */
  readonly row_size: number;
  readonly n_rows: number;
}

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

export class NpyFormatError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "NpyFormatError";
  }
}

/** Open for reading; a missing or unreadable file is an error naming it and saying which. */
function openForRead(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `${path}: no such .npy file` : `${path}: cannot open (${code ?? (e as Error).message})`);
  }
}

export function readNpyHeader(path: string): NpyHeader {
  const fd = openForRead(path);
  try {
    return parseHeader(path, fd);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, fd: number): NpyHeader {
  const size = fstatSync(fd).size;
  const pre = Buffer.alloc(12);
  const got = readSync(fd, pre, 0, 12, 0);
  if (got < 10 || !pre.subarray(0, 6).equals(MAGIC)) throw new NpyFormatError(path, "not a .npy file (bad magic; truncated or another format)");
  const major = pre[6]!;
  const headerLen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (major < 1 || major > 3) throw new NpyFormatError(path, `unsupported .npy format version ${major}`);
  if (start + headerLen > size) throw new NpyFormatError(path, `truncated .npy header (needs ${start + headerLen} bytes, file has ${size})`);
  const hb = Buffer.alloc(headerLen);
  readSync(fd, hb, 0, headerLen, start);
  const text = hb.toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyFormatError(path, `unreadable .npy header: ${text.slice(0, 200)}`);
  if (fortran === "True") throw new NpyFormatError(path, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((d) => DESCR[d] === descr);
  if (!dtype) throw new NpyFormatError(path, `unsupported dtype '${descr}' (supported: ${Object.values(DESCR).join(", ")}; big-endian files must be converted)`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyFormatError(path, `bad shape (${shapeText})`);
  const itemsize = ITEMSIZE[dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const data_offset = start + headerLen;
  const expected = data_offset + count * itemsize;
  if (size !== expected) {
    throw new NpyFormatError(
      path,
      `${size < expected ? "truncated" : "oversized"} .npy file: header says shape (${shape.join(", ")}) ${dtype} = ${count * itemsize} data bytes, ` +
        `file has ${size - data_offset}`,
    );
  }
  const row_size = shape.length <= 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  return { path, dtype, shape, data_offset, itemsize, row_size, n_rows: shape.length === 0 ? 1 : shape[0]! };
}

export function readNpy(path: string): NpyArray {
  const h = readNpyHeader(path);
  return { dtype: h.dtype, shape: h.shape, data: readNpyRows(path, 0, h.n_rows, h) };
}

/** Rows [start, start+count) as a flat array (count × row_size elements). */
export function readNpyRows(path: string, start: number, count: number, header?: NpyHeader): NpyData {
  const fd = openForRead(path);
  try {
    const h = header ?? parseHeader(path, fd);
    if (start < 0 || count < 0 || start + count > h.n_rows) {
      throw new NpyFormatError(path, `rows [${start}, ${start + count}) out of range (file has ${h.n_rows} rows)`);
    }
    const nbytes = count * h.row_size * h.itemsize;
    const buf = new ArrayBuffer(nbytes);
    const view = new Uint8Array(buf);
    let off = 0;
    while (off < nbytes) {
      const n = readSync(fd, view, off, nbytes - off, h.data_offset + start * h.row_size * h.itemsize + off);
      if (n === 0) throw new NpyFormatError(path, "file shrank while reading");
      off += n;
    }
    return fromBytes(h.dtype, buf);
  } finally {
    closeSync(fd);
  }
}

/** Row chunks of at most `rows_per_chunk` rows: `{start, data}`. */
export function* iterNpyRows(path: string, rows_per_chunk: number): Generator<{ start: number; count: number; data: NpyData }> {
  const h = readNpyHeader(path);
  for (let start = 0; start < h.n_rows; start += rows_per_chunk) {
    const count = Math.min(rows_per_chunk, h.n_rows - start);
    yield { start, count, data: readNpyRows(path, start, count, h) };
  }
}

function fromBytes(dtype: NpyDtype, buf: ArrayBuffer): NpyData {
  switch (dtype) {
    case "float16":
      return halfToFloat(new Uint16Array(buf));
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "int64":
      return new BigInt64Array(buf);
  }
}

function headerBytes(dtype: NpyDtype, shape: readonly number[], padTo = 0): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (padTo > dict.length) dict = dict.padEnd(padTo, " ");
  // Total header (magic 6 + version 2 + len 2 + dict + \n) is a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const body = dict.padEnd(total - 10 - 1, " ") + "\n";
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(body.length, 8);
  out.write(body, 10, "latin1");
  return out;
}

/** Encode elements for `dtype` (float16 from float32/float64 input; int64 from bigint or integer input). */
function toBytes(dtype: NpyDtype, data: ArrayLike<number> | BigInt64Array): Uint8Array {
  switch (dtype) {
    case "float16":
      return u8(floatToHalf(data as ArrayLike<number>));
    case "float32":
      return u8(data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>));
    case "float64":
      return u8(data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>));
    case "int32":
      return u8(data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, checkedInt32));
    case "int64":
      return u8(data instanceof BigInt64Array ? data : BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(checkedInt(v))));
  }
}

function u8(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkedInt(v: number): number {
  if (!Number.isSafeInteger(v)) throw new Error(`npy: integer expected, got ${v}`);
  return v;
}

function checkedInt32(v: number): number {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`npy: int32 expected, got ${v}`);
  return v;
}

/** Write a whole array atomically. `shape` must match `data.length`. */
export function writeNpy(path: string, dtype: NpyDtype, shape: readonly number[], data: ArrayLike<number> | BigInt64Array): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeNpy ${path}: shape (${shape.join(", ")}) needs ${count} elements, got ${data.length}`);
  const w = openAtomic(path);
  try {
    w.write(headerBytes(dtype, shape));
    w.write(toBytes(dtype, data));
    w.commit();
  } finally {
    w.abandon();
  }
}

/**
 * Streamed writer for row-major arrays whose row count is known only at the end. The header is
 * written with room for a 20-digit row count and rewritten on `close()`; nothing is visible under
 * `path` until then.
 */
export class NpyWriter {
  private readonly w: AtomicWriter;
  private readonly headerLen: number;
  private rows = 0;
  private closed = false;

  constructor(readonly path: string, readonly dtype: NpyDtype, readonly row_shape: readonly number[]) {
    this.w = openAtomic(path);
    const placeholder = headerBytes(dtype, [10 ** 19, ...row_shape]);
    this.headerLen = placeholder.length;
    this.w.write(placeholder);
  }

  get row_size(): number {
    return this.row_shape.reduce((a, b) => a * b, 1);
  }

  /** Append whole rows (data.length must be a multiple of the row size). */
  append(data: ArrayLike<number> | BigInt64Array): void {
    if (this.closed) throw new Error(`NpyWriter ${this.path}: append after close`);
    if (data.length % this.row_size !== 0) throw new Error(`NpyWriter ${this.path}: ${data.length} elements is not a whole number of rows of ${this.row_size}`);
    this.w.write(toBytes(this.dtype, data));
    this.rows += data.length / this.row_size;
  }

  close(): void {
    if (this.closed) return;
    // Padded to the reserved length (magic+version+len = 10 bytes, newline = 1) so the data offset does not move.
    this.w.write(headerBytes(this.dtype, [this.rows, ...this.row_shape], this.headerLen - 11), 0);
    this.w.commit();
    this.closed = true;
  }

  abandon(): void {
    this.closed = true;
    this.w.abandon();
  }
}


/** IEEE half → float32. */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** float → IEEE half, round-to-nearest-even (as numpy's astype(float16)). */
export function floatToHalf(f: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(f.length);
  const fb = new Float32Array(1);
  const ib = new Uint32Array(fb.buffer);
  for (let i = 0; i < f.length; i++) {
    fb[0] = f[i]!;
    const x = ib[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    let e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && (half & 1))) half += 1;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half += 1;
    out[i] = sign | half;
  }
  return out;
}
