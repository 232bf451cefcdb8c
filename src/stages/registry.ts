/**
 * The stage registry: every stage of a run, in pipeline order, with the notebook (plan phase) that
 * runs it and what it is in each profile. The pipeline order, `lab.stage`, the CLI's
 * `stage` / `status` / `run-all`, the notebooks' status cells and the notebook check all read this
 * table. Adding a stage = one entry here + its builder.
 *
 * Per profile an entry has a builder, or null when the stage is not part of that profile. Where
 * the real implementation cannot run in the demo (it needs a GPU, Lean or downloads) the demo entry
 * is a DEMO stand-in that copies the seeded world's file and says what the real stage needs; where
 * a real implementation does not exist yet the real entry is `notBuilt`, naming what is missing.
 */
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { Profile } from "../config/run-config.js";
import { analyticsPlotsStage, ebmMetricsStage, embeddingMetricsStage } from "./analytics.js";
import { demoWorldStage } from "./demo-world.js";
import { contrastivePlanStage, scoreEnergiesStage, trainEbmStage } from "./ebm.js";
import { embeddingJobStage, spectrumStage, syntheticEmbedStage } from "./embeddings.js";
import { abortCheckStage, jointTrainStage, jointTrainStandInStage } from "./joint.js";
import { mergeStage, sftStage } from "./sft.js";
import { contrastivePoolStage, realIngestStage, realTraceStage, splitFormatStage, versionAuditStage } from "./phase0.js";
import { baselineReportStage, comparisonReportStage } from "./reports.js";
import { searchStage, trajectoryStatsStage } from "./search.js";
import { standInStage } from "./stand-in.js";

export const NOTEBOOKS = ["00_data", "01_sft_search", "02_embeddings_ebm", "03_joint", "04_evaluation"] as const;
export type NotebookName = (typeof NOTEBOOKS)[number];

export type StageBuilder = (run: Run) => StageSpec<unknown>;

export interface StageEntry {
  readonly name: string;
  readonly notebook: NotebookName;
  /** The stage in the demo profile, or null when it is not part of it. */
  readonly demo: StageBuilder | null;
  /** The stage in the real profile, or null when it is not part of it. */
  readonly real: StageBuilder | null;
}

const embedEntry = (it: "iter_0" | "iter_1") => ({
  demo: (run: Run) => syntheticEmbedStage(run, it),
  real: (run: Run) => embeddingJobStage(run, it),
});

const both = (b: StageBuilder) => ({ demo: b, real: b });

