/**
 * decide: the plan's Task 4.5 decision rules, evaluated in the plan's order with three-valued
 * logic (holds / does not hold / cannot evaluate). The first rule that holds is the decision.
 */
import { OLD_ITER4_LLM_EBM_RATE } from "./baseline-report-model.js";
import { formatValue } from "./cell.js";
import {
  bestRate,
  DECISION_THRESHOLDS,
  diffPoints,
  iterationRateInputs,
  measured,
  OLD_ITER4_LLM_EBM_INPUT,
  pct,
  points,
  type ComparisonInput,
  type DecisionThresholds,
  type Measured,
} from "./comparison-inputs.js";
import type { ComparisonReportModel } from "./comparison-report-model.js";

export type RuleStatus =
  | "holds"
  | "does_not_hold"
  | "cannot_evaluate"; // an input it needs was not run (and no other part already fails)

export interface RuleEvaluation {
  readonly id: "R1" | "R2" | "R3" | "R4";
  /** The plan's condition, with the thresholds that make it precise. */
  readonly condition: string;
  /** The plan's consequence when it holds. */
  readonly action: string;
  readonly inputs: readonly ComparisonInput[];
  readonly status: RuleStatus;
  /** Each part with its numbers, or why it cannot be evaluated. */
  readonly detail: string;
}

export type Decision =
  | {
      readonly kind: "decided";
      readonly rule_id: RuleEvaluation["id"];
      readonly action: string;
      /** Earlier rules that could not be evaluated (they might have held). */
      readonly provisional_because: readonly string[];
      /** Later rules that also hold. */
      readonly also_holding: readonly string[];
    }
  | { readonly kind: "none_holds" }
  | { readonly kind: "cannot_decide"; readonly reasons: readonly string[] };

export interface DecisionResult {
  readonly thresholds: DecisionThresholds;
  readonly rules: readonly RuleEvaluation[];
  readonly decision: Decision;
}

/** Truth of one part of a condition, or why it is unknown. */
export type Truth = { readonly known: true; readonly value: boolean; readonly detail: string } | { readonly known: false; readonly reason: string };

function part(inputs: readonly Measured[], test: (...v: number[]) => boolean, describe: (...v: number[]) => string): Truth {
  const missing = inputs.flatMap((m) => ("reason" in m ? [m.reason] : []));
  if (missing.length > 0) return { known: false, reason: missing.join("; ") };
  const values = inputs.map((m) => (m.ok ? m.value : NaN));
  const value = test(...values);
  return { known: true, value, detail: `${describe(...values)}: ${value ? "true" : "false"}` };
}

/** Kleene AND: false if any part is false; unknown if any is unknown; else true. */
export function allOf(parts: readonly Truth[]): { status: RuleStatus; detail: string } {
  const detail = parts.map((p) => ("reason" in p ? `cannot evaluate (${p.reason})` : p.detail)).join("; ");
  if (parts.some((p) => p.known && !p.value)) return { status: "does_not_hold", detail };
  if (parts.some((p) => !p.known)) return { status: "cannot_evaluate", detail };
  return { status: "holds", detail };
}

function centroidInputs(model: ComparisonReportModel): ComparisonInput[] {
  return [
    { label: "iter_0 centroid_l2 (Config A)", cell: model.configs.A.centroid_l2, format: "f2" },
    { label: "iter_1 centroid_l2 (Config C)", cell: model.configs.C.centroid_l2, format: "f2" },
  ];
}

