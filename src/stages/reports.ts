/**
 * Report stages: build the report models from artifacts (every number names its source) and
 * render baseline_report.md (plan Task 2.7) and comparison_report.md (Tasks 4.3–4.5), with HTML.
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { runRel } from "../config/run-paths.js";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import { gitVersion } from "../artifacts/code-version.js";
import { readJson } from "../artifacts/json-file.js";
import { EBM_METRIC_KEYS, EMBEDDING_METRIC_KEYS, type MetricsFile } from "../artifacts/schemas.js";
import type { StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { isDemo } from "../config/run-config.js";
import type { EmbeddingPlotName, RunRel } from "../config/run-paths.js";
import type { DataStats } from "../data/data-stats.js";
import {
  answerQuestions,
  decide,
  notRun,
  renderBaselineMarkdown,
  renderComparisonMarkdown,
  renderHtml,
  valueCell,
  type BaselineReportModel,
  type Cell,
  type ComparisonColumn,
  type ComparisonReportModel,
  type ConfigMeasurements,
  type ReportHeader,
} from "../report/index.js";
import type { SearchRunId } from "../report/comparison-report-model.js";
import { readNpy } from "../artifacts/npy.js";
import type { Source } from "../artifacts/schemas.js";
import type { PlotSpec } from "../viz/plot-spec.js";
import { renderSvg } from "../viz/render-svg.js";
import { DEMO_PLOT_MARK } from "./analytics.js";
import type { AbortCheck } from "./joint.js";
import { detailsOf, inSampleCell, metricCell, metricCells, metricNotes, searchCells, searchOutcomes } from "./report-cells.js";
import { abcConsistent, AbcMismatchError, type AbcInvariants } from "../report/abc-invariants.js";
import { abcInvariantInputs, readAbcInvariants } from "./abc-invariants.js";
import { mcnemarExact, pairedDifferenceInterval } from "../numeric/intervals.js";

const MODULE = "src/stages/reports.ts";

/** Why cells of stages that do not exist yet read "not run". */
export const NOT_BUILT = {
  sft: "SFT training not built yet (python/burnqed/sft.py, issue 10)",
} as const;

