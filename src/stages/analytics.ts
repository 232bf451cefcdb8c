/**
 * Phase 2 analytics stages (plan Tasks 2.2, 2.3, 2.5), for iter_0 and again for iter_1 (Task 4.3):
 * `<it>/embedding-metrics`, `<it>/plots` and `ebm-<config>/metrics`. Each reads the trajectory
 * table (row i ↔ row i of the embeddings / energies) and writes a MetricsFile or SVGs. This file is
 * the effectful shell: it reads the artifacts and runs the t-SNE job; src/metrics computes.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { readJson } from "../artifacts/json-file.js";
import { readNpy } from "../artifacts/npy.js";
import { npyVectorSource, readRowScores } from "../artifacts/npy-vectors.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES, type MetricsFile } from "../artifacts/schemas.js";
import type { StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { EBM_CONFIGS, EMBEDDING_PLOTS, type EbmConfigName, type IterName } from "../config/run-paths.js";
import { tsneJob } from "../jobs/tsne-job.js";
import { ebmMetrics } from "../metrics/ebm-metrics.js";
import { embeddingMetrics, type DepthCentroid } from "../metrics/embedding-metrics.js";
import { embeddingPlotSpecs, projectSample } from "../metrics/embedding-plots.js";
import { metricsTableFromColumns, type MetricsTable } from "../metrics/metrics-table.js";
import { renderSvg } from "../viz/render-svg.js";
import { isDemo } from "../config/run-config.js";

/** The mark on every plot of a demo run. */
export const DEMO_PLOT_MARK = "DEMO — synthetic data";
import type { ContrastivePlanSummary } from "../ebm/contrastive-plan.js";

const MODULE = "src/stages/analytics.ts";

function trajectories(run: Run, ctx: StageContext, it: IterName): MetricsTable {
  const rel = run.paths.iter(it).search_trajectories;
  return metricsTableFromColumns(rel, readTable(ctx.abs(rel), TRAJECTORIES).columns);
}

/** Rows the embeddings index excludes; checks the index lines up with the table row by row. */
function indexExclusions(run: Run, ctx: StageContext, it: IterName, table: MetricsTable): { excluded: boolean[]; by_reason: Record<string, number> } {
  const rel = run.paths.iter(it).embeddings.index;
  const idx = readTable(ctx.abs(rel), EMBEDDINGS_INDEX);
  if (idx.n_rows !== table.n_rows) throw new Error(`row-count mismatch: ${rel} has ${idx.n_rows} rows, ${table.origin} has ${table.n_rows}`);
  const c = idx.columns;
  const by_reason: Record<string, number> = {};
  const excluded = new Array<boolean>(idx.n_rows);
  for (let r = 0; r < idx.n_rows; r++) {
    if (c.row[r] !== r || c.theorem_name[r] !== table.theorem_name[r] || c.state_id[r] !== table.state_id[r]) {
      throw new Error(`${rel} row ${r} (row ${c.row[r]}, theorem '${String(c.theorem_name[r]).slice(0, 120)}', state ${c.state_id[r]}) does not describe ${table.origin} row ${r} (theorem '${table.theorem_name[r]!.slice(0, 120)}', state ${table.state_id[r]})`);
    }
    excluded[r] = c.excluded[r] === true;
    if (excluded[r]) {
      const why = c.exclude_reason[r] ?? "unspecified";
      by_reason[why] = (by_reason[why] ?? 0) + 1;
    }
  }
  return { excluded, by_reason };
}

export interface MetricsStageResult {
  readonly values: Readonly<Record<string, number>>;
  readonly not_computed: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  readonly timings_s?: Readonly<Record<string, number>>;
}

function notesOf(details: unknown): string[] {
  return ((details as { notes?: string[] } | undefined)?.notes ?? []).slice();
}

export function embeddingMetricsStage(run: Run, it: IterName): StageSpec<MetricsStageResult> {
  const ip = run.paths.iter(it);
  const e = ip.embeddings;
  const b = ip.baselines;
  const params = run.config.recipes.embedding_metrics.recipe;
  return {
    name: `${it}/embedding-metrics`,
    description: "embedding-space baselines (plan Task 2.2): centroid L2, linear probe, norms, sibling distances, variance spectrum, silhouettes, dual labels",
    params,
    inputs: [ip.search_trajectories, e.index, e.states],
    code: { module: MODULE },
    outputs: [
      { path: b.embedding_metrics, kind: "json" },
      { path: b.sibling_l2, kind: "npy" },
    ],
    async run(ctx) {
      const table = trajectories(run, ctx, it);
      const index = indexExclusions(run, ctx, it, table);
      const res = await embeddingMetrics({ table, vectors: npyVectorSource(ctx.abs(e.states)), index_excluded: index.excluded, params, log: ctx.log });
      const notes = notesOf(res.file.details).map((n) => `${it} embeddings: ${n}`);
      const details = { ...res.file.details, notes, excluded_by_index_reason: index.by_reason, sources: { table: table.origin, vectors: e.states, index: e.index } };
      ctx.writeJson(b.embedding_metrics, { ...res.file, details }, { schema: "embedding_metrics" });
      ctx.writeNpy(b.sibling_l2, "float32", [res.sibling_l2.length], res.sibling_l2);
      return { values: res.file.values, not_computed: res.file.not_computed, notes: notesOf(details), timings_s: res.timings_s };
    },
  };
}

/**
 * EBM metrics (plan Task 2.5) of one head configuration, from its energies of its iteration's
 * trajectories, on the theorems its contrastive plan held out (the values), with the training
 * theorems' numbers alongside, labelled in-sample (details.in_sample).
 */
