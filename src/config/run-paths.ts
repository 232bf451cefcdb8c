/**
 * Every path of a run directory, computed here and nowhere else. The layout mirrors the plan's
 * `v2/` tree (design.md §3) so the plan reads as a map of it.
 *
 * Two kinds of path, with distinct types so one cannot be passed for the other:
 * - `RunRel`: relative to the run directory — what the manifest records and stages declare as
 *   inputs and outputs. Only this module (and `runRel`, which checks its argument) makes them.
 * - `AbsPath`: an absolute file-system path (`paths.abs(rel)`, job folders, published reports).
 *   Both are strings at run time; an `AbsPath` can go wherever a file-system path is expected.
 */
import { isAbsolute, join, normalize } from "node:path";
import type { DatasetFormat } from "../data/dataset-catalog.js";
import type { RunConfig } from "./run-config.js";

declare const runRelBrand: unique symbol;
declare const absPathBrand: unique symbol;
/** A path relative to the run directory (forward slashes, no `..`). */
export type RunRel = string & { readonly [runRelBrand]: true };
/** An absolute file-system path. */
export type AbsPath = string & { readonly [absPathBrand]: true };

/** Check and brand a run-relative path (for tests and tools that name an artifact by hand). */
export function runRel(p: string): RunRel {
  if (p === "" || isAbsolute(p) || p.includes("\\") || p.split("/").some((s) => s === ".." || s === "." || s === "")) {
    throw new Error(`not a run-relative path: '${p}' (expected forward-slash segments under the run directory, no '..')`);
  }
  return p as RunRel;
}

/** Brand an absolute path (throws on a relative one). */
export function absPath(p: string): AbsPath {
  if (!isAbsolute(p)) throw new Error(`not an absolute path: '${p}'`);
  return normalize(p) as AbsPath;
}

const r = (p: string): RunRel => p as RunRel; // this module's own literals
const under = (dir: RunRel, name: string): RunRel => `${dir}/${name}` as RunRel;

export type IterName = "iter_0" | "iter_1";
export const ITERS: readonly IterName[] = ["iter_0", "iter_1"];

/**
 * The plan's three energy-head configurations (Task 4.3). Each names the iteration whose LoRA
 * produced the embeddings and how its head was trained.
 */
export type EbmConfigName = "A" | "B" | "C";
export const EBM_CONFIGS: Readonly<Record<EbmConfigName, { readonly iter: IterName; readonly head: "decoupled" | "joint"; readonly eval_plan: EbmConfigName; readonly title: string }>> = {
  A: { iter: "iter_0", head: "decoupled", eval_plan: "A", title: "config A (iter_0 LoRA, decoupled head on frozen iter_0 embeddings)" },
  B: { iter: "iter_1", head: "decoupled", eval_plan: "B", title: "config B (iter_1 LoRA, decoupled head retrained on frozen iter_1 embeddings)" },
  // C trains on iter_0's plan (joint training starts from iter_0) and is evaluated, like B, on the
  // iter_1 trajectories: B's plan holds them out by the same per-name rule
  C: { iter: "iter_1", head: "joint", eval_plan: "B", title: "config C (iter_1 LoRA, jointly trained head)" },
};

/** The Task 2.3 plots of one iteration. */
export const EMBEDDING_PLOTS = ["spectrum", "umap_label", "tsne_label", "tsne_depth", "sibling_l2_hist", "depth_centroid_l2"] as const;
export type EmbeddingPlotName = (typeof EMBEDDING_PLOTS)[number];

export interface EmbeddingPaths {
  readonly dir: RunRel;
  readonly states: RunRel;
  readonly goals: RunRel;
  readonly goal_index: RunRel;
  readonly index: RunRel;
  /** int64 rows of `states` that the index does not exclude. */
  readonly usable_rows: RunRel;
  /** JSON Lines {"text": state_pp}, one per trajectory row, in table order (embedding job input). */
  readonly state_texts: RunRel;
  /** JSON Lines {"text": goal_pp, "theorem_name"}, one per goal row. */
  readonly goal_texts: RunRel;
  /** int32 per row: 0 ok, 1 empty text, 2 non-finite, 3 all zero (the job's alarms). */
  readonly state_flags: RunRel;
  readonly goal_flags: RunRel;
  /** Recipe, counts and timings of the embedding job. */
  readonly meta: RunRel;
  /** Not an artifact: completed chunks of the resumable embedding job. */
  readonly work_dir: RunRel;
}

