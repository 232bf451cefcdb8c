/**
 * decide: the plan's Task 4.5 decision rules, in the plan's order, on what is known. Every number
 * is a bound (comparison-inputs.ts): a comparison the known numbers already settle is true or
 * false whatever the missing ones turn out to be; one they do not settle is "open" and names the
 * missing numbers and the value that would make it hold. A rule holds when every part is true and
 * fails as soon as one part is false (Kleene AND). The decision is the first rule that holds; when
 * an earlier rule is open, the decision is provisional and says which number would decide it.
 */
import { OLD_ITER4_LLM_EBM_RATE } from "./baseline-report-model.js";
import { formatValue } from "./cell.js";
import {
  bestRate,
  bound,
  boundText,
  DECISION_THRESHOLDS,
  exact,
  iterationRateInputs,
  OLD_ITER4_LLM_EBM_INPUT,
  type Bound,
  type ComparisonInput,
  type DecisionThresholds,
} from "./comparison-inputs.js";
import type { ComparisonReportModel } from "./comparison-report-model.js";

export type RuleStatus =
  | "holds"
  | "does_not_hold"
  | "cannot_evaluate"; // open: the known numbers do not settle it (the detail says which number would)

export interface RuleEvaluation {
  readonly id: "R1" | "R2" | "R3" | "R4";
  /** The plan's condition, with the thresholds that make it precise. */
  readonly condition: string;
  /** The plan's consequence when it holds. */
  readonly action: string;
  readonly inputs: readonly ComparisonInput[];
  readonly status: RuleStatus;
  /** Each part with its numbers, or what would decide it. */
  readonly detail: string;
}

