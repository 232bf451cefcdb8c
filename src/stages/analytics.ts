/**
 * Phase 2 analytics stages (plan Tasks 2.2, 2.3, 2.5), for iter_0 and again for iter_1 (Task 4.3):
 * `<it>/embedding-metrics`, `<it>/ebm-metrics` and `<it>/plots`. Each reads the trajectory table
 * (row i ↔ row i of the embeddings / energies) and writes a MetricsFile or SVGs.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { readJson } from "../artifacts/json-file.js";
import { readNpy } from "../artifacts/npy.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES, type MetricsFile } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { decoupledEbmPaths } from "../ebm/ebm-paths.js";
import type { IterName, RunPaths } from "../config/run-paths.js";
import { ebmMetrics, DEFAULT_EBM_METRICS_PARAMS, type EbmMetricsParams } from "../metrics/ebm-metrics.js";
import { embeddingMetrics, DEFAULT_EMBEDDING_METRICS_PARAMS, type DepthCentroid, type EmbeddingMetricsParams } from "../metrics/embedding-metrics.js";
import { embeddingPlotSpecs, projectSample, DEFAULT_PROJECTION_OPTIONS, type EmbeddingPlotName } from "../metrics/embedding-plots.js";
import { metricsTableFromColumns, type MetricsTable } from "../metrics/metrics-table.js";
import { npyVectorSource, readRowScores } from "../metrics/vector-source.js";
import { renderSvg } from "../viz/render-svg.js";

/** Run paths of the analytics stages (kept here until run-paths.ts takes them over). */
export interface AnalyticsPaths {
  readonly embedding_metrics: string;
  readonly ebm_metrics: string;
  /** float32 (pairs,): every sibling-pair L2 distance, for the histogram. */
  readonly sibling_l2: string;
  /** Every plot's PlotSpec as JSON (interactive display with toPlotlyFigure). */
  readonly plot_specs: string;
  readonly plots: Readonly<Record<Exclude<EmbeddingPlotName, "tsne_energy">, string>>;
}

export function analyticsPaths(p: RunPaths, it: IterName): AnalyticsPaths {
  const b = p[it].baselines;
  const svg = (name: string) => `${b.plots_dir}/${it}_${name}.svg`;
  return {
    embedding_metrics: b.embedding_metrics,
    ebm_metrics: b.ebm_metrics,
    sibling_l2: `${b.dir}/sibling_l2.npy`,
    plot_specs: `${b.plots_dir}/${it}_plot_specs.json`,
    plots: {
      umap_label: svg("umap_label"),
      tsne_label: svg("tsne_label"),
      tsne_depth: svg("tsne_depth"),
      sibling_l2_hist: svg("sibling_l2_hist"),
      depth_centroid_l2: svg("depth_centroid_l2"),
      spectrum: b.spectrum_plot,
    },
  };
}

const CODE = ["src/stages/analytics.ts", "src/metrics", "src/viz"];

function trajectories(run: Run, ctx: { abs(rel: string): string }, it: IterName): MetricsTable {
  const rel = run.paths[it].search_trajectories;
  const t = readTable(ctx.abs(rel), TRAJECTORIES);
  return metricsTableFromColumns(rel, t.columns as Record<string, ArrayLike<unknown>>);
}

/** Rows the embeddings index excludes; checks the index lines up with the table row by row. */
function indexExclusions(run: Run, ctx: { abs(rel: string): string }, it: IterName, table: MetricsTable): { excluded: boolean[]; by_reason: Record<string, number> } {
  const rel = run.paths[it].embeddings.index;
  const idx = readTable(ctx.abs(rel), EMBEDDINGS_INDEX);
  if (idx.n_rows !== table.n_rows) throw new Error(`row-count mismatch: ${rel} has ${idx.n_rows} rows, ${table.origin} has ${table.n_rows}`);
  const c = idx.columns;
  const by_reason: Record<string, number> = {};
  const excluded = new Array<boolean>(idx.n_rows);
  for (let r = 0; r < idx.n_rows; r++) {
    if (c["row"]![r] !== r || c["theorem_name"]![r] !== table.theorem_name[r] || c["state_id"]![r] !== table.state_id[r]) {
      throw new Error(`${rel} row ${r} (row ${c["row"]![r]}, theorem '${String(c["theorem_name"]![r]).slice(0, 120)}', state ${c["state_id"]![r]}) does not describe ${table.origin} row ${r} (theorem '${table.theorem_name[r]!.slice(0, 120)}', state ${table.state_id[r]})`);
    }
    excluded[r] = c["excluded"]![r] === true;
    if (excluded[r]) {
      const why = String(c["exclude_reason"]![r] ?? "unspecified");
      by_reason[why] = (by_reason[why] ?? 0) + 1;
    }
  }
  return { excluded, by_reason };
}

