/**
 * Dataset ingest (plan Task 0.3): every input through its format's reader into one THEOREMS
 * table. Names are unique in the table: the first occurrence wins; an identical later row is
 * dropped as a duplicate, a different one with the same name is quarantined. Malformed rows are
 * quarantined with a reason and counted — never fatal. Also: the inventory table (plan's format)
 * and the ingest report.
 */
import type { Source } from "../artifacts/schemas.js";
import { catalogEntry, type DatasetFormat } from "./dataset-catalog.js";
import type { QuarantineEntry } from "./dataset-files.js";
import { bump, type FormatIngest } from "./ingest-common.js";
import { ingestGoedel } from "./ingest-goedel.js";
import { ingestLeanWorkbook } from "./ingest-lean-workbook.js";
import { ingestMiniF2F } from "./ingest-minif2f.js";
import { ingestNuminaMath } from "./ingest-numinamath.js";
import type { TheoremRow } from "./theorem-row.js";

export interface DatasetInput {
  readonly format: DatasetFormat;
  /** A file or a folder (searched recursively). */
  readonly path: string;
  /** Dataset id recorded in the table (default: the format's catalog id / the form detected). */
  readonly dataset?: string;
  /** Lean Workbook only: force workbook or workbook_plus. */
  readonly source?: Source;
  /** Header for statements that come without one. */
  readonly header?: string;
  readonly lean_version?: string | null;
}

export interface DatasetSummary {
  readonly format: DatasetFormat;
  readonly path: string;
  readonly dataset: string;
  readonly sources: readonly string[];
  readonly lean_versions: readonly string[];
  readonly records: number;
  readonly theorems: number;
  readonly with_proofs: number;
  readonly quarantined: number;
  readonly quarantine_reasons: Record<string, number>;
  readonly skipped: Record<string, number>;
  readonly notes: Record<string, number>;
}

export interface IngestResult {
  readonly rows: TheoremRow[];
  readonly quarantine: QuarantineEntry[];
  readonly datasets: DatasetSummary[];
}

export function ingestDataset(input: DatasetInput): FormatIngest {
  const common = { path: input.path, ...(input.dataset !== undefined && { dataset: input.dataset }), ...(input.lean_version !== undefined && { lean_version: input.lean_version }) };
  const header = input.header !== undefined ? { header: input.header } : {};
  switch (input.format) {
    case "goedel":
      return ingestGoedel(common);
    case "lean_workbook":
      return ingestLeanWorkbook({ ...common, ...header, ...(input.source !== undefined && { source: input.source }) });
    case "numinamath":
      return ingestNuminaMath({ ...common, ...header });
    case "minif2f":
      return ingestMiniF2F({ ...common, ...header });
  }
}

export function ingestDatasets(inputs: readonly DatasetInput[]): IngestResult {
  const rows: TheoremRow[] = [];
  const quarantine: QuarantineEntry[] = [];
  const datasets: DatasetSummary[] = [];
  const byName = new Map<string, TheoremRow>();
  for (const input of inputs) {
    const r = ingestDataset(input);
    const q = [...r.quarantine];
    const skipped = { ...r.skipped };
    const kept: TheoremRow[] = [];
    for (const row of r.rows) {
      const first = byName.get(row.name);
      if (first === undefined) {
        byName.set(row.name, row);
        kept.push(row);
      } else if (first.statement === row.statement && first.proof === row.proof && first.header === row.header) {
        bump(skipped, "duplicate_row");
      } else {
        q.push({ dataset: row.dataset, file: input.path, row: null, reason: "duplicate_name", detail: `'${row.name}' already ingested from ${first.dataset}` });
      }
    }
    rows.push(...kept);
    quarantine.push(...q);
    const reasons: Record<string, number> = {};
    for (const e of q) bump(reasons, e.reason);
    datasets.push({
      format: input.format,
      path: input.path,
      dataset: input.dataset ?? ([...new Set([...r.rows, ...r.quarantine].map((k) => k.dataset))].join(", ") || catalogEntry(input.format).dataset),
      sources: [...new Set(kept.map((k) => k.source))].sort(),
      lean_versions: [...new Set(kept.flatMap((k) => (k.lean_version ? [k.lean_version] : [])))].sort(),
      records: r.records,
      theorems: kept.length,
      with_proofs: kept.filter((k) => k.proof !== null).length,
      quarantined: q.length,
      quarantine_reasons: reasons,
      skipped,
      notes: r.notes,
    });
  }
  return { rows, quarantine, datasets };
}

/** The plan's inventory table (statements, with proofs, source), measured, next to the plan's estimates. */
export function formatInventory(datasets: readonly DatasetSummary[]): string {
  const fmt = (n: number) => n.toLocaleString("en-US");
  const lines = [
    "| Dataset | Source | Statements | With proofs | Quarantined | Lean | Plan: statements / with proofs |",
    "|---|---|---:|---:|---:|---|---|",
  ];
  for (const d of datasets) {
    const plan = catalogEntry(d.format).plan;
    lines.push(`| ${d.dataset} | ${d.sources.join(", ") || "—"} | ${fmt(d.theorems)} | ${fmt(d.with_proofs)} | ${fmt(d.quarantined)} | ${d.lean_versions.join(", ") || "—"} | ${plan.statements} / ${plan.with_proofs} |`);
  }
  const tot = (k: "theorems" | "with_proofs" | "quarantined") => fmt(datasets.reduce((s, d) => s + d[k], 0));
  lines.push(`| **Total** | | ${tot("theorems")} | ${tot("with_proofs")} | ${tot("quarantined")} | | |`);
  return lines.join("\n") + "\n";
}

/** ingest_report.json (metrics-file shape). */
export function ingestReport(r: IngestResult): { kind: "ingest_report"; values: Record<string, number>; not_computed: Record<string, string>; details: Record<string, unknown> } {
  const reasons: Record<string, number> = {};
  for (const q of r.quarantine) bump(reasons, q.reason);
  return {
    kind: "ingest_report",
    values: { theorems: r.rows.length, with_proofs: r.rows.filter((x) => x.proof !== null).length, quarantined: r.quarantine.length },
    not_computed: {},
    details: { datasets: r.datasets, quarantine_reasons: reasons, quarantine_examples: r.quarantine.slice(0, 20) },
  };
}