/** What one search run leaves: the tree table, the rejected tactics, its summary and its chunks. */
export interface SearchRunPaths {
  readonly trajectories: RunRel;
  /** Each tactic Lean rejected, with its error text (FAILED_TACTICS). */
  readonly failed_tactics: RunRel;
  /** proved / total / rate, statuses, costs, per-theorem outcomes (search_results format). */
  readonly results: RunRel;
  /** Not an artifact: one JSON line per finished theorem, merged into the tables once (resumable). */
  readonly chunks_dir: RunRel;
}

export interface IterPaths {
  readonly dir: IterName;
  readonly model_dir: RunRel;
  /** The merged model of the iteration (plan Task 1.2 / 4.2). */
  readonly merged_model: RunRel;
  /** Metric events of this iteration's training run (JSON lines, the job event format). */
  readonly training_events: RunRel;
  /** SFT (Task 1.1): the LoRA adapter folder, its training summary and the seed-batch run's. */
  readonly sft: { readonly adapter: RunRel; readonly summary: RunRel; readonly seed_train: RunRel; readonly seed_adapter: RunRel; readonly seed_summary: RunRel; readonly checkpoint: RunRel; readonly seed_checkpoint: RunRel };
  /** Task 1.2: the merge check's numbers and the merged folder's file hashes. */
  readonly merge_summary: RunRel;
  /** Not an artifact: joint training's resumable checkpoints (iter_1). */
  readonly joint_checkpoints: RunRel;
  readonly search_trajectories: RunRel;
  /** The contrastive-pool search (Task 1.3): its tables, exports and chunks. */
  readonly search: SearchRunPaths & {
    /** Found proofs as LeanDojo-style traced tactics (JSON lines). */
    readonly traced_proofs: RunRel;
    /** (state, winning tactic, losing tactic + Lean error) on proof paths (JSON lines). */
    readonly preference_pairs: RunRel;
  };
  /** miniF2F, LLM-only (Task 1.4 / 4.3); results = baselines.search_results. */
  readonly minif2f: SearchRunPaths;
  readonly trajectory_stats: RunRel;
  readonly embeddings: EmbeddingPaths;
  readonly baselines: {
    readonly dir: RunRel;
    readonly embedding_metrics: RunRel;
    readonly spectrum_eigenvalues: RunRel;
    readonly spectrum_metrics: RunRel;
    /** miniF2F search summary (LLM-only and LLM+EBM). */
    readonly search_results: RunRel;
    /** float32 (pairs,): every sibling-pair L2 distance, for the histogram. */
    readonly sibling_l2: RunRel;
    readonly plots_dir: RunRel;
    readonly plots: Readonly<Record<EmbeddingPlotName, RunRel>>;
    /** Every plot's PlotSpec as JSON (interactive display with toPlotlyFigure). */
    readonly plot_specs: RunRel;
  };
}

/** Files of one energy-head configuration (A, B or C). */
export interface EbmPaths {
  readonly config: EbmConfigName;
  readonly dir: RunRel;
  readonly plan_dir: RunRel;
  readonly plan_summary: RunRel;
  readonly head_pt: RunRel;
  readonly head_onnx: RunRel;
  readonly training_events: RunRel;
  readonly training_summary: RunRel;
  /** Not an artifact: the trainer's resumable checkpoint (kept across interrupted runs). */
  readonly checkpoint: RunRel;
  readonly energies: RunRel;
  readonly energies_summary: RunRel;
  readonly metrics: RunRel;
  /** miniF2F searched with this head (LLM + EBM, Tasks 2.6 / 4.3). */
  readonly minif2f: SearchRunPaths;
  /**
   * DEMO only (config C): the iter_0 trajectories embedded by the iter_1 encoder, which the joint
   * stand-in trains C's head on (joint training learns from iter_0 data through the live LoRA).
   */
  readonly stand_in_embeddings: { readonly states: RunRel; readonly goals: RunRel; readonly goal_index: RunRel; readonly index: RunRel; readonly meta: RunRel };
  planFile(split: string, name: string): RunRel;
}

