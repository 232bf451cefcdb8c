/**
 * Goedel-LM/Lean-workbook-proofs: rows `{problem_id, full_proof}`, `full_proof` being a whole Lean
 * file (header, a comment with the informal statement, the theorem and its tactic proof). Reads the
 * Hugging Face download (JSON / JSON Lines), or a folder of `.lean` files named
 * `[goedel-]lean_workbook_<id>.lean`, each rebuilt as the row `{problem_id: "lean_workbook_<id>",
 * full_proof: <file text>}` (the form of the kimina-lean-server sample in ../shared/data). Other
 * `.lean` files in such a folder are skipped and counted. Every row must carry a proof.
 */
import { readFileSync } from "node:fs";
import { basename, relative } from "node:path";
import { listFiles, readJsonRecords, stringField, type QuarantineEntry } from "./dataset-files.js";
import { COMPETITION_HEADER, bump, missing, rowFromText, type FormatIngest, type RowContext } from "./ingest-common.js";
import type { TheoremRow } from "./theorem-row.js";

export interface GoedelInput {
  readonly path: string;
  readonly dataset?: string;
  readonly lean_version?: string | null;
}

const LEAN_ROW_FILE = /^(?:goedel-)?(lean_workbook(?:_plus)?_\d+)\.lean$/;

export function ingestGoedel(input: GoedelInput): FormatIngest {
  const dataset = input.dataset ?? "Goedel-LM/Lean-workbook-proofs";
  const quarantine: QuarantineEntry[] = [];
  const skipped: Record<string, number> = {};
  const rows: TheoremRow[] = [];
  const records: Array<{ file: string; row: number | null; value: unknown }> = [];
  for (const f of listFiles(input.path, [".lean"])) {
    const m = LEAN_ROW_FILE.exec(basename(f));
    if (!m) {
      bump(skipped, "lean_file_not_a_goedel_row");
      continue;
    }
    records.push({ file: relative(process.cwd(), f), row: null, value: { problem_id: m[1], full_proof: readFileSync(f, "utf8") } });
  }
  const notes: Record<string, number> = {};
  records.push(...readJsonRecords(input.path, dataset, quarantine, notes));
  for (const r of records) {
    const base: RowContext = { dataset, source: "workbook", lean_version: input.lean_version === undefined ? "v4.9.0-rc1" : input.lean_version, split: null, file: r.file, row: r.row, default_header: COMPETITION_HEADER };
    const problem_id = stringField(r.value, "problem_id");
    const full = stringField(r.value, "full_proof");
    if (problem_id === null || full === null) {
      quarantine.push(missing(base, "problem_id / full_proof", r.value));
      continue;
    }
    const row = rowFromText(full, problem_id, base, quarantine);
    if (!row) continue;
    if (row.proof === null) {
      quarantine.push({ dataset, file: r.file, row: r.row, reason: "no_proof", detail: `'${problem_id}': full_proof has no tactic proof` });
      continue;
    }
    rows.push(row);
  }
  return { rows, quarantine, records: records.length, skipped, notes };
}
