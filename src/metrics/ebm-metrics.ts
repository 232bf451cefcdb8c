/**
 * ebmMetrics: plan Task 2.5 from one energy per trajectory row (row i ↔ row i; lower energy =
 * more promising). Sibling groups are keyed by (run_id, theorem_name, parent_state_id). Rows with
 * a non-finite energy or an "unknown" label are left out and counted. Definitions where the plan
 * is ambiguous (sibling_discrimination, how contrastive pairs are drawn): METRIC_GLOSSARY.
 */
import { EBM_METRIC_KEYS, type MetricsFile } from "../artifacts/schemas.js";
import { PLAN_RECIPES } from "../config/recipes.js";
import { contrastivePairs } from "./contrastive-pairs.js";
import { DEPTH_BUCKETS, inBucket } from "./depth-buckets.js";
import type { MetricsTable } from "./metrics-table.js";
import { siblingGroups } from "./sibling-groups.js";

export interface EbmMetricsParams {
  readonly margin: number;
  readonly hard_ratio: number;
  readonly k_negatives: number;
  readonly seed: number;
}

/** The plan's values (src/config/recipes.ts). */
export const DEFAULT_EBM_METRICS_PARAMS: EbmMetricsParams = PLAN_RECIPES.ebm_metrics.recipe;

export interface EbmMetricsInput {
  readonly table: MetricsTable;
  readonly energies: ArrayLike<number>;
  /** Where the energies come from (a path), for messages. */
  readonly energies_origin?: string;
  readonly params?: Partial<EbmMetricsParams>;
}

const notEnough = (what: string) => `not enough data: ${what}`;

/** A mixed sibling group: ≥ 2 usable children, both labels present. */
interface RankGroup {
  readonly rows: readonly number[];
  /** argmin energy (first in table order on ties, as numpy) is positive. */
  readonly rank1: boolean;
  /** every positive strictly below every negative. */
  readonly strict: boolean;
  readonly n_positive: number;
}

function rankGroups(table: MetricsTable, e: ArrayLike<number>, usable: (r: number) => boolean): RankGroup[] {
  const out: RankGroup[] = [];
  for (const rows of siblingGroups(table, usable)) {
    if (rows.length < 2) continue;
    let best = rows[0]!;
    let maxPos = -Infinity;
    let minNeg = Infinity;
    let nPos = 0;
    for (const r of rows) {
      if (e[r]! < e[best]!) best = r;
      if (table.label[r] === "positive") {
        nPos++;
        maxPos = Math.max(maxPos, e[r]!);
      } else minNeg = Math.min(minNeg, e[r]!);
    }
    if (nPos === 0 || nPos === rows.length) continue;
    out.push({ rows, rank1: table.label[best] === "positive", strict: maxPos < minNeg, n_positive: nPos });
  }
  return out;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length; // ddof 0, numpy's default
  return { mean, std: Math.sqrt(variance) };
}

