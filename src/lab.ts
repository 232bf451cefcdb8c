/**
 * What the notebooks import: open a run, run one stage per cell, show its result. Every function
 * here is a thin call into src/stages; the notebooks hold no logic of their own.
 */
import { openRun as open, type Run } from "./artifacts/run.js";
import { runStage, stageStatus, type StageOutcome, type StageSpec, type StageStatus } from "./artifacts/stage.js";
import type { RunConfigInput } from "./config/run-config.js";
import type { IterName } from "./config/run-paths.js";
import { demoWorldStage } from "./stages/demo-world.js";
import { splitFormatStage } from "./stages/phase0-data.js";
import { contrastivePoolStage, ingestStage, traceStage, versionAuditStage } from "./stages/phase0-real.js";
import { minif2fStage, searchStage, trajectoryStatsStage } from "./stages/phase1-search.js";
import { embedStage, spectrumStage } from "./stages/phase2-embeddings.js";
import { analyticsPlotsStage, configBEbmMetricsStage, ebmMetricsStage, embeddingMetricsStage } from "./stages/analytics.js";
import { abortCheckStage, jointTrainStage } from "./stages/phase3-joint.js";
import { baselineReportStage, comparisonReportStage } from "./stages/reports.js";
import { pipeline, type NotebookName } from "./stages/pipeline.js";
import { contrastivePlanStage, embeddingJobStage, scoreEnergiesStage, trainEbmStage } from "./stages/ebm.js";
import { show as showOutcome, showStatus } from "./notebooks/show.js";

export type { Run, IterName };

/** Open (or create) the run the notebook's parameters name. */
export function openRun(input: RunConfigInput): Run {
  const run = open(input);
  console.log(`run '${run.config.run_id}' (profile ${run.config.profile}${run.config.profile === "demo" ? " — DEMO: synthetic data" : ""}) at ${run.paths.root}`);
  return run;
}

async function stage<R>(run: Run, spec: StageSpec<R>): Promise<StageOutcome<R>> {
  return runStage(run, spec);
}

export const demoWorld = (run: Run) => stage(run, demoWorldStage(run));
export const ingest = (run: Run) => stage<unknown>(run, ingestStage(run));
export const trace = (run: Run) => stage<unknown>(run, traceStage(run));
export const splitFormat = (run: Run) => stage(run, splitFormatStage(run));
export const leanAudit = (run: Run) => stage(run, versionAuditStage(run));
export const contrastivePool = (run: Run) => stage(run, contrastivePoolStage(run));
export const search = (run: Run, it: IterName) => stage(run, searchStage(run, it));
export const trajectoryStats = (run: Run, it: IterName) => stage(run, trajectoryStatsStage(run, it));
export const minif2f = (run: Run, it: IterName) => stage(run, minif2fStage(run, it));
export const embed = (run: Run, it: IterName) =>
  run.config.profile === "demo" ? stage(run, embedStage(run, it)) : stage(run, embeddingJobStage(run, it));
export const spectrum = (run: Run, it: IterName) => stage(run, spectrumStage(run, it));
export const plots = (run: Run, it: IterName) => stage(run, analyticsPlotsStage(run, it));
export const embeddingMetrics = (run: Run, it: IterName) => stage(run, embeddingMetricsStage(run, it));
/** EBM metrics of the decoupled head: config A on iter_0, config B on iter_1. */
export const ebmMetrics = (run: Run, it: IterName) => stage(run, it === "iter_0" ? ebmMetricsStage(run, it) : configBEbmMetricsStage(run));
/** Decoupled goal-conditioned EBM (Task 2.4; on iter_1 embeddings it is config B). */
export const ebmPlan = (run: Run, it: IterName) => stage(run, contrastivePlanStage(run, it));
export const trainEbm = (run: Run, it: IterName) => stage(run, trainEbmStage(run, it));
export const ebmEnergies = (run: Run, it: IterName) => stage(run, scoreEnergiesStage(run, it));
export const baselineReport = (run: Run) => stage(run, baselineReportStage(run));
export const jointTrain = (run: Run) => stage(run, jointTrainStage(run));
export const abortCheck = (run: Run) => stage(run, abortCheckStage(run));
export const comparisonReport = (run: Run) => stage(run, comparisonReportStage(run));

/** Show a stage outcome (and the plots it wrote) under the cell. */
export function show(run: Run, outcome: StageOutcome<unknown>): void {
  showOutcome(outcome, run);
}

/** Fresh / stale / missing for every stage (of one notebook, when named). */
export function status(run: Run, notebook?: NotebookName): void {
  const rows: Array<StageStatus & { notebook: string }> = pipeline(run)
    .filter((e) => notebook === undefined || e.notebook === notebook)
    .map((e) => ({ ...stageStatus(run, e.spec), notebook: e.notebook }));
  showStatus(rows);
}
