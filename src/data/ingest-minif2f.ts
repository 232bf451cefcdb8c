/**
 * miniF2F in the forms it circulates in (the record's fields say which):
 * - yangky11/miniF2F-lean4 `minif2f_lean4.jsonl`: header, formal_statement (`:= sorry`), formal_proof (`by …` or null), split;
 * - DeepSeek-Prover-V1.5 / Goedel `minif2f.jsonl`: header, formal_statement (ending `:= by`), split;
 *   its few-shot file adds formal_proof (a tactic block);
 * - Goedel-Prover-V2 `minif2f.jsonl`: formal_statement with the header inside (`:= by sorry`), split;
 * - InternLM / LeanDojo index: full_name, statement (a bare signature), split;
 * - BurnQED TheoremIndex JSON: {"theorems": [{name, statement}]}, statement as a `∀ …` proposition;
 * - per-problem `.lean` files (yangky11 `MiniF2F/{Test,Valid}/<name>.lean`), split from the folder name.
 * Statements without a proof are rows with proof null; a row with a proof keeps it.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";
import { listFiles, readJsonRecords, stringField, type QuarantineEntry } from "./dataset-files.js";
import { COMPETITION_HEADER, missing, rowFromText, type FormatIngest, type RowContext } from "./ingest-common.js";
import { attachProof } from "./lean-source.js";
import type { TheoremRow } from "./theorem-row.js";

export interface MiniF2FInput {
  readonly path: string;
  readonly dataset?: string;
  readonly header?: string;
  readonly lean_version?: string | null;
}

type Split = TheoremRow["split"];

function splitOf(v: string | null): Split {
  if (v === null) return null;
  const s = v.toLowerCase();
  if (s === "test") return "test";
  if (s === "valid" || s === "validation") return "valid";
  if (s === "train") return "train";
  if (s === "val") return "val";
  return null;
}

/** Which published form a record is in, its dataset id and Lean version. */
function formOf(v: unknown): { form: string; dataset: string; lean: string } | null {
  const has = (k: string) => typeof v === "object" && v !== null && k in v;
  if (has("lean4_code") && has("formal_statement")) return { form: "goedel_v2", dataset: "Goedel-LM/Goedel-Prover-V2 minif2f.jsonl", lean: "v4.9.0-rc1" };
  if (has("header") && has("formal_statement") && has("informal_stmt")) return { form: "yangky11_jsonl", dataset: "yangky11/miniF2F-lean4 minif2f_lean4.jsonl", lean: "v4.20.0" };
  if (has("formal_statement") && (has("header") || has("informal_prefix"))) return { form: "deepseek", dataset: "deepseek-ai/DeepSeek-Prover-V1.5 minif2f.jsonl", lean: "v4.9.0-rc1" };
  if (has("full_name") && has("statement")) return { form: "leandojo_index", dataset: "InternLM-Math / LeanDojo miniF2F index", lean: "nightly-2023-08-19" };
  if (has("name") && has("statement")) return { form: "theorem_index", dataset: "BurnQED TheoremIndex", lean: "v4.27.0" };
  return null;
}

export function ingestMiniF2F(input: MiniF2FInput): FormatIngest {
  const quarantine: QuarantineEntry[] = [];
  const rows: TheoremRow[] = [];
  const skipped: Record<string, number> = {};
  const notes: Record<string, number> = {};
  let records = 0;
  for (const f of listFiles(input.path, [".lean"])) {
    records++;
    const folder = basename(dirname(f));
    const ctx: RowContext = {
      dataset: input.dataset ?? "yangky11/miniF2F-lean4 (per-problem .lean)",
      source: "minif2f",
      lean_version: input.lean_version === undefined ? "v4.24.0" : input.lean_version,
      split: splitOf(folder),
      file: relative(process.cwd(), f),
      row: null,
      default_header: input.header ?? COMPETITION_HEADER,
    };
    const row = rowFromText(readFileSync(f, "utf8"), basename(f, ".lean"), ctx, quarantine);
    if (row) rows.push(row);
  }
  for (const r of readJsonRecords(input.path, input.dataset ?? "miniF2F", quarantine, notes)) {
    records++;
    const form = formOf(r.value);
    const base = { dataset: input.dataset ?? form?.dataset ?? "miniF2F", file: r.file, row: r.row };
    if (!form) {
      quarantine.push(missing(base, "miniF2F fields (formal_statement, statement)", r.value));
      continue;
    }
    const ctx: RowContext = {
      ...base,
      source: "minif2f",
      lean_version: input.lean_version === undefined ? form.lean : input.lean_version,
      split: splitOf(stringField(r.value, "split")),
      default_header: input.header ?? COMPETITION_HEADER,
    };
    const name = stringField(r.value, "name", "full_name") ?? undefined;
    const row = rowFromText(textOf(form.form, r.value, name), name, ctx, quarantine);
    if (row) rows.push(row);
  }
  return { rows, quarantine, records, skipped, notes };
}

function textOf(form: string, v: unknown, name: string | undefined): string {
  const header = stringField(v, "header") ?? "";
  const proof = stringField(v, "formal_proof");
  switch (form) {
    case "goedel_v2":
      return stringField(v, "formal_statement")!;
    case "leandojo_index":
      return `${stringField(v, "statement")} := by sorry`;
    case "theorem_index":
      return `theorem ${name} : ${stringField(v, "statement")} := by sorry`;
    default: {
      const stmt = stringField(v, "formal_statement")!;
      return `${header}\n${proof !== null ? attachProof(stmt, proof) : stmt}`;
    }
  }
}
