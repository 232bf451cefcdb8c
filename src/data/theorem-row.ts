/**
 * One row of the THEOREMS table (src/artifacts/schemas.ts) and the Lean text it stands for.
 *
 * `statement` is `theorem name … :=` (ending in `:=`); `proof` is the tactic block after `by`,
 * as written: a proof that started on the next line keeps its indentation (first character is
 * whitespace), a proof on the `by` line starts with its first tactic. So
 * `theoremCode(row)` rebuilds a declaration Lean elaborates exactly like the original.
 */
import type { Source } from "../artifacts/schemas.js";
import type { Columns } from "../artifacts/schema.js";

export interface TheoremRow {
  readonly name: string;
  readonly source: Source;
  /** Exact dataset id, e.g. "Goedel-LM/Lean-workbook-proofs". */
  readonly dataset: string;
  /** imports / opens / set_option (and any helper declarations before the theorem), comments removed. */
  readonly header: string;
  readonly statement: string;
  readonly proof: string | null;
  readonly lean_version: string | null;
  readonly split: "train" | "val" | "valid" | "test" | null;
}

/** The declaration with its proof (without the header): what one repl `cmd` elaborates. */
export function theoremCode(row: Pick<TheoremRow, "name" | "statement" | "proof">): string {
  if (row.proof === null) throw new Error(`theorem '${row.name}' has no proof to elaborate`);
  return /^\s/.test(row.proof) ? `${row.statement} by\n${row.proof.replace(/^[ \t]*\n/, "")}` : `${row.statement} by ${row.proof}`;
}

export const THEOREM_COLUMNS = ["name", "source", "dataset", "header", "statement", "proof", "lean_version", "split"] as const;

export function theoremColumns(rows: readonly TheoremRow[]): Columns {
  const cols: Columns = {};
  for (const c of THEOREM_COLUMNS) cols[c] = rows.map((r) => r[c]);
  return cols;
}

/** Rows of a THEOREMS table read back (columns as read by readTable). */
export function theoremRowsOf(columns: Readonly<Record<string, ArrayLike<unknown>>>): TheoremRow[] {
  const n = columns["name"]?.length ?? 0;
  const col = (c: string, i: number): unknown => columns[c]?.[i] ?? null;
  const out: TheoremRow[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      name: String(col("name", i)),
      source: String(col("source", i)) as Source,
      dataset: String(col("dataset", i)),
      header: String(col("header", i) ?? ""),
      statement: String(col("statement", i)),
      proof: col("proof", i) === null ? null : String(col("proof", i)),
      lean_version: col("lean_version", i) === null ? null : String(col("lean_version", i)),
      split: col("split", i) === null ? null : (String(col("split", i)) as TheoremRow["split"]),
    });
  }
  return out;
}
