/**
 * ebmMetrics: plan Task 2.5 from one energy per trajectory row (row i ↔ row i; lower energy =
 * more promising), on the rows `include` selects — the held-out theorems (`compute_ebm_baselines
 * (ebm_model, val_trajectories)`); the stage also reports the training theorems, labelled
 * in-sample. Sibling groups are keyed by (run_id, theorem_name, parent_state_id). Rows with a
 * non-finite energy or an "unknown" label are left out and counted.
 *
 * Every metric is a function of per-theorem sums (`TheoremAggregate`), so the same code gives the
 * point value and its bootstrap over theorems (95 % percentile interval: sibling groups of one
 * theorem share a tree and are not independent), and the report can resample two configurations
 * of the same theorems in pairs. Chance levels are measured on the same groups. Definitions where
 * the plan is ambiguous: METRIC_GLOSSARY.
 */
import { EBM_METRIC_KEYS, type MetricsFile } from "../artifacts/schemas.js";
import { PLAN_RECIPES } from "../config/recipes.js";
import { bootstrapInterval, type Interval } from "../numeric/intervals.js";
import { contrastivePairs } from "./contrastive-pairs.js";
import { DEPTH_BUCKETS, inBucket } from "./depth-buckets.js";
import type { MetricsTable } from "./metrics-table.js";
import { siblingGroups } from "./sibling-groups.js";

export interface EbmMetricsParams {
  readonly margin: number;
  readonly hard_ratio: number;
  readonly k_negatives: number;
  readonly seed: number;
  /** Bootstrap replicates (over theorems) of each interval. */
  readonly bootstrap_samples: number;
  /** active_ratio at or above this, with the energies' spread below the margin, is reported as saturated. */
  readonly saturation_ratio: number;
}

/** The plan's values (src/config/recipes.ts). */
export const DEFAULT_EBM_METRICS_PARAMS: EbmMetricsParams = PLAN_RECIPES.ebm_metrics.recipe;

export interface EbmMetricsInput {
  readonly table: MetricsTable;
  readonly energies: ArrayLike<number>;
  /** Where the energies come from (a path), for messages. */
  readonly energies_origin?: string;
  readonly params?: Partial<EbmMetricsParams>;
  /** Rows evaluated (e.g. the held-out theorems'); every row when absent. */
  readonly include?: (row: number) => boolean;
}

/** What one theorem contributes to each metric. */
export interface TheoremAggregate {
  readonly theorem: string;
  /** Mixed sibling groups (≥ 2 usable children, both labels). */
  groups: number;
  rank1: number;
  strict: number;
  /** Σ over groups of p/k (a random scorer's rank-1) and of 1/C(k, p) (its strict order). */
  chance_rank1: number;
  chance_strict: number;
  by_bucket: Record<string, { groups: number; rank1: number; chance_rank1: number }>;
  pos_n: number;
  pos_sum: number;
  pos_sumsq: number;
  neg_n: number;
  neg_sum: number;
  neg_sumsq: number;
  pairs: number;
  active: number;
}

const notEnough = (what: string) => `not enough data: ${what}`;

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

function emptyAggregate(theorem: string): TheoremAggregate {
  const by_bucket: TheoremAggregate["by_bucket"] = {};
  for (const b of DEPTH_BUCKETS) by_bucket[b.ebm] = { groups: 0, rank1: 0, chance_rank1: 0 };
  return { theorem, groups: 0, rank1: 0, strict: 0, chance_rank1: 0, chance_strict: 0, by_bucket, pos_n: 0, pos_sum: 0, pos_sumsq: 0, neg_n: 0, neg_sum: 0, neg_sumsq: 0, pairs: 0, active: 0 };
}

/** Per-theorem sums over the usable rows (in order of first appearance). */
export function theoremAggregates(table: MetricsTable, e: ArrayLike<number>, usable: (r: number) => boolean, p: EbmMetricsParams): TheoremAggregate[] {
  const byName = new Map<string, TheoremAggregate>();
  const agg = (r: number): TheoremAggregate => {
    const key = `${table.run_id ? table.run_id[r] : ""}\u0000${table.theorem_name[r]}`;
    let a = byName.get(key);
    if (!a) byName.set(key, (a = emptyAggregate(table.theorem_name[r]!)));
    return a;
  };
  for (const rows of siblingGroups(table, usable)) {
    if (rows.length < 2) continue;
    let best = rows[0]!;
    let maxPos = -Infinity;
    let minNeg = Infinity;
    let nPos = 0;
    for (const r of rows) {
      if (e[r]! < e[best]!) best = r; // first in table order on ties, as numpy's argmin
      if (table.label[r] === "positive") {
        nPos++;
        maxPos = Math.max(maxPos, e[r]!);
      } else minNeg = Math.min(minNeg, e[r]!);
    }
    if (nPos === 0 || nPos === rows.length) continue;
    const a = agg(rows[0]!);
    const rank1 = table.label[best] === "positive" ? 1 : 0;
    const chance = nPos / rows.length;
    a.groups++;
    a.rank1 += rank1;
    a.strict += maxPos < minNeg ? 1 : 0;
    a.chance_rank1 += chance;
    a.chance_strict += 1 / binomial(rows.length, nPos);
    // siblings share a depth; a group belongs to the band of its children's depth
    for (const b of DEPTH_BUCKETS) {
      if (!inBucket(b, table.depth_from_root[rows[0]!]!)) continue;
      const x = a.by_bucket[b.ebm]!;
      x.groups++;
      x.rank1 += rank1;
      x.chance_rank1 += chance;
    }
  }
  for (let r = 0; r < table.n_rows; r++) {
    if (!usable(r)) continue;
    const a = agg(r);
    const v = e[r]!;
    if (table.label[r] === "positive") {
      a.pos_n++;
      a.pos_sum += v;
      a.pos_sumsq += v * v;
    } else {
      a.neg_n++;
      a.neg_sum += v;
      a.neg_sumsq += v * v;
    }
  }
  const pairs = contrastivePairs(table, usable, { hard_ratio: p.hard_ratio, k_negatives: p.k_negatives, seed: p.seed });
  for (let i = 0; i < pairs.positive.length; i++) {
    const a = agg(pairs.positive[i]!);
    a.pairs++;
    if (e[pairs.negative[i]!]! - e[pairs.positive[i]!]! < p.margin) a.active++;
  }
  return [...byName.values()];
}

