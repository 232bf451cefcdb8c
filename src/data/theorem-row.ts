/**
 * One row of the THEOREMS table (src/artifacts/schemas.ts) and the Lean text it stands for.
 *
 * `statement` is `theorem name … :=` (ending in `:=`); `proof` is the tactic block after `by`,
 * as written: a proof that started on the next line keeps its indentation (first character is
 * whitespace), a proof on the `by` line starts with its first tactic. So
 * `theoremCode(row)` rebuilds a declaration Lean elaborates exactly like the original.
 */
import type { ColumnArraysOf, ColumnsOf, RowOf } from "../artifacts/schema.js";
import type { THEOREMS } from "../artifacts/schemas.js";

/** One THEOREMS row. `header`: imports / opens / set_option (and any helper declarations before the theorem), comments removed. */
export type TheoremRow = RowOf<typeof THEOREMS>;

/** The declaration with its proof (without the header): what one repl `cmd` elaborates. */
export function theoremCode(row: Pick<TheoremRow, "name" | "statement" | "proof">): string {
  if (row.proof === null) throw new Error(`theorem '${row.name}' has no proof to elaborate`);
  return /^\s/.test(row.proof) ? `${row.statement} by\n${row.proof.replace(/^[ \t]*\n/, "")}` : `${row.statement} by ${row.proof}`;
}

export function theoremColumns(rows: readonly TheoremRow[]): ColumnArraysOf<typeof THEOREMS> {
  return {
    name: rows.map((r) => r.name),
    source: rows.map((r) => r.source),
    dataset: rows.map((r) => r.dataset),
    header: rows.map((r) => r.header),
    statement: rows.map((r) => r.statement),
    proof: rows.map((r) => r.proof),
    lean_version: rows.map((r) => r.lean_version),
    split: rows.map((r) => r.split),
  };
}

/** Rows of a THEOREMS table read back. */
export function theoremRowsOf(c: ColumnsOf<typeof THEOREMS>): TheoremRow[] {
  return Array.from({ length: c.name.length }, (_, i) => ({
    name: c.name[i]!,
    source: c.source[i]!,
    dataset: c.dataset[i]!,
    header: c.header[i]!,
    statement: c.statement[i]!,
    proof: c.proof[i] ?? null,
    lean_version: c.lean_version[i] ?? null,
    split: c.split[i] ?? null,
  }));
}
