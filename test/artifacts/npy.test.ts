import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NpyWriter, floatToHalf, halfToFloat, iterNpyRows, readNpy, readNpyHeader, readNpyRows, writeNpy } from "../../src/artifacts/npy.js";
import { tmpDir } from "../helpers/tmp-run.js";

test("npy round-trips every supported dtype", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const cases = [
      { dtype: "float32", data: Float32Array.from([1.5, -2, 3.25, 0, 1e-3, 7]) },
      { dtype: "float64", data: Float64Array.from([1.5, -2, Math.PI, 0, 1e-300, 7]) },
      { dtype: "int32", data: Int32Array.from([1, -2, 3, 2147483647, -2147483648, 0]) },
      { dtype: "float16", data: Float32Array.from([1.5, -2, 0.333251953125, 0, 65504, -0.5]) },
    ] as const;
    for (const c of cases) {
      const p = join(dir, `${c.dtype}.npy`);
      writeNpy(p, c.dtype, [2, 3], c.data);
      const back = readNpy(p);
      assert.equal(back.dtype, c.dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(Array.from(back.data as Float32Array), Array.from(c.data as ArrayLike<number>));
    }
    const p = join(dir, "i64.npy");
    writeNpy(p, "int64", [3], [1, -5, 2 ** 40]);
    assert.deepEqual(Array.from(readNpy(p).data as BigInt64Array), [1n, -5n, BigInt(2 ** 40)]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("partial")), []);
  } finally {
    cleanup();
  }
});

test("float16 conversion rounds to nearest even like numpy", () => {
  // 1 + 2^-11 is halfway between 1 and 1+2^-10: ties to even → 1.
  assert.deepEqual(Array.from(halfToFloat(floatToHalf([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e-8, 70000, -Infinity]))), [1, 1 + 2 ** -9, 0, Infinity, -Infinity]);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf([NaN]))[0]));
});

test("npy files written here load in numpy, and numpy's files load here", { skip: !process.env["PYTHON"] && "PYTHON not set" }, () => {
  const { dir, cleanup } = tmpDir();
  try {
    const ours = join(dir, "ours.npy");
    writeNpy(ours, "float16", [2, 2], [1, 2, 3, 4.5]);
    const streamed = join(dir, "streamed.npy");
    const w = new NpyWriter(streamed, "int64", [2]);
    w.append([1, 2]);
    w.append([3, 4, 5, 6]);
    w.close();
    const py = process.env["PYTHON"]!;
    const out = execFileSync(py, ["-c", `import numpy as np; a=np.load(${JSON.stringify(ours)}); print(a.dtype, a.shape, a.tolist()); b=np.load(${JSON.stringify(streamed)}); print(b.dtype, b.shape, b.tolist()); np.save(${JSON.stringify(join(dir, "theirs.npy"))}, np.arange(12, dtype=np.float32).reshape(3,4))`]).toString();
    assert.equal(out.trim(), "float16 (2, 2) [[1.0, 2.0], [3.0, 4.5]]\nint64 (3, 2) [[1, 2], [3, 4], [5, 6]]");
    const theirs = readNpy(join(dir, "theirs.npy"));
    assert.deepEqual(theirs.shape, [3, 4]);
    assert.equal((theirs.data as Float32Array)[11], 11);
  } finally {
    cleanup();
  }
});

test("random access and chunked iteration read only the rows asked for", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "m.npy");
    const data = Float32Array.from({ length: 10 * 4 }, (_, i) => i);
    writeNpy(p, "float32", [10, 4], data);
    assert.deepEqual(Array.from(readNpyRows(p, 7, 2) as Float32Array), [28, 29, 30, 31, 32, 33, 34, 35]);
    const chunks = [...iterNpyRows(p, 4)].map((c) => [c.start, c.count]);
    assert.deepEqual(chunks, [[0, 4], [4, 4], [8, 2]]);
    assert.throws(() => readNpyRows(p, 9, 2), /rows \[9, 11\) out of range \(file has 10 rows\)/);
  } finally {
    cleanup();
  }
});

test("NpyWriter streams rows and only publishes the file on close", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "s.npy");
    const w = new NpyWriter(p, "float32", [3]);
    w.append([1, 2, 3]);
    w.append([4, 5, 6, 7, 8, 9]);
    assert.throws(() => readNpyHeader(p), /no such .npy file/);
    w.close();
    const h = readNpyHeader(p);
    assert.deepEqual(h.shape, [3, 3]);
    assert.equal(h.data_offset % 64, 0);
    assert.deepEqual(Array.from(readNpy(p).data as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w2 = new NpyWriter(join(dir, "gone.npy"), "float32", [3]);
    w2.append([1, 2, 3]);
    w2.abandon();
    assert.deepEqual(readdirSync(dir).sort(), ["s.npy"]);
  } finally {
    cleanup();
  }
});

test("a truncated .npy is an error naming the file and the missing bytes", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "cut.npy");
    writeNpy(p, "float32", [100, 8], new Float32Array(800));
    truncateSync(p, readFileSync(p).length - 10);
    assert.throws(() => readNpy(p), (e: Error) => e.message.includes(p) && /truncated \.npy file: header says shape \(100, 8\) float32 = 3200 data bytes, file has 3190/.test(e.message));
    writeFileSync(join(dir, "junk.npy"), "hello");
    assert.throws(() => readNpy(join(dir, "junk.npy")), /junk\.npy: not a \.npy file/);
  } finally {
    cleanup();
  }
});