export interface RunPaths {
  /** Absolute run directory. */
  readonly root: AbsPath;
  readonly manifest: AbsPath;
  readonly manifest_lock: AbsPath;
  readonly jobs_dir: AbsPath;
  /** Append-only log of stage runs (ran / cached / failed), one JSON line each. */
  readonly stage_log: AbsPath;
  readonly demo: {
    readonly params: RunRel;
    readonly planted: RunRel;
    /** Root of the synthetic world: it holds files at the same relative paths as a real run. */
    readonly world_dir: RunRel;
    /** Where the demo world keeps its stand-in for the run artifact `rel`. */
    world(rel: RunRel): RunRel;
    /** The synthetic Lean's theorems and tactic semantics (src/demo/synthetic): the demo's Lean. */
    readonly synthetic_world: RunRel;
    /** The synthetic policy/encoder server's config: one served model per iteration. */
    readonly policy_server: RunRel;
  };
  readonly data: {
    /** Where each dataset's download goes (mirrors the plan's v2/data tree). */
    readonly downloads: Readonly<Record<DatasetFormat, RunRel>>;
    readonly theorems: RunRel;
    readonly ingest_report: RunRel;
    readonly quarantine: RunRel;
    readonly version_audit: RunRel;
    readonly traced: {
      readonly dir: RunRel;
      readonly tactic_pairs: RunRel;
      readonly sft_train: RunRel;
      readonly sft_val: RunRel;
      readonly contrastive_theorems: RunRel;
      readonly tracing_report: RunRel;
      readonly stats: RunRel;
      /** The search's theorem list (select_contrastive_pool). */
      readonly contrastive_pool: RunRel;
      /** Chunks, worker registry and seed outputs of one tracing configuration live in trace/<key>/. */
      trace_dir(key: string): RunRel;
    };
  };
  readonly iter_0: IterPaths;
  readonly iter_1: IterPaths;
  iter(it: IterName): IterPaths;
  /** Files of an energy-head configuration: A in iter_0/ebm, B in iter_1/baselines/config_B_frozen_ebm, C in iter_1/ebm. */
  ebm(config: EbmConfigName): EbmPaths;
  readonly baseline_report: { readonly md: RunRel; readonly html: RunRel };
  readonly analysis: {
    readonly dir: RunRel;
    /** Plots the comparison report embeds (copies, so the report folder is self-contained). */
    readonly plots_dir: RunRel;
    readonly comparison_md: RunRel;
    readonly comparison_html: RunRel;
    readonly abort_check: RunRel;
    /** The joint-training curves (sft_loss, infonce_loss, λ·EBM, centroid_l2, temperature, …) notebook 03 shows. */
    readonly joint_curves: RunRel;
    /** What configs A/B/C share (head architecture, embedding recipe, split, sampling, seed), checked before the comparison renders. */
    readonly abc_invariants: RunRel;
  };
  /** Rendered, published reports for this run (outside the run directory). */
  readonly reports: {
    readonly dir: AbsPath;
    readonly baseline_md: AbsPath;
    readonly comparison_md: AbsPath;
    readonly plots_dir: AbsPath;
    readonly notebooks_dir: AbsPath;
    readonly notebook_records: AbsPath;
  };
  abs(rel: RunRel): AbsPath;
  /** Job working folder (config.json, events.jsonl, stderr.log). */
  job_dir(name: string): AbsPath;
  /** Where a failed stage leaves `<stage>.err`: beside its first output, or under errors/ when it declares none. */
  stage_error(stage: string, first_output: RunRel | undefined): RunRel;
}

function embeddingPaths(it: IterName): EmbeddingPaths {
  const dir = r(`${it}/embeddings`);
  return {
    dir,
    states: under(dir, "state_embeddings.npy"),
    goals: under(dir, "goal_embeddings.npy"),
    goal_index: under(dir, "goal_index.npy"),
    index: under(dir, "embeddings_index.arrow"),
    usable_rows: under(dir, "usable_rows.npy"),
    state_texts: under(dir, "state_texts.jsonl"),
    goal_texts: under(dir, "goal_texts.jsonl"),
    state_flags: under(dir, "state_flags.npy"),
    goal_flags: under(dir, "goal_flags.npy"),
    meta: under(dir, "embedding_meta.json"),
    work_dir: under(dir, "chunks"),
  };
}

