/**
 * embeddingMetrics: plan Task 2.2 over a trajectory table and its state-embedding matrix (row i ↔
 * row i), with the plan's key names. Unusable vectors (excluded by the embeddings index,
 * non-finite, all-zero) are counted, alarmed and left out; a metric without enough data is absent
 * from `values` and present in `not_computed` with the reason — never 0. Definitions where the
 * plan is ambiguous: METRIC_GLOSSARY.
 */
import { EMBEDDING_METRIC_KEYS, type MetricsFile } from "../artifacts/schemas.js";
import { PLAN_RECIPES } from "../config/recipes.js";
import { DEPTH_BUCKETS, inBucket } from "./depth-buckets.js";
import { dualLabelStates } from "./dual-label-states.js";
import { crossValidatedProbe, type LogisticOptions, type ProbeResult, type SpectralInfo } from "./logistic-probe.js";
import type { MetricsTable } from "./metrics-table.js";
import { matrixRow, rowSegments, type RowMatrix } from "../numeric/row-matrix.js";
import { covarianceAbout, groupSums } from "../numeric/row-moments.js";
import { loadVectors, permuteRows, ROW_USABLE, screenRows, type VectorScreen } from "./screen-vectors.js";
import { siblingDistances, median } from "./sibling-distances.js";
import { siblingGroups } from "./sibling-groups.js";
import { silhouetteScore } from "./silhouette.js";
import { centroidBootstrap } from "./centroid-bootstrap.js";
import { probeStats, type ProbeStats } from "./probe-stats.js";
import { stratifiedFolds } from "./stratified-folds.js";
import { topEigen } from "../numeric/top-eigen.js";
import type { VectorSource } from "../numeric/vector-source.js";

export interface EmbeddingMetricsParams {
  /** Seeds the silhouette sample (numpy RandomState, as sklearn's random_state) and the eigen start. */
  readonly seed: number;
  /** Sibling pairs closer than this collide (plan: 1.0). */
  readonly collision_threshold: number;
  readonly silhouette_sample_size: number;
  /** A depth band gets a silhouette only with MORE rows than this (plan: > 100). */
  readonly silhouette_min_rows: number;
  readonly probe_folds: number;
  readonly probe: LogisticOptions;
  /** Covariance eigenpairs used to precondition the probe (does not change its optimum). */
  readonly probe_preconditioner_rank: number;
  /** Eigenvalues kept in details (and drawn by the CLI's spectrum plot). */
  readonly spectrum_top_k: number;
  /** Per-depth centroid_l2 needs at least this many rows of each label at that depth. */
  readonly depth_min_rows_per_label: number;
  /** Bootstrap replicates (over theorems) of the intervals of centroid_l2, balanced accuracy and AUC. */
  readonly bootstrap_samples: number;
}

/** The plan's values (src/config/recipes.ts). */
export const DEFAULT_EMBEDDING_METRICS_PARAMS: EmbeddingMetricsParams = PLAN_RECIPES.embedding_metrics.recipe;

export interface DepthCentroid {
  readonly depth: number;
  readonly n_positive: number;
  readonly n_negative: number;
  /** null where a label has too few rows (see reason). */
  readonly centroid_l2: number | null;
  readonly reason?: string;
}

export interface EmbeddingMetricsResult {
  readonly file: MetricsFile;
  /** Wall time of each part (not in the file). */
  readonly timings_s: Readonly<Record<string, number>>;
  /** Every sibling-pair distance (for the histogram). */
  readonly sibling_l2: Float64Array;
  /** Leading covariance eigenvalues, descending. */
  readonly top_eigenvalues: Float64Array;
  readonly centroid_by_depth: readonly DepthCentroid[];
}

/** Separately computable parts (the plots need centroids, spectrum and siblings only). */
export const EMBEDDING_PARTS = ["centroid", "spectrum", "linear_probe", "siblings", "silhouette", "dual_label"] as const;
export type EmbeddingPart = (typeof EMBEDDING_PARTS)[number];

export interface EmbeddingMetricsInput {
  readonly table: MetricsTable;
  readonly vectors: VectorSource;
  /** Per row: the embeddings index marks it excluded (terminal, empty text, ...). */
  readonly index_excluded?: ArrayLike<boolean>;
  readonly params?: Partial<EmbeddingMetricsParams>;
  /** Compute only these parts (default: all); the others' keys are left out of the file. */
  readonly parts?: readonly EmbeddingPart[];
  readonly log?: (message: string) => void;
}

