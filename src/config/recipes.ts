/**
 * Recipes: every stage's settings, in one place. A recipe group has two parts:
 *
 * - `recipe`: values that decide what a stage computes (learning rate, split fraction, budgets,
 *   per-item timeouts such as the plan's 120 s per traced theorem, which decide which theorems
 *   succeed). They are part of the stage's cache key: change one and the stage is stale, named by
 *   the key that changed.
 * - `controls`: how the work is run (job timeouts, threads, workers, device, batch sizes of
 *   inference, chunking for resumability). They are not part of the key: a longer timeout never
 *   retrains a head.
 *
 * `PLAN_RECIPES` are the plan's values (the real profile); `DEMO_RECIPES` the short demo schedule.
 * A run resolves its profile's recipes with overrides (`group.key=value`, from the notebook's
 * `recipe` parameter, `--set` flags or BURNQED_SET); an unknown group or key is an error naming it.
 * `python/burnqed/recipes.json` is exported from here; the Python tests check that every job's
 * defaults equal these values.
 */
import type { EbmMetricsParams } from "../metrics/ebm-metrics.js";
import type { EmbeddingMetricsParams } from "../metrics/embedding-metrics.js";
import type { EmbedRecipe } from "../ebm/embed-recipe.js";
import type { Profile } from "./run-config.js";

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export interface RecipeGroup<R, C> {
  readonly recipe: R;
  readonly controls: C;
}

export interface SplitFormatRecipe {
  /** Fraction of each source's theorems held out for SFT validation (plan: 0.05) and the hash salt. */
  readonly split: { readonly val_fraction: number; readonly salt: string };
  /** Contrastive pool: proofs with at least this many steps (plan: depth ≥ 3). */
  readonly min_depth: number;
}

export interface ContrastivePoolRecipe {
  readonly max_theorems: number;
  readonly min_depth: number;
  readonly prefer_hard: boolean;
}

export interface TraceRecipe {
  /** Per theorem (plan: PER_THEOREM_TIMEOUT = 120): decides which theorems trace. */
  readonly timeout_s: number;
  /** Traced first, so SFT can start on it (plan: 0.20). */
  readonly seed_fraction: number;
}

export interface TraceControls {
  /** REPL workers; 0 = min(16, 0.75 × cores). */
  readonly workers: number;
  readonly chunk_size: number;
  /** Stop after the seed batch above this failure rate (plan: 20 %). */
  readonly max_seed_failure_rate: number;
  /** Per worker; null = 80 % of RAM / workers. */
  readonly mem_cap_mb: number | null;
  readonly max_uses: number;
  /** Importing a header (Mathlib takes tens of seconds). */
  readonly header_timeout_s: number;
}

export interface EmbedControls {
  readonly max_tokens_per_batch: number;
  readonly max_batch_size: number;
  readonly chunk_rows: number;
  readonly timeout_s: number;
}

export interface SpectrumRecipe {
  /** Rows per accumulation chunk (the summation order, hence the last bits, depend on it). */
  readonly chunk_rows: number;
}

export interface PlotsRecipe {
  readonly max_points: number;
  readonly pca_dims: number;
  readonly seed: number;
  readonly tsne_perplexity: number;
  readonly tsne_max_iter: number;
}

export interface ContrastivePlanRecipe {
  /** Share of theorems held out for validation (in expectation: each theorem's side is a hash of its name). */
  readonly val_fraction: number;
  /** Seeds the theorem split. */
  readonly seed: number;
}

export interface EbmTrainRecipe {
  readonly epochs: number;
  /** Positive anchors per step (each brings k_negatives negatives). */
  readonly batch_size: number;
  readonly lr: number;
  readonly weight_decay: number;
  readonly k_negatives: number;
  readonly hard_ratio: number;
  readonly seed: number;
  readonly hidden_dims: readonly number[];
  readonly dropout: number;
  readonly grad_clip_norm: number;
  readonly log_every_steps: number;
  readonly temperature_every_steps: number;
  /** 0: validate at each epoch's end only. */
  readonly eval_every_steps: number;
  readonly checkpoint_every_steps: number;
  readonly max_nonfinite_steps: number;
}