function iterPaths(it: IterName): IterPaths {
  const n = it === "iter_0" ? 0 : 1;
  const b = r(`${it}/baselines`);
  const plots_dir = under(b, "plots");
  const plots = Object.fromEntries(EMBEDDING_PLOTS.map((name) => [name, under(plots_dir, `${it}_${name}.svg`)])) as Record<EmbeddingPlotName, RunRel>;
  const tr = r(`${it}/trajectories`);
  return {
    dir: it,
    model_dir: r(`${it}/model`),
    merged_model: r(`${it}/model/merged`),
    training_events: r(`${it}/model/training_events.jsonl`),
    sft: {
      adapter: r(`${it}/model/lora`),
      summary: r(`${it}/model/sft_summary.json`),
      seed_train: r(`${it}/model/sft_seed_train.jsonl`),
      seed_adapter: r(`${it}/model/lora_seed`),
      seed_summary: r(`${it}/model/sft_seed_summary.json`),
      checkpoint: r(`${it}/model/checkpoints/sft_checkpoint.pt`),
      seed_checkpoint: r(`${it}/model/checkpoints/sft_seed_checkpoint.pt`),
    },
    merge_summary: r(`${it}/model/merge_summary.json`),
    joint_checkpoints: r(`${it}/model/checkpoints/joint`),
    search_trajectories: under(tr, `search_iter${n}.arrow`),
    search: {
      trajectories: under(tr, `search_iter${n}.arrow`),
      failed_tactics: under(tr, `search_iter${n}_failed_tactics.arrow`),
      results: under(tr, `search_iter${n}_summary.json`),
      chunks_dir: under(tr, `chunks/search_iter${n}`),
      traced_proofs: under(tr, `search_iter${n}_traced_proofs.jsonl`),
      preference_pairs: under(tr, `search_iter${n}_preference_pairs.jsonl`),
    },
    minif2f: {
      trajectories: under(tr, `minif2f_iter${n}.arrow`),
      failed_tactics: under(tr, `minif2f_iter${n}_failed_tactics.arrow`),
      results: under(b, "search_results.json"),
      chunks_dir: under(tr, `chunks/minif2f_iter${n}`),
    },
    trajectory_stats: r(`${it}/trajectories/trajectory_stats.json`),
    embeddings: embeddingPaths(it),
    baselines: {
      dir: b,
      embedding_metrics: under(b, "embedding_metrics.json"),
      spectrum_eigenvalues: under(b, "spectrum_eigenvalues.npy"),
      spectrum_metrics: under(b, "spectrum_metrics.json"),
      search_results: under(b, "search_results.json"),
      sibling_l2: under(b, "sibling_l2.npy"),
      plots_dir,
      plots,
      plot_specs: under(plots_dir, `${it}_plot_specs.json`),
    },
  };
}

function ebmPaths(config: EbmConfigName): EbmPaths {
  // A and C keep the plan's <iter>/ebm/goal_conditioned_head.pt; B lives beside iter_1's baselines
  // because iter_1/ebm holds the jointly trained head (plan Task 4.2).
  const dir = config === "A" ? r("iter_0/ebm") : config === "B" ? r("iter_1/baselines/config_B_frozen_ebm") : r("iter_1/ebm");
  const metrics = config === "A" ? r("iter_0/baselines/ebm_metrics.json") : config === "B" ? under(dir, "ebm_metrics.json") : r("iter_1/baselines/ebm_metrics.json");
  const plan_dir = under(dir, "contrastive_plan");
  const it = EBM_CONFIGS[config].iter;
  const n = it === "iter_0" ? 0 : 1;
  return {
    config,
    dir,
    plan_dir,
    plan_summary: under(plan_dir, "plan.json"),
    head_pt: under(dir, "goal_conditioned_head.pt"),
    head_onnx: under(dir, "goal_conditioned_head.onnx"),
    training_events: under(dir, "training_events.jsonl"),
    training_summary: under(dir, "training_summary.json"),
    checkpoint: under(dir, "checkpoints/train_ebm_checkpoint.pt"),
    energies: under(dir, "energies.npy"),
    energies_summary: under(dir, "energies_summary.json"),
    metrics,
    minif2f: {
      trajectories: r(`${it}/trajectories/minif2f_iter${n}_ebm_${config}.arrow`),
      failed_tactics: r(`${it}/trajectories/minif2f_iter${n}_ebm_${config}_failed_tactics.arrow`),
      results: under(dir, "minif2f_results.json"),
      chunks_dir: r(`${it}/trajectories/chunks/minif2f_iter${n}_ebm_${config}`),
    },
    stand_in_embeddings: {
      states: under(dir, "stand_in_embeddings/state_embeddings.npy"),
      goals: under(dir, "stand_in_embeddings/goal_embeddings.npy"),
      goal_index: under(dir, "stand_in_embeddings/goal_index.npy"),
      index: under(dir, "stand_in_embeddings/embeddings_index.arrow"),
      meta: under(dir, "stand_in_embeddings/embedding_meta.json"),
    },
    planFile: (split, name) => under(plan_dir, `${split}_${name}.npy`),
  };
}

