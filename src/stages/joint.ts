/**
 * Phase 3–4.1 stages: joint training of iter_1 and the plan's abort conditions checked on its metric
 * stream (the same declarative rules the job runner enforces live).
 *
 * In the demo profile joint training is a stand-in (it needs a GPU and the base model): it replays
 * the demo world's joint-training metric stream and gives config C a head by training the same
 * GoalConditionedEnergyHead, decoupled, on the demo world's iter_1 embeddings (seed 1, so it is
 * not config B's head). Every result says so. The real joint trainer is python/burnqed/joint.
 */
import { readFileSync } from "node:fs";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { headOutputs, planOutputs, runTrainEbm, writeContrastivePlan, type EbmTrainResult } from "./ebm.js";
import { TASK_4_1_ABORT_RULES, describeAbortCondition, replayAbortRules } from "../jobs/abort-rules.js";
import { parseEventLine, type JobEvent } from "../jobs/events.js";

const MODULE = "src/stages/joint.ts";

export interface AbortCheck {
  readonly kind: "abort_check";
  readonly source: string;
  readonly values: { readonly n_metric_events: number; readonly n_fired: number };
  readonly not_computed: Record<string, string>;
  readonly rules: ReadonlyArray<{ id: string; description: string; remedy: string; fired: boolean; step?: number; value?: number; metric?: string }>;
}

export function abortCheckStage(run: Run): StageSpec<AbortCheck["values"]> {
  const src = run.paths.iter_1.training_events;
  const out = run.paths.analysis.abort_check;
  return {
    name: "iter_1/abort-check",
    description: "replay the plan's Task 4.1 abort rules over the joint-training metric stream",
    params: { rules: TASK_4_1_ABORT_RULES },
    inputs: [src],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const lines = readFileSync(ctx.abs(src), "utf8").split("\n");
      const events: JobEvent[] = [];
      lines.forEach((line, i) => {
        if (line.trim()) events.push(parseEventLine(line, { job: `iter_1 joint training log ${src}`, line_no: i + 1 }));
      });
      const firings = replayAbortRules(events, TASK_4_1_ABORT_RULES);
      const rules = TASK_4_1_ABORT_RULES.map((r) => {
        const f = firings.find((x) => x.rule.id === r.id);
        return { id: r.id, description: describeAbortCondition(r), remedy: r.remedy, fired: f !== undefined, ...(f ? { step: f.step, value: f.value, metric: f.metric } : {}) };
      });
      const check: AbortCheck = {
        kind: "abort_check",
        source: src,
        values: { n_metric_events: events.filter((e) => e.event === "metric").length, n_fired: firings.length },
        not_computed: {},
        rules,
      };
      ctx.writeJson(out, check);
      for (const f of firings) ctx.log(`abort rule fired: ${f.message}`);
      return check.values;
    },
  };
}

export interface JointStandInResult extends EbmTrainResult {
  readonly demo: true;
  readonly needs: string;
  readonly message: string;
}

/** DEMO stand-in of `iter_1/joint-train` (see the module comment). */
export function jointTrainStandInStage(run: Run): StageSpec<JointStandInResult> {
  const w = run.paths.demo.world;
  const it = run.paths.iter_1;
  const e = run.paths.ebm("C");
  const emb = { states: w(it.embeddings.states), goals: w(it.embeddings.goals), goal_index: w(it.embeddings.goal_index) };
  const traj = w(it.search_trajectories);
  const index = w(it.embeddings.index);
  const plan = run.config.recipes.contrastive_plan.recipe;
  const { recipe, controls } = run.config.recipes.ebm_train;
  const headRecipe = { ...recipe, seed: recipe.seed + 1 };
  const needs = "a GPU with the base model (python/burnqed/joint: SFT + InfoNCE through the LoRA)";
  return {
    name: "iter_1/joint-train",
    description: "joint SFT + InfoNCE training of iter_1 (LoRA r=64, λ=0.1, 6000 steps) — DEMO stand-in",
    params: { stand_in: true, plan, head_recipe: headRecipe },
    controls,
    inputs: [w(it.training_events), traj, index, emb.states, emb.goals, emb.goal_index],
    code: { module: MODULE, jobs: ["train_ebm"] },
    outputs: [{ path: it.training_events, kind: "jsonl" }, ...planOutputs(e), ...headOutputs(e)],
    async run(ctx) {
      copyFileAtomic(ctx.abs(w(it.training_events)), ctx.abs(it.training_events));
      writeContrastivePlan(ctx, traj, index, plan, e);
      const planFiles = planOutputs(e).map((o) => o.path);
      const trained = await runTrainEbm(ctx, { e, emb, inputs: [emb.states, emb.goals, emb.goal_index, ...planFiles], recipe: headRecipe, controls, job: "iter_1-joint-stand-in" });
      const message =
        "DEMO: the joint-training metric stream is the demo world's; config C's head was trained decoupled on the iter_1 embeddings (seed " +
        `${headRecipe.seed}) — a real run trains it jointly with the LoRA, which needs ${needs}`;
      ctx.log(message);
      return { ...trained, demo: true, needs, message };
    },
  };
}
