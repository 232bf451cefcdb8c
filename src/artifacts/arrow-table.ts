/**
 * Arrow IPC (file format) tables, validated against their declared schema on every write and read.
 * Errors name the file and the differing column.
 */
import { readFileSync, statSync } from "node:fs";
import {
  Bool,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  Utf8,
  type DataType,
  type Vector,
  tableFromIPC,
  makeData,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { writeFileAtomic } from "./atomic-write.js";
import type { CellValue, ColumnSpec, Columns, ColumnsOf, TableSchema } from "./schema.js";

export class SchemaError extends Error {
  constructor(readonly path: string, readonly schema_name: string, readonly field: string | null, detail: string) {
    super(`${path}: schema '${schema_name}'${field === null ? "" : ` column '${field}'`}: ${detail}`);
    this.name = "SchemaError";
  }
}

/** A table read back: column arrays (numbers for int64, typed arrays for dense numeric columns), typed by its schema. */
export interface TableData<S extends TableSchema = TableSchema> {
  readonly schema: S;
  readonly n_rows: number;
  readonly columns: ColumnsOf<S>;
}

function arrowType(t: ColumnSpec["type"]): DataType {
  switch (t) {
    case "utf8":
      return new Utf8();
    case "int32":
      return new Int32();
    case "int64":
      return new Int64();
    case "float32":
      return new Float32();
    case "float64":
      return new Float64();
    case "bool":
      return new Bool();
  }
}

const TYPE_IDS: Record<ColumnSpec["type"], Type> = {
  utf8: Type.Utf8,
  int32: Type.Int,
  int64: Type.Int,
  float32: Type.Float,
  float64: Type.Float,
  bool: Type.Bool,
};

/** Check column values against the schema: names, length, nulls, types, enum values. */
export function validateColumns(path: string, schema: TableSchema, cols: Columns): number {
  const expected = schema.columns.map((c) => c.name);
  const got = Object.keys(cols);
  const missing = expected.filter((n) => !got.includes(n));
  const extra = got.filter((n) => !expected.includes(n));
  if (missing.length > 0) throw new SchemaError(path, schema.name, missing[0]!, `missing (expected columns: ${expected.join(", ")})`);
  if (extra.length > 0) throw new SchemaError(path, schema.name, extra[0]!, `not in the schema (expected columns: ${expected.join(", ")})`);
  let n = -1;
  for (const spec of schema.columns) {
    const values = cols[spec.name]!;
    if (n < 0) n = values.length;
    else if (values.length !== n) throw new SchemaError(path, schema.name, spec.name, `has ${values.length} rows, earlier columns have ${n}`);
    checkValues(path, schema, spec, values);
  }
  return Math.max(n, 0);
}

function checkValues(path: string, schema: TableSchema, spec: ColumnSpec, values: ArrayLike<CellValue>): void {
  if (ArrayBuffer.isView(values)) {
    // Typed arrays hold no nulls; check the kind fits.
    const ok =
      (spec.type === "float32" || spec.type === "float64") ? values instanceof Float32Array || values instanceof Float64Array :
      (spec.type === "int32" || spec.type === "int64") ? values instanceof Int32Array || values instanceof Float64Array :
      false;
    if (!ok) throw new SchemaError(path, schema.name, spec.name, `typed array ${values.constructor.name} does not fit type ${spec.type}`);
    if (spec.type === "int64" && values instanceof Float64Array) {
      for (let i = 0; i < values.length; i++) if (!Number.isSafeInteger(values[i])) throw badValue(path, schema, spec, i, values[i]!);
    }
    return;
  }
  const allowed = spec.values ? new Set(spec.values) : null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (!spec.nullable) throw new SchemaError(path, schema.name, spec.name, `row ${i}: null in a non-nullable column`);
      continue;
    }
    switch (spec.type) {
      case "utf8":
        if (typeof v !== "string") throw badValue(path, schema, spec, i, v);
        if (allowed && !allowed.has(v)) throw new SchemaError(path, schema.name, spec.name, `row ${i}: '${v.slice(0, 80)}' is not one of ${[...allowed].join(" | ")}`);
        break;
      case "int32":
        if (typeof v !== "number" || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw badValue(path, schema, spec, i, v);
        break;
      case "int64":
        if (typeof v !== "number" || !Number.isSafeInteger(v)) throw badValue(path, schema, spec, i, v);
        break;
      case "float32":
      case "float64":
        if (typeof v !== "number") throw badValue(path, schema, spec, i, v);
        break;
      case "bool":
        if (typeof v !== "boolean") throw badValue(path, schema, spec, i, v);
        break;
    }
  }
}

function badValue(path: string, schema: TableSchema, spec: ColumnSpec, row: number, v: unknown): SchemaError {
  return new SchemaError(path, schema.name, spec.name, `row ${row}: ${JSON.stringify(v)?.slice(0, 80)} is not a valid ${spec.type}`);
}

/** Validate and write `cols` as an Arrow IPC file, atomically. Returns the row count. */
export function writeTable<S extends TableSchema>(path: string, schema: S, cols: ColumnsOf<S>): number {
  return writeUntypedTable(path, schema, cols);
}

