/**
 * successMetricRows: the plan's Success Metrics table with the measured iter_0 / iter_1 values
 * and a status per cell. Red line is checked first (it overrides the target).
 */
import { cellNumber, formatCell, formatNotRun, notRun, type Cell, type CellFormat } from "./cell.js";
import type { ComparisonReportModel } from "./comparison-report-model.js";

/** A target: an absolute bound, or (iter_1 only) at least the measured iter_0 value. */
export type Target =
  | { readonly kind: "absolute"; readonly op: ">=" | "<="; readonly value: number }
  | { readonly kind: "at_least_iter_0" };

export interface RedLine {
  readonly op: "<" | ">";
  readonly value: number;
}

export interface SuccessMetricSpec {
  readonly id: string;
  readonly metric: string;
  readonly format: CellFormat;
  /** Decimals used to print targets and red lines of non-percentage metrics. */
  readonly bound_decimals: number;
  readonly iter_0_target: Target;
  readonly iter_1_target: Target;
  readonly red_line: RedLine;
}

/** The plan's table (rates as fractions). */
export const SUCCESS_METRICS: readonly SuccessMetricSpec[] = [
  { id: "minif2f_llm_only", metric: "miniF2F v2s (LLM-only)", format: "pct", bound_decimals: 0, iter_0_target: { kind: "absolute", op: ">=", value: 0.35 }, iter_1_target: { kind: "absolute", op: ">=", value: 0.35 }, red_line: { op: "<", value: 0.25 } },
  { id: "minif2f_llm_ebm", metric: "miniF2F v2s (LLM+EBM)", format: "pct", bound_decimals: 0, iter_0_target: { kind: "absolute", op: ">=", value: 0.4 }, iter_1_target: { kind: "absolute", op: ">=", value: 0.45 }, red_line: { op: "<", value: 0.35 } },
  { id: "centroid_l2", metric: "centroid_l2", format: "f2", bound_decimals: 1, iter_0_target: { kind: "absolute", op: ">=", value: 5.0 }, iter_1_target: { kind: "at_least_iter_0" }, red_line: { op: "<", value: 3.0 } },
  { id: "linear_probe_acc", metric: "linear_probe_acc", format: "f3", bound_decimals: 2, iter_0_target: { kind: "absolute", op: ">=", value: 0.75 }, iter_1_target: { kind: "at_least_iter_0" }, red_line: { op: "<", value: 0.65 } },
  // lab choice: the plan's probe thresholds also applied to the balanced variant, which imbalance cannot inflate
  { id: "linear_probe_balanced_acc", metric: "linear_probe_balanced_acc (lab choice: the plan's thresholds on the balanced variant)", format: "f3", bound_decimals: 2, iter_0_target: { kind: "absolute", op: ">=", value: 0.75 }, iter_1_target: { kind: "at_least_iter_0" }, red_line: { op: "<", value: 0.65 } },
  { id: "rank1_d4_plus", metric: "EBM rank-1 (d4+)", format: "f3", bound_decimals: 2, iter_0_target: { kind: "absolute", op: ">=", value: 0.3 }, iter_1_target: { kind: "absolute", op: ">=", value: 0.4 }, red_line: { op: "<", value: 0.25 } },
  { id: "sibling_discrimination", metric: "sibling_discrimination", format: "f3", bound_decimals: 2, iter_0_target: { kind: "absolute", op: ">=", value: 0.12 }, iter_1_target: { kind: "absolute", op: ">=", value: 0.15 }, red_line: { op: "<", value: 0.1 } },
  { id: "sft_val_loss", metric: "SFT val loss", format: "f3", bound_decimals: 2, iter_0_target: { kind: "absolute", op: "<=", value: 0.5 }, iter_1_target: { kind: "absolute", op: "<=", value: 0.5 }, red_line: { op: ">", value: 0.65 } },
];

export type SuccessStatus =
  | { readonly kind: "pass" }
  | { readonly kind: "uninformative"; readonly reason: string } // an accuracy at or below its base rate
  | { readonly kind: "fail" } //     target missed, red line not crossed
  | { readonly kind: "red_line" } // red line crossed
  | { readonly kind: "not_run"; readonly reason: string };

export interface SuccessMetricRow {
  readonly spec: SuccessMetricSpec;
  readonly iter_0: Cell;
  readonly iter_1: Cell;
  readonly iter_0_status: SuccessStatus;
  readonly iter_1_status: SuccessStatus;
}

const OP_TEXT = { ">=": "≥", "<=": "≤", "<": "<", ">": ">" } as const;

function boundText(value: number, spec: SuccessMetricSpec): string {
  if (spec.format === "pct") return `${Number((value * 100).toFixed(1))}%`;
  return value.toFixed(spec.bound_decimals);
}

