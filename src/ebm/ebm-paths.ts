/**
 * Run paths of the energy-head work, as functions of RunPaths (run-paths.ts stays the one place
 * the layout is declared; these extend it for the decoupled head and the embedding job).
 *
 * The decoupled head of iter_0 (config A) lives in iter_0/ebm; the decoupled head retrained on
 * iter_1 embeddings (config B) lives in iter_1/baselines/config_B_frozen_ebm, because iter_1/ebm
 * holds the jointly trained head (config C, plan Task 4.2).
 */
import type { IterName, RunPaths } from "../config/run-paths.js";
import type { PlanArrayName, PlanSplit } from "./contrastive-plan.js";

export interface DecoupledEbmPaths {
  readonly dir: string;
  readonly plan_dir: string;
  readonly plan_summary: string;
  readonly head_pt: string;
  readonly head_onnx: string;
  readonly training_events: string;
  readonly training_summary: string;
  /** Not an artifact: the trainer's resumable checkpoint (kept across interrupted runs). */
  readonly checkpoint_dir: string;
  readonly energies: string;
  readonly energies_summary: string;
  planFile(split: PlanSplit, name: PlanArrayName): string;
}

export function decoupledEbmPaths(p: RunPaths, it: IterName): DecoupledEbmPaths {
  const dir = it === "iter_0" ? p.iter_0.ebm.dir : p.iter_1.config_b_dir;
  const head = it === "iter_0" ? p.iter_0.ebm : { head_pt: `${dir}/goal_conditioned_head.pt`, head_onnx: `${dir}/goal_conditioned_head.onnx`, energies: `${dir}/energies.npy` };
  const plan_dir = `${dir}/contrastive_plan`;
  return {
    dir,
    plan_dir,
    plan_summary: `${plan_dir}/plan.json`,
    head_pt: head.head_pt,
    head_onnx: head.head_onnx,
    training_events: `${dir}/training_events.jsonl`,
    training_summary: `${dir}/training_summary.json`,
    checkpoint_dir: `${dir}/checkpoints`,
    energies: head.energies,
    energies_summary: `${dir}/energies_summary.json`,
    planFile: (split, name) => `${plan_dir}/${split}_${name}.npy`,
  };
}

export interface EmbeddingJobPaths {
  /** JSON Lines {"text": state_pp}, one per trajectory row, in table order. */
  readonly state_texts: string;
  /** JSON Lines {"text": goal_pp}, one per goal row. */
  readonly goal_texts: string;
  /** int32 per row: 0 ok, 1 empty text, 2 non-finite, 3 all zero (the job's alarms). */
  readonly state_flags: string;
  readonly goal_flags: string;
  /** Recipe, counts and timings of the embedding job. */
  readonly meta: string;
  /** Not an artifact: completed chunks of the resumable job. */
  readonly work_dir: string;
}

export function embeddingJobPaths(p: RunPaths, it: IterName): EmbeddingJobPaths {
  const dir = `${it}/embeddings`;
  return {
    state_texts: `${dir}/state_texts.jsonl`,
    goal_texts: `${dir}/goal_texts.jsonl`,
    state_flags: `${dir}/state_flags.npy`,
    goal_flags: `${dir}/goal_flags.npy`,
    meta: `${dir}/embedding_meta.json`,
    work_dir: `${dir}/chunks`,
  };
}