function header(run: Run, title: string, inputs: readonly RunRel[]): ReportHeader {
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

const PLOT_CAPTIONS: ReadonlyArray<[EmbeddingPlotName, string, string]> = [
  ["spectrum", "Eigenvalue spectrum (log scale)", "Covariance eigenvalues of the state embeddings, descending."],
  ["umap_label", "UMAP, positives vs negatives", "UMAP (after PCA) of a seeded sample of usable states, positives capped at half (the counts are under the plot)."],
  ["tsne_label", "t-SNE, positives vs negatives", "Barnes-Hut t-SNE (scikit-learn, after PCA) of the same sample."],
  ["tsne_depth", "t-SNE coloured by depth", "The same t-SNE, coloured by depth_from_root."],
  ["sibling_l2_hist", "Sibling L2 distances", "L2 distance of every pair of usable siblings; the collision threshold 1.0 is marked."],
  ["depth_centroid_l2", "Depth vs centroid_l2", "centroid_l2 within each depth: does separation fade with depth?"],
];

function demoNotes(run: Run): string[] {
  if (!isDemo(run.config)) return [];
  return [
    "DEMO: the theorems, traced pairs and joint-training log are synthetic stand-ins from the seeded demo world (they need downloads, Lean or a GPU); Lean is the synthetic Lean of src/demo/synthetic and the policy and encoder are the synthetic server's (seeded, on loopback); config C's head is a stand-in trained decoupled on the iter_0 trajectories embedded by the iter_1 encoder (joint training needs a GPU).",
    "Computed for real on them: the search trees and miniF2F outcomes (the project's best-first search through the REPL pool, the completions client and, for LLM+EBM, the ONNX energy head), split/format, data stats and the contrastive pool, trajectory stats, every embedding metric and plot, the energy heads (trained on CPU), their energies and EBM metrics, abort-rule checks and these reports.",
  ];
}

/** The SVGs a report links, by their path relative to the report (for the self-contained HTML). */
function inlineSvgs(ctx: StageContext, reportMd: RunRel, plots: readonly RunRel[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of plots) out[posix.relative(posix.dirname(reportMd), p)] = readFileSync(ctx.abs(p), "utf8");
  return out;
}

function baselineInputs(run: Run): RunRel[] {
  const b = run.paths.iter_0.baselines;
  return [run.paths.data.traced.stats, b.embedding_metrics, run.paths.ebm("A").metrics, b.search_results, run.paths.ebm("A").minif2f.results, ...PLOT_CAPTIONS.map(([k]) => b.plots[k])];
}

function sourceShares(stats: DataStats, rel: RunRel, field: "pair_fraction" | "theorem_fraction"): Partial<Record<Source, Cell>> {
  const out: Partial<Record<Source, Cell>> = {};
  for (const s of ["workbook", "workbook_plus", "numinamath", "minif2f"] as const) {
    const x = stats.details.sources[s];
    if (x) out[s] = valueCell(x[field], rel, "pct");
  }
  return out;
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
      const statsRel = run.paths.data.traced.stats;
      const stats = readJson<DataStats>(ctx.abs(statsRel));
      const b = it.baselines;
      const ebmRel = run.paths.ebm("A").metrics;
      const emb = metricsOf(ctx, b.embedding_metrics);
      const ebmFile = metricsOf(ctx, ebmRel);
      const search = metricsOf(ctx, b.search_results);
      const aRel = run.paths.ebm("A").minif2f.results;
      const searchA = metricsOf(ctx, aRel);
      const byPairs = sourceShares(stats, statsRel, "pair_fraction");
      const model: BaselineReportModel = {
        header: header(run, "v2 Iter 0 Baseline Report", inputs),
        data: {
          sft_pairs_train: valueCell(stats.values.sft_pairs_train, statsRel, "int"),
          sft_pairs_val: valueCell(stats.values.sft_pairs_val, statsRel, "int"),
          contrastive_theorems: valueCell(stats.values.contrastive_theorems, statsRel, "int"),
          source_breakdown: { workbook: byPairs.workbook ?? notRun(`no workbook pairs in ${statsRel}`), numinamath: byPairs.numinamath ?? notRun(`no numinamath pairs in ${statsRel}`), ...byPairs },
          source_breakdown_theorems: sourceShares(stats, statsRel, "theorem_fraction"),
        },
        embedding: metricCells(emb, b.embedding_metrics, EMBEDDING_METRIC_KEYS),
        ebm: metricCells(ebmFile, ebmRel, EBM_METRIC_KEYS),
        ebm_in_sample: Object.fromEntries(EBM_METRIC_KEYS.map((k) => [k, inSampleCell(ebmFile, ebmRel, k)])) as Record<(typeof EBM_METRIC_KEYS)[number], Cell>,
        ebm_split: detailsOf(ebmFile).split?.description ?? `the theorems of ${ebmRel}`,
        search: { llm_only: searchCells(search, b.search_results, "llm_only"), llm_ebm: searchCells(searchA, aRel, "llm_ebm") },
        plots: PLOT_CAPTIONS.map(([k, title, caption]) => ({ title, svg_relpath: posix.relative(posix.dirname(md), b.plots[k]), caption })),
        notes: [...demoNotes(run), ...pairedSearchNote(search, searchA, "LLM+EBM (config A) − LLM-only", run), ...searchNotes(search, searchA), ...metricNotes(emb, ebmFile)],
      };
      const text = renderBaselineMarkdown(model);
      ctx.writeText(md, text, { schema: "baseline_report" });
      const svgs = inlineSvgs(ctx, md, PLOT_CAPTIONS.map(([k]) => b.plots[k]));
      ctx.writeText(html, renderHtml(text, { title: model.header.title, demo: isDemo(run.config), inline_svgs: svgs }), { schema: "baseline_report" });
      return { report: md };
    },
  };
}

/** second − first on the same miniF2F theorems: paired bootstrap interval and exact McNemar. */
function pairedSearchNote(first: MetricsFile, second: MetricsFile, label: string, run: Run): string[] {
  const a = searchOutcomes(first);
  const b = searchOutcomes(second);
  const ka = a ? Object.values(a.proved)[0] : undefined;
  const kb = b ? Object.values(b.proved)[0] : undefined;
  if (!a || !b || !ka || !kb || a.theorems.length !== b.theorems.length || a.theorems.some((t, i) => t !== b.theorems[i])) return [];
  const bs = run.config.recipes.ebm_metrics.recipe;
  const ci = pairedDifferenceInterval(ka, kb, { samples: bs.bootstrap_samples, seed: bs.seed });
  const m = mcnemarExact(ka, kb);
  const d = (100 * (kb.filter(Boolean).length - ka.filter(Boolean).length)) / ka.length;
  const sign = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
  const iv = ci ? ` [${sign(100 * ci.interval[0])}, ${sign(100 * ci.interval[1])}]` : "";
  return [`${label} on the same ${ka.length} theorems: ${sign(d)} pts${iv} (paired bootstrap over theorems); exact McNemar p = ${m.p_value < 1e-3 ? m.p_value.toExponential(1) : m.p_value.toFixed(3)} (${m.only_second} theorems proved only with the EBM, ${m.only_first} only without).`];
}