export function targetText(target: Target, spec: SuccessMetricSpec): string {
  return target.kind === "at_least_iter_0" ? "≥ iter_0 val" : `${OP_TEXT[target.op]} ${boundText(target.value, spec)}`;
}

export function redLineText(spec: SuccessMetricSpec): string {
  return `${OP_TEXT[spec.red_line.op]} ${boundText(spec.red_line.value, spec)}`;
}

/** Status of one measured value against its target and red line. */
export function successStatus(value: Cell, target: Target, red_line: RedLine, iter_0_value?: Cell): SuccessStatus {
  const v = cellNumber(value);
  if ("reason" in v) return { kind: "not_run", reason: v.reason };
  const red = red_line.op === "<" ? v.value < red_line.value : v.value > red_line.value;
  if (red) return { kind: "red_line" };
  if (target.kind === "at_least_iter_0") {
    const base = iter_0_value === undefined ? undefined : cellNumber(iter_0_value);
    if (base === undefined || "reason" in base) return { kind: "not_run", reason: `relative target: iter_0 value not run${base !== undefined && "reason" in base ? ` (${base.reason})` : ""}` };
    return v.value >= base.value ? { kind: "pass" } : { kind: "fail" };
  }
  const met = target.op === ">=" ? v.value >= target.value : v.value <= target.value;
  return met ? { kind: "pass" } : { kind: "fail" };
}

export function formatStatus(status: SuccessStatus): string {
  switch (status.kind) {
    case "pass":
      return "pass";
    case "fail":
      return "fail";
    case "red_line":
      return "**RED LINE**";
    case "uninformative":
      return `uninformative — ${status.reason}`;
    case "not_run":
      return formatNotRun(status.reason);
  }
}

/** The measured iter_0 / iter_1 cells of each success metric (LLM+EBM and EBM metrics: A vs C). */
export function successMeasurements(model: ComparisonReportModel): Readonly<Record<string, { iter_0: Cell; iter_1: Cell }>> {
  const { A, C } = model.configs;
  return {
    minif2f_llm_only: model.llm_only_rate,
    minif2f_llm_ebm: { iter_0: A.minif2f_rate, iter_1: C.minif2f_rate },
    centroid_l2: { iter_0: A.centroid_l2, iter_1: C.centroid_l2 },
    linear_probe_acc: { iter_0: A.linear_probe_acc, iter_1: C.linear_probe_acc },
    linear_probe_balanced_acc: { iter_0: A.linear_probe_balanced_acc ?? notRun("balanced accuracy not measured"), iter_1: C.linear_probe_balanced_acc ?? notRun("balanced accuracy not measured") },
    rank1_d4_plus: { iter_0: A.rank1_d4_plus, iter_1: C.rank1_d4_plus },
    sibling_discrimination: { iter_0: A.sibling_discrimination, iter_1: C.sibling_discrimination },
    sft_val_loss: model.sft_val_loss,
  };
}

export function successMetricRows(model: ComparisonReportModel): SuccessMetricRow[] {
  const measured = successMeasurements(model);
  return SUCCESS_METRICS.map((spec) => {
    const m = measured[spec.id];
    if (m === undefined) throw new Error(`successMetricRows: no measurement mapping for metric "${spec.id}"`);
    const base = spec.id === "linear_probe_acc" ? { iter_0: model.configs.A.linear_probe_base_rate, iter_1: model.configs.C.linear_probe_base_rate } : null;
    return {
      spec,
      iter_0: m.iter_0,
      iter_1: m.iter_1,
      iter_0_status: atBaseRate(m.iter_0, base?.iter_0) ?? successStatus(m.iter_0, spec.iter_0_target, spec.red_line),
      iter_1_status: atBaseRate(m.iter_1, base?.iter_1) ?? successStatus(m.iter_1, spec.iter_1_target, spec.red_line, m.iter_0),
    };
  });
}

/** An accuracy at or below the base rate of its labels passes no target: it measures the imbalance. */
function atBaseRate(value: Cell, base: Cell | undefined): SuccessStatus | null {
  if (base === undefined) return null;
  const v = cellNumber(value);
  const b = cellNumber(base);
  if ("reason" in v || "reason" in b) return null;
  if (v.value <= b.value) return { kind: "uninformative", reason: `at or below its base rate ${b.value.toFixed(3)} (always answering the majority label)` };
  const ci = value.kind === "value" ? value.ci : undefined;
  if (ci && ci[0] <= b.value) return { kind: "uninformative", reason: `its 95% interval [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}] reaches its base rate ${b.value.toFixed(3)}` };
  return null;
}

/** Display of a measured value in the table (uses the metric's format). */
export function formatMeasured(cell: Cell, spec: SuccessMetricSpec): string {
  return formatCell(cell, spec.format);
}