export interface MetricsStageResult {
  readonly values: Readonly<Record<string, number>>;
  readonly not_computed: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

export function embeddingMetricsStage(run: Run, it: IterName, params: EmbeddingMetricsParams = DEFAULT_EMBEDDING_METRICS_PARAMS): StageSpec<MetricsStageResult> {
  const e = run.paths[it].embeddings;
  const a = analyticsPaths(run.paths, it);
  return {
    name: `${it}/embedding-metrics`,
    description: "embedding-space baselines (plan Task 2.2): centroid L2, linear probe, norms, sibling distances, variance spectrum, silhouettes, dual labels",
    params,
    inputs: [run.paths[it].search_trajectories, e.index, e.states],
    code: CODE,
    outputs: [
      { path: a.embedding_metrics, kind: "json" },
      { path: a.sibling_l2, kind: "npy" },
    ],
    async run(ctx) {
      const table = trajectories(run, ctx, it);
      const index = indexExclusions(run, ctx, it, table);
      const res = await embeddingMetrics({ table, vectors: npyVectorSource(ctx.abs(e.states)), index_excluded: index.excluded, params, log: ctx.log });
      const details = { ...res.file.details, excluded_by_index_reason: index.by_reason, sources: { table: table.origin, vectors: e.states, index: e.index } };
      ctx.writeJson(a.embedding_metrics, { ...res.file, details }, { schema: "embedding_metrics" });
      ctx.writeNpy(a.sibling_l2, "float32", [res.sibling_l2.length], res.sibling_l2);
      return { values: res.file.values, not_computed: res.file.not_computed, notes: (details as { notes?: string[] }).notes ?? [] };
    },
  };
}

/** Another head's energies over the same trajectories (e.g. the plan's config B: the frozen-embedding head on iter_1). */
export interface EnergySource {
  /** Stage name, e.g. "iter_1/ebm-metrics-config-b". */
  readonly name: string;
  /** Run-relative energies .npy, one per trajectory row. */
  readonly energies: string;
  /** Run-relative MetricsFile to write. */
  readonly out: string;
}

/** Reads `<it>/ebm/energies.npy` (one energy per trajectory row, written by the energy-head stage), or `source`'s. */
export function ebmMetricsStage(run: Run, it: IterName, params: EbmMetricsParams = DEFAULT_EBM_METRICS_PARAMS, source?: EnergySource): StageSpec<MetricsStageResult> {
  const energies = source?.energies ?? run.paths[it].ebm.energies;
  const out = source?.out ?? analyticsPaths(run.paths, it).ebm_metrics;
  return {
    name: source?.name ?? `${it}/ebm-metrics`,
    description: "EBM baselines (plan Task 2.5): rank-1 overall and by depth, energy gap, sibling discrimination, active ratio",
    params,
    inputs: [run.paths[it].search_trajectories, energies],
    code: CODE,
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const table = trajectories(run, ctx, it);
      const file = ebmMetrics({ table, energies: readRowScores(ctx.abs(energies)), energies_origin: energies, params });
      const details = { ...file.details, sources: { table: table.origin, energies } };
      ctx.writeJson(out, { ...file, details }, { schema: "ebm_metrics" });
      for (const n of (details as { notes?: string[] }).notes ?? []) ctx.log(n);
      return { values: file.values, not_computed: file.not_computed, notes: (details as { notes?: string[] }).notes ?? [] };
    },
  };
}