export function ebmMetricsStage(run: Run, config: EbmConfigName): StageSpec<MetricsStageResult & { split: string }> {
  const it = EBM_CONFIGS[config].iter;
  const e = run.paths.ebm(config);
  const planSummary = run.paths.ebm(EBM_CONFIGS[config].eval_plan).plan_summary; // the held-out split of the trajectories evaluated
  const params = run.config.recipes.ebm_metrics.recipe;
  return {
    name: `ebm-${config}/metrics`,
    description: `EBM baselines (plan Task 2.5) of ${EBM_CONFIGS[config].title} on held-out theorems: rank-1 overall and by depth, energy gap, sibling discrimination, active ratio`,
    params,
    inputs: [run.paths.iter(it).search_trajectories, e.energies, planSummary],
    code: { module: MODULE },
    outputs: [{ path: e.metrics, kind: "json" }],
    run(ctx) {
      const table = trajectories(run, ctx, it);
      const plan = readJson<ContrastivePlanSummary>(ctx.abs(planSummary));
      const val = new Set(plan.val_theorems);
      const energies = readRowScores(ctx.abs(e.energies));
      const base = { table, energies, energies_origin: e.energies, params };
      const held = ebmMetrics({ ...base, include: (r) => val.has(table.theorem_name[r]!) });
      const train = ebmMetrics({ ...base, include: (r) => !val.has(table.theorem_name[r]!) });
      const split = {
        evaluated: "val",
        description: `${plan.splits.val.theorems} theorems held out by ${planSummary} (val_fraction ${plan.params.val_fraction}, seed ${plan.params.seed}); the head never trained on them`,
        val_theorems: plan.splits.val.theorems,
        train_theorems: plan.splits.train.theorems,
        source: planSummary,
      };
      const notes = notesOf(held.details).map((n) => `${EBM_CONFIGS[config].title}, held-out theorems: ${n}`);
      const details = {
        ...held.details,
        notes,
        split,
        in_sample: { split: "train (in-sample: the head trained on these theorems)", values: train.values, not_computed: train.not_computed, ci95: (train.details as { ci95?: unknown }).ci95, chance: (train.details as { chance?: unknown }).chance },
        sources: { table: table.origin, energies: e.energies, plan: planSummary },
      };
      ctx.writeJson(e.metrics, { ...held, details }, { schema: "ebm_metrics" });
      for (const n of notes) ctx.log(n);
      return { values: held.values, not_computed: held.not_computed, notes, split: split.description };
    },
  };
}

/**
 * Every Task 2.3 plot as SVG. The spectrum is the full eigenvalue list of the
 * `<it>/embedding-spectrum` job.
 */
export function analyticsPlotsStage(run: Run, it: IterName): StageSpec<{ plots: string[]; timings_s: Record<string, number> }> {
  const ip = run.paths.iter(it);
  const e = ip.embeddings;
  const b = ip.baselines;
  const { recipe, controls } = run.config.recipes.plots;
  const svgs = EMBEDDING_PLOTS.map((name) => b.plots[name]);
  return {
    name: `${it}/plots`,
    description: "embedding plots (plan Task 2.3): UMAP and t-SNE by label, t-SNE by depth, sibling-L2 histogram, spectrum, depth vs centroid_l2",
    params: recipe,
    controls,
    inputs: [ip.search_trajectories, e.index, e.states, b.embedding_metrics, b.sibling_l2, b.spectrum_eigenvalues],
    code: { module: MODULE, jobs: ["tsne"] },
    outputs: [...svgs.map((path) => ({ path, kind: "svg" as const })), { path: b.plot_specs, kind: "json" as const }],
    async run(ctx) {
      const table = trajectories(run, ctx, it);
      const index = indexExclusions(run, ctx, it, table);
      const metrics = readJson<MetricsFile>(ctx.abs(b.embedding_metrics));
      const details = (metrics.details ?? {}) as { centroid_l2_by_depth?: DepthCentroid[]; siblings?: { collision_threshold?: number } };
      const tsne = tsneJob({ job_dir: run.paths.job_dir(`${it}-tsne`), perplexity: recipe.tsne_perplexity, max_iter: recipe.tsne_max_iter, timeout_s: controls.timeout_s, run: ctx.runJob });
      const projections = await projectSample(table, npyVectorSource(ctx.abs(e.states)), { max_points: recipe.max_points, pca_dims: recipe.pca_dims, seed: recipe.seed, tsne, index_excluded: index.excluded, log: ctx.log });
      const eff = metrics.values["effective_dimension"];
      const specs = embeddingPlotSpecs({
        title_prefix: it,
        table,
        projections,
        sibling_l2: readNpy(ctx.abs(b.sibling_l2)).data as Float32Array,
        collision_threshold: details.siblings?.collision_threshold ?? 1.0,
        centroid_by_depth: details.centroid_l2_by_depth ?? [],
        eigenvalues: readNpy(ctx.abs(b.spectrum_eigenvalues)).data as Float64Array,
        spectrum_notes: eff === undefined ? [] : [`effective dimension ${eff.toFixed(1)}`],
      });
      const watermark = isDemo(run.config) ? DEMO_PLOT_MARK : undefined;
      for (const name of EMBEDDING_PLOTS) {
        const spec = specs[name];
        if (!spec) throw new Error(`plot ${name} was not built`);
        ctx.writeText(b.plots[name], renderSvg(watermark ? { ...spec, watermark } : spec), { schema: "svg" });
      }
      ctx.writeJson(b.plot_specs, specs, { schema: "plot_specs" });
      return { plots: svgs, timings_s: { ...projections.timings_s } };
    },
  };
}
