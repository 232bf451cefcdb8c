/** answerQuestions: the plan's four comparative questions (Task 4.4), each answered by a stated rule. */
import { formatSigned, formatValue } from "./cell.js";
import {
  bestRate,
  DECISION_THRESHOLDS,
  diffPoints,
  iterationRateInputs,
  measured,
  OLD_ITER4_LLM_EBM_INPUT,
  OLD_ITER4_LLM_ONLY_INPUT,
  pct,
  points,
  type ComparisonInput,
  type DecisionThresholds,
} from "./comparison-inputs.js";
import type { ComparisonReportModel } from "./comparison-report-model.js";
import { OLD_ITER4_LLM_EBM_RATE, OLD_ITER4_LLM_ONLY_RATE } from "./baseline-report-model.js";

export type Verdict =
  | "yes"
  | "no"
  | "unclear" //      numbers present, difference inside the stated "no clear difference" band
  | "cannot_tell"; // a number it needs was not run

export interface QuestionAnswer {
  readonly id: "Q1" | "Q2" | "Q3" | "Q4";
  readonly question: string;
  readonly inputs: readonly ComparisonInput[];
  /** How the verdict is computed, with thresholds. */
  readonly rule: string;
  readonly verdict: Verdict;
  /** "yes — …", "no — …", "unclear — …" or "cannot tell — <reason>". */
  readonly answer: string;
}

function cannotTell(reasons: readonly string[]): { verdict: Verdict; answer: string } {
  return { verdict: "cannot_tell", answer: `cannot tell — ${reasons.join("; ")}` };
}

export function competitionDataQuestion(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): QuestionAnswer {
  const input: ComparisonInput = { label: "iter_0 miniF2F, LLM-only", cell: model.llm_only_rate.iter_0, format: "pct" };
  const base = {
    id: "Q1" as const,
    question: "Did competition data help?",
    inputs: [input, OLD_ITER4_LLM_ONLY_INPUT],
    rule: `yes if iter_0 LLM-only ≥ old ~35% + ${t.much_better_points} pts (significantly better); no if ≤ old + ${t.approx_points} pts; unclear in between.`,
  };
  const m = measured(input);
  if ("reason" in m) return { ...base, ...cannotTell([m.reason]) };
  const d = diffPoints(m.value, OLD_ITER4_LLM_ONLY_RATE);
  const cmp = `iter_0 LLM-only ${pct(m.value)} vs old iter_4 ~35%: ${points(m.value, OLD_ITER4_LLM_ONLY_RATE)}`;
  if (d >= t.much_better_points) return { ...base, verdict: "yes", answer: `yes — ${cmp}; the distribution-shift thesis is supported` };
  if (d <= t.approx_points) return { ...base, verdict: "no", answer: `no — ${cmp}; not significantly better than the old Mathlib-trained model` };
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; better, but by less than ${t.much_better_points} pts` };
}

export function embeddingProtectionQuestion(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): QuestionAnswer {
  const i0: ComparisonInput = { label: "iter_0 centroid_l2 (Config A)", cell: model.configs.A.centroid_l2, format: "f2" };
  const i1: ComparisonInput = { label: "iter_1 centroid_l2 (Config C)", cell: model.configs.C.centroid_l2, format: "f2" };
  const base = {
    id: "Q2" as const,
    question: "Did joint training protect embeddings?",
    inputs: [i0, i1],
    rule: "yes if iter_1 centroid_l2 ≥ iter_0 centroid_l2 (the primary success criterion); otherwise no.",
  };
  const a = measured(i0);
  const b = measured(i1);
  if ("reason" in a || "reason" in b) return { ...base, ...cannotTell([a, b].flatMap((m) => ("reason" in m ? [m.reason] : []))) };
  const cmp = `iter_1 ${formatValue(b.value, "f2")} vs iter_0 ${formatValue(a.value, "f2")} (${formatSigned(b.value - a.value, "f2")})`;
  if (b.value >= a.value) return { ...base, verdict: "yes", answer: `yes — ${cmp}; joint training prevented the collapse that destroyed iter_5` };
  const collapsed = b.value < t.centroid_collapse ? `; below the ${formatValue(t.centroid_collapse, "f2")} collapse line` : "";
  return { ...base, verdict: "no", answer: `no — ${cmp}${collapsed}` };
}

export function ebmQuestion(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): QuestionAnswer {
  const inputs: ComparisonInput[] = [
    { label: "iter_0 frozen EBM rank-1 (Config A)", cell: model.configs.A.rank1_accuracy, format: "f3" },
    { label: "iter_1 frozen EBM rank-1 (Config B)", cell: model.configs.B.rank1_accuracy, format: "f3" },
    { label: "iter_1 goal-conditioned joint EBM rank-1 (Config C)", cell: model.configs.C.rank1_accuracy, format: "f3" },
  ];
  const base = {
    id: "Q3" as const,
    question: "Did goal conditioning help the EBM?",
    inputs,
    rule: `yes if C ≥ max(A, B) + ${t.rank1_approx}; no if C ≤ max(A, B) − ${t.rank1_approx}; unclear in between (overall rank-1 accuracy).`,
  };
  const [a, b, c] = inputs.map(measured);
  if (a === undefined || b === undefined || c === undefined || "reason" in a || "reason" in b || "reason" in c) return { ...base, ...cannotTell([a, b, c].flatMap((m) => (m !== undefined && "reason" in m ? [m.reason] : []))) };
  const best_other = Math.max(a.value, b.value);
  const d = Math.round((c.value - best_other) * 1e9) / 1e9; // so a difference of exactly 0.02 counts as 0.02
  const cmp =
    `C ${formatValue(c.value, "f3")} vs B ${formatValue(b.value, "f3")} vs A ${formatValue(a.value, "f3")} ` +
    `(B−A ${formatSigned(b.value - a.value, "f3")}: joint LoRA; C−B ${formatSigned(c.value - b.value, "f3")}: live gradients)`;
  if (d >= t.rank1_approx) return { ...base, verdict: "yes", answer: `yes — ${cmp}` };
  if (d <= -t.rank1_approx) {
    return { ...base, verdict: "no", answer: `no — ${cmp}; the dual-label problem may be less severe in competition data` };
  }
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; C within ±${t.rank1_approx} of the best of A and B` };
}

