/**
 * Energy-head stages (plan Tasks 2.4 and 4.3 config B): the contrastive plan (TypeScript), the
 * decoupled head trained on frozen embeddings (Python job `burnqed.train_ebm`) and energies for
 * every trajectory row (onnxruntime-node). `it` = "iter_0" is config A (iter_0/ebm); "iter_1" is
 * config B, the same recipe on iter_1 embeddings (iter_1/baselines/config_B_frozen_ebm).
 *
 * The demo profile trains the plan's architecture on its 64-d embeddings on CPU with a demo
 * recipe (DEMO_TRAIN_PARAMS: batch 32, lr 1e-3, 20 epochs = 120–140 steps, one thread: measured
 * 20–22 s per head on this 2-core machine while other work shared it); the real profile uses the
 * plan's recipe (PLAN_TRAIN_PARAMS: lr 3e-5, 20 epochs, batch 256).
 */
import { existsSync, rmSync } from "node:fs";
import { readTable } from "../artifacts/arrow-table.js";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import { sha256File, sha256Text } from "../artifacts/hash.js";
import { readNpy } from "../artifacts/npy.js";
import type { CellValue, Columns } from "../artifacts/schema.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES } from "../artifacts/schemas.js";
import type { OutputDecl, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { contrastivePlan, PLAN_ARRAYS, PLAN_SPLITS, type ContrastivePlanParams, type ContrastivePlanSummary, type PlanIndexColumns, type PlanTrajectoryColumns } from "../ebm/contrastive-plan.js";
import { decoupledEbmPaths, embeddingJobPaths } from "../ebm/ebm-paths.js";
import { embeddingsIndexColumns, embeddingTexts } from "../ebm/embedding-texts.js";
import { EMBED_RECIPE, type EmbedRecipe } from "../ebm/embed-recipe.js";
import { rowStatusFromIndex, scoreEnergies, type EnergiesSummary } from "../ebm/score-energies.js";
import { TASK_4_1_ABORT_RULES, type AbortRule } from "../jobs/abort-rules.js";
import { runJob } from "../jobs/run-job.js";

/** The Task 4.1 rules that apply to decoupled training: temperature stuck at a bound 500+ steps, any NaN. */
export const DECOUPLED_EBM_ABORT_RULES: readonly AbortRule[] = TASK_4_1_ABORT_RULES.filter((r) => r.metric === "temperature" || r.op === "non_finite");

export const PLAN_CONTRASTIVE_PARAMS: ContrastivePlanParams = { val_fraction: 0.1, seed: 0 };
/** The demo world has 160 theorems (61 proved): hold out a fifth so validation has ~50 rank-1 groups. */
export const DEMO_CONTRASTIVE_PARAMS: ContrastivePlanParams = { val_fraction: 0.2, seed: 0 };

export interface EbmTrainParams {
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
  /** CPU threads for torch; 0 = every core. */
  readonly threads: number;
  readonly timeout_s: number;
}

/** Plan Task 2.4: AdamW 3e-5, weight decay 0.01, 20 epochs, K = 3 (as the joint run), hard ratio 0.6. */
export const PLAN_TRAIN_PARAMS: EbmTrainParams = {
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
  threads: 0,
  timeout_s: 6 * 3600,
};

/**
 * The demo recipe: same architecture (3 M parameters at d = 64) and loss, ~180 training anchors:
 * batch 32 × 20 epochs = 120–140 steps; lr 1e-3 because at 3e-5 a 120-step run barely moves
 * (measured: val loss 1.386 → 1.300 vs → 1.26 at 1e-3). One torch thread: a step takes ~40 ms
 * with one thread and ~100 ms with two on this 2-core machine when other work shares it.
 */
export const DEMO_TRAIN_PARAMS: EbmTrainParams = { ...PLAN_TRAIN_PARAMS, batch_size: 32, lr: 1e-3, log_every_steps: 6, eval_every_steps: 0, checkpoint_every_steps: 60, threads: 1, timeout_s: 600 };

export function ebmTrainParams(run: Run): EbmTrainParams {
  return run.config.profile === "demo" ? DEMO_TRAIN_PARAMS : PLAN_TRAIN_PARAMS;
}

export function contrastiveParams(run: Run): ContrastivePlanParams {
  return run.config.profile === "demo" ? DEMO_CONTRASTIVE_PARAMS : PLAN_CONTRASTIVE_PARAMS;
}

const PY_TRAIN_CODE = [
  "python/burnqed/train_ebm.py",
  "python/burnqed/ebm_head.py",
  "python/burnqed/losses.py",
  "python/burnqed/contrastive_plan.py",
  "python/burnqed/export.py",
  "python/burnqed/events.py",
  "python/burnqed/atomic_io.py",
];

function columnsOf<K extends string>(cols: Readonly<Record<string, ArrayLike<CellValue>>>, names: readonly K[], path: string): Record<K, ArrayLike<CellValue>> {
  const out = {} as Record<K, ArrayLike<CellValue>>;
  for (const n of names) {
    const c = cols[n];
    if (!c) throw new Error(`${path}: no column '${n}'`);
    out[n] = c;
  }
  return out;
}

function planConfigName(it: IterName): string {
  return it === "iter_0" ? "config A (iter_0 decoupled)" : "config B (iter_1 embeddings, decoupled recipe)";
}

export function contrastivePlanStage(run: Run, it: IterName, params: ContrastivePlanParams = contrastiveParams(run)): StageSpec<ContrastivePlanSummary["splits"]> {
  const e = decoupledEbmPaths(run.paths, it);
  const traj = run.paths[it].search_trajectories;
  const index = run.paths[it].embeddings.index;
  const outputs: OutputDecl[] = [{ path: e.plan_summary, kind: "json" }];
  for (const s of PLAN_SPLITS) for (const a of PLAN_ARRAYS) outputs.push({ path: e.planFile(s, a), kind: "npy" });
  return {
    name: `${it}/ebm-contrastive-plan`,
    description: `anchors, sibling groups keyed by (run, theorem, parent), negative pools and the held-out theorem split for ${planConfigName(it)}`,
    params,
    inputs: [traj, index],
    code: ["src/stages/ebm.ts", "src/ebm/contrastive-plan.ts", "src/ebm/ebm-paths.ts"],
    outputs,
    run(ctx) {
      const t = readTable(ctx.abs(traj), TRAJECTORIES);
      const ix = readTable(ctx.abs(index), EMBEDDINGS_INDEX);
      const tc: PlanTrajectoryColumns = columnsOf(t.columns, ["theorem_name", "run_id", "state_id", "parent_state_id", "label", "is_proof_complete", "state_pp"], traj);
      const ic: PlanIndexColumns = columnsOf(ix.columns, ["row", "run_id", "theorem_name", "state_id", "excluded", "exclude_reason"], index);
      const plan = contrastivePlan(tc, ic, params, { trajectories_path: traj, index_path: index });
      for (const s of PLAN_SPLITS) for (const a of PLAN_ARRAYS) ctx.writeNpy(e.planFile(s, a), "int64", [plan.arrays[s][a].length], plan.arrays[s][a]);
      ctx.writeJson(e.plan_summary, plan.summary);
      const sp = plan.summary.splits;
      ctx.log(
        `train: ${sp.train.theorems} theorems, ${sp.train.anchors} anchors, ${sp.train.rank1_groups} rank-1 groups; val: ${sp.val.theorems} theorems, ${sp.val.anchors} anchors, ${sp.val.rank1_groups} groups; ` +
          `excluded rows: ${Object.entries(plan.summary.excluded).map(([k, v]) => `${k} ${v}`).join(", ")}`,
      );
      return sp;
    },
  };
}

/** What the training stage returns (from the job's done summary). */
export interface EbmTrainResult {
  readonly steps: number;
  readonly temperature: number;
  readonly final_train_loss: number | null;
  readonly val_loss: number | null;
  readonly val_rank1: number | null;
  readonly val_rank1_chance: number | null;
  readonly train_rank1: number | null;
  readonly excluded_unusable_rows: number;
  readonly train_rows_per_s: number | null;
  readonly wall_s: number;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function trainEbmStage(run: Run, it: IterName, params: EbmTrainParams = ebmTrainParams(run)): StageSpec<EbmTrainResult> {
  const e = decoupledEbmPaths(run.paths, it);
  const emb = run.paths[it].embeddings;
  const planInputs = PLAN_SPLITS.flatMap((s) => PLAN_ARRAYS.map((a) => e.planFile(s, a)));
  const inputs = [emb.states, emb.goals, emb.goal_index, ...planInputs];
  return {
    name: `${it}/ebm-train`,
    description: `train the GoalConditionedEnergyHead on frozen ${it} embeddings (${planConfigName(it)}; Python job burnqed.train_ebm)`,
    params: { ...params, profile: run.config.profile },
    inputs,
    code: ["src/stages/ebm.ts", ...PY_TRAIN_CODE],
    outputs: [
      { path: e.head_pt, kind: "model" },
      { path: e.head_onnx, kind: "model" },
      { path: e.training_summary, kind: "json" },
      { path: e.training_events, kind: "jsonl" },
    ],
    async run(ctx) {
      const { timeout_s, ...recipe } = params;
      // A checkpoint is resumed only by a run on the same data: the input hashes are part of its fingerprint.
      const data_fingerprint = sha256Text(inputs.map((rel) => run.manifest().artifacts[rel]?.sha256 ?? sha256File(ctx.abs(rel))).join(",")).slice(0, 16);
      const job_dir = run.paths.job_dir(`${it}-ebm-train`);
      const result = await runJob({
        job: "train_ebm",
        job_dir,
        config: {
          ...recipe,
          states: ctx.abs(emb.states),
          goals: ctx.abs(emb.goals),
          goal_index: ctx.abs(emb.goal_index),
          plan_dir: ctx.abs(e.plan_dir),
          out_pt: ctx.abs(e.head_pt),
          out_onnx: ctx.abs(e.head_onnx),
          out_summary: ctx.abs(e.training_summary),
          checkpoint_dir: ctx.abs(e.checkpoint_dir),
          data_fingerprint,
        },
        python_modules: ["numpy", "torch"],
        abort_rules: DECOUPLED_EBM_ABORT_RULES,
        timeout_s,
      });
      copyFileAtomic(result.events_path, ctx.abs(e.training_events));
      for (const w of result.warnings) ctx.log(`warning: ${w}`);
      const ckpt = ctx.abs(`${e.checkpoint_dir}/train_ebm_checkpoint.pt`);
      if (existsSync(ckpt)) rmSync(ckpt); // only interrupted runs resume; a finished one starts over when forced
      const s = result.summary;
      const out: EbmTrainResult = {
        steps: num(s["steps"]) ?? 0,
        temperature: num(s["temperature"]) ?? Number.NaN,
        final_train_loss: num(s["final_train_loss"]),
        val_loss: num(s["val_loss"]),
        val_rank1: num(s["val_rank1"]),
        val_rank1_chance: num(s["val_rank1_chance"]),
        train_rank1: num(s["train_rank1"]),
        excluded_unusable_rows: num(s["excluded_unusable_rows"]) ?? 0,
        train_rows_per_s: num(s["train_rows_per_s"]),
        wall_s: result.wall_s,
      };
      ctx.log(`${out.steps} steps, val rank-1 ${out.val_rank1?.toFixed(3) ?? "n/a"} (chance ${out.val_rank1_chance?.toFixed(3) ?? "n/a"}), temperature ${out.temperature.toFixed(3)}`);
      return out;
    },
  };
}

export function scoreEnergiesStage(run: Run, it: IterName): StageSpec<EnergiesSummary> {
  const e = decoupledEbmPaths(run.paths, it);
  const emb = run.paths[it].embeddings;
  return {
    name: `${it}/ebm-energies`,
    description: `energy of every ${it} trajectory row under the ${planConfigName(it)} head (onnxruntime-node); terminal rows −∞, unusable rows NaN`,
    params: {},
    inputs: [e.head_onnx, emb.states, emb.goals, emb.goal_index, emb.index],
    code: ["src/stages/ebm.ts", "src/ebm/score-energies.ts", "src/ebm/energy-scorer.ts"],
    outputs: [
      { path: e.energies, kind: "npy" },
      { path: e.energies_summary, kind: "json" },
    ],
    async run(ctx) {
      const ix = readTable(ctx.abs(emb.index), EMBEDDINGS_INDEX);
      const summary = await scoreEnergies({
        model: ctx.abs(e.head_onnx),
        states: ctx.abs(emb.states),
        goals: ctx.abs(emb.goals),
        goal_index: ctx.abs(emb.goal_index),
        out: ctx.abs(e.energies),
        row_status: rowStatusFromIndex(ix.columns["excluded"]!, ix.columns["exclude_reason"]!),
      });
      ctx.describe(e.energies, { schema: `float32[${summary.n_rows}]`, rows: summary.n_rows });
      ctx.writeJson(e.energies_summary, { ...summary, model: e.head_onnx });
      ctx.log(`${summary.n_scored} rows scored, ${summary.n_terminal} terminal (−∞), ${summary.n_unscorable} unusable (NaN) in ${summary.wall_s.toFixed(1)} s`);
      return { ...summary, model: e.head_onnx };
    },
  };
}

export interface EmbedJobParams {
  readonly recipe: EmbedRecipe;
  /** The merged model of the iteration (plan Task 2.1), relative to the run directory. */
  readonly model_subdir: string;
  readonly max_tokens_per_batch: number;
  readonly max_batch_size: number;
  readonly chunk_rows: number;
  readonly timeout_s: number;
}

export const EMBED_JOB_PARAMS: EmbedJobParams = { recipe: EMBED_RECIPE, model_subdir: "merged", max_tokens_per_batch: 16384, max_batch_size: 1024, chunk_rows: 8192, timeout_s: 4 * 3600 };

/**
 * The real embedding stage (plan Task 2.1): state embeddings of every trajectory row and one
 * root-goal embedding per theorem with the one recipe (python/burnqed/embed.py), the goal index
 * and the embeddings index (terminal, empty text, non-finite, all-zero rows excluded). Needs a GPU
 * Python with transformers and <run>/<it>/model/merged. Resumable: completed chunks are kept.
 */
export function embeddingJobStage(run: Run, it: IterName, params: EmbedJobParams = EMBED_JOB_PARAMS): StageSpec<Record<string, unknown>> {
  const emb = run.paths[it].embeddings;
  const j = embeddingJobPaths(run.paths, it);
  const traj = run.paths[it].search_trajectories;
  const model_dir = `${run.paths[it].model_dir}/${params.model_subdir}`;
  return {
    name: `${it}/embed`,
    description: `state and root-goal embeddings of every ${it} trajectory row (${params.recipe.template}, last content token, max_length ${params.recipe.max_length})`,
    params,
    inputs: [traj],
    code: ["src/stages/ebm.ts", "src/ebm/embedding-texts.ts", "src/ebm/embed-recipe.ts", "python/burnqed/embed.py", "python/burnqed/events.py", "python/burnqed/atomic_io.py"],
    outputs: [
      { path: emb.states, kind: "npy" },
      { path: emb.goals, kind: "npy" },
      { path: emb.goal_index, kind: "npy" },
      { path: emb.index, kind: "table" },
      { path: j.state_texts, kind: "jsonl" },
      { path: j.goal_texts, kind: "jsonl" },
      { path: j.state_flags, kind: "npy" },
      { path: j.goal_flags, kind: "npy" },
      { path: j.meta, kind: "json" },
    ],
    async run(ctx) {
      const t = readTable(ctx.abs(traj), TRAJECTORIES);
      const c = columnsOf(t.columns, ["theorem_name", "state_pp", "goal_pp", "is_proof_complete", "run_id", "state_id"], traj);
      const texts = embeddingTexts(c, traj);
      ctx.writeJsonl(j.state_texts, texts.state_texts.map((text) => ({ text })));
      ctx.writeJsonl(j.goal_texts, texts.goal_texts.map((text, g) => ({ text, theorem_name: texts.goal_theorems[g] })));
      ctx.writeNpy(emb.goal_index, "int32", [texts.goal_index.length], texts.goal_index);
      const result = await runJob({
        job: "embed",
        job_dir: run.paths.job_dir(`${it}-embed`),
        config: {
          model_dir: ctx.abs(model_dir),
          sets: [
            { name: "states", texts: ctx.abs(j.state_texts), out: ctx.abs(emb.states), flags_out: ctx.abs(j.state_flags) },
            { name: "goals", texts: ctx.abs(j.goal_texts), out: ctx.abs(emb.goals), flags_out: ctx.abs(j.goal_flags) },
          ],
          meta_out: ctx.abs(j.meta),
          work_dir: ctx.abs(j.work_dir),
          recipe: params.recipe,
          max_tokens_per_batch: params.max_tokens_per_batch,
          max_batch_size: params.max_batch_size,
          chunk_rows: params.chunk_rows,
        },
        python_modules: ["numpy", "torch", "transformers"],
        timeout_s: params.timeout_s,
      });
      for (const w of result.warnings) ctx.log(`warning: ${w}`);
      const flags = (rel: string) => Array.from(readNpy(ctx.abs(rel)).data as ArrayLike<number>, Number);
      const index = embeddingsIndexColumns(c, texts.goal_index, flags(j.state_flags), flags(j.goal_flags));
      ctx.writeTable(emb.index, EMBEDDINGS_INDEX, index as unknown as Columns);
      return result.summary;
    },
  };
}
