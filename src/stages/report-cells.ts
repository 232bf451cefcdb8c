/**
 * Report cells from the metrics artifacts: each number with its source path, its 95 % interval
 * (details.ci95 of the metrics file; Wilson for miniF2F rates) and what to read it against (base
 * rate, chance level, saturation). The report stages (reports.ts) read artifacts through here.
 */
import type { MetricsFile } from "../artifacts/schemas.js";
import type { TheoremAggregate } from "../metrics/ebm-metrics.js";
import { wilson } from "../numeric/intervals.js";
import { formatValue, notRun, valueCell, type Cell, type CellFormat, type SearchCells } from "../report/index.js";

interface Details {
  readonly ci95?: Readonly<Record<string, readonly [number, number]>>;
  readonly bootstrap_se?: Readonly<Record<string, number>>;
  readonly chance?: Readonly<Record<string, number>>;
  readonly notes?: readonly string[];
  readonly per_theorem?: readonly TheoremAggregate[];
  readonly split?: { readonly description?: string };
  readonly in_sample?: { readonly values: Readonly<Record<string, number>>; readonly not_computed: Readonly<Record<string, string>>; readonly ci95?: Readonly<Record<string, readonly [number, number]>> };
  readonly energy_range?: readonly [number, number] | null;
  readonly params?: { readonly margin?: number };
}

export const detailsOf = (f: MetricsFile): Details => (f.details ?? {}) as Details;

/** What a metric is read against, from its own file. */
function noteFor(f: MetricsFile, key: string): string | null {
  const d = detailsOf(f);
  const chance = d.chance?.[key];
  if (chance !== undefined) return `chance ${formatValue(chance, "f3")} on these groups`;
  if (key === "linear_probe_acc") {
    const base = f.values["linear_probe_base_rate"];
    const bal = f.values["linear_probe_balanced_acc"];
    if (base !== undefined) return `base rate ${formatValue(base, "f3")}${bal !== undefined ? `, balanced ${formatValue(bal, "f3")}` : ""}`;
  }
  if (key === "active_ratio" && (d.notes ?? []).some((n) => n.includes("active_ratio") && n.includes("saturated"))) {
    const r = d.energy_range;
    return `SATURATED: energies span ${r ? `${r[0].toFixed(2)}…${r[1].toFixed(2)}` : "less than the margin"} against margin ${d.params?.margin ?? 1}; says nothing about signal`;
  }
  return null;
}

export function metricCell(f: MetricsFile, rel: string, key: string, format?: CellFormat): Cell {
  const v = f.values[key];
  if (v === undefined) return notRun(f.not_computed[key] ?? `${key} missing from ${rel}`);
  return valueCell(v, rel, format, { ci: detailsOf(f).ci95?.[key] ?? null, note: noteFor(f, key) });
}

/** The same keys, on the file's in-sample (training theorems) numbers. */
export function inSampleCell(f: MetricsFile, rel: string, key: string): Cell {
  const s = detailsOf(f).in_sample;
  if (!s) return notRun(`no in-sample numbers in ${rel}`);
  const v = s.values[key];
  if (v === undefined) return notRun(s.not_computed[key] ?? `${key} missing from the in-sample numbers of ${rel}`);
  return valueCell(v, `${rel} (in-sample)`, undefined, { ci: s.ci95?.[key] ?? null });
}

export function metricCells<K extends string>(f: MetricsFile, rel: string, keys: readonly K[]): Record<K, Cell> {
  return Object.fromEntries(keys.map((k) => [k, metricCell(f, rel, k)])) as Record<K, Cell>;
}

/** Proved / total / rate of one search configuration, the rate with its Wilson interval. */
export function searchCells(f: MetricsFile, rel: string, config: "llm_only" | "llm_ebm"): SearchCells {
  const why = `${config} missing from ${rel}`;
  const proved = f.values[`${config}.proved`];
  const total = f.values[`${config}.total`];
  const rate = f.values[`${config}.rate`];
  const reason = f.not_computed[`${config}.rate`] ?? why;
  return {
    proved: proved === undefined ? notRun(f.not_computed[`${config}.proved`] ?? why) : valueCell(proved, rel),
    total: total === undefined ? notRun(f.not_computed[`${config}.total`] ?? why) : valueCell(total, rel),
    rate: rate === undefined ? notRun(reason) : valueCell(rate, rel, undefined, { ci: proved !== undefined && total !== undefined ? wilson(proved, total) : null, note: total !== undefined ? `n = ${total} theorems` : null }),
  };
}

/** Per-theorem outcomes of a search_results file, or null. */
export function searchOutcomes(f: MetricsFile): { theorems: readonly string[]; proved: Readonly<Record<string, readonly boolean[]>> } | null {
  const d = f.details as { theorems?: readonly string[]; proved?: Readonly<Record<string, readonly boolean[]>> } | undefined;
  return d?.theorems && d.proved ? { theorems: d.theorems, proved: d.proved } : null;
}

/** The ALARM / exclusion notes the metrics stages wrote into their files. */
export function metricNotes(...files: MetricsFile[]): string[] {
  return files.flatMap((f) => [...(detailsOf(f).notes ?? [])]);
}