export interface EbmTrainControls {
  /** CPU threads for torch; 0 = every core. Results can differ in the last bits with the thread count. */
  readonly threads: number;
  readonly device: string;
  /** States smaller than this are held in (device) memory, else gathered from the memory map. */
  readonly preload_max_gb: number;
  readonly timeout_s: number;
}

/** The comparison report's decision margins (approx/much_better/rank1 are lab choices; centroid_collapse is the plan's). */
export interface DecisionRecipe {
  readonly approx_points: number;
  readonly much_better_points: number;
  readonly rank1_approx: number;
  readonly centroid_collapse: number;
}

/** One search budget (plan Tasks 1.3 and 1.4: `--max-nodes --num-candidates --temperature --timeout`). */
export interface SearchBudget {
  readonly max_nodes: number;
  readonly n_candidates: number;
  readonly temperature: number;
  /** Wall seconds per theorem, enforced inside the loop. */
  readonly timeout_s: number;
  readonly tactic_timeout_s: number;
  readonly max_depth: number;
}

export interface SearchRecipe {
  /** The contrastive pool search that makes the EBM's trajectories (plan Task 1.3: 800 nodes). */
  readonly pool: SearchBudget;
  /** miniF2F v2s test, LLM-only and LLM+EBM (plan Tasks 1.4, 2.6, 4.3: 600 nodes). */
  readonly minif2f: SearchBudget;
  /** Weight of −energy in the node priority of LLM+EBM searches (lab choice: the plan gives none). */
  readonly ebm_weight: number;
  /** Tokens per sampled tactic. */
  readonly max_tokens: number;
  /** Split of the ingested miniF2F theorems that is searched ("test": v2s test). */
  readonly minif2f_split: "test" | "valid";
}

export interface SearchControls {
  /** Theorems in flight (plan: --concurrency 10). */
  readonly concurrency: number;
  /** Lean REPL workers; 0 = min(16, 0.75 × cores). A theorem holds one for its whole search. */
  readonly lean_workers: number;
  /** Per worker; null = 80 % of RAM / workers. */
  readonly mem_cap_mb: number | null;
  readonly header_timeout_s: number;
  /** Policy requests in flight (the server batches them). */
  readonly policy_max_in_flight: number;
  /** Per HTTP request to the policy / encoder. */
  readonly http_timeout_s: number;
  readonly chunk_size: number;
  /** Consecutive theorems ending in error that stop a run (a dead server, a broken Lean). */
  readonly max_consecutive_errors: number;
  /** Share of theorems in error above which the stage fails instead of writing a rate. */
  readonly max_error_rate: number;
}

/** burnqed.serve when no policy_url is given: how it runs (not what it computes). */
export interface ServeControls {
  readonly device: string;
  readonly dtype: "bfloat16" | "float16" | "float32";
  readonly max_model_len: number;
  readonly batch_window_ms: number;
  readonly max_batch_tokens: number;
  readonly max_batch_sequences: number;
  /** Loading the model and warming up (a 7B model takes a minute or two). */
  readonly startup_timeout_s: number;
}

/** Plan Task 1.1 (python/burnqed/sft.py SftConfig holds the same defaults; test_recipes.py checks). */
export interface SftRecipe {
  readonly lora_r: number;
  readonly lora_alpha: number;
  readonly lora_dropout: number;
  readonly lora_target_modules: readonly string[];
  readonly lr: number;
  readonly warmup_ratio: number;
  readonly lr_schedule: "linear" | "cosine" | "constant";
  readonly epochs: number;
  readonly examples_per_step: number;
  readonly max_length: number;
  readonly dtype: "bfloat16" | "float16" | "float32";
  readonly eval_every_steps: number;
  readonly weight_decay: number;
  readonly grad_clip_norm: number;
  readonly seed: number;
  /** How the added [GOAL]/[PROOFSTEP] rows train (bench/results/sft-gpu.md says why this one). */
  readonly special_tokens_mode: "trainable_token_rows" | "modules_to_save";
  /** The float32 LoRA path under the bfloat16 base: autocast (Trainer's bf16=True) or float32 (bench/results/sft-gpu.md). */
  readonly lora_compute: "autocast" | "float32";
}