export type EbmMetricKey = (typeof EBM_METRIC_KEYS)[number];

/** Each metric (NaN where undefined) from a multiset of theorem aggregates: `idx` picks them, with repetition. */
export function metricsFromAggregates(aggs: readonly TheoremAggregate[], idx?: ArrayLike<number>): Record<EbmMetricKey, number> {
  const s = { groups: 0, rank1: 0, strict: 0, pos_n: 0, pos_sum: 0, pos_sumsq: 0, neg_n: 0, neg_sum: 0, neg_sumsq: 0, pairs: 0, active: 0 };
  const bucket: Record<string, { groups: number; rank1: number }> = {};
  for (const b of DEPTH_BUCKETS) bucket[b.ebm] = { groups: 0, rank1: 0 };
  const n = idx === undefined ? aggs.length : idx.length;
  for (let j = 0; j < n; j++) {
    const a = aggs[idx === undefined ? j : idx[j]!]!;
    s.groups += a.groups;
    s.rank1 += a.rank1;
    s.strict += a.strict;
    s.pos_n += a.pos_n;
    s.pos_sum += a.pos_sum;
    s.pos_sumsq += a.pos_sumsq;
    s.neg_n += a.neg_n;
    s.neg_sum += a.neg_sum;
    s.neg_sumsq += a.neg_sumsq;
    s.pairs += a.pairs;
    s.active += a.active;
    for (const b of DEPTH_BUCKETS) {
      bucket[b.ebm]!.groups += a.by_bucket[b.ebm]!.groups;
      bucket[b.ebm]!.rank1 += a.by_bucket[b.ebm]!.rank1;
    }
  }
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const std = (sum: number, sumsq: number, k: number) => (k > 0 ? Math.sqrt(Math.max(0, sumsq / k - (sum / k) ** 2)) : Number.NaN); // ddof 0, numpy's default
  return {
    rank1_accuracy: ratio(s.rank1, s.groups),
    rank1_d0_1: ratio(bucket["d0_1"]!.rank1, bucket["d0_1"]!.groups),
    rank1_d2_3: ratio(bucket["d2_3"]!.rank1, bucket["d2_3"]!.groups),
    "rank1_d4+": ratio(bucket["d4+"]!.rank1, bucket["d4+"]!.groups),
    energy_gap: s.pos_n > 0 && s.neg_n > 0 ? s.neg_sum / s.neg_n - s.pos_sum / s.pos_n : Number.NaN,
    energy_std_pos: std(s.pos_sum, s.pos_sumsq, s.pos_n),
    energy_std_neg: std(s.neg_sum, s.neg_sumsq, s.neg_n),
    sibling_discrimination: ratio(s.strict, s.groups),
    active_ratio: ratio(s.active, s.pairs),
  };
}

/** Chance level of each rank-like metric on the same groups (what a random scorer gets in expectation). */
function chanceLevels(aggs: readonly TheoremAggregate[]): Record<string, number> {
  const sum = (f: (a: TheoremAggregate) => number) => aggs.reduce((s, a) => s + f(a), 0);
  const out: Record<string, number> = {};
  const groups = sum((a) => a.groups);
  if (groups > 0) {
    out["rank1_accuracy"] = sum((a) => a.chance_rank1) / groups;
    out["sibling_discrimination"] = sum((a) => a.chance_strict) / groups;
  }
  for (const b of DEPTH_BUCKETS) {
    const g = sum((a) => a.by_bucket[b.ebm]!.groups);
    if (g > 0) out[`rank1_${b.ebm}`] = sum((a) => a.by_bucket[b.ebm]!.chance_rank1) / g;
  }
  return out;
}