const notEnough = (what: string) => `not enough data: ${what}`;

/** Which usable rows go where: labelled rows fold by fold (for the probe), then unknown-label rows. */
interface Layout {
  /** Storage row → table row. */
  readonly order: Int32Array;
  /** Table row → storage row (−1: not usable). */
  readonly storage: Int32Array;
  /** 1 positive / 0 negative per storage row of the labelled part. */
  readonly y: Uint8Array;
  readonly n_positive: number;
  readonly n_negative: number;
  readonly n_unknown: number;
  /** Test-fold bounds over storage rows, or null when a label has fewer rows than folds. */
  readonly fold_bounds: number[] | null;
}

function layout(table: MetricsTable, screen: VectorScreen, folds: number): Layout {
  const pos: number[] = [];
  const neg: number[] = [];
  const unk: number[] = [];
  for (let r = 0; r < table.n_rows; r++) {
    if (screen.status[r] !== ROW_USABLE) continue;
    const l = table.label[r];
    (l === "positive" ? pos : l === "negative" ? neg : unk).push(r);
  }
  // the plan's X = vstack([pos, neg]); StratifiedKFold assigns folds in that order
  const plan = pos.concat(neg);
  const yPlan = plan.map((_, i) => (i < pos.length ? 1 : 0));
  const canFold = pos.length >= folds && neg.length >= folds;
  const fold = canFold ? stratifiedFolds(yPlan, folds) : new Int32Array(plan.length);
  const idx = plan.map((_, i) => i).sort((a, b) => fold[a]! - fold[b]! || a - b);
  const order = Int32Array.from([...idx.map((i) => plan[i]!), ...unk]);
  const y = Uint8Array.from(idx, (i) => yPlan[i]!);
  const storage = new Int32Array(table.n_rows).fill(-1);
  order.forEach((r, s) => (storage[r] = s));
  let fold_bounds: number[] | null = null;
  if (canFold) {
    fold_bounds = [0];
    for (let f = 0; f < folds; f++) fold_bounds.push(fold_bounds[f]! + fold.filter((x) => x === f).length);
  }
  return { order, storage, y, n_positive: pos.length, n_negative: neg.length, n_unknown: unk.length, fold_bounds };
}

function l2Between(sums: Float64Array, a: number, na: number, b: number, nb: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = sums[a * d + k]! / na - sums[b * d + k]! / nb;
    s += t * t;
  }
  return Math.sqrt(s);
}

interface Centroids {
  readonly centroid_l2: number | null;
  readonly by_depth: DepthCentroid[];
  /** Mean of every usable row (the covariance centre). */
  readonly mean: Float64Array;
}

/** Class and (class, depth) sums in one product per block: group = 2·depth + (positive ? 0 : 1); unknown rows last. */
async function centroids(x: RowMatrix, table: MetricsTable, lay: Layout, minPerLabel: number): Promise<Centroids> {
  const d = x.dim;
  let maxDepth = 0;
  for (const r of lay.order) maxDepth = Math.max(maxDepth, table.depth_from_root[r]!);
  const nGroups = 2 * (maxDepth + 1) + 1;
  const group = Int32Array.from(lay.order, (r) => {
    const l = table.label[r];
    return l === "unknown" ? nGroups - 1 : 2 * table.depth_from_root[r]! + (l === "positive" ? 0 : 1);
  });
  const { sums, counts } = await groupSums(x, group, nGroups);
  // collapse depths: group 0 = all positives, 1 = all negatives, 2 = everything
  const total = new Float64Array(3 * d);
  const n = [0, 0, 0];
  for (let g = 0; g < nGroups; g++) {
    const cls = g === nGroups - 1 ? -1 : g % 2;
    for (let k = 0; k < d; k++) {
      if (cls >= 0) total[cls * d + k] += sums[g * d + k]!;
      total[2 * d + k] += sums[g * d + k]!;
    }
    if (cls >= 0) n[cls] += counts[g]!;
    n[2] += counts[g]!;
  }
  const mean = Float64Array.from({ length: d }, (_, k) => total[2 * d + k]! / Math.max(n[2]!, 1));
  const centroid_l2 = n[0]! > 0 && n[1]! > 0 ? l2Between(total, 0, n[0]!, 1, n[1]!, d) : null;
  const by_depth: DepthCentroid[] = [];
  for (let depth = 0; depth <= maxDepth; depth++) {
    const np = counts[2 * depth]!;
    const nn = counts[2 * depth + 1]!;
    if (np + nn === 0) continue;
    if (np >= minPerLabel && nn >= minPerLabel) by_depth.push({ depth, n_positive: np, n_negative: nn, centroid_l2: l2Between(sums, 2 * depth, np, 2 * depth + 1, nn, d) });
    else by_depth.push({ depth, n_positive: np, n_negative: nn, centroid_l2: null, reason: notEnough(`n_positive=${np}, n_negative=${nn} (need ≥ ${minPerLabel} of each)`) });
  }
  return { centroid_l2, by_depth, mean };
}