export interface SftControls {
  readonly device: string;
  readonly checkpoint_every_steps: number;
  readonly max_tokens_per_row: number;
  readonly rows_per_micro_batch: number;
  readonly attention: "auto" | "flex" | "block_mask" | "position_ids" | "padding_mask";
  readonly gradient_checkpointing: boolean;
  /** torch.compile inside each decoder layer, CUDA only (a no-op on the CPU): 1.23x the eager step at the 7B shape (bench/results/sft-gpu.md). */
  readonly compile_layers: boolean;
  /** What it compiles: "mlp" (the MLP and norms: equal to eager on every path, bench/sft-compile-check.py); "layer"/"layer_static" (whole layers: a plain forward without the document mask is off, so opt-in). */
  readonly compile_scope: "mlp" | "layer" | "layer_static";
  readonly log_every_steps: number;
  readonly timeout_s: number;
  /** Launcher for several GPUs, e.g. ["torchrun", "--nproc-per-node", "2"]; [] = one process. */
  readonly launcher: readonly string[];
}

/** Task 1.2: merge_and_unload, checked against base+LoRA before it is published. */
export interface MergeRecipe {
  readonly merge_dtype: "float32" | "bfloat16";
  readonly save_dtype: "bfloat16" | "float16" | "float32";
  readonly check_rows: number;
  readonly max_abs_logprob_diff_fp32: number;
  readonly max_mean_kl_saved: number;
}

/** Plan Tasks 3.2–3.4, 4.1 (python/burnqed/joint/config.py JointConfig holds the same defaults). */
export interface JointTrainRecipe {
  readonly lora_r: number;
  readonly lora_alpha: number;
  readonly lora_dropout: number;
  readonly lr_lora: number;
  readonly lr_head: number;
  readonly lambda_ebm: number;
  readonly total_steps: number;
  readonly warmup_steps: number;
  readonly lr_schedule: "linear" | "cosine" | "constant";
  readonly k_negatives: number;
  readonly hard_ratio: number;
  readonly n_grad_negatives: number;
  readonly goal_grad: boolean;
  readonly sft_examples_per_step: number;
  readonly groups_per_step: number;
  readonly max_length: number;
  readonly dtype: "bfloat16" | "float16" | "float32";
  readonly hidden_dims: readonly number[];
  readonly head_dropout: number;
  readonly head_init: "fresh" | "iter_0";
  readonly weight_decay_lora: number;
  readonly weight_decay_head: number;
  readonly grad_clip_norm_lora: number;
  readonly grad_clip_norm_head: number;
  readonly seed: number;
  readonly special_tokens_mode: "trainable_token_rows" | "modules_to_save";
  readonly log_every_steps: number;
  readonly temperature_every_steps: number;
  readonly eval_every_steps: number;
  readonly checkpoint_every_steps: number;
}

export interface JointTrainControls {
  readonly device: string;
  readonly attention: "block_mask" | "position_ids" | "padding_mask" | "flex" | "auto";
  readonly max_tokens_per_row: number;
  readonly rows_per_micro_batch: number;
  readonly groups_per_micro_batch: number;
  readonly gradient_checkpointing: boolean;
  readonly keep_checkpoints: number;
  readonly eval_max_groups: number;
  readonly eval_max_anchors: number;
  readonly timeout_s: number;
  /**
   * When a Task 4.1 abort rule stops the job: "stop" (fail the stage, naming the rule, the step
   * and the plan's remedy; the checkpoint is kept) or "apply_remedy" (restart from the last
   * checkpoint with the plan's remedy: λ → 0.3 for a centroid collapse, λ → 0.03 for a high SFT
   * loss; other rules still stop), recorded in the stage result.
   */
  readonly on_abort: "stop" | "apply_remedy";
  readonly max_restarts: number;
}

export interface JobTimeout {
  readonly timeout_s: number;
}

