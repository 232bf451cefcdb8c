/**
 * Intervals and tests the reports attach to their numbers (pure):
 * - `wilson`: the Wilson score interval of a proportion (better than the normal one near 0 and 1
 *   and for small n — miniF2F's 244 theorems, a probe's accuracy);
 * - `bootstrapInterval`: percentile bootstrap over clusters (theorems) for grouped metrics whose
 *   units are not independent (sibling groups of one theorem share a tree);
 * - `mcnemarExact`: the exact two-sided McNemar test for two configurations run on the same items;
 * - `pairedDifferenceInterval`: the bootstrap interval of a difference of two paired proportions.
 */
import { Prng } from "./prng.js";

export type Interval = readonly [lo: number, hi: number];

/** 95 % by default (z = 1.959964). n = 0 gives [0, 1]. */
export function wilson(k: number, n: number, z = 1.959964): Interval {
  if (!(n >= 0) || k < 0 || k > n) throw new Error(`wilson: need 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Value of the `q` quantile (linear interpolation, numpy's default) of sorted values. */
function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Percentile interval and standard deviation of bootstrap replicates (non-finite ones skipped). */
export function summarizeReplicates(replicates: readonly number[], level = 0.95, min_valid = replicates.length / 2): BootstrapResult | null {
  const values = replicates.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (values.length === 0 || values.length < min_valid) return null;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const se = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return { interval: [quantileSorted(values, (1 - level) / 2), quantileSorted(values, 1 - (1 - level) / 2)], se, n_valid: values.length };
}

export interface BootstrapResult {
  readonly interval: Interval;
  /** Standard deviation of the bootstrap replicates (for combining independent intervals). */
  readonly se: number;
  /** Replicates where the statistic was defined. */
  readonly n_valid: number;
}

/**
 * Percentile bootstrap: `stat(indices)` is the statistic on a resample of cluster indices
 * (with repetition); replicates where it is undefined (NaN: e.g. no mixed group drawn) are skipped.
 * Null when fewer than half of the replicates are defined.
 */
export function bootstrapInterval(n_clusters: number, stat: (sample: Int32Array) => number, o: { samples: number; seed: number; level?: number; stream?: string }): BootstrapResult | null {
  if (n_clusters === 0) return null;
  const values: number[] = [];
  for (const sample of bootstrapSamples(n_clusters, o)) values.push(stat(sample));
  return summarizeReplicates(values, o.level ?? 0.95);
}

/** The resamples of cluster indices (with repetition), seeded; the array is reused between yields. */
export function* bootstrapSamples(n_clusters: number, o: { samples: number; seed: number; stream?: string }): Generator<Int32Array> {
  const rng = Prng.stream(o.seed, o.stream ?? "bootstrap");
  const sample = new Int32Array(n_clusters);
  for (let b = 0; b < o.samples; b++) {
    for (let i = 0; i < n_clusters; i++) sample[i] = Math.floor(rng.next() * n_clusters);
    yield sample;
  }
}

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

export interface McNemar {
  /** Items the first configuration proved and the second did not. */
  readonly only_first: number;
  /** Items the second proved and the first did not. */
  readonly only_second: number;
  /** Exact two-sided p-value: P(X ≤ min(b, c)) · 2 under Binomial(b + c, 1/2), capped at 1. */
  readonly p_value: number;
}

export function mcnemarExact(first: readonly boolean[], second: readonly boolean[]): McNemar {
  if (first.length !== second.length) throw new Error(`mcnemarExact: ${first.length} vs ${second.length} paired outcomes`);
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] && !second[i]) b++;
    else if (!first[i] && second[i]) c++;
  }
  const n = b + c;
  if (n === 0) return { only_first: 0, only_second: 0, p_value: 1 };
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { only_first: b, only_second: c, p_value: Math.min(1, 2 * tail) };
}

/** Bootstrap interval of mean(second) − mean(first) over items resampled in pairs. */
export function pairedDifferenceInterval(first: readonly boolean[], second: readonly boolean[], o: { samples: number; seed: number }): BootstrapResult | null {
  if (first.length !== second.length) throw new Error(`pairedDifferenceInterval: ${first.length} vs ${second.length} paired outcomes`);
  const d = first.map((f, i) => (second[i] ? 1 : 0) - (f ? 1 : 0));
  return bootstrapInterval(d.length, (s) => {
    let sum = 0;
    for (const i of s) sum += d[i]!;
    return sum / s.length;
  }, { ...o, stream: "paired-difference" });
}

/** Interval of a − b for independent estimates with bootstrap standard errors (normal approximation). */
export function independentDifferenceInterval(a: number, se_a: number, b: number, se_b: number, z = 1.959964): Interval {
  const d = a - b;
  const half = z * Math.sqrt(se_a * se_a + se_b * se_b);
  return [d - half, d + half];
}
