/**
 * Table schemas: the one description of a table artifact's columns, shared by the Arrow
 * reader/writer (validation), the JSON export for the Python side and the docs.
 */

/** Column storage types. Arrow types follow in parentheses. */
export type ColumnType =
  | "utf8" //       Utf8
  | "int32" //      Int32
  | "int64" //      Int64 (read back as bigint-free numbers; values must stay below 2^53)
  | "float32" //    Float32
  | "float64" //    Float64
  | "bool"; //      Bool

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** May hold nulls. A non-nullable column with a null is a schema violation. */
  readonly nullable: boolean;
  /** For utf8 columns: the closed set of allowed values (e.g. labels). */
  readonly values?: readonly string[];
  readonly description: string;
}

export interface TableSchema {
  /** Stable name, used in manifests and errors ("trajectories"). */
  readonly name: string;
  /** Bumped when a column changes meaning or type. */
  readonly version: number;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
}

/** A cell value as the TS side sees it. */
export type CellValue = string | number | boolean | null;

/** A table held column-wise: column name → values (typed arrays for dense numeric columns). */
export type Columns = Record<string, ArrayLike<CellValue> | Float32Array | Float64Array | Int32Array>;

export function column(schema: TableSchema, name: string): ColumnSpec {
  const spec = schema.columns.find((c) => c.name === name);
  if (!spec) throw new Error(`schema ${schema.name} has no column '${name}' (columns: ${schema.columns.map((c) => c.name).join(", ")})`);
  return spec;
}