export interface PlotsParams {
  readonly max_points: number;
  readonly pca_dims: number;
  readonly seed: number;
}

export const DEFAULT_PLOTS_PARAMS: PlotsParams = Object.freeze({ ...DEFAULT_PROJECTION_OPTIONS, seed: 0 });

/** The demo run draws 2000 points (UMAP + t-SNE ≈ 15 s per iteration, keeping a cold `make reports` short); a real run 5000. */
export function plotsParamsFor(profile: "demo" | "real"): PlotsParams {
  return profile === "demo" ? { ...DEFAULT_PLOTS_PARAMS, max_points: 2000 } : DEFAULT_PLOTS_PARAMS;
}

/**
 * Every Task 2.3 plot as SVG (replaces the spectrum-only `<it>/plots`; same name and spectrum path).
 * The spectrum is the full eigenvalue list of the `<it>/embedding-spectrum` job.
 */
export function analyticsPlotsStage(run: Run, it: IterName, params: PlotsParams = plotsParamsFor(run.config.profile)): StageSpec<{ plots: string[]; timings_s: Record<string, number> }> {
  const e = run.paths[it].embeddings;
  const b = run.paths[it].baselines;
  const a = analyticsPaths(run.paths, it);
  const svgs = Object.values(a.plots);
  return {
    name: `${it}/plots`,
    description: "embedding plots (plan Task 2.3): UMAP and t-SNE by label, t-SNE by depth, sibling-L2 histogram, spectrum, depth vs centroid_l2",
    params,
    inputs: [run.paths[it].search_trajectories, e.index, e.states, a.embedding_metrics, a.sibling_l2, b.spectrum_eigenvalues],
    code: [...CODE, "python/burnqed/tsne.py"],
    outputs: [...svgs.map((path) => ({ path, kind: "svg" as const })), { path: a.plot_specs, kind: "json" as const }],
    async run(ctx) {
      const table = trajectories(run, ctx, it);
      const index = indexExclusions(run, ctx, it, table);
      const metrics = readJson<MetricsFile>(ctx.abs(a.embedding_metrics));
      const details = (metrics.details ?? {}) as { centroid_l2_by_depth?: DepthCentroid[]; siblings?: { collision_threshold?: number } };
      const projections = await projectSample(table, npyVectorSource(ctx.abs(e.states)), { ...params, tsne_job_dir: run.paths.job_dir(`${it}-tsne`), index_excluded: index.excluded, log: ctx.log });
      const eff = metrics.values["effective_dimension"];
      const specs = embeddingPlotSpecs({
        title_prefix: it,
        table,
        projections,
        sibling_l2: readNpy(ctx.abs(a.sibling_l2)).data as Float32Array,
        collision_threshold: details.siblings?.collision_threshold ?? 1.0,
        centroid_by_depth: details.centroid_l2_by_depth ?? [],
        eigenvalues: readNpy(ctx.abs(b.spectrum_eigenvalues)).data as Float64Array,
        spectrum_notes: eff === undefined ? [] : [`effective dimension ${eff.toFixed(1)}`],
      });
      for (const [name, path] of Object.entries(a.plots)) {
        const spec = specs[name as EmbeddingPlotName];
        if (!spec) throw new Error(`plot ${name} was not built`);
        ctx.writeText(path, renderSvg(spec), { schema: "svg" });
      }
      ctx.writeJson(a.plot_specs, specs, { schema: "plot_specs" });
      return { plots: svgs, timings_s: { ...projections.timings_s } };
    },
  };
}

/** EBM metrics of the plan's config B: the decoupled head retrained on frozen iter_1 embeddings. */
export function configBEbmMetricsStage(run: Run): StageSpec<MetricsStageResult> {
  const b = decoupledEbmPaths(run.paths, "iter_1");
  return ebmMetricsStage(run, "iter_1", DEFAULT_EBM_METRICS_PARAMS, { name: "iter_1/ebm-metrics-config-b", energies: b.energies, out: `${b.dir}/ebm_metrics.json` });
}
