/**
 * matmul: float32 matrix products on onnxruntime-node's CPU kernels (MLAS, all cores). Measured
 * here: a 8192×4096 Gram in 1.6 s (167 GFLOP/s), a 8192×4096 matrix-vector pair in 10 ms; plain JS
 * loops are ~17× slower and ml-matrix ~250× (environment.md). Inputs are row-major Float32Arrays
 * backed by ordinary ArrayBuffers (onnxruntime rejects SharedArrayBuffer); they are not copied.
 */
import * as ort from "onnxruntime-node";
import { onnxModel } from "./onnx-model.js";

type Graph = "mm" | "mm_ta" | "mm_tb";

const GRAPHS: Record<Graph, Uint8Array> = {
  // C = A B
  mm: onnxModel([{ op: "MatMul", inputs: ["A", "B"], outputs: ["C"] }], [
    { name: "A", dims: ["n", "k"] },
    { name: "B", dims: ["k", "m"] },
  ], [{ name: "C", dims: ["n", "m"] }]),
  // C = Aᵀ B
  mm_ta: onnxModel([{ op: "Gemm", inputs: ["A", "B"], outputs: ["C"], int_attrs: { transA: 1 } }], [
    { name: "A", dims: ["k", "n"] },
    { name: "B", dims: ["k", "m"] },
  ], [{ name: "C", dims: ["n", "m"] }]),
  // C = A Bᵀ
  mm_tb: onnxModel([{ op: "Gemm", inputs: ["A", "B"], outputs: ["C"], int_attrs: { transB: 1 } }], [
    { name: "A", dims: ["n", "k"] },
    { name: "B", dims: ["m", "k"] },
  ], [{ name: "C", dims: ["n", "m"] }]),
};

const sessions = new Map<Graph, Promise<ort.InferenceSession>>();

/** Threads for onnxruntime's kernels: BURNQED_ORT_THREADS, else onnxruntime's default (all cores). */
function sessionOptions(): ort.InferenceSession.SessionOptions {
  const raw = process.env["BURNQED_ORT_THREADS"];
  const threads = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(threads) && threads > 0 ? { intraOpNumThreads: threads } : {};
}

function session(g: Graph): Promise<ort.InferenceSession> {
  let s = sessions.get(g);
  if (!s) {
    s = ort.InferenceSession.create(GRAPHS[g], sessionOptions());
    sessions.set(g, s);
  }
  return s;
}

function check(what: string, data: Float32Array, rows: number, cols: number): void {
  if (data.length !== rows * cols) throw new Error(`matmul: ${what} has ${data.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  if (!(data.buffer instanceof ArrayBuffer)) throw new Error(`matmul: ${what} must be backed by an ArrayBuffer (onnxruntime rejects SharedArrayBuffer)`);
}

async function run(g: Graph, a: Float32Array, aDims: [number, number], b: Float32Array, bDims: [number, number]): Promise<Float32Array> {
  const s = await session(g);
  const out = await s.run({ A: new ort.Tensor("float32", a, aDims), B: new ort.Tensor("float32", b, bDims) });
  return out["C"]!.data as Float32Array;
}

/** C (n×m) = A (n×k) · B (k×m). */
export async function matmul(a: Float32Array, n: number, k: number, b: Float32Array, m: number): Promise<Float32Array> {
  check("A", a, n, k);
  check("B", b, k, m);
  if (n === 0 || m === 0) return new Float32Array(n * m);
  if (k === 0) return new Float32Array(n * m);
  return run("mm", a, [n, k], b, [k, m]);
}

/** C (n×m) = Aᵀ · B with A (k×n), B (k×m): e.g. XᵀX of a row block, or Xᵀr. */
export async function matmulTransA(a: Float32Array, k: number, n: number, b: Float32Array, m: number): Promise<Float32Array> {
  check("A", a, k, n);
  check("B", b, k, m);
  if (k === 0 || n === 0 || m === 0) return new Float32Array(n * m);
  return run("mm_ta", a, [k, n], b, [k, m]);
}

/** C (n×m) = A · Bᵀ with A (n×k), B (m×k): e.g. pairwise dot products of two row sets. */
export async function matmulTransB(a: Float32Array, n: number, k: number, b: Float32Array, m: number): Promise<Float32Array> {
  check("A", a, n, k);
  check("B", b, m, k);
  if (n === 0 || m === 0 || k === 0) return new Float32Array(n * m);
  return run("mm_tb", a, [n, k], b, [m, k]);
}