export function runPaths(config: RunConfig): RunPaths {
  return runLayout(join(config.runs_dir, config.run_id), join(config.reports_dir, config.run_id));
}

/** The run layout under any folder (tools that lay out a run-like folder by hand, tests). */
export function runLayout(run_dir: string, reports_dir: string = join(run_dir, "reports")): RunPaths {
  const root = absPath(run_dir);
  const reportsDir = absPath(reports_dir);
  const a = (p: string) => absPath(p);
  const traced = r("data/traced");
  const it0 = iterPaths("iter_0");
  const it1 = iterPaths("iter_1");
  const ebm = { A: ebmPaths("A"), B: ebmPaths("B"), C: ebmPaths("C") };
  return {
    root,
    manifest: a(join(root, "manifest.json")),
    manifest_lock: a(join(root, ".manifest.lock")),
    jobs_dir: a(join(root, "jobs")),
    stage_log: a(join(root, "stage_log.jsonl")),
    demo: {
      params: r("demo/params.json"),
      planted: r("demo/planted.json"),
      world_dir: r("demo/world"),
      world: (rel) => r(`demo/world/${rel}`),
      synthetic_world: r("demo/synthetic/world.json"),
      policy_server: r("demo/synthetic/policy_server.json"),
    },
    data: {
      downloads: { goedel: r("data/workbook/goedel_proofs"), lean_workbook: r("data/workbook/full"), numinamath: r("data/numinamath"), minif2f: r("data/minif2f") },
      theorems: r("data/theorems.arrow"),
      ingest_report: r("data/ingest_report.json"),
      quarantine: r("data/quarantine.jsonl"),
      version_audit: r("data/version_audit.json"),
      traced: {
        dir: traced,
        tactic_pairs: under(traced, "tactic_pairs.arrow"),
        sft_train: under(traced, "sft_train.jsonl"),
        sft_val: under(traced, "sft_val.jsonl"),
        contrastive_theorems: under(traced, "contrastive_theorems.arrow"),
        tracing_report: under(traced, "tracing_report.json"),
        stats: under(traced, "stats.json"),
        contrastive_pool: under(traced, "contrastive_pool.json"),
        trace_dir: (key) => under(traced, `trace/${runRel(key)}`),
      },
    },
    iter_0: it0,
    iter_1: it1,
    iter: (it) => (it === "iter_0" ? it0 : it1),
    ebm: (c) => ebm[c],
    baseline_report: { md: r("iter_0/baselines/baseline_report.md"), html: r("iter_0/baselines/baseline_report.html") },
    analysis: {
      dir: r("iter_1/analysis"),
      plots_dir: r("iter_1/analysis/plots"),
      comparison_md: r("iter_1/analysis/comparison_report.md"),
      comparison_html: r("iter_1/analysis/comparison_report.html"),
      abort_check: r("iter_1/analysis/abort_check.json"),
      joint_curves: r("iter_1/analysis/joint_curves.svg"),
      abc_invariants: r("iter_1/analysis/abc_invariants.json"),
    },
    reports: {
      dir: reportsDir,
      baseline_md: a(join(reportsDir, "baseline_report.md")),
      comparison_md: a(join(reportsDir, "comparison_report.md")),
      plots_dir: a(join(reportsDir, "plots")),
      notebooks_dir: a(join(reportsDir, "notebooks")),
      notebook_records: a(join(reportsDir, "notebooks", "executions.json")),
    },
    abs: (rel) => a(join(root, rel)),
    job_dir: (name) => a(join(root, "jobs", name)),
    stage_error: (stage, first) => {
      const file = `${stage.replace(/[^A-Za-z0-9._-]+/g, "-")}.err`;
      if (first === undefined) return r(`errors/${file}`);
      const slash = first.lastIndexOf("/");
      return slash < 0 ? r(file) : r(`${first.slice(0, slash)}/${file}`);
    },
  };
}
