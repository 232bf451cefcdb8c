/**
 * Phase 1 training stages (plan Tasks 1.1, 1.2):
 *
 * - `iter_0/sft-seed`: the SFT job on the seed batch (the first `trace.seed_fraction` of the SFT
 *   training theorems in the trace's salted order, one epoch): the plan's pipeline check before
 *   the full run; it must finish with a finite validation loss below its starting one;
 * - `iter_0/sft`: LoRA SFT on every SFT record (python/burnqed/sft.py: the plan's recipe, the
 *   completion mask on the real token offsets, packed steps of 16 examples at the unpacked loss);
 * - `iter_0/merge`: merge_and_unload into iter_0/model/merged with the tokenizer, checked against
 *   base + LoRA on a batch of validation records before it is published.
 *
 * Each needs a GPU and the base model (BURNQED_BASE_MODEL); in the demo they are stand-ins that
 * write a summary saying so. Their summaries carry what the rest of the run keys on: the adapter's
 * and the merged folder's file hashes.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { readJson, readJsonl } from "../artifacts/json-file.js";
import { sha256Text } from "../artifacts/hash.js";
import type { StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { isDemo } from "../config/run-config.js";
import { baseModel, requireBaseModel } from "../config/model-environment.js";
import { TASK_4_1_ABORT_RULES } from "../jobs/abort-rules.js";
import type { AbortRule } from "../jobs/abort-rules.js";

const MODULE = "src/stages/sft.ts";
export const SFT_NEEDS = "a GPU Python with torch, transformers and peft, and the base model (BURNQED_BASE_MODEL)";
/** The trace's seed-order salt (src/lean/trace-theorems.ts DEFAULTS.salt). */
const SEED_SALT = "burnqed-trace";

/** NaN anywhere stops an SFT job (the job itself also aborts before the optimizer step). */
const SFT_ABORT_RULES: readonly AbortRule[] = TASK_4_1_ABORT_RULES.filter((r) => r.op === "non_finite");

/** sha256 per file of a folder (sorted, relative names): what a model folder's consumers key on. */
export function folderHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else out[`${prefix}${name}`] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

export interface SftStageResult {
  readonly demo?: true;
  readonly message?: string;
  readonly steps?: number;
  readonly val_loss?: number | null;
  readonly tokens_per_s?: number | null;
}

/** A DEMO stand-in that writes `{ stand_in, needs }` where the real stage writes its summary. */
function gpuStandIn(name: string, description: string, out: StageSpec<unknown>["outputs"][number]["path"], needs: string): StageSpec<SftStageResult> {
  return {
    name,
    description: `${description} — DEMO stand-in`,
    params: { stand_in: true, needs },
    inputs: [],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const message = `DEMO: not run here — needs ${needs}`;
      ctx.writeJson(out, { kind: "stand_in", demo: true, stand_in: true, stage: name, needs, message });
      ctx.log(message);
      return { demo: true, message };
    },
  };
}

/** The seed batch's SFT records: the first seed_fraction of the training theorems in the trace's order. */
export function seedRecords<T extends { theorem_name: string }>(records: readonly T[], seed_fraction: number): T[] {
  const names = [...new Set(records.map((r) => r.theorem_name))].map((n) => ({ n, h: sha256Text(`${SEED_SALT}\u0000${n}`) })).sort((a, b) => (a.h < b.h ? -1 : 1));
  const k = Math.max(1, Math.round(names.length * seed_fraction));
  const seed = new Set(names.slice(0, k).map((x) => x.n));
  return records.filter((r) => seed.has(r.theorem_name));
}