export interface Recipes {
  readonly split_format: RecipeGroup<SplitFormatRecipe, Record<string, never>>;
  readonly contrastive_pool: RecipeGroup<ContrastivePoolRecipe, Record<string, never>>;
  readonly trace: RecipeGroup<TraceRecipe, TraceControls>;
  readonly embed: RecipeGroup<EmbedRecipe, EmbedControls>;
  readonly spectrum: RecipeGroup<SpectrumRecipe, JobTimeout>;
  readonly embedding_metrics: RecipeGroup<EmbeddingMetricsParams, Record<string, never>>;
  readonly ebm_metrics: RecipeGroup<EbmMetricsParams, Record<string, never>>;
  readonly plots: RecipeGroup<PlotsRecipe, JobTimeout>;
  readonly contrastive_plan: RecipeGroup<ContrastivePlanRecipe, Record<string, never>>;
  readonly ebm_train: RecipeGroup<EbmTrainRecipe, EbmTrainControls>;
  readonly decision: RecipeGroup<DecisionRecipe, Record<string, never>>;
  readonly search: RecipeGroup<SearchRecipe, SearchControls>;
  readonly serve: RecipeGroup<Record<string, never>, ServeControls>;
  readonly sft: RecipeGroup<SftRecipe, SftControls>;
  readonly merge: RecipeGroup<MergeRecipe, JobTimeout>;
  readonly joint_train: RecipeGroup<JointTrainRecipe, JointTrainControls>;
}

export type RecipeGroupName = keyof Recipes;

/** scikit-learn's LogisticRegression defaults (C=1, L-BFGS, max_iter 1000), as the plan's probe uses them. */
export const SKLEARN_LOGISTIC_DEFAULTS = { C: 1, max_iter: 1000, gtol: 1e-4, ftol: 2.220446049250313e-9, memory: 10 } as const;