export function ebmMetrics(input: EbmMetricsInput): MetricsFile {
  const p: EbmMetricsParams = { ...DEFAULT_EBM_METRICS_PARAMS, ...input.params };
  const { table, energies: e } = input;
  const origin = input.energies_origin ?? "energies";
  if (e.length !== table.n_rows) throw new Error(`row-count mismatch: table ${table.origin} has ${table.n_rows} rows, ${origin} has ${e.length} energies (row i of the energies must be row i of the table)`);
  let nonFinite = 0;
  let terminal = 0;
  let unknown = 0;
  for (let r = 0; r < table.n_rows; r++) {
    // Terminal nodes (no state text) carry the scorer's dedicated energy −∞: expected, not an alarm.
    if (e[r] === -Infinity && table.state_pp[r] === "") terminal++;
    else if (!Number.isFinite(e[r]!)) nonFinite++;
    else if (table.label[r] === "unknown") unknown++;
  }
  const usable = (r: number) => Number.isFinite(e[r]!) && table.label[r] !== "unknown";
  const values: Record<string, number> = {};
  const not_computed: Record<string, string> = {};
  const notes: string[] = [];
  if (nonFinite > 0) notes.push(`ALARM: ${nonFinite} row(s) of ${origin} have a NaN/Inf energy; left out of every metric`);
  if (terminal > 0) notes.push(`${terminal} terminal row(s) (no state text, dedicated energy −∞) left out`);
  if (unknown > 0) notes.push(`${unknown} row(s) labelled unknown left out`);

  const groups = rankGroups(table, e, usable);
  const rate = (gs: readonly RankGroup[], f: (g: RankGroup) => boolean) => gs.filter(f).length / gs.length;
  if (groups.length > 0) {
    values["rank1_accuracy"] = rate(groups, (g) => g.rank1);
    values["sibling_discrimination"] = rate(groups, (g) => g.strict);
  } else not_computed["rank1_accuracy"] = not_computed["sibling_discrimination"] = notEnough("0 parents with ≥ 2 children of both labels");
  const byBucket: Record<string, number> = {};
  for (const b of DEPTH_BUCKETS) {
    // siblings share a depth; a group belongs to the band of its children's depth
    const gs = groups.filter((g) => inBucket(b, table.depth_from_root[g.rows[0]!]!));
    byBucket[b.ebm] = gs.length;
    if (gs.length > 0) values[`rank1_${b.ebm}`] = rate(gs, (g) => g.rank1);
    else not_computed[`rank1_${b.ebm}`] = notEnough(`0 mixed sibling groups at depth ${b.lo}${b.hi === Infinity ? "+" : `–${b.hi}`}`);
  }

  const pos: number[] = [];
  const neg: number[] = [];
  for (let r = 0; r < table.n_rows; r++) if (usable(r)) (table.label[r] === "positive" ? pos : neg).push(e[r]!);
  if (pos.length > 0 && neg.length > 0) {
    const sp = meanStd(pos);
    const sn = meanStd(neg);
    values["energy_gap"] = sn.mean - sp.mean;
    values["energy_std_pos"] = sp.std;
    values["energy_std_neg"] = sn.std;
  } else {
    const why = notEnough(`n_positive=${pos.length}, n_negative=${neg.length} rows with a finite energy`);
    for (const k of ["energy_gap", "energy_std_pos", "energy_std_neg"]) not_computed[k] = why;
  }

  const pairs = contrastivePairs(table, usable, { hard_ratio: p.hard_ratio, k_negatives: p.k_negatives, seed: p.seed });
  let active = 0;
  let activeHard = 0;
  let nHard = 0;
  for (let i = 0; i < pairs.positive.length; i++) {
    const isActive = e[pairs.negative[i]!]! - e[pairs.positive[i]!]! < p.margin;
    if (isActive) active++;
    if (pairs.hard[i]) {
      nHard++;
      if (isActive) activeHard++;
    }
  }
  if (pairs.positive.length > 0) values["active_ratio"] = active / pairs.positive.length;
  else not_computed["active_ratio"] = notEnough("0 contrastive pairs (no positive non-root row with a negative to pair)");

  const ordered: Record<string, number> = {};
  for (const k of EBM_METRIC_KEYS) if (k in values) ordered[k] = values[k]!;
  return {
    kind: "ebm_metrics",
    values: ordered,
    not_computed,
    details: {
      n_rows: table.n_rows,
      rows: { positive: pos.length, negative: neg.length, non_finite_energy: nonFinite, unknown_label: unknown },
      notes,
      mixed_sibling_groups: groups.length,
      mixed_sibling_groups_by_depth: byBucket,
      // what a random scorer gets in expectation: p/k for rank-1, 1/C(k, p) for the strict order
      rank1_random: groups.length ? groups.reduce((s, g) => s + g.n_positive / g.rows.length, 0) / groups.length : null,
      sibling_discrimination_random: groups.length ? groups.reduce((s, g) => s + 1 / binomial(g.rows.length, g.n_positive), 0) / groups.length : null,
      pairs: {
        n: pairs.positive.length,
        hard: nHard,
        easy: pairs.positive.length - nHard,
        hard_from_theorem_fallback: pairs.n_hard_fallback,
        active_ratio_hard: nHard ? activeHard / nHard : null,
        active_ratio_easy: pairs.positive.length - nHard ? (active - activeHard) / (pairs.positive.length - nHard) : null,
      },
      params: p,
    },
  };
}
