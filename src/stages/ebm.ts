/**
 * Energy-head stages (plan Tasks 2.4 and 4.3), per head configuration (EBM_CONFIGS): the
 * contrastive plan (TypeScript), the decoupled head trained on frozen embeddings (Python job
 * `burnqed.train_ebm`) and energies for every trajectory row (onnxruntime-node). Config A trains
 * on iter_0 embeddings, config B with the same recipe on iter_1 embeddings; config C's head comes
 * from joint training.
 *
 * The recipe is `ebm_train` of the run's recipes (the plan's in the real profile; the demo's short
 * schedule on 64-d embeddings in the demo profile — src/config/recipes.ts says why).
 */
import { existsSync, rmSync } from "node:fs";
import { readTable } from "../artifacts/arrow-table.js";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import { sha256File, sha256Text } from "../artifacts/hash.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES } from "../artifacts/schemas.js";
import type { OutputDecl, StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { ContrastivePlanRecipe, EbmTrainControls, EbmTrainRecipe } from "../config/recipes.js";
import { EBM_CONFIGS, type EbmConfigName, type EbmPaths, type EmbeddingPaths, type RunRel } from "../config/run-paths.js";
import { contrastivePlan, PLAN_ARRAYS, PLAN_SPLITS, type ContrastivePlanSummary } from "../ebm/contrastive-plan.js";
import { rowStatusFromIndex, scoreEnergies, type EnergiesSummary } from "../ebm/score-energies.js";
import { TASK_4_1_ABORT_RULES, type AbortRule } from "../jobs/abort-rules.js";

const MODULE = "src/stages/ebm.ts";

/** The Task 4.1 rules that apply to decoupled training: temperature stuck at a bound 500+ steps, any NaN. */
export const DECOUPLED_EBM_ABORT_RULES: readonly AbortRule[] = TASK_4_1_ABORT_RULES.filter((r) => r.metric === "temperature" || r.op === "non_finite");

function decoupled(config: EbmConfigName): void {
  if (EBM_CONFIGS[config].head !== "decoupled") throw new Error(`config ${config} has a jointly trained head: it is trained by joint training, not by the decoupled trainer`);
}

/** The plan's files: its summary and one int64 array per split and name. */
export function planOutputs(e: EbmPaths): OutputDecl[] {
  const outputs: OutputDecl[] = [{ path: e.plan_summary, kind: "json" }];
  for (const s of PLAN_SPLITS) for (const a of PLAN_ARRAYS) outputs.push({ path: e.planFile(s, a), kind: "npy" });
  return outputs;
}

/** Compute and write a contrastive plan from a trajectory table and its embeddings index. */
export function writeContrastivePlan(ctx: StageContext, traj: RunRel, index: RunRel, params: ContrastivePlanRecipe, e: EbmPaths): ContrastivePlanSummary["splits"] {
  const t = readTable(ctx.abs(traj), TRAJECTORIES);
  const ix = readTable(ctx.abs(index), EMBEDDINGS_INDEX);
  const plan = contrastivePlan(t.columns, ix.columns, params, { trajectories_path: traj, index_path: index });
  for (const s of PLAN_SPLITS) for (const a of PLAN_ARRAYS) ctx.writeNpy(e.planFile(s, a), "int64", [plan.arrays[s][a].length], plan.arrays[s][a]);
  ctx.writeJson(e.plan_summary, plan.summary);
  const sp = plan.summary.splits;
  ctx.log(
    `train: ${sp.train.theorems} theorems, ${sp.train.anchors} anchors, ${sp.train.rank1_groups} rank-1 groups; val: ${sp.val.theorems} theorems, ${sp.val.anchors} anchors, ${sp.val.rank1_groups} groups; ` +
      `excluded rows: ${Object.entries(plan.summary.excluded).map(([k, v]) => `${k} ${v}`).join(", ")}`,
  );
  return sp;
}

export function contrastivePlanStage(run: Run, config: EbmConfigName): StageSpec<ContrastivePlanSummary["splits"]> {
  const e = run.paths.ebm(config);
  const ip = run.paths.iter(EBM_CONFIGS[config].iter);
  const traj = ip.search_trajectories;
  const index = ip.embeddings.index;
  const params = run.config.recipes.contrastive_plan.recipe;
  const outputs = planOutputs(e);
  return {
    name: `ebm-${config}/contrastive-plan`,
    description: `anchors, sibling groups keyed by (run, theorem, parent), negative pools and the held-out theorem split for ${EBM_CONFIGS[config].title}`,
    params,
    inputs: [traj, index],
    code: { module: MODULE },
    outputs,
    run(ctx) {
      return writeContrastivePlan(ctx, traj, index, params, e);
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

/** The head's outputs. */
export function headOutputs(e: EbmPaths): OutputDecl[] {
  return [
    { path: e.head_pt, kind: "model" },
    { path: e.head_onnx, kind: "model" },
    { path: e.training_summary, kind: "json" },
    { path: e.training_events, kind: "jsonl" },
  ];
}

/** Train a head with burnqed.train_ebm on frozen embeddings and a contrastive plan; write the head's outputs. */
export async function runTrainEbm(
  ctx: StageContext,
  o: { e: EbmPaths; emb: Pick<EmbeddingPaths, "states" | "goals" | "goal_index">; inputs: readonly RunRel[]; recipe: EbmTrainRecipe; controls: EbmTrainControls; job: string },
): Promise<EbmTrainResult> {
  const { e, emb, recipe, controls } = o;
  // A checkpoint is resumed only by a run on the same data: the input hashes are part of its fingerprint.
  const data_fingerprint = sha256Text(o.inputs.map((rel) => ctx.run.manifest().artifacts[rel]?.sha256 ?? sha256File(ctx.abs(rel))).join(",")).slice(0, 16);
  const { timeout_s, ...jobControls } = controls;
  const result = await ctx.runJob({
    job: "train_ebm",
    job_dir: ctx.run.paths.job_dir(o.job),
    config: {
      ...recipe,
      ...jobControls,
      states: ctx.abs(emb.states),
      goals: ctx.abs(emb.goals),
      goal_index: ctx.abs(emb.goal_index),
      plan_dir: ctx.abs(e.plan_dir),
      out_pt: ctx.abs(e.head_pt),
      out_onnx: ctx.abs(e.head_onnx),
      out_summary: ctx.abs(e.training_summary),
      checkpoint_path: ctx.abs(e.checkpoint),
      data_fingerprint,
    },
    python_modules: ["numpy", "torch"],
    abort_rules: DECOUPLED_EBM_ABORT_RULES,
    timeout_s,
  });
  copyFileAtomic(result.events_path, ctx.abs(e.training_events));
  for (const w of result.warnings) ctx.log(`warning: ${w}`);
  if (existsSync(ctx.abs(e.checkpoint))) rmSync(ctx.abs(e.checkpoint)); // only interrupted runs resume; a finished one starts over when forced
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
}

export function trainEbmStage(run: Run, config: EbmConfigName): StageSpec<EbmTrainResult> {
  decoupled(config);
  const e = run.paths.ebm(config);
  const emb = run.paths.iter(EBM_CONFIGS[config].iter).embeddings;
  const { recipe, controls } = run.config.recipes.ebm_train;
  const planInputs = PLAN_SPLITS.flatMap((s) => PLAN_ARRAYS.map((a) => e.planFile(s, a)));
  const inputs = [emb.states, emb.goals, emb.goal_index, ...planInputs];
  return {
    name: `ebm-${config}/train`,
    description: `train the GoalConditionedEnergyHead on frozen embeddings: ${EBM_CONFIGS[config].title} (Python job burnqed.train_ebm)`,
    params: recipe,
    controls,
    inputs,
    code: { module: MODULE, jobs: ["train_ebm"] },
    outputs: headOutputs(e),
    run(ctx) {
      return runTrainEbm(ctx, { e, emb, inputs, recipe, controls, job: `ebm-${config}-train` });
    },
  };
}

export function scoreEnergiesStage(run: Run, config: EbmConfigName): StageSpec<EnergiesSummary> {
  const e = run.paths.ebm(config);
  const emb = run.paths.iter(EBM_CONFIGS[config].iter).embeddings;
  return {
    name: `ebm-${config}/energies`,
    description: `energy of every trajectory row under the head of ${EBM_CONFIGS[config].title} (onnxruntime-node); terminal rows −∞, unusable rows NaN`,
    params: {},
    inputs: [e.head_onnx, emb.states, emb.goals, emb.goal_index, emb.index],
    code: { module: MODULE },
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
        row_status: rowStatusFromIndex(ix.columns.excluded, ix.columns.exclude_reason),
      });
      ctx.describe(e.energies, { schema: `float32[${summary.n_rows}]`, rows: summary.n_rows });
      ctx.writeJson(e.energies_summary, { ...summary, model: e.head_onnx });
      ctx.log(`${summary.n_scored} rows scored, ${summary.n_terminal} terminal (−∞), ${summary.n_unscorable} unusable (NaN) in ${summary.wall_s.toFixed(1)} s`);
      return { ...summary, model: e.head_onnx };
    },
  };
}
