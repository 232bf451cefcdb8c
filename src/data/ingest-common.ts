/**
 * Shared by the dataset readers: what one reader returns, and turning Lean text into a theorems
 * row or a quarantine entry with its reason.
 */
import type { Source } from "../artifacts/schemas.js";
import { parseTheoremSource } from "./lean-source.js";
import type { QuarantineEntry } from "./dataset-files.js";
import type { TheoremRow } from "./theorem-row.js";

export interface FormatIngest {
  readonly rows: TheoremRow[];
  readonly quarantine: QuarantineEntry[];
  /** Records (rows / files) read. */
  readonly records: number;
  /** Records deliberately not ingested, by reason (e.g. no proof where only proofs are kept). */
  readonly skipped: Record<string, number>;
  /** Ingested with a remark, by kind (e.g. a repeated name renamed, a statement-only status). */
  readonly notes: Record<string, number>;
}

export interface RowContext {
  readonly dataset: string;
  readonly source: Source;
  readonly lean_version: string | null;
  readonly split: TheoremRow["split"];
  readonly file: string;
  readonly row: number | null;
  /** Used when the text has no header of its own. */
  readonly default_header: string;
}

/** Parses `text` into a row, or pushes a quarantine entry and returns null. */
export function rowFromText(text: string, expected_name: string | undefined, ctx: RowContext, quarantine: QuarantineEntry[]): TheoremRow | null {
  const r = parseTheoremSource(text, expected_name);
  if (r.status === "failed") {
    quarantine.push({ dataset: ctx.dataset, file: ctx.file, row: ctx.row, reason: r.reason, detail: r.detail });
    return null;
  }
  const t = r.theorem;
  return {
    name: t.name,
    source: ctx.source,
    dataset: ctx.dataset,
    header: t.header || ctx.default_header,
    statement: t.statement,
    proof: t.proof,
    lean_version: ctx.lean_version,
    split: ctx.split,
  };
}

export function missing(ctx: Pick<RowContext, "dataset" | "file" | "row">, fields: string, value: unknown): QuarantineEntry {
  return { dataset: ctx.dataset, file: ctx.file, row: ctx.row, reason: "missing_field", detail: `no ${fields} in ${JSON.stringify(value)?.slice(0, 150)}` };
}

/** The header competition datasets compile against (DeepSeek / Goedel / Lean Workbook style). */
export const COMPETITION_HEADER = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";

export const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};