/** Evaluates R1–R4 (pure). One declarative table of the plan's four rules, kept together so it reads like the plan. */
export function evaluateRules(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): RuleEvaluation[] {
  const i0_inputs = iterationRateInputs(model, "iter_0");
  const i1_inputs = iterationRateInputs(model, "iter_1");
  const i0 = bestRate(i0_inputs, "miniF2F(iter_0)");
  const i1 = bestRate(i1_inputs, "miniF2F(iter_1)");
  const old = { ok: true as const, value: OLD_ITER4_LLM_EBM_RATE, label: "old 41.7%" };
  const c_inputs = centroidInputs(model);
  const [c0, c1] = c_inputs.map(measured) as [Measured, Measured];
  const f2 = (v: number): string => formatValue(v, "f2");

  const improved = part([i1, i0], (a, b) => diffPoints(a, b) > t.approx_points, (a, b) => `miniF2F(iter_1) ${pct(a)} − miniF2F(iter_0) ${pct(b)} = ${points(a, b)} > ${t.approx_points} pts`);
  const held = part([c1, c0], (a, b) => a >= b, (a, b) => `centroid_l2 iter_1 ${f2(a)} ≥ iter_0 ${f2(b)}`);
  const much_better_than_old = part([i0, old], (a, b) => diffPoints(a, b) >= t.much_better_points, (a, b) => `miniF2F(iter_0) ${pct(a)} − old 41.7% = ${points(a, b)} ≥ ${t.much_better_points} pts`);
  const iter1_approx = part([i1, i0], (a, b) => Math.abs(diffPoints(a, b)) <= t.approx_points, (a, b) => `|miniF2F(iter_1) ${pct(a)} − miniF2F(iter_0) ${pct(b)}| = |${points(a, b)}| ≤ ${t.approx_points} pts`);
  const iter0_approx_old = part([i0, old], (a, b) => Math.abs(diffPoints(a, b)) <= t.approx_points, (a, b) => `|miniF2F(iter_0) ${pct(a)} − old 41.7%| = |${points(a, b)}| ≤ ${t.approx_points} pts`);
  const collapsed = part([c1], (a) => a < t.centroid_collapse, (a) => `centroid_l2 iter_1 ${f2(a)} < ${f2(t.centroid_collapse)}`);

  const rates = [...i1_inputs, ...i0_inputs];
  return [
    {
      id: "R1",
      condition: `miniF2F(iter_1) > miniF2F(iter_0) [by > ${t.approx_points} pts] AND centroid_l2 held [iter_1 ≥ iter_0]`,
      action: "Joint training works. Plan iter_2: generate new trajectories with iter_1 model, retrain (expert iteration + joint training).",
      inputs: [...rates, ...c_inputs],
      ...allOf([improved, held]),
    },
    {
      id: "R2",
      condition: `miniF2F(iter_0) >> old 41.7% [by ≥ ${t.much_better_points} pts] BUT iter_1 ≈ iter_0 [within ${t.approx_points} pts]`,
      action: "Data was the bottleneck, not training method. Consider whether joint training overhead is justified, or just do more expert iteration with competition data.",
      inputs: [...rates, OLD_ITER4_LLM_EBM_INPUT],
      ...allOf([much_better_than_old, iter1_approx]),
    },
    {
      id: "R3",
      condition: `miniF2F(iter_0) ≈ old 41.7% [within ${t.approx_points} pts]`,
      action: "Data distribution wasn't the problem. Need to investigate search strategy, model capacity, or inference budget.",
      inputs: [...i0_inputs, OLD_ITER4_LLM_EBM_INPUT],
      ...allOf([iter0_approx_old]),
    },
    {
      id: "R4",
      condition: `centroid_l2 collapsed in iter_1 [iter_1 centroid_l2 < ${f2(t.centroid_collapse)}]`,
      action: "Joint training failed. Try alternating steps (even=SFT, odd=EBM) or increase λ significantly.",
      inputs: [c_inputs[1] ?? { label: "iter_1 centroid_l2", cell: model.configs.C.centroid_l2, format: "f2" }],
      ...allOf([collapsed]),
    },
  ];
}

/** The first rule that holds, flagged provisional when an earlier rule could not be evaluated. */
export function pickDecision(rules: readonly RuleEvaluation[]): Decision {
  const first = rules.findIndex((r) => r.status === "holds");
  const unknown = (list: readonly RuleEvaluation[]): string[] =>
    list.filter((r) => r.status === "cannot_evaluate").map((r) => `${r.id}: ${r.detail}`);
  if (first < 0) {
    const reasons = unknown(rules);
    return reasons.length > 0 ? { kind: "cannot_decide", reasons } : { kind: "none_holds" };
  }
  const rule = rules[first] as RuleEvaluation;
  return {
    kind: "decided",
    rule_id: rule.id,
    action: rule.action,
    provisional_because: unknown(rules.slice(0, first)),
    also_holding: rules.slice(first + 1).filter((r) => r.status === "holds").map((r) => r.id),
  };
}

export function decide(model: ComparisonReportModel, thresholds: DecisionThresholds = DECISION_THRESHOLDS): DecisionResult {
  const rules = evaluateRules(model, thresholds);
  return { thresholds, rules, decision: pickDecision(rules) };
}
