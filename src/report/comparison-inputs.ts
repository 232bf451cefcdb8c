/**
 * Shared inputs of the comparison's questions and decision rules: the thresholds that define
 * "≈" and ">>", and "miniF2F(iter_k)" = the best rate over that iteration's search configs.
 */
import { cellNumber, formatSigned, formatValue, textCell, type Cell, type CellFormat } from "./cell.js";
import type { ComparisonReportModel } from "./comparison-report-model.js";

export interface DecisionThresholds {
  /** "≈": two miniF2F rates within this many percentage points (inclusive). */
  readonly approx_points: number;
  /** ">>": higher by at least this many percentage points. */
  readonly much_better_points: number;
  /** Rank-1 accuracies within this (absolute) count as no clear difference. */
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

/** A labelled number shown next to an answer or rule. */
export interface ComparisonInput {
  readonly label: string;
  readonly cell: Cell;
  /** How the number prints when the cell has no format of its own. */
  readonly format: CellFormat;
}

export const OLD_ITER4_LLM_ONLY_INPUT: ComparisonInput = { label: "old iter_4 miniF2F, LLM-only (quoted in the plan)", cell: textCell("~35%"), format: "pct" };
export const OLD_ITER4_LLM_EBM_INPUT: ComparisonInput = { label: "old iter_4 miniF2F, LLM + burn-rs EBM (quoted in the plan)", cell: textCell("41.7%"), format: "pct" };

/** A number or the reason there is none. */
export type Measured = { readonly ok: true; readonly value: number; readonly label: string } | { readonly ok: false; readonly reason: string };

export function measured(input: ComparisonInput): Measured {
  const n = cellNumber(input.cell);
  return "reason" in n ? { ok: false, reason: `${input.label} not run (${n.reason})` } : { ok: true, value: n.value, label: input.label };
}

export type Iteration = "iter_0" | "iter_1";

/** The search configurations of an iteration whose best rate is "miniF2F(iter_k)". */
export function iterationRateInputs(model: ComparisonReportModel, iter: Iteration): ComparisonInput[] {
  if (iter === "iter_0") {
    return [
      { label: "iter_0 miniF2F, LLM-only", cell: model.llm_only_rate.iter_0, format: "pct" },
      { label: "Config A miniF2F (LLM + iter_0 decoupled EBM)", cell: model.configs.A.minif2f_rate, format: "pct" },
    ];
  }
  return [
    { label: "iter_1 miniF2F, LLM-only", cell: model.llm_only_rate.iter_1, format: "pct" },
    { label: "Config B miniF2F (LLM + iter_1 decoupled EBM)", cell: model.configs.B.minif2f_rate, format: "pct" },
    { label: "Config C miniF2F (LLM + iter_1 joint EBM)", cell: model.configs.C.minif2f_rate, format: "pct" },
  ];
}

/**
 * Best rate over all of an iteration's configs. Every config must have run: a best-of over a
 * subset could silently promote a weaker config, so a missing one makes the result unknown.
 */
export function bestRate(inputs: readonly ComparisonInput[], name: string): Measured {
  const all = inputs.map(measured);
  const missing = all.flatMap((m) => ("reason" in m ? [m.reason] : []));
  if (missing.length > 0) return { ok: false, reason: `${name} needs every config: ${missing.join("; ")}` };
  let best: Measured = { ok: false, reason: `${name}: no configs` };
  for (const m of all) if (m.ok && (!best.ok || m.value > best.value)) best = m;
  return best.ok ? { ok: true, value: best.value, label: `${name} (${best.label.replace(/ \(.*\)$/, "")})` } : best;
}

export const pct = (v: number): string => formatValue(v, "pct");
/** Difference of two rates in percentage points, signed ("+4.1 pts"). */
export const points = (a: number, b: number): string => formatSigned(a - b, "pct");
/** a − b in percentage points, rounded to 1e-6 pts so 0.42 − 0.40 is exactly 2 (thresholds are inclusive). */
export const diffPoints = (a: number, b: number): number => Math.round((a - b) * 100 * 1e6) / 1e6;