export const STAGES = [
  { name: "demo/world", notebook: "00_data", demo: demoWorldStage, real: null },
  { name: "lean/audit", notebook: "00_data", ...both((run) => versionAuditStage(run)) },
  {
    name: "data/ingest",
    notebook: "00_data",
    demo: standInStage({
      name: "data/ingest",
      description: "dataset ingest (Goedel workbook proofs, Lean Workbook, NuminaMath-LEAN, miniF2F) into the theorems table",
      needs: "the Hugging Face downloads",
      outputs: (p) => [{ path: p.data.theorems, kind: "table" }],
    }),
    real: (run) => realIngestStage(run),
  },
  {
    name: "data/trace",
    notebook: "00_data",
    demo: standInStage({
      name: "data/trace",
      description: "tracing accepted proofs into (state, tactic) pairs",
      needs: "Lean 4 + Mathlib and the REPL pool",
      outputs: (p) => [{ path: p.data.traced.tactic_pairs, kind: "table" }],
    }),
    real: (run) => realTraceStage(run),
  },
  { name: "data/split-format", notebook: "00_data", ...both((run) => splitFormatStage(run)) },
  { name: "data/pool", notebook: "00_data", ...both((run) => contrastivePoolStage(run)) },
  { name: "iter_0/sft-seed", notebook: "01_sft_search", ...both((run) => sftStage(run, "seed")) },
  { name: "iter_0/sft", notebook: "01_sft_search", ...both((run) => sftStage(run, "full")) },
  { name: "iter_0/merge", notebook: "01_sft_search", ...both((run) => mergeStage(run)) },
  { name: "iter_0/search", notebook: "01_sft_search", ...both((run) => searchStage(run, "pool", "iter_0")) },
  { name: "iter_0/trajectory-stats", notebook: "01_sft_search", ...both((run) => trajectoryStatsStage(run, "iter_0")) },
  { name: "iter_0/minif2f", notebook: "01_sft_search", ...both((run) => searchStage(run, "minif2f", "iter_0")) },
  { name: "iter_0/embed", notebook: "02_embeddings_ebm", ...embedEntry("iter_0") },
  { name: "iter_0/embedding-spectrum", notebook: "02_embeddings_ebm", ...both((run) => spectrumStage(run, "iter_0")) },
  { name: "iter_0/embedding-metrics", notebook: "02_embeddings_ebm", ...both((run) => embeddingMetricsStage(run, "iter_0")) },
  { name: "iter_0/plots", notebook: "02_embeddings_ebm", ...both((run) => analyticsPlotsStage(run, "iter_0")) },
  { name: "ebm-A/contrastive-plan", notebook: "02_embeddings_ebm", ...both((run) => contrastivePlanStage(run, "A")) },
  { name: "ebm-A/train", notebook: "02_embeddings_ebm", ...both((run) => trainEbmStage(run, "A")) },
  { name: "ebm-A/energies", notebook: "02_embeddings_ebm", ...both((run) => scoreEnergiesStage(run, "A")) },
  { name: "ebm-A/metrics", notebook: "02_embeddings_ebm", ...both((run) => ebmMetricsStage(run, "A")) },
  { name: "ebm-A/minif2f", notebook: "02_embeddings_ebm", ...both((run) => searchStage(run, "minif2f", "iter_0", "A")) },
  { name: "iter_0/baseline-report", notebook: "02_embeddings_ebm", ...both((run) => baselineReportStage(run)) },
  {
    name: "iter_1/joint-train",
    notebook: "03_joint",
    demo: jointTrainStandInStage,
    real: jointTrainStage,
  },
  { name: "iter_1/abort-check", notebook: "03_joint", ...both((run) => abortCheckStage(run)) },
  { name: "iter_1/search", notebook: "04_evaluation", ...both((run) => searchStage(run, "pool", "iter_1")) },
  { name: "iter_1/trajectory-stats", notebook: "04_evaluation", ...both((run) => trajectoryStatsStage(run, "iter_1")) },
  { name: "iter_1/minif2f", notebook: "04_evaluation", ...both((run) => searchStage(run, "minif2f", "iter_1")) },
  { name: "iter_1/embed", notebook: "04_evaluation", ...embedEntry("iter_1") },
  { name: "iter_1/embedding-spectrum", notebook: "04_evaluation", ...both((run) => spectrumStage(run, "iter_1")) },
  { name: "iter_1/embedding-metrics", notebook: "04_evaluation", ...both((run) => embeddingMetricsStage(run, "iter_1")) },
  { name: "iter_1/plots", notebook: "04_evaluation", ...both((run) => analyticsPlotsStage(run, "iter_1")) },
  { name: "ebm-B/contrastive-plan", notebook: "04_evaluation", ...both((run) => contrastivePlanStage(run, "B")) },
  { name: "ebm-B/train", notebook: "04_evaluation", ...both((run) => trainEbmStage(run, "B")) },
  { name: "ebm-B/energies", notebook: "04_evaluation", ...both((run) => scoreEnergiesStage(run, "B")) },
  { name: "ebm-B/metrics", notebook: "04_evaluation", ...both((run) => ebmMetricsStage(run, "B")) },
  { name: "ebm-B/minif2f", notebook: "04_evaluation", ...both((run) => searchStage(run, "minif2f", "iter_1", "B")) },
  { name: "ebm-C/energies", notebook: "04_evaluation", ...both((run) => scoreEnergiesStage(run, "C")) },
  { name: "ebm-C/metrics", notebook: "04_evaluation", ...both((run) => ebmMetricsStage(run, "C")) },
  { name: "ebm-C/minif2f", notebook: "04_evaluation", ...both((run) => searchStage(run, "minif2f", "iter_1", "C")) },
  { name: "comparison-report", notebook: "04_evaluation", ...both((run) => comparisonReportStage(run)) },
] as const satisfies readonly StageEntry[];

export type StageName = (typeof STAGES)[number]["name"];
export const STAGE_NAMES: readonly StageName[] = STAGES.map((s) => s.name);

export class UnknownStageError extends Error {
  override name = "UnknownStageError";
}

export function stageEntry(name: string): StageEntry {
  const e = (STAGES as readonly StageEntry[]).find((s) => s.name === name);
  if (!e) throw new UnknownStageError(`no stage named '${name}' (stages: ${STAGE_NAMES.join(", ")})`);
  return e;
}

export function builderFor(entry: StageEntry, profile: Profile): StageBuilder | null {
  return profile === "demo" ? entry.demo : entry.real;
}

/** The stage's spec in this run's profile, or null when the stage is not part of the profile. */
export function stageSpec(run: Run, name: string): StageSpec<unknown> | null {
  const entry = stageEntry(name);
  const build = builderFor(entry, run.config.profile);
  if (!build) return null;
  const spec = build(run);
  if (spec.name !== entry.name) throw new Error(`registry entry '${entry.name}' builds a stage named '${spec.name}'`);
  return spec;
}

export interface PipelineEntry {
  readonly notebook: NotebookName;
  readonly spec: StageSpec<unknown>;
}

/** The run's stages in order (those of its profile). */
export function pipeline(run: Run): PipelineEntry[] {
  return (STAGES as readonly StageEntry[]).flatMap((e) => {
    const spec = stageSpec(run, e.name);
    return spec ? [{ notebook: e.notebook, spec }] : [];
  });
}

/** Stage names a notebook runs, in order (every profile's: a notebook calls them all). */
export function notebookStages(notebook: NotebookName): StageName[] {
  return STAGES.filter((s) => s.notebook === notebook).map((s) => s.name);
}
