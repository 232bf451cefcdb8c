/**
 * tracing_report.json (plan Task 0.4–0.5): counts per failure category, the seed batch's failure
 * rate against the stop threshold, per-source counts and a few examples per category. Pure: a
 * function of the outcomes. Follows the metrics-file shape (kind / values / not_computed / details).
 */
import { TRACE_FAILURES, type TraceBatch, type TraceFailure, type TraceOutcome } from "./trace-outcome.js";

/**
 * - complete: every theorem was traced or failed with a reason;
 * - seed_complete: the seed batch is done and passed; the remainder has not run (yet);
 * - stopped_seed_failure_rate: the seed batch failed more often than allowed; the remainder did not run.
 */
export type TracingStatus = "complete" | "seed_complete" | "stopped_seed_failure_rate";

export interface BatchSummary {
  readonly theorems: number;
  readonly ok: number;
  readonly failed: number;
  readonly pairs: number;
  /** failed / theorems; null when the batch is empty. */
  readonly failure_rate: number | null;
  readonly categories: Record<TraceFailure, number>;
}

export interface TracingReport {
  readonly kind: "tracing_report";
  readonly values: Record<string, number>;
  readonly not_computed: Record<string, string>;
  readonly details: {
    readonly status: TracingStatus;
    readonly max_seed_failure_rate: number;
    readonly all: BatchSummary;
    readonly seed: BatchSummary;
    readonly rest: BatchSummary;
    readonly by_source: Record<string, BatchSummary>;
    /** Up to 5 theorems per failure category, with the reason. */
    readonly examples: Partial<Record<TraceFailure, Array<{ name: string; detail: string }>>>;
    readonly run: Record<string, unknown>;
  };
}

function emptyCategories(): Record<TraceFailure, number> {
  return Object.fromEntries(TRACE_FAILURES.map((c) => [c, 0])) as Record<TraceFailure, number>;
}

export function summarize(outcomes: Iterable<TraceOutcome>): BatchSummary {
  const categories = emptyCategories();
  let theorems = 0;
  let ok = 0;
  let pairs = 0;
  for (const o of outcomes) {
    theorems++;
    if (o.status === "ok") {
      ok++;
      pairs += o.pairs.length;
    } else categories[o.category]++;
  }
  return { theorems, ok, failed: theorems - ok, pairs, failure_rate: theorems ? (theorems - ok) / theorems : null, categories };
}

export function buildTracingReport(
  outcomes: readonly TraceOutcome[],
  opts: { status: TracingStatus; max_seed_failure_rate: number; run: Record<string, unknown> },
): TracingReport {
  const inBatch = (b: TraceBatch) => outcomes.filter((o) => o.batch === b);
  const all = summarize(outcomes);
  const seed = summarize(inBatch("seed"));
  const rest = summarize(inBatch("rest"));
  const by_source: Record<string, BatchSummary> = {};
  for (const s of [...new Set(outcomes.map((o) => o.source))].sort()) by_source[s] = summarize(outcomes.filter((o) => o.source === s));
  const examples: TracingReport["details"]["examples"] = {};
  for (const o of outcomes) {
    if (o.status !== "failed") continue;
    const list = (examples[o.category] ??= []);
    if (list.length < 5) list.push({ name: o.name, detail: o.detail.slice(0, 200) });
  }
  const values: Record<string, number> = { theorems: all.theorems, traced_ok: all.ok, failed: all.failed, pairs: all.pairs, seed_theorems: seed.theorems };
  const not_computed: Record<string, string> = {};
  if (all.failure_rate !== null) values["failure_rate"] = all.failure_rate;
  else not_computed["failure_rate"] = "no theorem traced";
  if (seed.failure_rate !== null) values["seed_failure_rate"] = seed.failure_rate;
  else not_computed["seed_failure_rate"] = "empty seed batch";
  return { kind: "tracing_report", values, not_computed, details: { status: opts.status, max_seed_failure_rate: opts.max_seed_failure_rate, all, seed, rest, by_source, examples, run: opts.run } };
}

/** What became of the seed batch's pairs: the file they are in, or that none was written and why. */
export function seedPairsNote(seed: Pick<BatchSummary, "ok" | "theorems" | "pairs">, seed_pairs: string | null): string {
  if (seed_pairs !== null && seed.pairs > 0) return `the seed batch's ${seed.pairs} pairs (from ${seed.ok} traced theorem(s)) are in ${seed_pairs}`;
  return seed.ok === 0
    ? `no seed pairs file was written: none of the ${seed.theorems} seed theorem(s) traced`
    : `no seed pairs file was written: the ${seed.ok} traced seed theorem(s) gave no pair`;
}

/** The message shown when the seed batch fails too often (plan: STOP and debug the Lean version). */
export function seedStopMessage(seed: BatchSummary, max_rate: number, report_path: string, seed_pairs: string | null = null): string {
  const cats = Object.entries(seed.categories)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(", ");
  return (
    `tracing stopped after the seed batch: ${seed.failed} of ${seed.theorems} seed theorems failed ` +
    `(${(100 * (seed.failure_rate ?? 0)).toFixed(1)} % > ${(100 * max_rate).toFixed(0)} %): ${cats}. ` +
    `The plan's diagnosis: a Lean/Mathlib version mismatch between the dataset and the REPL's project ` +
    `(run 'burnqed lean audit'), or a header that does not import. Examples and counts: ${report_path}. ` +
    `${seedPairsNote(seed, seed_pairs).replace(/^./, (c) => c.toUpperCase())}. To trace the remainder anyway, raise --max-seed-failure-rate.`
  );
}
