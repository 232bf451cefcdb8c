/**
 * Table schemas: the one description of a table artifact's columns, shared by the Arrow
 * reader/writer (validation), the JSON export for the Python side and the docs.
 *
 * Schemas are declared `as const satisfies TableSchema`, so the TypeScript types of their columns
 * are derived from the declaration: `ColumnsOf<typeof TRAJECTORIES>` is what `readTable` returns
 * and what `writeTable` takes. A row type is never written by hand.
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

/** A table held column-wise, untyped: column name → values (typed arrays for dense numeric columns). */
export type Columns = Readonly<Record<string, ArrayLike<CellValue>>>;

type ValueOf<C extends ColumnSpec> = C["type"] extends "utf8"
  ? C extends { readonly values: readonly (infer V)[] }
    ? V
    : string
  : C["type"] extends "bool"
    ? boolean
    : number;

/** The TS type of one cell of column C (null included when the column is nullable). */
export type CellOf<C extends ColumnSpec> = C extends { readonly nullable: true } ? ValueOf<C> | null : ValueOf<C>;

type ColumnNamed<S extends TableSchema, K extends string> = Extract<S["columns"][number], { readonly name: K }>;
type ColumnNames<S extends TableSchema> = S["columns"][number]["name"];

/** Column-wise contents of a table of schema S: what readTable returns and writeTable takes. */
export type ColumnsOf<S extends TableSchema> = { readonly [K in ColumnNames<S>]: ArrayLike<CellOf<ColumnNamed<S, K>>> };

/** The same with plain arrays (what builders of a table produce). */
export type ColumnArraysOf<S extends TableSchema> = { readonly [K in ColumnNames<S>]: readonly CellOf<ColumnNamed<S, K>>[] };

/** One row of a table of schema S. */
export type RowOf<S extends TableSchema> = { readonly [K in ColumnNames<S>]: CellOf<ColumnNamed<S, K>> };

export function column(schema: TableSchema, name: string): ColumnSpec {
  const spec = schema.columns.find((c) => c.name === name);
  if (!spec) throw new Error(`schema ${schema.name} has no column '${name}' (columns: ${schema.columns.map((c) => c.name).join(", ")})`);
  return spec;
}