export const PLAN_RECIPES: Recipes = deepFreeze({
  split_format: { recipe: { split: { val_fraction: 0.05, salt: "burnqed-v2" }, min_depth: 3 }, controls: {} },
  contrastive_pool: { recipe: { max_theorems: 2000, min_depth: 3, prefer_hard: true }, controls: {} },
  trace: {
    recipe: { timeout_s: 120, seed_fraction: 0.2 },
    controls: { workers: 0, chunk_size: 500, max_seed_failure_rate: 0.2, mem_cap_mb: null, max_uses: 500, header_timeout_s: 600 },
  },
  embed: {
    // plan Gotcha 4 / design pitfall 3: one template, truncation, position and dtype everywhere
    recipe: {
      template: "[GOAL]{state}[PROOFSTEP]",
      max_length: 512,
      truncation_side: "left",
      padding_side: "right",
      compute_dtype: "bfloat16",
      storage_dtype: "float16",
      position: "last_content_token",
      layer: "final_normed_hidden_state",
    },
    // bench/results/ebm-gpu.md: 16384 tokens × 1024 rows was the fastest budget measured
    controls: { max_tokens_per_batch: 16384, max_batch_size: 1024, chunk_rows: 8192, timeout_s: 4 * 3600 },
  },
  spectrum: { recipe: { chunk_rows: 8192 }, controls: { timeout_s: 3600 } },
  embedding_metrics: {
    recipe: {
      seed: 0,
      collision_threshold: 1.0,
      silhouette_sample_size: 2000,
      silhouette_min_rows: 100,
      probe_folds: 5,
      probe: SKLEARN_LOGISTIC_DEFAULTS,
      probe_preconditioner_rank: 32,
      spectrum_top_k: 32,
      depth_min_rows_per_label: 20,
      bootstrap_samples: 1000, // lab choice: the plan gives no interval
    },
    controls: {},
  },
  // bootstrap_samples, saturation_ratio: lab choices (the plan gives no interval or saturation rule)
  ebm_metrics: { recipe: { margin: 1.0, hard_ratio: 0.6, k_negatives: 3, seed: 0, bootstrap_samples: 1000, saturation_ratio: 0.95 }, controls: {} },
  plots: { recipe: { max_points: 5000, pca_dims: 50, seed: 0, tsne_perplexity: 30, tsne_max_iter: 1000 }, controls: { timeout_s: 1800 } },
  contrastive_plan: { recipe: { val_fraction: 0.1, seed: 0 }, controls: {} },
  ebm_train: {
    // plan Task 2.4: AdamW 3e-5, weight decay 0.01, 20 epochs, K = 3 (as the joint run), hard ratio 0.6
    recipe: {
      epochs: 20,
      batch_size: 256,
      lr: 3e-5,
      weight_decay: 0.01,
      k_negatives: 3,
      hard_ratio: 0.6,
      seed: 0,
      hidden_dims: [2048, 1024, 512],
      dropout: 0.15,
      grad_clip_norm: 1.0,
      log_every_steps: 10,
      temperature_every_steps: 50,
      eval_every_steps: 500,
      checkpoint_every_steps: 500,
      max_nonfinite_steps: 10,
    },
    controls: { threads: 0, device: "auto", preload_max_gb: 8.0, timeout_s: 6 * 3600 },
  },
  // "≈" within 2 pts, ">>" by ≥ 5 pts, rank-1 ±0.02: lab choices (the plan gives none); collapse < 3.0: the plan's
  decision: { recipe: { approx_points: 2, much_better_points: 5, rank1_approx: 0.02, centroid_collapse: 3.0 }, controls: {} },
  // plan Tasks 1.3 / 1.4: 800 / 600 nodes, 16 candidates, temperature 1.3, 300 s, concurrency 10.
  // tactic_timeout_s 30 and max_depth 50: not the plan's (it fixes none); ebm_weight 1: lab choice.
  search: {
    recipe: {
      pool: { max_nodes: 800, n_candidates: 16, temperature: 1.3, timeout_s: 300, tactic_timeout_s: 30, max_depth: 50 },
      minif2f: { max_nodes: 600, n_candidates: 16, temperature: 1.3, timeout_s: 300, tactic_timeout_s: 30, max_depth: 50 },
      ebm_weight: 1.0,
      max_tokens: 128,
      minif2f_split: "test",
    },
    controls: { concurrency: 10, lean_workers: 0, mem_cap_mb: null, header_timeout_s: 600, policy_max_in_flight: 32, http_timeout_s: 300, chunk_size: 100, max_consecutive_errors: 8, max_error_rate: 0.05 },
  },
  serve: { recipe: {}, controls: { device: "auto", dtype: "bfloat16", max_model_len: 4096, batch_window_ms: 5, max_batch_tokens: 131072, max_batch_sequences: 256, startup_timeout_s: 1800 } },
  // plan Task 1.1; weight decay 0, linear decay and clip 1.0 are not in the plan (Hugging Face Trainer's defaults)
  sft: {
    recipe: {
      lora_r: 32,
      lora_alpha: 64,
      lora_dropout: 0.05,
      lora_target_modules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
      lr: 3e-5,
      warmup_ratio: 0.05,
      lr_schedule: "linear",
      epochs: 3,
      examples_per_step: 16,
      max_length: 2048,
      dtype: "bfloat16",
      eval_every_steps: 500,
      weight_decay: 0.0,
      grad_clip_norm: 1.0,
      seed: 0,
      special_tokens_mode: "trainable_token_rows",
      lora_compute: "autocast",
    },
    controls: { device: "auto", checkpoint_every_steps: 500, max_tokens_per_row: 8192, rows_per_micro_batch: 1, attention: "auto", gradient_checkpointing: false, compile_layers: true, compile_scope: "mlp", log_every_steps: 10, timeout_s: 48 * 3600, launcher: [] },
  },
  merge: { recipe: { merge_dtype: "float32", save_dtype: "bfloat16", check_rows: 8, max_abs_logprob_diff_fp32: 1e-3, max_mean_kl_saved: 0.02 }, controls: { timeout_s: 3 * 3600 } },
  // plan Task 4.1: r64 / α128, lr 2e-5 (LoRA) / 3e-5 (head), λ 0.1, 6000 steps, warmup 300, K 3, hard 0.6,
  // eval every 500, save every 1000. Examples / groups per step (16 / 16), the schedule and the
  // head's weight decay are not the plan's: the decoupled jobs' choices (python/burnqed/joint/config.py).
  joint_train: {
    recipe: {
      lora_r: 64,
      lora_alpha: 128,
      lora_dropout: 0.05,
      lr_lora: 2e-5,
      lr_head: 3e-5,
      lambda_ebm: 0.1,
      total_steps: 6000,
      warmup_steps: 300,
      lr_schedule: "linear",
      k_negatives: 3,
      hard_ratio: 0.6,
      n_grad_negatives: 1,
      goal_grad: false,
      sft_examples_per_step: 16,
      groups_per_step: 16,
      max_length: 2048,
      dtype: "bfloat16",
      hidden_dims: [2048, 1024, 512],
      head_dropout: 0.15,
      head_init: "fresh",
      weight_decay_lora: 0,
      weight_decay_head: 0.01,
      grad_clip_norm_lora: 1,
      grad_clip_norm_head: 1,
      seed: 0,
      special_tokens_mode: "trainable_token_rows",
      log_every_steps: 10,
      temperature_every_steps: 50,
      eval_every_steps: 500,
      checkpoint_every_steps: 1000,
    },
    controls: { device: "auto", attention: "block_mask", max_tokens_per_row: 2048, rows_per_micro_batch: 1, groups_per_micro_batch: 4, gradient_checkpointing: false, keep_checkpoints: 3, eval_max_groups: 512, eval_max_anchors: 512, timeout_s: 12 * 3600, on_abort: "stop", max_restarts: 2 },
  },
});