export function endToEndQuestion(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): QuestionAnswer {
  const i0_inputs = iterationRateInputs(model, "iter_0");
  const i1_inputs = iterationRateInputs(model, "iter_1");
  const base = {
    id: "Q4" as const,
    question: "End-to-end: did miniF2F improve?",
    inputs: [...i1_inputs, ...i0_inputs, OLD_ITER4_LLM_EBM_INPUT],
    rule: `yes if best iter_1 config − best iter_0 config > ${t.approx_points} pts; no if < −${t.approx_points} pts; unclear (≈) otherwise. Old 41.7% shown for reference.`,
  };
  const i0 = bestRate(i0_inputs, "best iter_0 config");
  const i1 = bestRate(i1_inputs, "best iter_1 config");
  if ("reason" in i0 || "reason" in i1) return { ...base, ...cannotTell([i1, i0].flatMap((m) => ("reason" in m ? [m.reason] : []))) };
  const d = diffPoints(i1.value, i0.value);
  const cmp =
    `${i1.label} ${pct(i1.value)} vs ${i0.label} ${pct(i0.value)}: ${points(i1.value, i0.value)}; ` +
    `vs old 41.7%: ${points(i1.value, OLD_ITER4_LLM_EBM_RATE)}`;
  if (d > t.approx_points) return { ...base, verdict: "yes", answer: `yes — ${cmp}` };
  if (d < -t.approx_points) return { ...base, verdict: "no", answer: `no — ${cmp}` };
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; within ±${t.approx_points} pts (≈)` };
}

export function answerQuestions(model: ComparisonReportModel, t: DecisionThresholds = DECISION_THRESHOLDS): QuestionAnswer[] {
  return [competitionDataQuestion(model, t), embeddingProtectionQuestion(model, t), ebmQuestion(model, t), endToEndQuestion(model, t)];
}