interface Spectrum {
  readonly values: Record<string, number>;
  readonly not_computed: Record<string, string>;
  readonly details: Record<string, unknown>;
  readonly spectral: SpectralInfo | undefined;
  readonly top: Float64Array;
}

async function spectrum(x: RowMatrix, mean: Float64Array, p: EmbeddingMetricsParams): Promise<Spectrum> {
  const d = x.dim;
  if (x.n_rows < 2) {
    const why = notEnough(`${x.n_rows} usable row(s), the covariance needs 2`);
    return { values: {}, not_computed: { top1_variance_ratio: why, top10_variance_ratio: why, effective_dimension: why }, details: {}, spectral: undefined, top: new Float64Array(0) };
  }
  const cov = await covarianceAbout(x, mean, 1);
  let trace = 0;
  let frob2 = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i]!;
  for (let i = 0; i < cov.length; i++) frob2 += cov[i]! * cov[i]!;
  const k = Math.min(d, Math.max(10, p.spectrum_top_k, p.probe_preconditioner_rank));
  const eig = await topEigen(cov, d, k, { seed: p.seed });
  const lam = eig.values;
  const values: Record<string, number> = {};
  const not_computed: Record<string, string> = {};
  if (trace > 0) {
    values["top1_variance_ratio"] = Math.max(lam[0]!, 0) / trace;
    values["top10_variance_ratio"] = lam.slice(0, Math.min(10, d)).reduce((s, v) => s + Math.max(v, 0), 0) / trace;
    values["effective_dimension"] = (trace * trace) / frob2;
  } else {
    for (const key of ["top1_variance_ratio", "top10_variance_ratio", "effective_dimension"]) not_computed[key] = "total variance is 0 (all usable rows are identical)";
  }
  const rank = Math.min(p.probe_preconditioner_rank, k);
  return {
    values,
    not_computed,
    details: { total_variance: trace, frobenius_norm_sq: frob2, eigen_iterations: eig.iterations, eigen_converged: eig.converged, top_eigenvalues: Array.from(lam.slice(0, Math.min(k, p.spectrum_top_k))) },
    spectral: rank > 0 ? { values: lam.slice(0, rank), vectors: eig.vectors.slice(0, rank * d), trace } : undefined,
    top: lam.slice(0, Math.min(k, p.spectrum_top_k)),
  };
}

interface SiblingStats {
  readonly values: Record<string, number>;
  readonly not_computed: Record<string, string>;
  readonly details: Record<string, unknown>;
  readonly distances: Float64Array;
}

function siblings(x: RowMatrix, table: MetricsTable, lay: Layout, threshold: number): SiblingStats {
  const groups = siblingGroups(table, (r) => lay.storage[r]! >= 0).filter((g) => g.length >= 2);
  const distances = siblingDistances(groups, (r) => matrixRow(x, lay.storage[r]!));
  if (distances.length === 0) {
    const why = notEnough("0 sibling pairs (no parent has 2 usable children)");
    return { values: {}, not_computed: { sibling_l2_mean: why, sibling_l2_median: why, sibling_collision_rate: why }, details: { groups: 0, pairs: 0 }, distances };
  }
  let sum = 0;
  let collisions = 0;
  for (const v of distances) {
    sum += v;
    if (v < threshold) collisions++;
  }
  return {
    values: { sibling_l2_mean: sum / distances.length, sibling_l2_median: median(distances), sibling_collision_rate: collisions / distances.length },
    not_computed: {},
    details: { groups: groups.length, pairs: distances.length, collisions, collision_threshold: threshold },
    distances,
  };
}