export type Decision =
  | {
      readonly kind: "decided";
      readonly rule_id: RuleEvaluation["id"];
      readonly action: string;
      /** Earlier rules that are open, with the number that would decide each (they might still hold). */
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

/** Truth of one part of a condition: settled (with its numbers), or open (with what would settle it). */
export type Truth = { readonly known: true; readonly value: boolean; readonly detail: string } | { readonly known: false; readonly reason: string };

const pts = (x: number): string => `${x > 0 ? "+" : ""}${Number(x.toFixed(6)).toFixed(1)} pts`;
/** Range of a − b in percentage points. */
function diffRange(a: Bound, b: Bound): [number, number] {
  return [(a.lo - b.hi) * 100, (a.hi - b.lo) * 100];
}
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

function openPart(a: Bound, b: Bound | null, when: string): Truth {
  const missing = [...a.missing, ...(b?.missing ?? [])];
  return { known: false, reason: `open — decided by ${missing.join("; ")}: it holds iff ${when}` };
}

/** "a − b > t pts" (strict). */
export function diffAbove(a: Bound, b: Bound, t: number, name: string): Truth {
  const [lo, hi] = diffRange(a, b).map(round6) as [number, number];
  const text = `${name}: ${boundText(a, "pct")} − ${boundText(b, "pct")} = ${lo === hi ? pts(lo) : `${pts(lo)} … ${pts(hi)}`} > ${t} pts`;
  if (lo > t) return { known: true, value: true, detail: `${text}: true${a.value === null || b.value === null ? " whatever the missing numbers are" : ""}` };
  if (hi <= t) return { known: true, value: false, detail: `${text}: false${a.value === null || b.value === null ? " whatever the missing numbers are" : ""}` };
  return openPart(a, b, `${a.label} > ${formatValue(b.value ?? b.lo, "pct")} + ${t} pts`);
}

/** "a − b ≥ t pts". */
export function diffAtLeast(a: Bound, b: Bound, t: number, name: string): Truth {
  const [lo, hi] = diffRange(a, b).map(round6) as [number, number];
  const text = `${name}: ${boundText(a, "pct")} − ${boundText(b, "pct")} = ${lo === hi ? pts(lo) : `${pts(lo)} … ${pts(hi)}`} ≥ ${t} pts`;
  if (lo >= t) return { known: true, value: true, detail: `${text}: true` };
  if (hi < t) return { known: true, value: false, detail: `${text}: false` };
  return openPart(a, b, `${a.label} ≥ ${formatValue(b.value ?? b.lo, "pct")} + ${t} pts`);
}

/** "|a − b| ≤ t pts". */
export function diffWithin(a: Bound, b: Bound, t: number, name: string): Truth {
  const [lo, hi] = diffRange(a, b).map(round6) as [number, number];
  const text = `${name}: |${boundText(a, "pct")} − ${boundText(b, "pct")}| = |${lo === hi ? pts(lo) : `${pts(lo)} … ${pts(hi)}`}| ≤ ${t} pts`;
  if (lo >= -t && hi <= t) return { known: true, value: true, detail: `${text}: true` };
  if (lo > t || hi < -t) return { known: true, value: false, detail: `${text}: false${a.value === null || b.value === null ? " whatever the missing numbers are" : ""}` };
  return openPart(a, b, `${a.label} is within ${t} pts of ${formatValue(b.value ?? b.lo, "pct")}`);
}

/** "a ≥ b" on plain numbers (centroid_l2). */
export function atLeast(a: Bound, b: Bound, name: string): Truth {
  const f2 = (x: Bound) => boundText(x, "f2");
  if (a.lo >= b.hi) return { known: true, value: true, detail: `${name}: ${f2(a)} ≥ ${f2(b)}: true` };
  if (a.hi < b.lo) return { known: true, value: false, detail: `${name}: ${f2(a)} ≥ ${f2(b)}: false` };
  return openPart(a, b, `${a.label} ≥ ${b.label}`);
}

/** "a < t" on a plain number. */
export function below(a: Bound, t: number, name: string): Truth {
  if (a.hi < t) return { known: true, value: true, detail: `${name}: ${boundText(a, "f2")} < ${t.toFixed(2)}: true` };
  if (a.lo >= t) return { known: true, value: false, detail: `${name}: ${boundText(a, "f2")} < ${t.toFixed(2)}: false` };
  return openPart(a, null, `${a.label} < ${t.toFixed(2)}`);
}

/** Kleene AND: false if any part is false; open if any is open; else true. */
export function allOf(parts: readonly Truth[]): { status: RuleStatus; detail: string } {
  const detail = parts.map((p) => ("reason" in p ? p.reason : p.detail)).join("; ");
  if (parts.some((p) => p.known && !p.value)) return { status: "does_not_hold", detail };
  if (parts.some((p) => !p.known)) return { status: "cannot_evaluate", detail };
  return { status: "holds", detail };
}

function centroidInputs(model: ComparisonReportModel): [ComparisonInput, ComparisonInput] {
  const d: readonly [number, number] = [0, Number.POSITIVE_INFINITY];
  return [
    { label: "iter_0 centroid_l2 (Config A)", cell: model.configs.A.centroid_l2, format: "f2", domain: d },
    { label: "iter_1 centroid_l2 (Config C)", cell: model.configs.C.centroid_l2, format: "f2", domain: d },
  ];
}

/** Evaluates R1–R4 (pure). One declarative table of the plan's four rules, kept together so it reads like the plan. */
export function evaluateRules(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): RuleEvaluation[] {
  const i0_inputs = iterationRateInputs(model, "iter_0");
  const i1_inputs = iterationRateInputs(model, "iter_1");
  const i0 = bestRate(i0_inputs, "miniF2F(iter_0)");
  const i1 = bestRate(i1_inputs, "miniF2F(iter_1)");
  const old = exact("old 41.7%", OLD_ITER4_LLM_EBM_RATE);
  const c_inputs = centroidInputs(model);
  const [c0, c1] = c_inputs.map(bound) as [Bound, Bound];

  const improved = diffAbove(i1, i0, t.approx_points, "miniF2F(iter_1) − miniF2F(iter_0)");
  const held = atLeast(c1, c0, "centroid_l2 iter_1 vs iter_0");
  const much_better_than_old = diffAtLeast(i0, old, t.much_better_points, "miniF2F(iter_0) − old 41.7%");
  const iter1_approx = diffWithin(i1, i0, t.approx_points, "miniF2F(iter_1) vs miniF2F(iter_0)");
  const iter0_approx_old = diffWithin(i0, old, t.approx_points, "miniF2F(iter_0) vs old 41.7%");
  const collapsed = below(c1, t.centroid_collapse, "centroid_l2 iter_1");

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
      condition: `centroid_l2 collapsed in iter_1 [iter_1 centroid_l2 < ${t.centroid_collapse.toFixed(2)}]`,
      action: "Joint training failed. Try alternating steps (even=SFT, odd=EBM) or increase λ significantly.",
      inputs: [c_inputs[1]],
      ...allOf([collapsed]),
    },
  ];
}

/** The first rule that holds; provisional (naming the deciding numbers) when an earlier rule is open. */
export function pickDecision(rules: readonly RuleEvaluation[]): Decision {
  const first = rules.findIndex((r) => r.status === "holds");
  const open = (list: readonly RuleEvaluation[]): string[] => list.filter((r) => r.status === "cannot_evaluate").map((r) => `${r.id}: ${r.detail}`);
  if (first < 0) {
    const reasons = open(rules);
    return reasons.length > 0 ? { kind: "cannot_decide", reasons } : { kind: "none_holds" };
  }
  const rule = rules[first] as RuleEvaluation;
  return {
    kind: "decided",
    rule_id: rule.id,
    action: rule.action,
    provisional_because: open(rules.slice(0, first)),
    also_holding: rules.slice(first + 1).filter((r) => r.status === "holds").map((r) => r.id),
  };
}

export function decide(model: ComparisonReportModel, thresholds: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): DecisionResult {
  const rules = evaluateRules(model, thresholds);
  return { thresholds, rules, decision: pickDecision(rules) };
}
