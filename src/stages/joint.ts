/**
 * Phase 3–4.1 stages: joint training of iter_1 and the plan's abort conditions checked on its metric
 * stream (the same declarative rules the job runner enforces live).
 *
 * In the demo profile joint training is a stand-in (it needs a GPU and the base model): it replays
 * the demo world's joint-training metric stream and gives config C a head by training the same
 * GoalConditionedEnergyHead (joint_train's architecture and seed, which the comparison checks
 * equal B's), decoupled, on what joint training learns from: the iter_0 trajectories, embedded by
 * the iter_1 encoder (different data from B's, so a different head). Every result says
 * so. The real joint trainer is python/burnqed/joint.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJson } from "../artifacts/json-file.js";
import { JobAbortedError } from "../jobs/job-error.js";
import { writeMergeSummary } from "./sft.js";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { headOutputs, planOutputs, runTrainEbm, writeContrastivePlan, type EbmTrainResult } from "./ebm.js";
import { writeSyntheticEmbeddings } from "./embeddings.js";
import { TASK_4_1_ABORT_RULES, describeAbortCondition, replayAbortRules, ruleCoverage } from "../jobs/abort-rules.js";
import { escapeXml, sparklineSvg } from "../jobs/live-plot.js";
import { isDemo } from "../config/run-config.js";
import { parseEventLine, type JobEvent } from "../jobs/events.js";

const MODULE = "src/stages/joint.ts";

export interface AbortCheck {
  readonly kind: "abort_check";
  readonly source: string;
  readonly values: { readonly n_metric_events: number; readonly n_fired: number; readonly n_not_evaluated: number };
  /** Rules that saw no event of their metric: they did not fire, but nothing was checked. */
  readonly not_computed: Record<string, string>;
  readonly rules: ReadonlyArray<{ id: string; description: string; remedy: string; status: "fired" | "held" | "not_evaluated"; fired: boolean; n_observed: number; why_not_evaluated?: string; step?: number; value?: number; metric?: string }>;
}

/** The curves notebook 03 shows (plan Task 4.1's monitoring table), in this order; λ·EBM is lambda_ebm × infonce_loss at a step. */
export const JOINT_CURVES = ["sft_loss", "infonce_loss", "lambda_x_ebm", "centroid_l2", "temperature", "ebm_rank1", "val_sft_loss", "val_infonce_loss"] as const;

/** (step, value) series of the stream's metrics, with λ·EBM derived. */
export function jointSeries(events: readonly JobEvent[]): Map<string, Array<readonly [number, number]>> {
  const series = new Map<string, Array<readonly [number, number]>>();
  const lambdaAt = new Map<number, number>();
  for (const e of events) {
    if (e.event !== "metric" || e.step === undefined) continue;
    if (!series.has(e.name)) series.set(e.name, []);
    series.get(e.name)?.push([e.step, e.value]);
    if (e.name === "lambda_ebm") lambdaAt.set(e.step, e.value);
  }
  const lx = (series.get("infonce_loss") ?? []).flatMap(([step, v]) => (lambdaAt.has(step) ? [[step, v * (lambdaAt.get(step) as number)] as const] : []));
  if (lx.length) series.set("lambda_x_ebm", lx);
  return series;
}

/** One SVG with a small chart per curve of JOINT_CURVES (a curve with no events says so), DEMO-marked in a demo run. */
export function jointCurvesSvg(events: readonly JobEvent[], demo: boolean): string {
  const series = jointSeries(events);
  const w = 240;
  const h = 64;
  const cols = 4;
  const charts = JOINT_CURVES.map((name, i) => {
    const x = (i % cols) * (w + 8);
    const y = 18 + Math.floor(i / cols) * (h + 8);
    const pts = series.get(name);
    const label = name === "lambda_x_ebm" ? "λ·EBM (lambda_ebm × infonce_loss)" : name;
    if (!pts?.length) return `<text x="${x + 4}" y="${y + 30}" font-size="10" font-family="monospace" fill="#a60">${escapeXml(label)}: no events</text>`;
    return sparklineSvg(pts, { label, width: w, height: h }).replace('<svg xmlns="http://www.w3.org/2000/svg" ', `<svg x="${x}" y="${y}" `);
  });
  const rows = Math.ceil(JOINT_CURVES.length / cols);
  const width = cols * (w + 8);
  const height = 18 + rows * (h + 8);
  const title = `joint training metric stream (iter_1/model/training_events.jsonl)${demo ? " — DEMO: the demo world's stream, not a training run" : ""}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="4" y="12" font-size="11" font-family="monospace"${demo ? ' fill="#a60"' : ""}>${escapeXml(title)}</text>${charts.join("")}</svg>`;
}

