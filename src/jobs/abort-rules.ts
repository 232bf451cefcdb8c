/**
 * Abort rules as data, and a pure monitor that evaluates them on a job's metric stream.
 *
 * Semantics (one rule, one metric name; `metric: "*"` applies the rule to every metric):
 * - the condition is `value <op> threshold` for comparison ops (false for NaN), `!isFinite(value)`
 *   for "non_finite", and "within a relative 1e-6 of either bound" for "at_bound";
 * - `after_step: s` ignores observations with step <= s (so "after step 2000" = step > 2000);
 * - without `for_steps` the rule fires on the first observation meeting the condition; with
 *   `for_steps: k` it fires when the condition has held on every observation from step s0 to a
 *   step >= s0 + k (an observation where it fails restarts the count);
 * - each (rule, metric) pair fires at most once.
 */
import type { JobEvent, MetricEvent } from "./events.js";

export type AbortOp = "<" | "<=" | ">" | ">=" | "non_finite" | "at_bound";

export interface AbortRule {
  /** Stable identifier, named in errors and reports. */
  readonly id: string;
  /** Metric name, or "*" for every metric. */
  readonly metric: string | "*";
  readonly op: AbortOp;
  /** Required by the comparison ops. */
  readonly threshold?: number;
  /** Required by "at_bound": [floor, ceiling]. */
  readonly bounds?: readonly [number, number];
  /** Only steps strictly greater than this are considered. */
  readonly after_step?: number;
  /** The condition must hold continuously for at least this many steps. */
  readonly for_steps?: number;
  /** What went wrong, in the plan's words. */
  readonly message: string;
  /** What to do about it, in the plan's words. */
  readonly remedy: string;
}

export interface AbortFiring {
  readonly rule: AbortRule;
  /** The metric that triggered the rule (differs from rule.metric for "*" rules). */
  readonly metric: string;
  readonly step: number;
  readonly value: number;
  /** Names rule id, metric, value, step, the condition and the remedy. */
  readonly message: string;
}

/** Relative tolerance of "at_bound": |value - bound| <= AT_BOUND_REL_TOL * |bound|. */
export const AT_BOUND_REL_TOL = 1e-6;

/** The abort conditions of the plan's Task 4.1 (joint training of iter_1). Steps are optimizer steps. */
export const TASK_4_1_ABORT_RULES: readonly AbortRule[] = deepFreeze([
  {
    id: "centroid_l2_below_3",
    metric: "centroid_l2",
    op: "<",
    threshold: 3.0,
    message: "centroid_l2 < 3.0 at an eval (positive/negative embedding centroids collapsing)",
    remedy: "increase λ to 0.3, restart from checkpoint",
  },
  {
    id: "sft_loss_above_0.5_after_2000",
    metric: "sft_loss",
    op: ">",
    threshold: 0.5,
    after_step: 2000,
    message: "SFT loss > 0.5 after step 2000",
    remedy: "decrease λ to 0.03, restart",
  },
  {
    id: "ebm_rank1_below_0.25_after_2000",
    metric: "ebm_rank1",
    op: "<",
    threshold: 0.25,
    after_step: 2000,
    message: "EBM rank-1 < 0.25 after step 2000",
    remedy: "check data pipeline",
  },
  {
    id: "temperature_at_bound_500_steps",
    metric: "temperature",
    op: "at_bound",
    bounds: [0.1, 10.0],
    for_steps: 500,
    message: "temperature at its 0.1 floor or 10.0 ceiling for 500+ steps",
    remedy: "debug energy scale",
  },
  {
    id: "non_finite_metric",
    metric: "*",
    op: "non_finite",
    message: "a metric is NaN or infinite",
    remedy: "check gradient clipping, temperature clamp",
  },
]);

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Throws naming the rule when it lacks what its op needs. */
export function validateAbortRule(rule: AbortRule): void {
  const bad = (why: string): never => {
    throw new Error(`abort rule '${rule.id}': ${why} (rule: ${JSON.stringify(rule)})`);
  };
  if (!rule.id) bad("empty id");
  if (!rule.metric) bad("empty metric");
  switch (rule.op) {
    case "<": case "<=": case ">": case ">=":
      if (typeof rule.threshold !== "number" || !Number.isFinite(rule.threshold)) bad(`op '${rule.op}' needs a finite threshold`);
      break;
    case "at_bound":
      if (!rule.bounds || rule.bounds.length !== 2 || !rule.bounds.every(Number.isFinite)) bad("op 'at_bound' needs bounds [floor, ceiling]");
      break;
    case "non_finite":
      break;
    default:
      bad(`unknown op ${JSON.stringify(rule.op)}`);
  }
  if (rule.for_steps !== undefined && !(rule.for_steps >= 0)) bad("for_steps must be >= 0");
}

function atBound(value: number, bounds: readonly [number, number]): boolean {
  return bounds.some((b) => Math.abs(value - b) <= AT_BOUND_REL_TOL * Math.abs(b));
}

function conditionHolds(rule: AbortRule, value: number): boolean {
  const th = rule.threshold ?? Number.NaN;
  switch (rule.op) {
    case "<": return value < th;
    case "<=": return value <= th;
    case ">": return value > th;
    case ">=": return value >= th;
    case "non_finite": return !Number.isFinite(value);
    case "at_bound": return rule.bounds !== undefined && atBound(value, rule.bounds);
  }
}