export function ebmMetrics(input: EbmMetricsInput): MetricsFile {
  const p: EbmMetricsParams = { ...DEFAULT_EBM_METRICS_PARAMS, ...input.params };
  const { table, energies: e } = input;
  const include = input.include ?? (() => true);
  const origin = input.energies_origin ?? "energies";
  if (e.length !== table.n_rows) throw new Error(`row-count mismatch: table ${table.origin} has ${table.n_rows} rows, ${origin} has ${e.length} energies (row i of the energies must be row i of the table)`);
  let nonFinite = 0;
  let terminal = 0;
  let unknown = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < table.n_rows; r++) {
    if (!include(r)) continue;
    // Terminal nodes (no state text) carry the scorer's dedicated energy −∞: expected, not an alarm.
    if (e[r] === -Infinity && table.state_pp[r] === "") terminal++;
    else if (!Number.isFinite(e[r]!)) nonFinite++;
    else if (table.label[r] === "unknown") unknown++;
    else {
      lo = Math.min(lo, e[r]!);
      hi = Math.max(hi, e[r]!);
    }
  }
  const usable = (r: number) => include(r) && Number.isFinite(e[r]!) && table.label[r] !== "unknown";
  const notes: string[] = [];
  if (nonFinite > 0) notes.push(`ALARM: ${nonFinite} row(s) of ${origin} have a NaN/Inf energy; left out of every metric`);
  if (terminal > 0) notes.push(`${terminal} terminal row(s) (no state text, dedicated energy −∞) left out`);
  if (unknown > 0) notes.push(`${unknown} row(s) labelled unknown left out`);

  const aggs = theoremAggregates(table, e, usable, p);
  const point = metricsFromAggregates(aggs);
  const groups = aggs.reduce((s, a) => s + a.groups, 0);
  const pos = aggs.reduce((s, a) => s + a.pos_n, 0);
  const neg = aggs.reduce((s, a) => s + a.neg_n, 0);
  const pairs = aggs.reduce((s, a) => s + a.pairs, 0);
  const byBucket: Record<string, number> = {};
  for (const b of DEPTH_BUCKETS) byBucket[b.ebm] = aggs.reduce((s, a) => s + a.by_bucket[b.ebm]!.groups, 0);
  const reasons: Record<EbmMetricKey, string> = {
    rank1_accuracy: notEnough("0 parents with ≥ 2 children of both labels"),
    sibling_discrimination: notEnough("0 parents with ≥ 2 children of both labels"),
    rank1_d0_1: notEnough("0 mixed sibling groups at depth 0–1"),
    rank1_d2_3: notEnough("0 mixed sibling groups at depth 2–3"),
    "rank1_d4+": notEnough("0 mixed sibling groups at depth 4+"),
    energy_gap: notEnough(`n_positive=${pos}, n_negative=${neg} rows with a finite energy`),
    energy_std_pos: notEnough(`n_positive=${pos} rows with a finite energy`),
    energy_std_neg: notEnough(`n_negative=${neg} rows with a finite energy`),
    active_ratio: notEnough("0 contrastive pairs (no positive non-root row with a negative to pair)"),
  };
  const values: Record<string, number> = {};
  const not_computed: Record<string, string> = {};
  for (const k of EBM_METRIC_KEYS) {
    if (Number.isFinite(point[k])) values[k] = point[k];
    else not_computed[k] = reasons[k];
  }
  const ci95: Record<string, Interval> = {};
  const se: Record<string, number> = {};
  for (const k of EBM_METRIC_KEYS) {
    if (!(k in values)) continue;
    const b = bootstrapInterval(aggs.length, (s) => metricsFromAggregates(aggs, s)[k], { samples: p.bootstrap_samples, seed: p.seed, stream: `ebm-${k}` });
    if (b) {
      ci95[k] = b.interval;
      se[k] = b.se;
    }
  }
  const active = values["active_ratio"];
  if (active !== undefined && active >= p.saturation_ratio && hi - lo < p.margin) {
    notes.push(
      `active_ratio ${active.toFixed(3)} is saturated: the usable energies span [${lo.toFixed(2)}, ${hi.toFixed(2)}] (width ${(hi - lo).toFixed(2)}), narrower than the margin ${p.margin}, ` +
        "so every pair is active whatever the ranking; it measures the energy scale, not the signal (read energy_gap and rank-1)",
    );
  }
  const ordered: Record<string, number> = {};
  for (const k of EBM_METRIC_KEYS) if (k in values) ordered[k] = values[k]!;
  return {
    kind: "ebm_metrics",
    values: ordered,
    not_computed,
    details: {
      n_rows: table.n_rows,
      rows: { positive: pos, negative: neg, non_finite_energy: nonFinite, unknown_label: unknown, terminal },
      notes,
      theorems: aggs.length,
      mixed_sibling_groups: groups,
      mixed_sibling_groups_by_depth: byBucket,
      contrastive_pairs: pairs,
      energy_range: Number.isFinite(lo) ? [lo, hi] : null,
      chance: chanceLevels(aggs),
      ci95,
      bootstrap_se: se,
      per_theorem: aggs,
      params: p,
    },
  };
}