export function abortCheckStage(run: Run): StageSpec<AbortCheck["values"]> {
  const src = run.paths.iter_1.training_events;
  const out = run.paths.analysis.abort_check;
  const curves = run.paths.analysis.joint_curves;
  return {
    name: "iter_1/abort-check",
    description: "replay the plan's Task 4.1 abort rules over the joint-training metric stream (each rule: fired, held, or not evaluated for want of its metric) and draw its curves",
    params: { rules: TASK_4_1_ABORT_RULES },
    inputs: [src],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }, { path: curves, kind: "svg" }],
    run(ctx) {
      const lines = readFileSync(ctx.abs(src), "utf8").split("\n");
      const events: JobEvent[] = [];
      lines.forEach((line, i) => {
        if (line.trim()) events.push(parseEventLine(line, { job: `iter_1 joint training log ${src}`, line_no: i + 1 }));
      });
      const firings = replayAbortRules(events, TASK_4_1_ABORT_RULES);
      const rules = TASK_4_1_ABORT_RULES.map((r) => {
        const f = firings.find((x) => x.rule.id === r.id);
        const cov = ruleCoverage(events, r);
        const status = f ? ("fired" as const) : cov.why_not ? ("not_evaluated" as const) : ("held" as const);
        return {
          id: r.id, description: describeAbortCondition(r), remedy: r.remedy, status, fired: f !== undefined, n_observed: cov.n_observed,
          ...(cov.why_not && !f ? { why_not_evaluated: cov.why_not } : {}), ...(f ? { step: f.step, value: f.value, metric: f.metric } : {}),
        };
      });
      const notEvaluated = rules.filter((r) => r.status === "not_evaluated");
      const check: AbortCheck = {
        kind: "abort_check",
        source: src,
        values: { n_metric_events: events.filter((e) => e.event === "metric").length, n_fired: firings.length, n_not_evaluated: notEvaluated.length },
        not_computed: Object.fromEntries(notEvaluated.map((r) => [r.id, r.why_not_evaluated ?? ""])),
        rules,
      };
      ctx.writeJson(out, check);
      ctx.writeText(curves, jointCurvesSvg(events, isDemo(run.config)), { schema: "svg" });
      for (const r of notEvaluated) ctx.log(`abort rule not evaluated: ${r.id}: ${r.why_not_evaluated}`);
      for (const f of firings) ctx.log(`abort rule fired: ${f.message}`);
      return check.values;
    },
  };
}

export interface JointTrainResult {
  readonly steps: number | null;
  readonly val_rank1: number | null;
  readonly sft_val_loss: number | null;
  readonly restarts: ReadonlyArray<{ readonly rule: string; readonly step: number; readonly value: number; readonly remedy: string; readonly from_checkpoint: string }>;
  readonly lambda_schedule: unknown;
}

/**
 * The real `iter_1/joint-train` (plan Tasks 3.4, 4.1, 4.2): python/burnqed/joint on the iter_0
 * merged model, the SFT data and the iter_0 contrastive plan, with the Task 4.1 abort rules
 * enforced live. A firing stops the job (its last checkpoint kept); with control
 * `on_abort: "apply_remedy"` the stage restarts it from that checkpoint with the plan's remedy
 * (λ → 0.3 for a centroid collapse, λ → 0.03 for a high SFT loss), at most `max_restarts` times,
 * and records each restart. Outputs: config C's head (.pt, .onnx: the decoupled heads' export),
 * iter_1's merged model (merge check included) and the metric stream the abort check replays.
 */
