/**
 * Shared inputs of the comparison's questions and decision rules: the thresholds that define
 * "≈" and ">>" (lab choices: the plan gives none), and the numbers as bounds.
 *
 * A number that was not run is not a reason to give up: it is bounded by its domain (a rate lies in
 * [0, 1]), and "miniF2F(iter_k)" — the best rate over that iteration's search configurations — is
 * at least the best rate that did run. A comparison whose outcome those bounds already fix is
 * decided; one they do not fix says which missing number would decide it.
 */
import { cellNumber, formatSigned, formatValue, textCell, type Cell, type CellFormat } from "./cell.js";
import type { ComparisonReportModel, SearchRunId } from "./comparison-report-model.js";

export interface DecisionThresholds {
  /** "≈": two miniF2F rates within this many percentage points (inclusive). Lab choice. */
  readonly approx_points: number;
  /** ">>": higher by at least this many percentage points. Lab choice. */
  readonly much_better_points: number;
  /** Rank-1 accuracies within this (absolute) count as no clear difference. Lab choice. */
  readonly rank1_approx: number;
  /** iter_1 centroid_l2 below this = collapsed (the plan's abort condition and red line). */
  readonly centroid_collapse: number;
}

export const DECISION_THRESHOLDS: DecisionThresholds = {
  approx_points: 2,
  much_better_points: 5,
  rank1_approx: 0.02,
  centroid_collapse: 3.0,
};

/** Which thresholds are this lab's choice, not the plan's (the report marks them). */
export const LAB_CHOICE_THRESHOLDS: ReadonlySet<keyof DecisionThresholds> = new Set(["approx_points", "much_better_points", "rank1_approx"]);

/** A labelled number shown next to an answer or rule. */
export interface ComparisonInput {
  readonly label: string;
  readonly cell: Cell;
  /** How the number prints when the cell has no format of its own. */
  readonly format: CellFormat;
  /** The values the number can take when it was not run (default [0, 1]: a rate or an accuracy). */
  readonly domain?: readonly [number, number];
  /** The miniF2F search run the number is the rate of (for paired tests). */
  readonly run?: SearchRunId;
}

export const OLD_ITER4_LLM_ONLY_INPUT: ComparisonInput = { label: "old iter_4 miniF2F, LLM-only (quoted in the plan)", cell: textCell("~35%"), format: "pct" };
export const OLD_ITER4_LLM_EBM_INPUT: ComparisonInput = { label: "old iter_4 miniF2F, LLM + burn-rs EBM (quoted in the plan)", cell: textCell("41.7%"), format: "pct" };

/** A number, or the range it must lie in and the inputs whose absence leaves it open. */
export interface Bound {
  readonly label: string;
  readonly lo: number;
  readonly hi: number;
  /** The value when known exactly. */
  readonly value: number | null;
  /** Labels (with reasons) of the inputs that were not run. */
  readonly missing: readonly string[];
  /** The search run behind an exact best rate. */
  readonly run?: SearchRunId;
}

/** A number or the reason there is none. */
export type Measured = { readonly ok: true; readonly value: number; readonly label: string } | { readonly ok: false; readonly reason: string };

export function measured(input: ComparisonInput): Measured {
  const n = cellNumber(input.cell);
  return "reason" in n ? { ok: false, reason: `${input.label} not run (${n.reason})` } : { ok: true, value: n.value, label: input.label };
}

export function bound(input: ComparisonInput): Bound {
  const m = measured(input);
  if (m.ok === true) return { label: input.label, lo: m.value, hi: m.value, value: m.value, missing: [] };
  const [lo, hi] = input.domain ?? [0, 1];
  return { label: input.label, lo, hi, value: null, missing: [m.reason] };
}

export const exact = (label: string, value: number): Bound => ({ label, lo: value, hi: value, value, missing: [] });

export type Iteration = "iter_0" | "iter_1";

/** The search configurations of an iteration whose best rate is "miniF2F(iter_k)". */
export function iterationRateInputs(model: ComparisonReportModel, iter: Iteration): ComparisonInput[] {
  if (iter === "iter_0") {
    return [
      { label: "iter_0 miniF2F, LLM-only", cell: model.llm_only_rate.iter_0, format: "pct", run: "llm_only_0" },
      { label: "Config A miniF2F (LLM + iter_0 decoupled EBM)", cell: model.configs.A.minif2f_rate, format: "pct", run: "A" },
    ];
  }
  return [
    { label: "iter_1 miniF2F, LLM-only", cell: model.llm_only_rate.iter_1, format: "pct", run: "llm_only_1" },
    { label: "Config B miniF2F (LLM + iter_1 decoupled EBM)", cell: model.configs.B.minif2f_rate, format: "pct", run: "B" },
    { label: "Config C miniF2F (LLM + iter_1 joint EBM)", cell: model.configs.C.minif2f_rate, format: "pct", run: "C" },
  ];
}

/**
 * Best rate over an iteration's configs: exact when every config ran; else at least the best that
 * ran (a config that did not run can only raise the best, never lower it) and at most the domain's top.
 */
export function bestRate(inputs: readonly ComparisonInput[], name: string): Bound {
  const bs = inputs.map((i) => ({ ...bound(i), ...(i.run ? { run: i.run } : {}) }));
  const known = bs.filter((b) => b.value !== null);
  const missing = bs.flatMap((b) => b.missing);
  const bestKnown = known.reduce<Bound | null>((best, b) => (best === null || b.value! > best.value! ? b : best), null);
  const lo = bestKnown?.value ?? Math.min(...bs.map((b) => b.lo));
  const hi = Math.max(...bs.map((b) => b.hi));
  const which = bestKnown ? bestKnown.label.replace(/ \(.*\)$/, "") : "none ran";
  if (missing.length === 0) return { label: `${name} (${which})`, lo, hi, value: lo, missing, ...(bestKnown?.run ? { run: bestKnown.run } : {}) };
  return { label: `${name} (≥ ${which}; not run: ${inputs.filter((_, i) => bs[i]!.value === null).map((x) => x.label.replace(/ \(.*\)$/, "")).join(", ")})`, lo, hi, value: null, missing };
}

export const pct = (v: number): string => formatValue(v, "pct");
/** Difference of two rates in percentage points, signed ("+4.1 pts"). */
export const points = (a: number, b: number): string => formatSigned(a - b, "pct");
/** a − b in percentage points, rounded to 1e-6 pts so 0.42 − 0.40 is exactly 2 (thresholds are inclusive). */
export const diffPoints = (a: number, b: number): number => Math.round((a - b) * 100 * 1e6) / 1e6;

/** How a bound prints: the number, or "≥ 43.9%", or "not run". */
export function boundText(b: Bound, format: CellFormat): string {
  if (b.value !== null) return formatValue(b.value, format);
  if (b.lo <= 0 && b.hi >= 1) return "not run";
  if (b.hi >= 1 || !Number.isFinite(b.hi)) return `≥ ${formatValue(b.lo, format)}`;
  return `in [${formatValue(b.lo, format)}, ${formatValue(b.hi, format)}]`;
}