export function sftStage(run: Run, which: "seed" | "full", it: IterName = "iter_0"): StageSpec<SftStageResult> {
  const ip = run.paths.iter(it);
  const t = run.paths.data.traced;
  const name = which === "seed" ? `${it}/sft-seed` : `${it}/sft`;
  const summary = which === "seed" ? ip.sft.seed_summary : ip.sft.summary;
  const description = which === "seed" ? "LoRA SFT on the seed batch (one epoch): the pipeline check before the full run" : "LoRA SFT of the policy (plan Task 1.1: r32/α64 on q/k/v/o/gate/up/down, lr 3e-5, 3 epochs, 16 examples per step)";
  if (isDemo(run.config)) return gpuStandIn(name, description, summary, SFT_NEEDS);
  const { recipe, controls } = run.config.recipes.sft;
  const seedFraction = run.config.recipes.trace.recipe.seed_fraction;
  const base = baseModel();
  const stageRecipe = which === "seed" ? { ...recipe, epochs: 1 } : recipe;
  const inputs = which === "seed" ? [t.sft_train, t.sft_val] : [t.sft_train, t.sft_val, ip.sft.seed_summary];
  const { timeout_s, launcher, ...jobControls } = controls;
  return {
    name,
    description,
    params: { recipe: stageRecipe, base_model: base, ...(which === "seed" ? { seed_fraction: seedFraction } : {}) },
    controls,
    inputs,
    code: { module: MODULE, jobs: ["sft"] },
    outputs: [{ path: summary, kind: "json" }],
    async run(ctx) {
      const model_dir = requireBaseModel(base, name);
      let train = ctx.abs(t.sft_train);
      if (which === "seed") {
        const recs = seedRecords(readJsonl<{ theorem_name: string }>(train), seedFraction);
        const seedFile = ctx.abs(ip.sft.seed_train);
        ctx.writeJsonl(ip.sft.seed_train, recs);
        ctx.log(`seed batch: ${recs.length} SFT records of ${new Set(recs.map((r) => r.theorem_name)).size} theorems`);
        train = seedFile;
      } else {
        const seed = readJson<{ val_loss?: number | null; val_history?: Array<[number, number]> }>(ctx.abs(ip.sft.seed_summary));
        checkSeedRun(seed);
      }
      const adapter = which === "seed" ? ip.sft.seed_adapter : ip.sft.adapter;
      const jobSummary = join(run.paths.job_dir(name.replace(/\//g, "-")), "sft_summary.json");
      const result = await ctx.runJob({
        job: "sft",
        job_dir: run.paths.job_dir(name.replace(/\//g, "-")),
        config: {
          model_dir,
          train_jsonl: train,
          val_jsonl: ctx.abs(t.sft_val),
          out_dir: ctx.abs(adapter),
          out_summary: jobSummary,
          checkpoint_path: ctx.abs(which === "seed" ? ip.sft.seed_checkpoint : ip.sft.checkpoint),
          ...stageRecipe,
          ...jobControls,
        },
        ...(launcher.length ? { launcher } : { python_modules: ["torch", "transformers", "peft"] }),
        abort_rules: SFT_ABORT_RULES,
        timeout_s,
        kill_grace_s: 120,
      });
      // only an interrupted run resumes: a finished one starts over when it runs again (new data, a forced re-run)
      const checkpoint = ctx.abs(which === "seed" ? ip.sft.seed_checkpoint : ip.sft.checkpoint);
      if (existsSync(checkpoint)) rmSync(checkpoint);
      const s = readJson<Record<string, unknown>>(jobSummary);
      ctx.writeJson(summary, { ...s, adapter_dir: adapter, adapter_files: folderHashes(ctx.abs(adapter)) });
      const val = typeof s["val_loss"] === "number" ? (s["val_loss"] as number) : null;
      ctx.log(`${s["steps"]} steps, val_loss ${val?.toFixed(4) ?? "n/a"}, ${Number(s["tokens_per_s"] ?? 0).toFixed(0)} real tokens/s, special tokens ${s["special_tokens_mode"]}`);
      void result;
      return { steps: s["steps"] as number, val_loss: val, tokens_per_s: (s["tokens_per_s"] as number | null) ?? null };
    },
  };
}

/** The plan's gate: the full run starts only after the seed run learned (finite, lower val loss). */
export function checkSeedRun(seed: { val_loss?: number | null; val_history?: ReadonlyArray<readonly [number, number]> }): void {
  const v = seed.val_loss;
  const first = seed.val_history?.[0]?.[1];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`the seed SFT run ended without a finite val_loss (${v}): fix the pipeline before the full run`);
  if (typeof first === "number" && !(v < first)) throw new Error(`the seed SFT run did not learn: val_loss ${v} at the end vs ${first} at step 0 (check the completion mask and the data)`);
}

export function mergeStage(run: Run, it: IterName = "iter_0"): StageSpec<SftStageResult & { passed?: boolean }> {
  const ip = run.paths.iter(it);
  const name = `${it}/merge`;
  const description = "merge_and_unload into model/merged with the tokenizer, checked against base + LoRA (plan Task 1.2)";
  if (isDemo(run.config)) return gpuStandIn(name, description, ip.merge_summary, SFT_NEEDS);
  const { recipe, controls } = run.config.recipes.merge;
  const base = baseModel();
  return {
    name,
    description,
    params: { recipe, base_model: base },
    controls,
    inputs: [ip.sft.summary, run.paths.data.traced.sft_val],
    code: { module: MODULE, jobs: ["merge_lora"] },
    outputs: [{ path: ip.merge_summary, kind: "json" }],
    async run(ctx) {
      const jobDir = run.paths.job_dir(name.replace(/\//g, "-"));
      const jobSummary = join(jobDir, "merge_summary.json");
      await ctx.runJob({
        job: "merge_lora",
        job_dir: jobDir,
        config: {
          base_model_dir: requireBaseModel(base, name),
          adapter_dir: ctx.abs(ip.sft.adapter),
          out_dir: ctx.abs(ip.merged_model),
          out_summary: jobSummary,
          check_jsonl: ctx.abs(run.paths.data.traced.sft_val),
          ...recipe,
        },
        python_modules: ["torch", "transformers", "peft"],
        timeout_s: controls.timeout_s,
      });
      return writeMergeSummary(ctx, ip.merged_model, ip.merge_summary, jobSummary);
    },
  };
}

/** The merge job's verdict plus the merged folder's file hashes: what serving and embedding key on. */
export function writeMergeSummary(ctx: StageContext, merged: Parameters<StageContext["abs"]>[0], out: Parameters<StageContext["abs"]>[0], jobSummary: string): SftStageResult & { passed?: boolean } {
  if (!existsSync(ctx.abs(merged))) throw new Error(`the merge job finished but ${merged} does not exist`);
  const s = readJson<Record<string, unknown>>(jobSummary);
  ctx.writeJson(out, { ...s, merged_dir: merged, merged_files: folderHashes(ctx.abs(merged)) });
  return { passed: s["passed"] === true };
}