/** Human-readable condition, e.g. "> 0.5 after step 2000". */
export function describeAbortCondition(rule: AbortRule): string {
  let cond: string;
  if (rule.op === "non_finite") cond = "non-finite";
  else if (rule.op === "at_bound") cond = `at bound ${rule.bounds?.[0]} or ${rule.bounds?.[1]}`;
  else cond = `${rule.op} ${rule.threshold}`;
  if (rule.after_step !== undefined) cond += ` after step ${rule.after_step}`;
  if (rule.for_steps !== undefined) cond += ` for ${rule.for_steps}+ steps`;
  return cond;
}

function firingMessage(rule: AbortRule, metric: string, step: number, value: number, since?: number): string {
  const held = since !== undefined && rule.for_steps !== undefined ? ` since step ${since}` : "";
  return `abort rule '${rule.id}' fired at step ${step}: ${metric} = ${value}${held} (${describeAbortCondition(rule)}): ${rule.message}. Remedy: ${rule.remedy}`;
}

/** Evaluates abort rules on a stream of metric events. Pure apart from its own state. */
export class AbortMonitor {
  readonly rules: readonly AbortRule[];
  /** key rule-index + metric → step where the condition started holding */
  private readonly since = new Map<string, number>();
  private readonly fired = new Set<string>();

  constructor(rules: readonly AbortRule[]) {
    const ids = new Set<string>();
    for (const rule of rules) {
      validateAbortRule(rule);
      if (ids.has(rule.id)) throw new Error(`abort rules: duplicate id '${rule.id}'`);
      ids.add(rule.id);
    }
    this.rules = rules;
  }

  /** The first rule this event makes fire, or null. */
  observe(e: MetricEvent): AbortFiring | null {
    return this.observeAll(e)[0] ?? null;
  }

  /** Every rule this event makes fire (in rule order). */
  observeAll(e: MetricEvent): AbortFiring[] {
    const firings: AbortFiring[] = [];
    this.rules.forEach((rule, i) => {
      if (rule.metric !== "*" && rule.metric !== e.name) return;
      const key = `${i}\u0000${e.name}`;
      if (this.fired.has(key)) return;
      const eligible = rule.after_step === undefined || e.step > rule.after_step;
      if (!eligible || !conditionHolds(rule, e.value)) {
        this.since.delete(key);
        return;
      }
      let start: number | undefined;
      if (rule.for_steps !== undefined) {
        const prev = this.since.get(key);
        start = prev === undefined || e.step < prev ? e.step : prev;
        this.since.set(key, start);
        if (e.step - start < rule.for_steps) return;
      }
      this.fired.add(key);
      firings.push({ rule, metric: e.name, step: e.step, value: e.value, message: firingMessage(rule, e.name, e.step, e.value, start) });
    });
    return firings;
  }
}

/** Every firing of `rules` over a recorded event log (e.g. a job's events.jsonl). */
/**
 * Whether `rule` could have fired on this stream: the metric events it looks at (its metric, or
 * every metric for "*"; only steps after `after_step`). A rule that saw none held by default, not
 * on evidence; reports must say "not evaluated", not "did not fire".
 */
export function ruleCoverage(events: Iterable<JobEvent>, rule: AbortRule): { readonly n_observed: number; readonly why_not: string | null } {
  let n = 0;
  let named = 0;
  let lastStep = Number.NEGATIVE_INFINITY;
  let [first, last] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]; // steps of the events it looks at
  for (const e of events) {
    if (e.event !== "metric") continue;
    lastStep = Math.max(lastStep, e.step ?? Number.NEGATIVE_INFINITY);
    if (rule.metric !== "*" && e.name !== rule.metric) continue;
    named++;
    if (rule.after_step === undefined || (e.step ?? Number.NEGATIVE_INFINITY) > rule.after_step) {
      n++;
      if (e.step !== undefined) [first, last] = [Math.min(first, e.step), Math.max(last, e.step)];
    }
  }
  const what = rule.metric === "*" ? "metric" : rule.metric;
  if (n > 0 && rule.for_steps !== undefined && !(last - first >= rule.for_steps)) {
    return { n_observed: n, why_not: `its ${what} events span ${Number.isFinite(last - first) ? last - first : 0} steps, fewer than the ${rule.for_steps} the condition must hold for` };
  }
  if (n > 0) return { n_observed: n, why_not: null };
  if (named === 0) return { n_observed: 0, why_not: `no ${what} events in the stream` };
  const end = Number.isFinite(lastStep) ? `the stream ends at step ${lastStep}` : "the events carry no step";
  return { n_observed: 0, why_not: `no ${what} events after step ${rule.after_step} (${end})` };
}

export function replayAbortRules(events: Iterable<JobEvent>, rules: readonly AbortRule[]): AbortFiring[] {
  const monitor = new AbortMonitor(rules);
  const firings: AbortFiring[] = [];
  for (const e of events) if (e.event === "metric") firings.push(...monitor.observeAll(e));
  return firings;
}
