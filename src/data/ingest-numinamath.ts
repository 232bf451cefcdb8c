/**
 * AI-MO/NuminaMath-LEAN: `formal_statement` (header + theorem `:= by sorry`) and `formal_proof`
 * (a whole Lean file, or a tactic block). Only rows with a proof are kept (plan Task 0.5: filter
 * `formal_proof != ""`); the others are counted as skipped. Declared names repeat across rows in
 * this dataset, so a repeated name gets the row's uuid appended (in the statement too) instead of
 * being quarantined.
 */
import { readJsonRecords, stringField, type QuarantineEntry } from "./dataset-files.js";
import { COMPETITION_HEADER, bump, missing, rowFromText, type FormatIngest, type RowContext } from "./ingest-common.js";
import { attachProof } from "./lean-source.js";
import type { TheoremRow } from "./theorem-row.js";

export interface NuminaInput {
  readonly path: string;
  readonly dataset?: string;
  readonly header?: string;
  readonly lean_version?: string | null;
}

export function ingestNuminaMath(input: NuminaInput): FormatIngest {
  const dataset = input.dataset ?? "AI-MO/NuminaMath-LEAN";
  const quarantine: QuarantineEntry[] = [];
  const skipped: Record<string, number> = {};
  const notes: Record<string, number> = {};
  const rows: TheoremRow[] = [];
  const seen = new Set<string>();
  const records = readJsonRecords(input.path, dataset, quarantine, notes);
  for (const r of records) {
    const ctx: RowContext = { dataset, source: "numinamath", lean_version: input.lean_version === undefined ? "v4.15.0" : input.lean_version, split: null, file: r.file, row: r.row, default_header: input.header ?? COMPETITION_HEADER };
    const statement = stringField(r.value, "formal_statement");
    const proof = stringField(r.value, "formal_proof");
    if (statement === null && proof === null) {
      quarantine.push(missing(ctx, "formal_statement / formal_proof", r.value));
      continue;
    }
    if (proof === null || /^\s*(by\s+)?sorry\s*$/.test(proof)) {
      bump(skipped, "no_proof");
      continue;
    }
    const text = /\b(theorem|lemma)\s/.test(proof) ? proof : statement !== null ? attachProof(statement, proof) : proof;
    const row = rowFromText(text, undefined, ctx, quarantine);
    if (!row) continue;
    if (row.proof === null) {
      bump(skipped, "no_proof");
      continue;
    }
    let out = row;
    if (seen.has(row.name)) {
      const uuid = (stringField(r.value, "uuid", "id") ?? String(r.row)).replace(/[^A-Za-z0-9]/g, "").slice(0, 8);
      const name = `${row.name}_${uuid}`;
      out = { ...row, name, statement: row.statement.replace(new RegExp(`((?:theorem|lemma)\\s+)${escapeRe(row.name)}(?=[\\s:({[]|$)`), `$1${name}`) };
      bump(notes, "renamed_repeated_name");
    }
    seen.add(out.name);
    rows.push(out);
  }
  return { rows, quarantine, records: records.length, skipped, notes };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
