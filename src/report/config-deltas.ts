/**
 * configDeltas: A→B, B→C, A→C differences per column of the 3-config table (Task 4.3), each with a
 * 95 % interval and, for miniF2F, McNemar's exact test (paired-stats.ts says how). Two configs that
 * use the same embeddings (B and C both read iter_1's) have equal embedding columns by
 * construction: that delta is stated as such, not printed as a measured 0.
 */
import { cellNumber, notRun, textCell, valueCell, type Cell } from "./cell.js";
import { COMPARISON_COLUMNS, EMBEDDING_COLUMNS, type ComparisonColumn, type ComparisonReportModel, type ConfigId, type SearchRunId } from "./comparison-report-model.js";
import { independentDifference, minif2fDifference, pairedEbmDifference, type DifferenceStats } from "./paired-stats.js";
import type { EbmMetricKey } from "../metrics/ebm-metrics.js";

export interface ConfigDelta {
  readonly from: ConfigId;
  readonly to: ConfigId;
  /** What the difference measures, in the plan's words. */
  readonly meaning: string;
  readonly values: Readonly<Record<ComparisonColumn, Cell>>;
}

export const DELTA_PAIRS: readonly { readonly from: ConfigId; readonly to: ConfigId; readonly meaning: string }[] = [
  { from: "A", to: "B", meaning: "effect of joint LoRA training on embedding quality" },
  { from: "B", to: "C", meaning: "effect of live EBM gradients on EBM head quality" },
  { from: "A", to: "C", meaning: "total system improvement" },
];

const EBM_KEY: Partial<Record<ComparisonColumn, EbmMetricKey>> = { rank1_d4_plus: "rank1_d4+", sibling_discrimination: "sibling_discrimination" };

function cellOf(model: ComparisonReportModel, id: ConfigId, column: ComparisonColumn): Cell {
  return model.configs[id][column] ?? notRun(`${column} not measured for config ${id}`);
}

function sameEmbeddings(model: ComparisonReportModel, a: ConfigId, b: ConfigId): boolean {
  return (model.paired?.same_embeddings ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

function withStats(stats: DifferenceStats | null, fallback: number, source: string, column: ComparisonColumn): Cell {
  const format = COMPARISON_COLUMNS.find((c) => c.key === column)?.format;
  if (!stats) return valueCell(fallback, source, format);
  const p = stats.mcnemar ? `McNemar p = ${stats.mcnemar.p_value < 0.001 ? stats.mcnemar.p_value.toExponential(1) : stats.mcnemar.p_value.toFixed(3)} (${stats.mcnemar.only_second} vs ${stats.mcnemar.only_first} discordant)` : null;
  return valueCell(stats.delta, source, format, { ci: stats.ci, note: [stats.method, p].filter(Boolean).join("; ") });
}

/** `to − from`; not_run (naming the side and its reason) when either side has no number. */
export function deltaCell(model: ComparisonReportModel, from_id: ConfigId, to_id: ConfigId, column: ComparisonColumn): Cell {
  if (EMBEDDING_COLUMNS.includes(column) && sameEmbeddings(model, from_id, to_id)) {
    return textCell(`same embeddings — equal by construction (${from_id} and ${to_id} both use iter_1's)`);
  }
  const a = cellNumber(cellOf(model, from_id, column));
  const b = cellNumber(cellOf(model, to_id, column));
  if ("reason" in a || "reason" in b) {
    const missing = ["reason" in a ? `Config ${from_id}: ${a.reason}` : "", "reason" in b ? `Config ${to_id}: ${b.reason}` : ""].filter((s) => s !== "");
    return notRun(missing.join("; "));
  }
  const source = `${from_id}→${to_id}`;
  let stats: DifferenceStats | null = null;
  if (column === "minif2f_rate") stats = minif2fDifference(model, from_id as SearchRunId, to_id as SearchRunId);
  const ebmKey = EBM_KEY[column];
  const aggA = model.paired?.ebm?.[from_id];
  const aggB = model.paired?.ebm?.[to_id];
  // heads of the same iteration scored the same trajectories: pair them over common theorems
  if (!stats && ebmKey && aggA && aggB && sameEmbeddings(model, from_id, to_id)) stats = pairedEbmDifference(aggA, aggB, ebmKey, model.paired?.bootstrap);
  if (!stats) {
    const seA = model.paired?.se?.[from_id]?.[column];
    const seB = model.paired?.se?.[to_id]?.[column];
    if (seA !== undefined && seB !== undefined) stats = independentDifference(a.value, seA, b.value, seB);
  }
  return withStats(stats, b.value - a.value, source, column);
}

export function configDeltas(model: ComparisonReportModel): ConfigDelta[] {
  return DELTA_PAIRS.map(({ from, to, meaning }) => {
    const values = {} as Record<ComparisonColumn, Cell>;
    for (const { key } of COMPARISON_COLUMNS) values[key] = deltaCell(model, from, to, key);
    return { from, to, meaning, values };
  });
}
