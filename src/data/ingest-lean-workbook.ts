/**
 * internlm/Lean-Workbook and Lean-Workbook-Plus: one record per formalised statement
 * (`formal_statement`, usually ending in `:= by sorry`), a `status` ("proved" when a proof was
 * found) and the proof text (`proof`, `formal_proof` or `tactic`). Every statement becomes a row;
 * only proved rows carry a proof. Statements have no header of their own: the Lean Workbook header
 * (imports Mathlib, Aesop; opens BigOperators Real Nat Topology) is used unless one is given.
 */
import { basename } from "node:path";
import { readJsonRecords, stringField, type QuarantineEntry } from "./dataset-files.js";
import { COMPETITION_HEADER, bump, missing, rowFromText, type FormatIngest, type RowContext } from "./ingest-common.js";
import { attachProof } from "./lean-source.js";
import type { TheoremRow } from "./theorem-row.js";
import type { Source } from "../artifacts/schemas.js";

export interface LeanWorkbookInput {
  readonly path: string;
  readonly dataset?: string;
  /** Default: "workbook_plus" for files whose name contains "plus", else "workbook". */
  readonly source?: Source;
  readonly header?: string;
  readonly lean_version?: string | null;
}

const PROVED = new Set(["proved", "solved", "true", "complete", "completed"]);

export function ingestLeanWorkbook(input: LeanWorkbookInput): FormatIngest {
  const quarantine: QuarantineEntry[] = [];
  const skipped: Record<string, number> = {};
  const notes: Record<string, number> = {};
  const rows: TheoremRow[] = [];
  const records = readJsonRecords(input.path, input.dataset ?? "internlm/Lean-Workbook", quarantine, notes);
  for (const r of records) {
    const plus = /plus/i.test(basename(r.file));
    const source: Source = input.source ?? (plus ? "workbook_plus" : "workbook");
    const dataset = input.dataset ?? (plus ? "internlm/Lean-Workbook (Plus)" : "internlm/Lean-Workbook");
    const ctx: RowContext = { dataset, source, lean_version: input.lean_version === undefined ? "v4.8.0-rc1" : input.lean_version, split: null, file: r.file, row: r.row, default_header: input.header ?? COMPETITION_HEADER };
    const statement = stringField(r.value, "formal_statement");
    if (statement === null) {
      quarantine.push(missing(ctx, "formal_statement", r.value));
      continue;
    }
    const status = stringField(r.value, "status");
    const proofText = stringField(r.value, "proof", "formal_proof", "tactic");
    const proved = status === null ? proofText !== null : PROVED.has(status.toLowerCase());
    if (status !== null && !proved) bump(notes, `statement_only_status_${status.toLowerCase()}`);
    const text = proved && proofText !== null ? (/\b(theorem|lemma)\s/.test(proofText) ? proofText : attachProof(statement, proofText)) : statement;
    const id = stringField(r.value, "id", "name");
    const row = rowFromText(text, id ?? undefined, ctx, quarantine);
    if (row) rows.push(row);
  }
  return { rows, quarantine, records: records.length, skipped, notes };
}