async function silhouettes(x: RowMatrix, table: MetricsTable, lay: Layout, p: EmbeddingMetricsParams): Promise<{ values: Record<string, number>; not_computed: Record<string, string>; details: Record<string, unknown> }> {
  const values: Record<string, number> = {};
  const not_computed: Record<string, string> = {};
  const details: Record<string, unknown> = {};
  for (const b of DEPTH_BUCKETS) {
    const key = `silhouette_${b.name}`;
    // the plan's subset: usable labelled rows in this depth band, in table order
    const rows: number[] = [];
    for (let r = 0; r < table.n_rows; r++) {
      if (lay.storage[r]! >= 0 && table.label[r] !== "unknown" && inBucket(b, table.depth_from_root[r]!)) rows.push(r);
    }
    details[key] = { n_rows: rows.length };
    if (rows.length <= p.silhouette_min_rows) {
      not_computed[key] = notEnough(`n=${rows.length} rows at depth ${b.lo}${b.hi === Infinity ? "+" : `–${b.hi}`} (need > ${p.silhouette_min_rows})`);
      continue;
    }
    const labels = rows.map((r) => (table.label[r] === "positive" ? 1 : 0));
    const res = await silhouetteScore({ n: rows.length, dim: x.dim, labels, row: (i) => matrixRow(x, lay.storage[rows[i]!]!) }, p.silhouette_sample_size, p.seed);
    if (res.kind === "value") {
      values[key] = res.value;
      details[key] = { n_rows: rows.length, n_sampled: res.n_sampled };
    } else not_computed[key] = res.reason;
  }
  return { values, not_computed, details };
}

async function probe(x: RowMatrix, lay: Layout, p: EmbeddingMetricsParams, spectral: SpectralInfo | undefined): Promise<ProbeResult | string> {
  if (!lay.fold_bounds) return notEnough(`n_positive=${lay.n_positive}, n_negative=${lay.n_negative} (${p.probe_folds}-fold CV needs ≥ ${p.probe_folds} of each)`);
  return crossValidatedProbe(x, lay.y, lay.fold_bounds, p.probe, spectral);
}

function normGap(table: MetricsTable, screen: VectorScreen): number | null {
  const s = [0, 0];
  const n = [0, 0];
  for (let r = 0; r < table.n_rows; r++) {
    if (screen.status[r] !== ROW_USABLE || table.label[r] === "unknown") continue;
    const c = table.label[r] === "positive" ? 0 : 1;
    s[c] += screen.norm[r]!;
    n[c]!++;
  }
  return n[0]! > 0 && n[1]! > 0 ? s[0]! / n[0]! - s[1]! / n[1]! : null;
}

