/**
 * Intervals of differences between configurations (pure):
 * - miniF2F: two search runs on the same theorems are paired — the difference's interval is a
 *   paired bootstrap over theorems and the test is exact McNemar on the discordant theorems;
 * - EBM metrics of two heads on the same trajectories (B and C): paired bootstrap over the common
 *   held-out theorems, from the per-theorem sums in the metrics files;
 * - anything else (A vs B: other iteration, other trajectories): independent estimates, the
 *   normal approximation from each side's bootstrap standard error.
 */
import { metricsFromAggregates, type EbmMetricKey, type TheoremAggregate } from "../metrics/ebm-metrics.js";
import { bootstrapInterval, independentDifferenceInterval, mcnemarExact, pairedDifferenceInterval, type Interval, type McNemar } from "../numeric/intervals.js";
import type { ComparisonReportModel, SearchRunId } from "./comparison-report-model.js";

export interface DifferenceStats {
  readonly delta: number;
  readonly ci: Interval;
  /** How the interval was obtained (shown under the table). */
  readonly method: "paired bootstrap over theorems" | "independent (normal approx., bootstrap SEs)";
  readonly mcnemar?: McNemar;
  readonly n_paired?: number;
}

const DEFAULT_BOOTSTRAP = { samples: 1000, seed: 0 };

/** second − first on miniF2F, paired by theorem; null when either run's outcomes are missing. */
export function minif2fDifference(model: ComparisonReportModel, first: SearchRunId, second: SearchRunId): DifferenceStats | null {
  const m = model.paired?.minif2f;
  const a = m?.proved[first];
  const b = m?.proved[second];
  if (!a || !b || a.length !== b.length || a.length === 0) return null;
  const ci = pairedDifferenceInterval(a, b, model.paired?.bootstrap ?? DEFAULT_BOOTSTRAP);
  if (!ci) return null;
  const delta = (b.filter(Boolean).length - a.filter(Boolean).length) / a.length;
  return { delta, ci: ci.interval, method: "paired bootstrap over theorems", mcnemar: mcnemarExact(a, b), n_paired: a.length };
}

/** second − first of an EBM metric, paired over the held-out theorems both heads were scored on. */
export function pairedEbmDifference(first: readonly TheoremAggregate[], second: readonly TheoremAggregate[], key: EbmMetricKey, o = DEFAULT_BOOTSTRAP): DifferenceStats | null {
  const byName = new Map(second.map((a) => [a.theorem, a]));
  const pairs = first.flatMap((a) => {
    const b = byName.get(a.theorem);
    return b ? [[a, b] as const] : [];
  });
  if (pairs.length === 0) return null;
  const xs = pairs.map(([a]) => a);
  const ys = pairs.map(([, b]) => b);
  const delta = metricsFromAggregates(ys)[key] - metricsFromAggregates(xs)[key];
  if (!Number.isFinite(delta)) return null;
  const b = bootstrapInterval(pairs.length, (s) => metricsFromAggregates(ys, s)[key] - metricsFromAggregates(xs, s)[key], { ...o, stream: `paired-ebm-${key}` });
  return b ? { delta, ci: b.interval, method: "paired bootstrap over theorems", n_paired: pairs.length } : null;
}

/** second − first for independent estimates with bootstrap standard errors. */
export function independentDifference(first: number, se_first: number, second: number, se_second: number): DifferenceStats {
  return { delta: second - first, ci: independentDifferenceInterval(second, se_second, first, se_first), method: "independent (normal approx., bootstrap SEs)" };
}