/** Where the miniF2F numbers come from (each search_results file says), and its errors if any. */
function searchNotes(...files: MetricsFile[]): string[] {
  return files.flatMap((f) => {
    const d = (f.details ?? {}) as { provenance?: string; config?: string; statuses?: Record<string, number>; search?: { max_nodes?: number } };
    if (!d.provenance) return [];
    const st = d.statuses ?? {};
    const errs = st["error"] ? ` ${st["error"]} theorem(s) ended in error and count as not proved.` : "";
    return [`miniF2F ${d.config === "llm_ebm" ? "LLM+EBM" : "LLM-only"} (${d.search?.max_nodes ?? "?"} nodes): ${d.provenance}; statuses ${Object.entries(st).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ")}.${errs}`];
  });
}

function rateCell(file: MetricsFile, rel: RunRel, config: "llm_only" | "llm_ebm"): Cell {
  return searchCells(file, rel, config).rate;
}

/** The comparison's plots: iter_1's Task 2.3 plots (Task 4.3 repeats them) and both spectra on one axis. */
const COMPARISON_PLOTS: ReadonlyArray<[EmbeddingPlotName, string, string]> = PLOT_CAPTIONS.filter(([k]) => k !== "spectrum").map(([k, title, caption]) => [k, `iter_1 ${title}`, caption]);

function spectraOverlay(e0: ArrayLike<number>, e1: ArrayLike<number>, demo: boolean): string {
  const line = (name: string, v: ArrayLike<number>) => ({ kind: "line" as const, name, x: Array.from(v, (_, i) => i + 1), y: Array.from(v) });
  const spec: PlotSpec = {
    title: "Embedding variance spectra, iter_0 vs iter_1",
    x_axis: { title: "eigenvalue index", type: "linear" },
    y_axis: { title: "eigenvalue (variance)", type: "log" },
    traces: [line("iter_0", e0), line("iter_1", e1)],
    notes: ["Covariance eigenvalues of each iteration's usable state embeddings, descending, on one log axis."],
    width_px: 640,
    height_px: 400,
    ...(demo ? { watermark: DEMO_PLOT_MARK } : {}),
  };
  return renderSvg(spec);
}

/** One line: what A/B/C were checked to share. */
function invariantsNote(inv: AbcInvariants, source: RunRel): string {
  const f = inv.fields;
  const arch = f.head_architecture?.value as { d_model?: number; hidden_dims?: number[]; dropout?: number } | undefined;
  const split = f.data_split?.value as { val_fraction?: number; seed?: number } | undefined;
  const samp = f.contrastive_sampling?.value as { k_negatives?: number; hard_ratio?: number } | undefined;
  const emb = f.embedding_recipe?.value as { template?: string; max_length?: number } | undefined;
  return (
    `Configs A, B and C were checked to share (${source}): the head (d ${arch?.d_model} → ${JSON.stringify(arch?.hidden_dims)} → 1, dropout ${arch?.dropout}), ` +
    `the embedding recipe (${emb?.template}, max_length ${emb?.max_length}), the held-out split (val_fraction ${split?.val_fraction}, seed ${split?.seed}), ` +
    `K ${samp?.k_negatives} negatives with hard share ${samp?.hard_ratio}, and head seed ${JSON.stringify(f.head_seed?.value)}; they differ only in the LoRA and in how the head was trained.`
  );
}

