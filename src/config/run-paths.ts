/**
 * Every path of a run directory, computed here and nowhere else. The layout mirrors the plan's
 * `v2/` tree (design.md §3) so the plan reads as a map of it. Paths are relative to the run
 * directory (that is what the manifest records); `abs()` resolves one.
 */
import { join } from "node:path";
import type { RunConfig } from "./run-config.js";

export type IterName = "iter_0" | "iter_1";
export const ITERS: readonly IterName[] = ["iter_0", "iter_1"];

export interface IterPaths {
  readonly dir: IterName;
  readonly model_dir: string;
  /** Metric events of this iteration's training run (JSON lines, the job event format). */
  readonly training_events: string;
  readonly search_trajectories: string;
  readonly trajectory_stats: string;
  readonly embeddings: {
    readonly states: string;
    readonly goals: string;
    readonly goal_index: string;
    readonly index: string;
    /** int64 rows of `states` that the index does not exclude. */
    readonly usable_rows: string;
  };
  readonly ebm: { readonly dir: string; readonly head_pt: string; readonly head_onnx: string; readonly energies: string };
  readonly baselines: {
    readonly dir: string;
    readonly embedding_metrics: string;
    readonly ebm_metrics: string;
    readonly spectrum_eigenvalues: string;
    readonly spectrum_metrics: string;
    readonly search_results: string;
    readonly plots_dir: string;
    readonly spectrum_plot: string;
    readonly report: string;
  };
}

export interface RunPaths {
  /** Absolute run directory. */
  readonly root: string;
  readonly manifest: string;
  readonly manifest_lock: string;
  readonly jobs_dir: string;
  readonly demo: {
    readonly params: string;
    readonly planted: string;
    /** Root of the synthetic world: it holds files at the same relative paths as a real run. */
    readonly world_dir: string;
    /** Where the demo world keeps its stand-in for the run artifact `rel`. */
    world(rel: string): string;
  };
  readonly data: {
    readonly workbook_dir: string;
    readonly numinamath_dir: string;
    readonly theorems: string;
    readonly traced: {
      readonly dir: string;
      readonly tactic_pairs: string;
      readonly sft_train: string;
      readonly sft_val: string;
      readonly contrastive_theorems: string;
      readonly tracing_report: string;
      readonly stats: string;
    };
  };
  readonly iter_0: IterPaths;
  readonly iter_1: IterPaths & {
    readonly config_b_dir: string;
    readonly analysis_dir: string;
    /** Plots the comparison report embeds (copies, so the report folder is self-contained). */
    readonly analysis_plots_dir: string;
    readonly comparison_report: string;
    readonly abort_check: string;
  };
  /** Rendered, published reports for this run (outside the run directory). */
  readonly reports: {
    readonly dir: string;
    readonly baseline_md: string;
    readonly comparison_md: string;
    readonly plots_dir: string;
    readonly notebooks_dir: string;
    readonly notebook_records: string;
  };
  abs(rel: string): string;
  /** Append-only log of stage runs (ran / cached / failed), one JSON line each. */
  readonly stage_log: string;
  /** Job working folder (config.json, events.jsonl, stderr.log). */
  job_dir(name: string): string;
}

function iterPaths(it: IterName): IterPaths {
  const n = it === "iter_0" ? 0 : 1;
  const b = `${it}/baselines`;
  return {
    dir: it,
    model_dir: `${it}/model`,
    training_events: `${it}/model/training_events.jsonl`,
    search_trajectories: `${it}/trajectories/search_iter${n}.arrow`,
    trajectory_stats: `${it}/trajectories/trajectory_stats.json`,
    embeddings: {
      states: `${it}/embeddings/state_embeddings.npy`,
      goals: `${it}/embeddings/goal_embeddings.npy`,
      goal_index: `${it}/embeddings/goal_index.npy`,
      index: `${it}/embeddings/embeddings_index.arrow`,
      usable_rows: `${it}/embeddings/usable_rows.npy`,
    },
    ebm: { dir: `${it}/ebm`, head_pt: `${it}/ebm/goal_conditioned_head.pt`, head_onnx: `${it}/ebm/goal_conditioned_head.onnx`, energies: `${it}/ebm/energies.npy` },
    baselines: {
      dir: b,
      embedding_metrics: `${b}/embedding_metrics.json`,
      ebm_metrics: `${b}/ebm_metrics.json`,
      spectrum_eigenvalues: `${b}/spectrum_eigenvalues.npy`,
      spectrum_metrics: `${b}/spectrum_metrics.json`,
      search_results: `${b}/search_results.json`,
      plots_dir: `${b}/plots`,
      spectrum_plot: `${b}/plots/${it}_spectrum.svg`,
      report: `${b}/baseline_report.md`,
    },
  };
}

export function runPaths(config: RunConfig): RunPaths {
  const root = join(config.runs_dir, config.run_id);
  const reportsDir = join(config.reports_dir, config.run_id);
  return {
    root,
    manifest: join(root, "manifest.json"),
    manifest_lock: join(root, ".manifest.lock"),
    jobs_dir: join(root, "jobs"),
    demo: { params: "demo/params.json", planted: "demo/planted.json", world_dir: "demo/world", world: (rel: string) => `demo/world/${rel}` },
    data: {
      workbook_dir: "data/workbook",
      numinamath_dir: "data/numinamath",
      theorems: "data/theorems.arrow",
      traced: {
        dir: "data/traced",
        tactic_pairs: "data/traced/tactic_pairs.arrow",
        sft_train: "data/traced/sft_train.jsonl",
        sft_val: "data/traced/sft_val.jsonl",
        contrastive_theorems: "data/traced/contrastive_theorems.arrow",
        tracing_report: "data/traced/tracing_report.json",
        stats: "data/traced/stats.json",
      },
    },
    iter_0: iterPaths("iter_0"),
    iter_1: {
      ...iterPaths("iter_1"),
      config_b_dir: "iter_1/baselines/config_B_frozen_ebm",
      analysis_dir: "iter_1/analysis",
      analysis_plots_dir: "iter_1/analysis/plots",
      comparison_report: "iter_1/analysis/comparison_report.md",
      abort_check: "iter_1/analysis/abort_check.json",
    },
    reports: {
      dir: reportsDir,
      baseline_md: join(reportsDir, "baseline_report.md"),
      comparison_md: join(reportsDir, "comparison_report.md"),
      plots_dir: join(reportsDir, "plots"),
      notebooks_dir: join(reportsDir, "notebooks"),
      notebook_records: join(reportsDir, "notebooks", "executions.json"),
    },
    abs: (rel: string) => join(root, rel),
    stage_log: join(root, "stage_log.jsonl"),
    job_dir: (name: string) => join(root, "jobs", name),
  };
}
