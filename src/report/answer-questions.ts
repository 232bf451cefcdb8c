/** answerQuestions: the plan's four comparative questions (Task 4.4), each answered by a stated rule. */
import { formatCell, formatSigned, formatValue } from "./cell.js";
import { formatSignedInterval } from "./cell.js";
import { minif2fDifference } from "./paired-stats.js";
import {
  bestRate,
  bound,
  boundText,
  DECISION_THRESHOLDS,
  diffPoints,
  iterationRateInputs,
  measured,
  OLD_ITER4_LLM_EBM_INPUT,
  OLD_ITER4_LLM_ONLY_INPUT,
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

export function competitionDataQuestion(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): QuestionAnswer {
  const input: ComparisonInput = { label: "iter_0 miniF2F, LLM-only", cell: model.llm_only_rate.iter_0, format: "pct" };
  const base = {
    id: "Q1" as const,
    question: "Did competition data help?",
    inputs: [input, OLD_ITER4_LLM_ONLY_INPUT],
    rule: `yes if iter_0 LLM-only ≥ old ~35% + ${t.much_better_points} pts; no if ≤ old + ${t.approx_points} pts; unclear in between (both margins are lab choices; the old number is quoted without an interval).`,
  };
  const m = measured(input);
  if ("reason" in m) return { ...base, ...cannotTell([m.reason]) };
  const d = diffPoints(m.value, OLD_ITER4_LLM_ONLY_RATE);
  const cmp = `iter_0 LLM-only ${formatCell(input.cell, "pct")} vs old iter_4 ~35% (quoted, no interval): ${points(m.value, OLD_ITER4_LLM_ONLY_RATE)}`;
  if (d >= t.much_better_points) return { ...base, verdict: "yes", answer: `yes — ${cmp}; the distribution-shift thesis is supported` };
  if (d <= t.approx_points) return { ...base, verdict: "no", answer: `no — ${cmp}; not significantly better than the old Mathlib-trained model` };
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; better, but by less than ${t.much_better_points} pts` };
}

export function embeddingProtectionQuestion(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): QuestionAnswer {
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

export function ebmQuestion(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): QuestionAnswer {
  const inputs: ComparisonInput[] = [
    { label: "iter_0 frozen EBM rank-1 (Config A)", cell: model.configs.A.rank1_accuracy, format: "f3" },
    { label: "iter_1 frozen EBM rank-1 (Config B)", cell: model.configs.B.rank1_accuracy, format: "f3" },
    { label: "iter_1 goal-conditioned joint EBM rank-1 (Config C)", cell: model.configs.C.rank1_accuracy, format: "f3" },
  ];
  const base = {
    id: "Q3" as const,
    question: "Did goal conditioning help the EBM?",
    inputs,
    rule: `yes if C ≥ max(A, B) + ${t.rank1_approx}; no if C ≤ max(A, B) − ${t.rank1_approx}; unclear in between (overall rank-1 accuracy on held-out theorems; ±${t.rank1_approx} is a lab choice).`,
  };
  const [a, b, c] = inputs.map(bound) as [ReturnType<typeof bound>, ReturnType<typeof bound>, ReturnType<typeof bound>];
  // C − max(A, B) as a range: max(A, B) lies in [max(lo), max(hi)]
  const mLo = Math.max(a.lo, b.lo);
  const mHi = Math.max(a.hi, b.hi);
  const dLo = Math.round((c.lo - mHi) * 1e9) / 1e9; // so a difference of exactly 0.02 counts as 0.02
  const dHi = Math.round((c.hi - mLo) * 1e9) / 1e9;
  const f3 = (x: ReturnType<typeof bound>) => boundText(x, "f3");
  const cmp = `C ${f3(c)} vs B ${f3(b)} vs A ${f3(a)}` + (a.value !== null && b.value !== null && c.value !== null ? ` (B−A ${formatSigned(b.value - a.value, "f3")}: joint LoRA; C−B ${formatSigned(c.value - b.value, "f3")}: live gradients)` : "");
  const missing = [a, b, c].flatMap((x) => x.missing);
  const settled = missing.length > 0 ? " — settled whatever the missing number is" : "";
  if (dLo >= t.rank1_approx) return { ...base, verdict: "yes", answer: `yes — ${cmp}${settled}` };
  if (dHi <= -t.rank1_approx) return { ...base, verdict: "no", answer: `no — ${cmp}; the dual-label problem may be less severe in competition data${settled}` };
  if (missing.length > 0) return { ...base, ...cannotTell([`${cmp}; decided by ${missing.join("; ")}`]) };
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; C within ±${t.rank1_approx} of the best of A and B` };
}

export function endToEndQuestion(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): QuestionAnswer {
  const i0_inputs = iterationRateInputs(model, "iter_0");
  const i1_inputs = iterationRateInputs(model, "iter_1");
  const base = {
    id: "Q4" as const,
    question: "End-to-end: did miniF2F improve?",
    inputs: [...i1_inputs, ...i0_inputs, OLD_ITER4_LLM_EBM_INPUT],
    rule: `yes if best iter_1 config − best iter_0 config > ${t.approx_points} pts; no if < −${t.approx_points} pts; unclear (≈) otherwise (±${t.approx_points} pts is a lab choice). A config that did not run can only raise its iteration's best. Old 41.7% shown for reference.`,
  };
  const i0 = bestRate(i0_inputs, "best iter_0 config");
  const i1 = bestRate(i1_inputs, "best iter_1 config");
  const lo = Math.round((i1.lo - i0.hi) * 100 * 1e6) / 1e6;
  const hi = Math.round((i1.hi - i0.lo) * 100 * 1e6) / 1e6;
  const range = lo === hi ? `${lo > 0 ? "+" : ""}${lo.toFixed(1)} pts` : `between ${lo.toFixed(1)} and ${hi.toFixed(1)} pts`;
  const paired = i0.run && i1.run ? minif2fDifference(model, i0.run, i1.run) : null;
  const sig = paired
    ? `; paired 95% interval ${formatSignedInterval(paired.ci, "pct")}, McNemar p = ${paired.mcnemar!.p_value.toFixed(3)} on ${paired.n_paired} theorems${paired.ci[0] <= 0 && paired.ci[1] >= 0 ? " (the interval includes 0: not significant)" : ""}`
    : "";
  const cmp = `${i1.label} ${boundText(i1, "pct")} vs ${i0.label} ${boundText(i0, "pct")}: ${range}${sig}; vs old 41.7%: ${i1.value !== null ? points(i1.value, OLD_ITER4_LLM_EBM_RATE) : `≥ ${points(i1.lo, OLD_ITER4_LLM_EBM_RATE)}`}`;
  const missing = [...i1.missing, ...i0.missing];
  const settled = missing.length > 0 ? " — settled whatever the missing configs score" : "";
  if (lo > t.approx_points) return { ...base, verdict: "yes", answer: `yes — ${cmp}${settled}` };
  if (hi < -t.approx_points) return { ...base, verdict: "no", answer: `no — ${cmp}${settled}` };
  if (missing.length > 0) return { ...base, ...cannotTell([`${cmp}; decided by ${missing.join("; ")}`]) };
  return { ...base, verdict: "unclear", answer: `unclear — ${cmp}; within ±${t.approx_points} pts (≈)` };
}

export function answerQuestions(model: ComparisonReportModel, t: DecisionThresholds = model.thresholds ?? DECISION_THRESHOLDS): QuestionAnswer[] {
  return [competitionDataQuestion(model, t), embeddingProtectionQuestion(model, t), ebmQuestion(model, t), endToEndQuestion(model, t)];
}