export function comparisonReportStage(run: Run): StageSpec<{ report: string; decision: string } & Record<string, string>> {
  const p = run.paths;
  const md = p.analysis.comparison_md;
  const html = p.analysis.comparison_html;
  const a0 = p.iter_0.baselines;
  const a1 = p.iter_1.baselines;
  const ebmRel = { A: p.ebm("A").metrics, B: p.ebm("B").metrics, C: p.ebm("C").metrics } as const;
  const overlay = runRel(`${p.analysis.plots_dir}/spectra_iter_0_vs_iter_1.svg`);
  const copyOf = (rel: RunRel) => runRel(`${p.analysis.plots_dir}/${posix.basename(rel)}`);
  const iter1Plots = COMPARISON_PLOTS.map(([k]) => a1.plots[k]);
  const mini = { A: p.ebm("A").minif2f.results, B: p.ebm("B").minif2f.results, C: p.ebm("C").minif2f.results } as const;
  const inputs = [a0.search_results, a1.search_results, mini.A, mini.B, mini.C, a0.embedding_metrics, a1.embedding_metrics, ebmRel.A, ebmRel.B, ebmRel.C, p.analysis.abort_check, a0.spectrum_eigenvalues, a1.spectrum_eigenvalues, ...iter1Plots];
  const invariantInputs = abcInvariantInputs(run).filter((rel) => !inputs.includes(rel));
  const thresholds = run.config.recipes.decision.recipe;
  const bootstrap = { samples: run.config.recipes.ebm_metrics.recipe.bootstrap_samples, seed: run.config.recipes.ebm_metrics.recipe.seed };
  return {
    name: "comparison-report",
    description: "render comparison_report.md (plan Tasks 4.3–4.5 and Success Metrics) from iter_0 and iter_1 artifacts",
    params: { demo: isDemo(run.config), not_built: NOT_BUILT, thresholds, bootstrap },
    inputs: [...inputs, ...invariantInputs],
    code: { module: MODULE },
    outputs: [
      { path: p.analysis.abc_invariants, kind: "json" },
      { path: md, kind: "markdown" },
      { path: html, kind: "html" },
      { path: overlay, kind: "svg" },
      ...iter1Plots.map((rel) => ({ path: copyOf(rel), kind: "svg" as const })),
    ],
    run(ctx) {
      // attribution needs A, B and C to differ only in the LoRA and how the head was trained
      const invariants = readAbcInvariants(run, (rel) => ctx.abs(rel));
      if (!abcConsistent(invariants)) throw new AbcMismatchError(invariants);
      ctx.writeJson(p.analysis.abc_invariants, invariants);
      const s0 = metricsOf(ctx, a0.search_results);
      const s1 = metricsOf(ctx, a1.search_results);
      const sm = { A: metricsOf(ctx, mini.A), B: metricsOf(ctx, mini.B), C: metricsOf(ctx, mini.C) };
      const abort = readJson<AbortCheck>(ctx.abs(p.analysis.abort_check));
      const e0 = metricsOf(ctx, a0.embedding_metrics);
      const e1 = metricsOf(ctx, a1.embedding_metrics);
      const ebm = { A: metricsOf(ctx, ebmRel.A), B: metricsOf(ctx, ebmRel.B), C: metricsOf(ctx, ebmRel.C) };
      const embFor = { A: [e0, a0.embedding_metrics], B: [e1, a1.embedding_metrics], C: [e1, a1.embedding_metrics] } as const;
      const configCells = (id: "A" | "B" | "C", minif2f: Cell): ConfigMeasurements => {
        const [ef, er] = embFor[id];
        return {
          centroid_l2: metricCell(ef, er, "centroid_l2"),
          linear_probe_acc: metricCell(ef, er, "linear_probe_acc"),
          linear_probe_balanced_acc: metricCell(ef, er, "linear_probe_balanced_acc"),
          linear_probe_base_rate: metricCell(ef, er, "linear_probe_base_rate"),
          rank1_accuracy: metricCell(ebm[id], ebmRel[id], "rank1_accuracy"),
          rank1_d4_plus: metricCell(ebm[id], ebmRel[id], "rank1_d4+"),
          sibling_discrimination: metricCell(ebm[id], ebmRel[id], "sibling_discrimination"),
          minif2f_rate: minif2f,
        };
      };
      const se = (id: "A" | "B" | "C") => {
        const [ef] = embFor[id];
        const es = detailsOf(ef).bootstrap_se ?? {};
        const bs = detailsOf(ebm[id]).bootstrap_se ?? {};
        const out: Partial<Record<ComparisonColumn, number>> = {};
        if (es["centroid_l2"] !== undefined) out.centroid_l2 = es["centroid_l2"];
        if (es["linear_probe_balanced_acc"] !== undefined) out.linear_probe_balanced_acc = es["linear_probe_balanced_acc"];
        if (bs["rank1_d4+"] !== undefined) out.rank1_d4_plus = bs["rank1_d4+"];
        if (bs["sibling_discrimination"] !== undefined) out.sibling_discrimination = bs["sibling_discrimination"];
        return out;
      };
      // paired tests need the same theorems in the same order in every run compared
      const outcomes = { llm_only_0: [s0, "llm_only"], A: [sm.A, "llm_ebm"], llm_only_1: [s1, "llm_only"], B: [sm.B, "llm_ebm"], C: [sm.C, "llm_ebm"] } as const;
      const o0 = searchOutcomes(s0);
      const proved: Partial<Record<SearchRunId, readonly boolean[]>> = {};
      for (const [id, [f, key]] of Object.entries(outcomes) as [SearchRunId, readonly [MetricsFile, "llm_only" | "llm_ebm"]][]) {
        const o = searchOutcomes(f);
        const same = o0 && o && o.theorems.length === o0.theorems.length && o.theorems.every((t, i) => t === o0.theorems[i]);
        if (same && o.proved[key]) proved[id] = o.proved[key]!;
      }
      const embTables = (f: MetricsFile, rel: RunRel) => metricCells(f, rel, EMBEDDING_METRIC_KEYS);
      const model: ComparisonReportModel = {
        header: header(run, "v2 Iter 1 Comparison Report (A/B/C)", inputs),
        configs: {
          A: configCells("A", rateCell(sm.A, mini.A, "llm_ebm")),
          B: configCells("B", rateCell(sm.B, mini.B, "llm_ebm")),
          C: configCells("C", rateCell(sm.C, mini.C, "llm_ebm")),
        },
        paired: {
          ...(o0 ? { minif2f: { theorems: o0.theorems, proved, source: [a0.search_results, mini.A, a1.search_results, mini.B, mini.C].join(", ") } } : {}),
          ebm: { A: detailsOf(ebm.A).per_theorem ?? [], B: detailsOf(ebm.B).per_theorem ?? [], C: detailsOf(ebm.C).per_theorem ?? [] },
          se: { A: se("A"), B: se("B"), C: se("C") },
          same_embeddings: [["B", "C"]],
          bootstrap,
        },
        tables: {
          embedding: { iter_0: embTables(e0, a0.embedding_metrics), iter_1: embTables(e1, a1.embedding_metrics) },
          ebm: { A: metricCells(ebm.A, ebmRel.A, EBM_METRIC_KEYS), B: metricCells(ebm.B, ebmRel.B, EBM_METRIC_KEYS), C: metricCells(ebm.C, ebmRel.C, EBM_METRIC_KEYS) },
          ebm_split: { A: detailsOf(ebm.A).split?.description ?? ebmRel.A, B: detailsOf(ebm.B).split?.description ?? ebmRel.B, C: detailsOf(ebm.C).split?.description ?? ebmRel.C },
        },
        thresholds,
        llm_only_rate: { iter_0: rateCell(s0, a0.search_results, "llm_only"), iter_1: rateCell(s1, a1.search_results, "llm_only") },
        sft_val_loss: { iter_0: notRun(NOT_BUILT.sft), iter_1: notRun(NOT_BUILT.sft) },
        abort_checks: { source: p.analysis.abort_check, rules: abort.rules.map((r) => ({ id: r.id, description: r.description, fired: r.fired, ...(r.step !== undefined ? { step: r.step } : {}), ...(r.value !== undefined ? { value: r.value } : {}), ...(r.why_not_evaluated ? { not_evaluated: r.why_not_evaluated } : {}) })) },
        plots: [
          { title: "Embedding variance spectra, iter_0 vs iter_1", svg_relpath: posix.relative(posix.dirname(md), overlay), caption: "Both iterations' covariance eigenvalues on one log axis." },
          ...COMPARISON_PLOTS.map(([k, title, caption]) => ({ title, svg_relpath: posix.relative(posix.dirname(md), copyOf(a1.plots[k])), caption })),
        ],
        notes: [...demoNotes(run), invariantsNote(invariants, p.analysis.abc_invariants), ...searchNotes(s0, sm.A, s1, sm.B, sm.C), ...metricNotes(e0, e1, ebm.A, ebm.B, ebm.C)],
      };
      ctx.writeText(overlay, spectraOverlay(readNpy(ctx.abs(a0.spectrum_eigenvalues)).data as Float64Array, readNpy(ctx.abs(a1.spectrum_eigenvalues)).data as Float64Array, isDemo(run.config)), { schema: "svg" });
      for (const rel of iter1Plots) {
        copyFileAtomic(ctx.abs(rel), ctx.abs(copyOf(rel)));
        ctx.describe(copyOf(rel), { schema: "svg" });
      }
      const text = renderComparisonMarkdown(model);
      ctx.writeText(md, text, { schema: "comparison_report" });
      const svgs = inlineSvgs(ctx, md, [overlay, ...iter1Plots.map(copyOf)]);
      ctx.writeText(html, renderHtml(text, { title: model.header.title, demo: isDemo(run.config), inline_svgs: svgs }), { schema: "comparison_report" });
      const result = decide(model);
      const summary = result.decision.kind === "decided" ? `${result.decision.rule_id}: ${result.decision.action}${result.decision.provisional_because.length ? " (provisional: an earlier rule is open)" : ""}` : result.decision.kind;
      const answers = Object.fromEntries(answerQuestions(model).map((q) => [q.id, `${q.question} ${q.answer}`]));
      return { report: md, decision: summary, ...answers };
    },
  };
}