/**
 * The demo schedule: the same architecture and loss on 64-d synthetic embeddings.
 * - contrastive_plan: the demo world has 160 search theorems (61 proved): hold out a fifth so
 *   validation has ~50 rank-1 groups.
 * - ebm_train: ~180 training anchors, batch 32 × 20 epochs = 120–140 steps; lr 1e-3 because at
 *   3e-5 a 120-step run barely moves (measured: val loss 1.386 → 1.300 vs → 1.26 at 1e-3). One
 *   torch thread: a step takes ~40 ms with one and ~100 ms with two on a 2-core machine that other
 *   work shares.
 * - plots: 800 points (UMAP + t-SNE ≈ 8 s per iteration, keeping a cold `make reports` short).
 */
export const DEMO_RECIPES: Recipes = deepFreeze({
  ...PLAN_RECIPES,
  contrastive_plan: { ...PLAN_RECIPES.contrastive_plan, recipe: { ...PLAN_RECIPES.contrastive_plan.recipe, val_fraction: 0.2 } },
  ebm_train: {
    recipe: { ...PLAN_RECIPES.ebm_train.recipe, batch_size: 16, lr: 3e-3, log_every_steps: 6, eval_every_steps: 0, checkpoint_every_steps: 60 },
    controls: { ...PLAN_RECIPES.ebm_train.controls, threads: 1, timeout_s: 600 },
  },
  plots: { ...PLAN_RECIPES.plots, recipe: { ...PLAN_RECIPES.plots.recipe, max_points: 800 } },
  // The synthetic world (src/demo/synthetic): a search proves within its first ~30 nodes or not at
  // all (an off-path state never returns to the proof), so 48 / 32 nodes of 8 candidates prove
  // what 64 / 48 do (measured: 86 and 125 of 244 miniF2F-like theorems, LLM-only and LLM+EBM, at
  // both budgets) and keep a cold `make reports` on 2 cores under 3 minutes.
  // ebm_weight 10: the demo heads' energies span ~0.1–0.5 after their short CPU schedule, a tenth
  // of the policy's per-token log-prob spread; at weight 1 they barely move the queue (101 → 105 of
  // 244), at 10 they do (86 → 125), and 30 adds nothing (measured on the same head).
  search: {
    recipe: {
      ...PLAN_RECIPES.search.recipe,
      pool: { ...PLAN_RECIPES.search.recipe.pool, max_nodes: 48, n_candidates: 8, timeout_s: 60 },
      minif2f: { ...PLAN_RECIPES.search.recipe.minif2f, max_nodes: 32, n_candidates: 8, timeout_s: 60 },
      ebm_weight: 10,
    },
    controls: { ...PLAN_RECIPES.search.controls, concurrency: 3, lean_workers: 3, mem_cap_mb: null, header_timeout_s: 60, http_timeout_s: 30 },
  },
});