export function jointTrainStage(run: Run): StageSpec<JointTrainResult> {
  const { recipe, controls } = run.config.recipes.joint_train;
  const i0 = run.paths.iter_0;
  const i1 = run.paths.iter_1;
  const a = run.paths.ebm("A");
  const c = run.paths.ebm("C");
  const t = run.paths.data.traced;
  const planFiles = planOutputs(a).map((o) => o.path);
  return {
    name: "iter_1/joint-train",
    description: `joint SFT + λ·InfoNCE training of iter_1 (LoRA r${recipe.lora_r}/α${recipe.lora_alpha}, λ ${recipe.lambda_ebm}, ${recipe.total_steps} steps) from the iter_0 merged model, Task 4.1 abort rules live`,
    params: { recipe, embed_recipe: run.config.recipes.embed.recipe },
    controls,
    inputs: [t.sft_train, t.sft_val, i0.merge_summary, i0.embeddings.state_texts, i0.embeddings.goal_texts, i0.embeddings.goal_index, i0.embeddings.meta, a.head_pt, ...planFiles],
    code: { module: MODULE, jobs: ["joint.train"] },
    outputs: [
      { path: i1.training_events, kind: "jsonl" },
      { path: c.head_pt, kind: "model" },
      { path: c.head_onnx, kind: "model" },
      { path: c.training_summary, kind: "json" },
      { path: i1.merge_summary, kind: "json" },
    ],
    async run(ctx) {
      const jobDir = run.paths.job_dir("iter_1-joint-train");
      const mergeJob = join(jobDir, "merge_summary.json");
      const base = {
        model_dir: ctx.abs(i0.merged_model),
        train_jsonl: ctx.abs(t.sft_train),
        val_jsonl: ctx.abs(t.sft_val),
        plan_dir: ctx.abs(a.plan_dir),
        state_texts: ctx.abs(i0.embeddings.state_texts),
        goal_texts: ctx.abs(i0.embeddings.goal_texts),
        goal_index: ctx.abs(i0.embeddings.goal_index),
        iter0_head_pt: ctx.abs(a.head_pt),
        iter0_embedding_meta: ctx.abs(i0.embeddings.meta),
        out_adapter_dir: ctx.abs(i1.sft.adapter),
        out_merged_dir: ctx.abs(i1.merged_model),
        out_merge_summary: mergeJob,
        out_head_pt: ctx.abs(c.head_pt),
        out_head_onnx: ctx.abs(c.head_onnx),
        out_summary: ctx.abs(c.training_summary),
        checkpoint_dir: ctx.abs(i1.joint_checkpoints),
        ...recipe,
        embed_recipe: run.config.recipes.embed.recipe,
        device: controls.device,
        attention: controls.attention,
        max_tokens_per_row: controls.max_tokens_per_row,
        rows_per_micro_batch: controls.rows_per_micro_batch,
        groups_per_micro_batch: controls.groups_per_micro_batch,
        gradient_checkpointing: controls.gradient_checkpointing,
        keep_checkpoints: controls.keep_checkpoints,
        eval_max_groups: controls.eval_max_groups,
        eval_max_anchors: controls.eval_max_anchors,
      };
      const eventsFile = join(jobDir, "events.jsonl");
      const { restarts, events } = await runWithRemedies(
        (extra) => ctx.runJob({ job: "joint_train", module: "burnqed.joint.train", job_dir: jobDir, config: { ...base, ...extra }, python_modules: ["torch", "transformers", "peft"], abort_rules: TASK_4_1_ABORT_RULES, timeout_s: controls.timeout_s, kill_grace_s: 300 }),
        () => (existsSync(eventsFile) ? readFileSync(eventsFile, "utf8") : null),
        controls,
        (line) => ctx.log(line),
      );
      ctx.writeText(i1.training_events, events.join(""));
      writeMergeSummary(ctx, i1.merged_model, i1.merge_summary, mergeJob);
      const s = readJson<Record<string, unknown>>(ctx.abs(c.training_summary));
      ctx.describe(c.training_summary, { schema: "joint_training" });
      const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : null);
      return { steps: num("steps"), val_rank1: num("val_rank1"), sft_val_loss: num("val_sft_loss"), restarts, lambda_schedule: s["lambda_schedule"] ?? null };
    },
  };
}

/** Abort rules whose plan remedy is a config change the job accepts (python/burnqed/joint/config.py REMEDIES). */
export const REMEDY_RULES: ReadonlySet<string> = new Set(["centroid_l2_below_3", "sft_loss_above_0.5_after_2000"]);

export type JointRestart = JointTrainResult["restarts"][number];

/**
 * The joint stage's abort loop: run the job; when a Task 4.1 rule with a config remedy fires
 * (a JobAbortedError with a kept checkpoint) and `on_abort` is "apply_remedy", run it again with
 * `{ resume_from_checkpoint, remedy }` (the job applies the plan's λ change from that checkpoint),
 * at most `max_restarts` times. Any other failure, a rule without a remedy, `on_abort: "stop"`, no
 * checkpoint or the restart budget spent ends the stage with the rule, its value and the plan's
 * remedy named. Returns every restart and each attempt's event log, in order.
 */
