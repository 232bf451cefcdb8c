/**
 * Report stages: build the report models from artifacts (every number names its source) and
 * render baseline_report.md (plan Task 2.7) and comparison_report.md (Tasks 4.3–4.5), with HTML.
 */
import { posix } from "node:path";
import { runRel } from "../config/run-paths.js";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import { gitVersion } from "../artifacts/code-version.js";
import { readJson } from "../artifacts/json-file.js";
import { EBM_METRIC_KEYS, EMBEDDING_METRIC_KEYS, type MetricsFile } from "../artifacts/schemas.js";
import type { StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { isDemo } from "../config/run-config.js";
import type { EmbeddingPlotName, IterName, RunRel } from "../config/run-paths.js";
import type { DataStats } from "../data/data-stats.js";
import {
  notRun,
  renderBaselineMarkdown,
  renderComparisonMarkdown,
  renderHtml,
  valueCell,
  type BaselineReportModel,
  type Cell,
  type ComparisonReportModel,
  type ReportHeader,
  type SearchCells,
} from "../report/index.js";
import type { AbortCheck } from "./joint.js";

const MODULE = "src/stages/reports.ts";

/** Why cells of stages that do not exist yet read "not run". */
export const NOT_BUILT = {
  joint_ebm: "the jointly trained head (config C) needs the joint trainer, not built yet",
  sft: "SFT training not built yet",
  config_b_search: "miniF2F search with the config-B head not built yet",
} as const;

function header(run: Run, ctx: StageContext, title: string, inputs: readonly RunRel[]): ReportHeader {
  const m = run.manifest();
  const g = gitVersion();
  return {
    title,
    run_id: run.config.run_id,
    profile: run.config.profile,
    code_version: { git_commit: g.git_commit, dirty: g.dirty },
    generated_at: new Date().toISOString(),
    artifacts_read: inputs.filter((p) => !p.endsWith(".svg")).map((p) => ({ path: p, sha256: m.artifacts[p]?.sha256 ?? "(not in manifest)" })),
  };
}

function metricsOf(ctx: StageContext, rel: RunRel): MetricsFile {
  return readJson<MetricsFile>(ctx.abs(rel));
}

function cellFrom(file: MetricsFile, rel: string, key: string, missing: string): Cell {
  const v = file.values[key];
  if (v !== undefined) return valueCell(v, rel);
  return notRun(file.not_computed[key] ?? missing);
}

function searchCells(file: MetricsFile, rel: string, config: "llm_only" | "llm_ebm"): SearchCells {
  const why = `${config} missing from ${rel}`;
  return {
    proved: cellFrom(file, rel, `${config}.proved`, why),
    total: cellFrom(file, rel, `${config}.total`, why),
    rate: cellFrom(file, rel, `${config}.rate`, why),
  };
}

function embeddingCells(file: MetricsFile, rel: string): BaselineReportModel["embedding"] {
  const out = {} as Record<(typeof EMBEDDING_METRIC_KEYS)[number], Cell>;
  for (const k of EMBEDDING_METRIC_KEYS) out[k] = cellFrom(file, rel, k, `${k} missing from ${rel}`);
  return out;
}

function ebmCells(file: MetricsFile, rel: string): BaselineReportModel["ebm"] {
  const out = {} as Record<(typeof EBM_METRIC_KEYS)[number], Cell>;
  for (const k of EBM_METRIC_KEYS) out[k] = cellFrom(file, rel, k, `${k} missing from ${rel}`);
  return out;
}

/** The ALARM / exclusion notes the metrics stages wrote into their files. */
function metricNotes(...files: MetricsFile[]): string[] {
  return files.flatMap((f) => ((f.details as { notes?: unknown } | undefined)?.notes as string[] | undefined) ?? []);
}

const PLOT_CAPTIONS: ReadonlyArray<[EmbeddingPlotName, string, string]> = [
  ["spectrum", "Eigenvalue spectrum (log scale)", "Covariance eigenvalues of the state embeddings, descending."],
  ["umap_label", "UMAP, positives vs negatives", "UMAP (after PCA) of a label-balanced sample of usable states."],
  ["tsne_label", "t-SNE, positives vs negatives", "Barnes-Hut t-SNE (scikit-learn, after PCA) of the same sample."],
  ["tsne_depth", "t-SNE coloured by depth", "The same t-SNE, coloured by depth_from_root."],
  ["sibling_l2_hist", "Sibling L2 distances", "L2 distance of every pair of usable siblings; the collision threshold 1.0 is marked."],
  ["depth_centroid_l2", "Depth vs centroid_l2", "centroid_l2 within each depth: does separation fade with depth?"],
];

function demoNotes(run: Run): string[] {
  if (!isDemo(run.config)) return [];
  return [
    "DEMO: theorems, traced pairs, search trees, miniF2F outcomes, embeddings and the joint-training log are synthetic stand-ins from the seeded demo world (they need Lean, a GPU or downloads).",
    "Computed for real on them: split/format, data stats and the contrastive pool, trajectory stats, every embedding metric and plot, the decoupled energy head (trained on CPU), its energies and EBM metrics, abort-rule checks and these reports.",
  ];
}

function baselineInputs(run: Run): RunRel[] {
  const b = run.paths.iter_0.baselines;
  return [run.paths.data.traced.stats, b.embedding_metrics, run.paths.ebm("A").metrics, b.search_results, ...PLOT_CAPTIONS.map(([k]) => b.plots[k])];
}

export function baselineReportStage(run: Run): StageSpec<{ report: string }> {
  const it = run.paths.iter_0;
  const { md, html } = run.paths.baseline_report;
  const inputs = baselineInputs(run);
  return {
    name: "iter_0/baseline-report",
    description: "render baseline_report.md (plan Task 2.7) from the iter_0 artifacts",
    params: { demo: isDemo(run.config), not_built: NOT_BUILT },
    inputs,
    code: { module: MODULE },
    outputs: [
      { path: md, kind: "markdown" },
      { path: html, kind: "html" },
    ],
    run(ctx) {
      const stats = readJson<DataStats>(ctx.abs(run.paths.data.traced.stats));
      const statsRel = run.paths.data.traced.stats;
      const b = it.baselines;
      const ebmRel = run.paths.ebm("A").metrics;
      const emb = metricsOf(ctx, b.embedding_metrics);
      const ebmFile = metricsOf(ctx, ebmRel);
      const search = metricsOf(ctx, it.baselines.search_results);
      const src = stats.details.sources;
      const share = (s: string): Cell => (src[s] ? valueCell(src[s]!.pair_fraction, statsRel, "pct") : notRun(`no ${s} pairs in ${statsRel}`));
      const model: BaselineReportModel = {
        header: header(run, ctx, "v2 Iter 0 Baseline Report", inputs),
        data: {
          sft_pairs_train: valueCell(stats.values.sft_pairs_train, statsRel, "int"),
          sft_pairs_val: valueCell(stats.values.sft_pairs_val, statsRel, "int"),
          contrastive_theorems: valueCell(stats.values.contrastive_theorems, statsRel, "int"),
          source_breakdown: { workbook: share("workbook"), numinamath: share("numinamath") },
        },
        embedding: embeddingCells(emb, b.embedding_metrics),
        ebm: ebmCells(ebmFile, ebmRel),
        search: { llm_only: searchCells(search, it.baselines.search_results, "llm_only"), llm_ebm: searchCells(search, it.baselines.search_results, "llm_ebm") },
        plots: PLOT_CAPTIONS.map(([k, title, caption]) => ({ title, svg_relpath: posix.relative(posix.dirname(md), b.plots[k]), caption })),
        notes: [...demoNotes(run), ...metricNotes(emb, ebmFile)],
      };
      const text = renderBaselineMarkdown(model);
      ctx.writeText(md, text, { schema: "baseline_report" });
      ctx.writeText(html, renderHtml(text, { title: model.header.title, demo: isDemo(run.config) }), { schema: "baseline_report" });
      return { report: md };
    },
  };
}

function rateCell(file: MetricsFile, rel: RunRel, config: string): Cell {
  return cellFrom(file, rel, `${config}.rate`, `${config}.rate missing from ${rel}`);
}

export function comparisonReportStage(run: Run): StageSpec<{ report: string }> {
  const p = run.paths;
  const md = p.analysis.comparison_md;
  const html = p.analysis.comparison_html;
  const plot = (it: IterName) => p.iter(it).baselines.plots.spectrum;
  const copyOf = (it: IterName) => runRelUnder(p.analysis.plots_dir, posix.basename(plot(it)));
  const a0 = p.iter_0.baselines;
  const a1 = p.iter_1.baselines;
  const ebmA = p.ebm("A").metrics;
  const configBEbm = p.ebm("B").metrics;
  const inputs = [a0.search_results, a1.search_results, a0.embedding_metrics, a1.embedding_metrics, ebmA, configBEbm, p.analysis.abort_check, plot("iter_0"), plot("iter_1")];
  return {
    name: "comparison-report",
    description: "render comparison_report.md (plan Tasks 4.3–4.5 and Success Metrics) from iter_0 and iter_1 artifacts",
    params: { demo: isDemo(run.config), not_built: NOT_BUILT },
    inputs,
    code: { module: MODULE },
    outputs: [
      { path: md, kind: "markdown" },
      { path: html, kind: "html" },
      { path: copyOf("iter_0"), kind: "svg" },
      { path: copyOf("iter_1"), kind: "svg" },
    ],
    run(ctx) {
      const s0 = metricsOf(ctx, a0.search_results);
      const s1 = metricsOf(ctx, a1.search_results);
      const abort = readJson<AbortCheck>(ctx.abs(p.analysis.abort_check));
      const e0 = metricsOf(ctx, a0.embedding_metrics);
      const e1 = metricsOf(ctx, a1.embedding_metrics);
      const ebmAFile = metricsOf(ctx, ebmA);
      const ebmB = metricsOf(ctx, configBEbm);
      const cell = (f: MetricsFile, rel: RunRel, k: string) => cellFrom(f, rel, k, `${k} missing from ${rel}`);
      const joint = notRun(NOT_BUILT.joint_ebm);
      const model: ComparisonReportModel = {
        header: header(run, ctx, "v2 Iter 1 Comparison Report (A/B/C)", inputs),
        configs: {
          A: {
            centroid_l2: cell(e0, a0.embedding_metrics, "centroid_l2"),
            linear_probe_acc: cell(e0, a0.embedding_metrics, "linear_probe_acc"),
            rank1_accuracy: cell(ebmAFile, ebmA, "rank1_accuracy"),
            rank1_d4_plus: cell(ebmAFile, ebmA, "rank1_d4+"),
            sibling_discrimination: cell(ebmAFile, ebmA, "sibling_discrimination"),
            minif2f_rate: rateCell(s0, a0.search_results, "llm_ebm"),
          },
          B: {
            centroid_l2: cell(e1, a1.embedding_metrics, "centroid_l2"),
            linear_probe_acc: cell(e1, a1.embedding_metrics, "linear_probe_acc"),
            rank1_accuracy: cell(ebmB, configBEbm, "rank1_accuracy"),
            rank1_d4_plus: cell(ebmB, configBEbm, "rank1_d4+"),
            sibling_discrimination: cell(ebmB, configBEbm, "sibling_discrimination"),
            minif2f_rate: notRun(NOT_BUILT.config_b_search),
          },
          C: {
            centroid_l2: cell(e1, a1.embedding_metrics, "centroid_l2"),
            linear_probe_acc: cell(e1, a1.embedding_metrics, "linear_probe_acc"),
            rank1_accuracy: joint,
            rank1_d4_plus: joint,
            sibling_discrimination: joint,
            minif2f_rate: rateCell(s1, a1.search_results, "llm_ebm"),
          },
        },
        llm_only_rate: { iter_0: rateCell(s0, a0.search_results, "llm_only"), iter_1: rateCell(s1, a1.search_results, "llm_only") },
        sft_val_loss: { iter_0: notRun(NOT_BUILT.sft), iter_1: notRun(NOT_BUILT.sft) },
        abort_checks: { source: p.analysis.abort_check, rules: abort.rules.map((r) => ({ id: r.id, description: r.description, fired: r.fired, ...(r.step !== undefined ? { step: r.step } : {}), ...(r.value !== undefined ? { value: r.value } : {}) })) },
        plots: (["iter_0", "iter_1"] as const).map((it) => ({
          title: `${it} eigenvalue spectrum (log scale)`,
          svg_relpath: posix.relative(posix.dirname(md), copyOf(it)),
          caption: `Covariance eigenvalues of the ${it} state embeddings.`,
        })),
        notes: [...demoNotes(run), ...metricNotes(e0, e1, ebmAFile, ebmB)],
      };
      for (const it of ["iter_0", "iter_1"] as const) {
        copyFileAtomic(ctx.abs(plot(it)), ctx.abs(copyOf(it)));
        ctx.describe(copyOf(it), { schema: "svg" });
      }
      const text = renderComparisonMarkdown(model);
      ctx.writeText(md, text, { schema: "comparison_report" });
      ctx.writeText(html, renderHtml(text, { title: model.header.title, demo: isDemo(run.config) }), { schema: "comparison_report" });
      return { report: md };
    },
  };
}

function runRelUnder(dir: RunRel, name: string): RunRel {
  return runRel(`${dir}/${name}`);
}