/** The same for columns whose types are known only at run time (data read from outside, tests of bad input). */
export function writeUntypedTable(path: string, schema: TableSchema, cols: Columns): number {
  const n = validateColumns(path, schema, cols);
  writeFileAtomic(path, encodeTable(schema, cols));
  return n;
}

export function encodeTable(schema: TableSchema, cols: Columns): Uint8Array {
  const fields: Field[] = [];
  const vectors: Record<string, Vector> = {};
  for (const spec of schema.columns) {
    const type = arrowType(spec.type);
    fields.push(new Field(spec.name, type, spec.nullable));
    let values = cols[spec.name]! as ArrayLike<CellValue>;
    if (spec.type === "int64") values = Array.from(values, (v) => (v === null || v === undefined ? null : BigInt(v as number))) as unknown as ArrayLike<CellValue>;
    else if (ArrayBuffer.isView(values)) values = Array.from(values as ArrayLike<number>);
    vectors[spec.name] = vectorFromArray(values as unknown as CellValue[], type);
  }
  const arrowSchema = new Schema(fields, new Map([["burnqed.schema", schema.name], ["burnqed.schema_version", String(schema.version)]]));
  const n = Object.values(vectors)[0]?.length ?? 0;
  // apache-arrow cannot build a Table from zero-length vectors: give it one empty record batch.
  const table =
    n > 0
      ? new Table(arrowSchema, vectors)
      : new Table(
          new RecordBatch(
            arrowSchema,
            makeData({ type: new Struct(fields), length: 0, nullCount: 0, children: fields.map((f) => makeData({ type: f.type, length: 0, nullCount: 0 })) }),
          ),
        );
  return tableToIPC(table, "file");
}

/** Read and validate an Arrow IPC file against `schema`. */
export function readTable<S extends TableSchema>(path: string, schema: S): TableData<S> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SchemaError(path, schema.name, null, `cannot read: ${(e as Error).message}`);
  }
  const head = bytes.subarray(0, 6).toString("latin1");
  const tail = bytes.subarray(bytes.length - 6).toString("latin1");
  if (head !== "ARROW1") throw new SchemaError(path, schema.name, null, `not an Arrow IPC file (no ARROW1 magic; ${statSync(path).size} bytes)`);
  if (tail !== "ARROW1") throw new SchemaError(path, schema.name, null, `truncated Arrow IPC file (no closing ARROW1 footer; ${bytes.length} bytes) — the writer did not finish`);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new SchemaError(path, schema.name, null, `corrupt Arrow IPC file: ${(e as Error).message}`);
  }
  const names = table.schema.fields.map((f) => f.name);
  for (const spec of schema.columns) {
    const field = table.schema.fields.find((f) => f.name === spec.name);
    if (!field) throw new SchemaError(path, schema.name, spec.name, `missing (file has: ${names.join(", ")})`);
    const ok = field.typeId === TYPE_IDS[spec.type] && sameWidth(spec, field.type);
    if (!ok) throw new SchemaError(path, schema.name, spec.name, `expected ${spec.type}, file has ${String(field.type)}`);
  }
  const extra = names.filter((n) => !schema.columns.some((c) => c.name === n));
  if (extra.length > 0) throw new SchemaError(path, schema.name, extra[0]!, `not in the schema (expected: ${schema.columns.map((c) => c.name).join(", ")})`);
  const columns: Record<string, ArrayLike<CellValue>> = {};
  for (const spec of schema.columns) {
    const vec = table.getChild(spec.name)!;
    columns[spec.name] = toJs(spec, vec);
  }
  validateColumns(path, schema, columns);
  // validated just above against the schema the column types are derived from
  return { schema, n_rows: table.numRows, columns: columns as ColumnsOf<S> };
}

function sameWidth(spec: ColumnSpec, t: DataType): boolean {
  const bits = (t as unknown as { bitWidth?: number }).bitWidth;
  const precision = (t as unknown as { precision?: number }).precision;
  if (spec.type === "int32") return bits === 32;
  if (spec.type === "int64") return bits === 64;
  if (spec.type === "float32") return precision === 1;
  if (spec.type === "float64") return precision === 2;
  return true;
}

function toJs(spec: ColumnSpec, vec: Vector): ArrayLike<CellValue> {
  const hasNulls = vec.nullCount > 0;
  if (!hasNulls && (spec.type === "float32" || spec.type === "float64" || spec.type === "int32")) {
    return vec.toArray() as Float32Array | Float64Array | Int32Array;
  }
  const out = new Array<CellValue>(vec.length);
  for (let i = 0; i < vec.length; i++) {
    const v = vec.get(i) as unknown;
    out[i] = v === null || v === undefined ? null : typeof v === "bigint" ? Number(v) : (v as CellValue);
  }
  return out;
}

/** Rows as objects (convenient for small tables and notebooks). */
export function tableRows<S extends TableSchema>(t: TableData<S>): Record<string, CellValue>[] {
  const cols: Columns = Object.fromEntries(Object.entries(t.columns));
  const rows: Record<string, CellValue>[] = [];
  for (let i = 0; i < t.n_rows; i++) {
    const r: Record<string, CellValue> = {};
    for (const c of t.schema.columns) r[c.name] = cols[c.name]?.[i] ?? null;
    rows.push(r);
  }
  return rows;
}