export async function runWithRemedies(
  runOnce: (extra: Record<string, unknown>) => Promise<unknown>,
  readEvents: () => string | null,
  controls: { readonly on_abort: "stop" | "apply_remedy"; readonly max_restarts: number },
  log: (line: string) => void,
): Promise<{ restarts: JointRestart[]; events: string[] }> {
  const restarts: JointRestart[] = [];
  const events: string[] = [];
  let extra: Record<string, unknown> = {};
  for (;;) {
    try {
      await runOnce(extra);
      const text = readEvents();
      if (text !== null) events.push(text);
      return { restarts, events };
    } catch (e) {
      const text = readEvents();
      if (text !== null) events.push(text);
      if (!(e instanceof JobAbortedError)) throw e;
      const { rule, step, value, last_checkpoint } = e;
      const hasRemedy = REMEDY_RULES.has(rule.id);
      if (!(hasRemedy && controls.on_abort === "apply_remedy" && restarts.length < controls.max_restarts && last_checkpoint)) {
        const why = !hasRemedy ? "" : controls.on_abort === "stop" ? " To restart from it with the remedy applied: --set joint_train.on_abort=apply_remedy" :
          !last_checkpoint ? " No checkpoint was written before it fired, so there is nothing to restart from." : ` The restart budget is spent (max_restarts ${controls.max_restarts}: ${restarts.map((r) => `${r.rule} at step ${r.step}`).join(", ")}).`;
        throw new Error(`abort rule ${rule.id} fired at step ${step} (${rule.metric} = ${value}): ${rule.message}. The plan's remedy: ${rule.remedy}.${last_checkpoint ? ` Last checkpoint kept: ${last_checkpoint}.` : ""}${why}`, { cause: e });
      }
      restarts.push({ rule: rule.id, step, value, remedy: rule.remedy, from_checkpoint: last_checkpoint });
      log(`abort rule ${rule.id} fired at step ${step} (${rule.metric} = ${value}); restarting from ${last_checkpoint} with the plan's remedy: ${rule.remedy}`);
      extra = { resume_from_checkpoint: last_checkpoint, remedy: rule.id };
    }
  }
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
  const emb = e.stand_in_embeddings;
  const traj = run.paths.iter_0.search_trajectories;
  const plan = run.config.recipes.contrastive_plan.recipe;
  const { recipe, controls } = run.config.recipes.ebm_train;
  // C's head as joint training would build it: its architecture, seed and sampling are joint_train's
  // (the comparison checks them against A's and B's)
  const j = run.config.recipes.joint_train.recipe;
  const headRecipe = { ...recipe, hidden_dims: j.hidden_dims, dropout: j.head_dropout, seed: j.seed, k_negatives: j.k_negatives, hard_ratio: j.hard_ratio };
  const needs = "a GPU with the base model (python/burnqed/joint: SFT + InfoNCE through the LoRA)";
  return {
    name: "iter_1/joint-train",
    description: "joint SFT + InfoNCE training of iter_1 (LoRA r=64, λ=0.1, 6000 steps) — DEMO stand-in",
    params: { stand_in: true, plan, head_recipe: headRecipe, encoder: "synthetic 'iter_1'", embed_recipe: run.config.recipes.embed.recipe },
    controls,
    inputs: [w(it.training_events), traj, run.paths.demo.synthetic_world, run.paths.demo.policy_server],
    code: { module: MODULE, jobs: ["train_ebm"] },
    outputs: [
      { path: it.training_events, kind: "jsonl" },
      { path: emb.states, kind: "npy" },
      { path: emb.goals, kind: "npy" },
      { path: emb.goal_index, kind: "npy" },
      { path: emb.index, kind: "table" },
      { path: emb.meta, kind: "json" },
      ...planOutputs(e),
      ...headOutputs(e),
    ],
    async run(ctx) {
      copyFileAtomic(ctx.abs(w(it.training_events)), ctx.abs(it.training_events));
      await writeSyntheticEmbeddings(ctx, run, traj, "iter_1", emb);
      writeContrastivePlan(ctx, traj, emb.index, plan, e);
      const planFiles = planOutputs(e).map((o) => o.path);
      const trained = await runTrainEbm(ctx, { e, emb, inputs: [emb.states, emb.goals, emb.goal_index, ...planFiles], recipe: headRecipe, controls, job: "iter_1-joint-stand-in" });
      const message =
        "DEMO: the joint-training metric stream is the demo world's; config C's head (joint_train's architecture and seed " +
        `${headRecipe.seed}) was trained decoupled on the iter_0 trajectories embedded by the iter_1 encoder — what joint training learns from, but without gradients into the LoRA, which needs ${needs}`;
      ctx.log(message);
      return { ...trained, demo: true, needs, message };
    },
  };
}