export async function embeddingMetrics(input: EmbeddingMetricsInput): Promise<EmbeddingMetricsResult> {
  const p: EmbeddingMetricsParams = { ...DEFAULT_EMBEDDING_METRICS_PARAMS, ...input.params };
  const { table, vectors } = input;
  const log = input.log ?? (() => undefined);
  if (table.n_rows !== vectors.n_rows) {
    throw new Error(`row-count mismatch: table ${table.origin} has ${table.n_rows} rows, vectors ${vectors.origin} has ${vectors.n_rows} (row i of the vectors must be row i of the table)`);
  }
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    timings[name] = (performance.now() - t0) / 1000;
    log(`${name}: ${timings[name]!.toFixed(2)} s`);
    return out;
  };
  const all = await timed("load", () => loadVectors(vectors));
  const screen = await timed("screen", () => screenRows(all, input.index_excluded));
  const notes = screenNotes(vectors.origin, screen);
  for (const n of notes) log(n);
  const lay = layout(table, screen, p.probe_folds);
  const x = await timed("reorder", () => permuteRows(all, lay.order));
  // Centre in place by the mean of the usable rows: every metric below but norm_gap (taken from
  // the raw rows by the screen) is translation invariant, and float32 products of centred rows do
  // not lose digits to a large shared mean (LLM hidden states have a few huge mean dimensions).
  await timed("centre", () => centreRows(x));
  const values: Record<string, number> = {};
  const not_computed: Record<string, string> = {};
  const details: Record<string, unknown> = {};

  const want = new Set<EmbeddingPart>(input.parts ?? EMBEDDING_PARTS);
  // the centroid pass also yields the covariance centre, so the spectrum needs it too
  const cent = await timed("centroids", () => centroids(x, table, lay, p.depth_min_rows_per_label));
  const labelsWhy = notEnough(`n_positive=${lay.n_positive}, n_negative=${lay.n_negative} usable rows`);
  if (want.has("centroid")) {
    if (cent.centroid_l2 !== null) values["centroid_l2"] = cent.centroid_l2;
    else not_computed["centroid_l2"] = labelsWhy;
    const gap = normGap(table, screen);
    if (gap !== null) values["norm_gap"] = gap;
    else not_computed["norm_gap"] = labelsWhy;
  }

  const needSpectrum = want.has("spectrum") || want.has("linear_probe");
  const spec = needSpectrum ? await timed("spectrum", () => spectrum(x, cent.mean, p)) : null;
  if (spec && want.has("spectrum")) {
    Object.assign(values, spec.values);
    Object.assign(not_computed, spec.not_computed);
  }

  const pr = want.has("linear_probe") ? await timed("linear_probe", () => probe(x, lay, p, spec?.spectral)) : null;
  const theorems = theoremClusters(table, lay);
  const ci95: Record<string, readonly [number, number]> = {};
  const bootstrap_se: Record<string, number> = {};
  let pstats: ProbeStats | null = null;
  if (typeof pr === "string") {
    for (const k of ["linear_probe_acc", "linear_probe_base_rate", "linear_probe_balanced_acc", "linear_probe_auc"]) not_computed[k] = pr;
  } else if (pr) {
    values["linear_probe_acc"] = pr.accuracy;
    pstats = await timed("probe_stats", () => probeStats(lay.y, pr.scores, theorems.labelled, theorems.n, { samples: p.bootstrap_samples, seed: p.seed }));
    values["linear_probe_base_rate"] = pstats.base_rate;
    values["linear_probe_balanced_acc"] = pstats.balanced_accuracy;
    if (Number.isFinite(pstats.auc)) values["linear_probe_auc"] = pstats.auc;
    ci95["linear_probe_acc"] = pstats.ci95.accuracy;
    if (pstats.ci95.balanced_accuracy) ci95["linear_probe_balanced_acc"] = pstats.ci95.balanced_accuracy;
    if (pstats.ci95.auc) ci95["linear_probe_auc"] = pstats.ci95.auc;
    if (pstats.bootstrap_se.balanced_accuracy !== null) bootstrap_se["linear_probe_balanced_acc"] = pstats.bootstrap_se.balanced_accuracy;
    if (pstats.bootstrap_se.auc !== null) bootstrap_se["linear_probe_auc"] = pstats.bootstrap_se.auc;
    if (pr.accuracy <= pstats.base_rate) notes.push(`linear_probe_acc ${pr.accuracy.toFixed(3)} is at or below its base rate ${pstats.base_rate.toFixed(3)} (always answering "${pstats.majority_label}"): the probe separates nothing; read linear_probe_balanced_acc ${pstats.balanced_accuracy.toFixed(3)} and AUC`);
  }
  if (want.has("centroid") && cent.centroid_l2 !== null) {
    const b = await timed("centroid_bootstrap", () => centroidBootstrap(x, theorems.centroid_group, theorems.n, { samples: p.bootstrap_samples, seed: p.seed }));
    if (b) {
      ci95["centroid_l2"] = b.interval;
      bootstrap_se["centroid_l2"] = b.se;
    }
  }

  const sib = want.has("siblings") ? await timed("siblings", () => siblings(x, table, lay, p.collision_threshold)) : null;
  if (sib) {
    Object.assign(values, sib.values);
    Object.assign(not_computed, sib.not_computed);
  }

  const sil = want.has("silhouette") ? await timed("silhouette", () => silhouettes(x, table, lay, p)) : null;
  if (sil) {
    Object.assign(values, sil.values);
    Object.assign(not_computed, sil.not_computed);
  }

  const dual = want.has("dual_label") ? dualLabelStates(table, (r) => lay.storage[r]! >= 0) : null;
  if (dual && dual.distinct_state_texts > 0) {
    values["dual_label_states"] = dual.dual_label_states;
    values["dual_label_rate"] = dual.dual_label_states / dual.distinct_state_texts;
  } else if (dual) not_computed["dual_label_states"] = not_computed["dual_label_rate"] = notEnough("no labelled non-empty state text");

  Object.assign(details, {
    n_rows: table.n_rows,
    dim: vectors.dim,
    rows: { usable: screen.n_usable, positive: lay.n_positive, negative: lay.n_negative, unknown_label: lay.n_unknown },
    excluded: { by_index: screen.n_index_excluded, non_finite: screen.n_non_finite, all_zero: screen.n_all_zero, examples: screen.examples },
    notes,
    centroid_l2_by_depth: cent.by_depth,
    linear_probe: pr === null || typeof pr === "string" ? null : { fold_accuracy: pr.fold_accuracy, fold_iterations: pr.fold_iterations, fold_stop: pr.fold_stop },
    spectrum: spec?.details ?? null,
    siblings: sib?.details ?? null,
    silhouette: sil?.details ?? null,
    dual_label: dual,
    parts: [...want],
    ci95,
    bootstrap_se,
    probe: pstats === null ? null : { n: pstats.n, n_positive: pstats.n_positive, n_negative: pstats.n_negative, majority_label: pstats.majority_label, pooled_accuracy: pstats.pooled_accuracy },
    theorems: theorems.n,
    params: p,
  });
  return {
    // timings stay out of the file: equal inputs give a byte-identical metrics file
    file: { kind: "embedding_metrics", values: orderedValues(values), not_computed, details },
    timings_s: timings,
    sibling_l2: sib?.distances ?? new Float64Array(0),
    top_eigenvalues: spec?.top ?? new Float64Array(0),
    centroid_by_depth: cent.by_depth,
  };
}

