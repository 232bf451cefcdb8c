/**
 * onnxModel: encodes a tiny ONNX graph (ModelProto, protobuf wire format) from a list of nodes.
 * onnxruntime-node is used here as a matrix engine (environment.md: 114–167 GFLOP/s on 2 cores,
 * ~250× ml-matrix); the graphs are one or two ops, so a 60-line encoder beats a protobuf
 * dependency. Field numbers are those of onnx/onnx.proto (IR version 8, opset 17).
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes (e.g. Gemm transA: 1). */
  readonly int_attrs?: Readonly<Record<string, number>>;
}

export interface OnnxValue {
  readonly name: string;
  /** A number is a fixed size; a string names a symbolic (free) dimension. */
  readonly dims: readonly (number | string)[];
}

type Bytes = number[];

function varint(out: Bytes, v: number): void {
  let x = v;
  while (x > 127) {
    out.push((x % 128) | 128);
    x = Math.floor(x / 128);
  }
  out.push(x);
}

function key(out: Bytes, field: number, wire: 0 | 2): void {
  varint(out, field * 8 + wire);
}

function putInt(out: Bytes, field: number, v: number): void {
  key(out, field, 0);
  varint(out, v);
}

function putBytes(out: Bytes, field: number, bytes: ArrayLike<number>): void {
  key(out, field, 2);
  varint(out, bytes.length);
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

function putString(out: Bytes, field: number, s: string): void {
  putBytes(out, field, Buffer.from(s, "utf8"));
}

function valueInfo(v: OnnxValue): Bytes {
  const shape: Bytes = [];
  for (const d of v.dims) {
    const dim: Bytes = [];
    if (typeof d === "number") putInt(dim, 1, d);
    else putString(dim, 2, d);
    putBytes(shape, 1, dim);
  }
  const tensor: Bytes = [];
  putInt(tensor, 1, ONNX_FLOAT);
  putBytes(tensor, 2, shape);
  const type: Bytes = [];
  putBytes(type, 1, tensor);
  const info: Bytes = [];
  putString(info, 1, v.name);
  putBytes(info, 2, type);
  return info;
}

function nodeProto(n: OnnxNode, index: number): Bytes {
  const out: Bytes = [];
  for (const i of n.inputs) putString(out, 1, i);
  for (const o of n.outputs) putString(out, 2, o);
  putString(out, 3, `node${index}`);
  putString(out, 4, n.op);
  for (const [name, value] of Object.entries(n.int_attrs ?? {})) {
    const attr: Bytes = [];
    putString(attr, 1, name);
    putInt(attr, 3, value);
    putInt(attr, 20, 2); // AttributeType.INT
    putBytes(out, 5, attr);
  }
  return out;
}

/** A float32 graph: every input and output is a float tensor. */
export function onnxModel(nodes: readonly OnnxNode[], inputs: readonly OnnxValue[], outputs: readonly OnnxValue[]): Uint8Array {
  const graph: Bytes = [];
  nodes.forEach((n, i) => putBytes(graph, 1, nodeProto(n, i)));
  putString(graph, 2, "burnqed_metrics");
  for (const v of inputs) putBytes(graph, 11, valueInfo(v));
  for (const v of outputs) putBytes(graph, 12, valueInfo(v));
  const opset: Bytes = [];
  putString(opset, 1, "");
  putInt(opset, 2, 17);
  const model: Bytes = [];
  putInt(model, 1, 8); // ir_version
  putString(model, 2, "burnqed");
  putBytes(model, 7, graph);
  putBytes(model, 8, opset);
  return Uint8Array.from(model);
}
