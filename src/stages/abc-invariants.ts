/**
 * Reads what configs A, B and C state about the invariants of the comparison (src/report/abc-invariants.ts)
 * from their artifacts: each head's training summary (its architecture as built, its seed and
 * sampling, the contrastive plan it trained on), the plan its metrics held out, and the embedding
 * meta of the vectors it was evaluated on (C's also: the recipe joint training encoded with).
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { readJson } from "../artifacts/json-file.js";
import type { Run } from "../artifacts/run.js";
import { EBM_CONFIGS, type EbmConfigName, type RunRel } from "../config/run-paths.js";
import { checkAbcInvariants, type AbcFact, type AbcInvariants, type AbcMissing } from "../report/abc-invariants.js";

const CONFIGS: readonly EbmConfigName[] = ["A", "B", "C"];

/** The artifacts the facts come from (the comparison stage's inputs). */
export function abcInvariantInputs(run: Run): RunRel[] {
  const out = new Set<RunRel>();
  for (const c of CONFIGS) {
    out.add(run.paths.ebm(c).training_summary);
    out.add(run.paths.ebm(EBM_CONFIGS[c].eval_plan).plan_summary);
    out.add(run.paths.iter(EBM_CONFIGS[c].iter).embeddings.meta);
  }
  return [...out];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);

export function readAbcInvariants(run: Run, abs: (rel: RunRel) => string): AbcInvariants {
  const facts: AbcFact[] = [];
  const missing: AbcMissing[] = [];
  const shown = (p: string) => (isAbsolute(p) && !relative(run.paths.root, p).startsWith("..") ? relative(run.paths.root, p) : p);
  for (const config of CONFIGS) {
    const e = run.paths.ebm(config);
    const summary = readJson<Json>(abs(e.training_summary));
    const cfg = obj(summary["config"]) ?? {};
    const from = (key: string) => `${e.training_summary}#${key}`;
    if (obj(summary["head_architecture"])) facts.push({ config, field: "head_architecture", value: summary["head_architecture"], source: from("head_architecture") });
    else missing.push({ config, field: "head_architecture", reason: `${e.training_summary} has no 'head_architecture' (written by burnqed.train_ebm / burnqed.joint.train; retrain the head)` });
    if (typeof cfg["seed"] === "number") facts.push({ config, field: "head_seed", value: cfg["seed"], source: from("config.seed") });
    else missing.push({ config, field: "head_seed", reason: `${e.training_summary} has no config.seed` });
    if (typeof cfg["k_negatives"] === "number" && typeof cfg["hard_ratio"] === "number")
      facts.push({ config, field: "contrastive_sampling", value: { k_negatives: cfg["k_negatives"], hard_ratio: cfg["hard_ratio"] }, source: from("config.{k_negatives,hard_ratio}") });
    else missing.push({ config, field: "contrastive_sampling", reason: `${e.training_summary} has no config.k_negatives / config.hard_ratio` });
    // the split the head trained on, and the split its metrics held out
    const trainPlanDir = typeof cfg["plan_dir"] === "string" ? (cfg["plan_dir"] as string) : null;
    const trainPlan = trainPlanDir === null ? null : join(trainPlanDir, "plan.json");
    if (trainPlan && existsSync(trainPlan)) facts.push({ config, field: "data_split", value: readJson<Json>(trainPlan)["params"] ?? null, source: `${shown(trainPlan)}#params (trained on)` });
    else missing.push({ config, field: "data_split", reason: trainPlan ? `the plan it trained on (${shown(trainPlan)}) is missing` : `${e.training_summary} has no config.plan_dir` });
    const evalPlan = run.paths.ebm(EBM_CONFIGS[config].eval_plan).plan_summary;
    facts.push({ config, field: "data_split", value: readJson<Json>(abs(evalPlan))["params"] ?? null, source: `${evalPlan}#params (evaluated on)` });
    // the recipe of the vectors it is evaluated on; joint training's own encoding recipe too
    const meta = run.paths.iter(EBM_CONFIGS[config].iter).embeddings.meta;
    facts.push({ config, field: "embedding_recipe", value: readJson<Json>(abs(meta))["recipe"] ?? null, source: `${meta}#recipe` });
    if (obj(cfg["embed_recipe"])) facts.push({ config, field: "embedding_recipe", value: cfg["embed_recipe"], source: from("config.embed_recipe (trained with)") });
  }
  return checkAbcInvariants(facts, missing);
}