/**
 * Theorem index of each storage row (run_id + name, the bootstrap's cluster): `labelled` covers the
 * probe's rows [0, n_positive + n_negative); `centroid_group` is 2·theorem (+1 for a negative), −1
 * for unknown-label rows.
 */
function theoremClusters(table: MetricsTable, lay: Layout): { n: number; labelled: Int32Array; centroid_group: Int32Array } {
  const ids = new Map<string, number>();
  const nLabelled = lay.n_positive + lay.n_negative;
  const labelled = new Int32Array(nLabelled);
  const centroid_group = new Int32Array(lay.order.length).fill(-1);
  lay.order.forEach((r, s) => {
    const key = `${table.run_id ? table.run_id[r] : ""}\u0000${table.theorem_name[r]}`;
    let t = ids.get(key);
    if (t === undefined) ids.set(key, (t = ids.size));
    if (s < nLabelled) {
      labelled[s] = t;
      centroid_group[s] = 2 * t + (lay.y[s] === 1 ? 0 : 1);
    }
  });
  return { n: ids.size, labelled, centroid_group };
}

async function centreRows(x: RowMatrix): Promise<void> {
  if (x.n_rows === 0) return;
  const { sums } = await groupSums(x, new Int32Array(x.n_rows), 1);
  const mean = Float32Array.from(sums, (v) => v / x.n_rows);
  const d = x.dim;
  for (const seg of rowSegments(x)) {
    for (let i = 0; i < seg.count; i++) {
      const off = i * d;
      for (let k = 0; k < d; k++) seg.data[off + k] = seg.data[off + k]! - mean[k]!;
    }
  }
}

/** The plan's key order first. */
function orderedValues(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of EMBEDDING_METRIC_KEYS) if (k in values) out[k] = values[k]!;
  for (const [k, v] of Object.entries(values)) if (!(k in out)) out[k] = v;
  return out;
}

/** Alarm lines for unusable vectors (upstream pitfall 3: all-zero embeddings went unnoticed). */
export function screenNotes(origin: string, s: VectorScreen): string[] {
  const notes: string[] = [];
  if (s.n_non_finite > 0) notes.push(`ALARM: ${s.n_non_finite} row(s) of ${origin} have NaN/Inf values (e.g. rows ${s.examples.non_finite.join(", ")}); excluded from every metric`);
  if (s.n_all_zero > 0) notes.push(`ALARM: ${s.n_all_zero} row(s) of ${origin} are all zeros (e.g. rows ${s.examples.all_zero.join(", ")}); excluded from every metric`);
  if (s.n_index_excluded > 0) notes.push(`${s.n_index_excluded} row(s) excluded by the embeddings index (terminal nodes, empty text, ...)`);
  return notes;
}