export function baseRecipes(profile: Profile): Recipes {
  return profile === "demo" ? DEMO_RECIPES : PLAN_RECIPES;
}

export class RecipeError extends Error {
  override name = "RecipeError";
}

/** One override: `group.key[.subkey]=value`; value is JSON when it parses, else a string. */
export interface RecipeOverride {
  readonly path: readonly string[];
  readonly value: Json;
  /** As written, for messages. */
  readonly text: string;
}

/** Parse `a.b=1; c.d=[1,2]` (entries separated by ';' or newlines). */
export function parseOverrides(text: string, origin: string): RecipeOverride[] {
  return text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf("=");
      if (eq <= 0) throw new RecipeError(`${origin}: '${entry}' is not group.key=value`);
      const key = entry.slice(0, eq).trim();
      const raw = entry.slice(eq + 1).trim();
      let value: Json;
      try {
        value = JSON.parse(raw) as Json;
      } catch {
        value = raw;
      }
      const path = key.split(".");
      if (path.length < 2 || path.some((p) => !/^[a-z_][a-z0-9_+]*$/i.test(p))) throw new RecipeError(`${origin}: '${key}' is not group.key (e.g. ebm_train.lr)`);
      return { path, value, text: entry };
    });
}

/** The profile's recipes with the overrides applied; unknown names and wrong value types are errors. */
export function resolveRecipes(profile: Profile, overrides: readonly RecipeOverride[]): Recipes {
  const base = baseRecipes(profile);
  if (overrides.length === 0) return base;
  const out = structuredClone(base) as unknown as Record<string, { recipe: Record<string, unknown>; controls: Record<string, unknown> }>;
  for (const o of overrides) {
    const [groupName, key, ...rest] = o.path as [string, string, ...string[]];
    const group = out[groupName];
    if (!group) throw new RecipeError(`unknown recipe group '${groupName}' in '${o.text}' (groups: ${Object.keys(out).join(", ")})`);
    const part = key in group.recipe ? group.recipe : key in group.controls ? group.controls : null;
    if (!part) {
      const known = [...Object.keys(group.recipe), ...Object.keys(group.controls)];
      throw new RecipeError(`unknown key '${key}' in recipe group '${groupName}' ('${o.text}'; known: ${known.join(", ")})`);
    }
    setPath(part, [key, ...rest], o.value, o.text);
  }
  return deepFreeze(out) as unknown as Recipes;
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: Json, text: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in obj)) throw new RecipeError(`unknown key '${head}' in '${text}' (known: ${Object.keys(obj).join(", ")})`);
  const cur = obj[head];
  if (rest.length > 0) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) throw new RecipeError(`'${head}' in '${text}' has no sub-keys`);
    setPath(cur as Record<string, unknown>, rest, value, text);
    return;
  }
  if (!sameKind(cur, value)) throw new RecipeError(`'${text}': expected ${kindOf(cur)} like the default ${JSON.stringify(cur)}, got ${kindOf(value)}`);
  obj[head] = value;
}

function kindOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function sameKind(cur: unknown, value: unknown): boolean {
  if (cur === null) return value === null || typeof value === "number"; // nullable numbers (mem_cap_mb)
  if (typeof cur === "number" && value === null) return false;
  if (Array.isArray(cur)) return Array.isArray(value) && value.every((x) => cur.length === 0 || typeof x === typeof cur[0]);
  return kindOf(cur) === kindOf(value);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** What `python/burnqed/recipes.json` holds (checked by the Python tests against each job's defaults). */
export function exportRecipes(): Record<string, unknown> {
  return {
    generated_by: "src/config/recipes.ts (npx burnqed recipes --out python/burnqed/recipes.json)",
    plan: PLAN_RECIPES,
    demo: DEMO_RECIPES,
  };
}
