/**
 * The pipeline: every stage of a run, in order, with the notebook (plan phase) that runs it.
 * `burnqed status` and `make reports` read it; notebooks call the same stage builders.
 */
import type { Run } from "../artifacts/run.js";
import type { StageSpec } from "../artifacts/stage.js";
import { demoWorldStage } from "./demo-world.js";
import { splitFormatStage } from "./phase0-data.js";
import { contrastivePoolStage, ingestStage, traceStage, versionAuditStage } from "./phase0-real.js";
import { minif2fStage, searchStage, trajectoryStatsStage } from "./phase1-search.js";
import { embedStage, spectrumStage } from "./phase2-embeddings.js";
import { abortCheckStage, jointTrainStage } from "./phase3-joint.js";
import { baselineReportStage, comparisonReportStage } from "./reports.js";
import { analyticsPlotsStage, configBEbmMetricsStage, ebmMetricsStage, embeddingMetricsStage } from "./analytics.js";
import { contrastivePlanStage, embeddingJobStage, scoreEnergiesStage, trainEbmStage } from "./ebm.js";

export const NOTEBOOKS = ["00_data", "01_sft_search", "02_embeddings_ebm", "03_joint", "04_evaluation"] as const;
export type NotebookName = (typeof NOTEBOOKS)[number];

export interface PipelineEntry {
  readonly notebook: NotebookName;
  readonly spec: StageSpec<unknown>;
}

export function pipeline(run: Run): PipelineEntry[] {
  const demo = run.config.profile === "demo";
  const e = (notebook: NotebookName, spec: StageSpec<unknown>): PipelineEntry => ({ notebook, spec });
  return [
    ...(demo ? [e("00_data", demoWorldStage(run))] : []),
    e("00_data", versionAuditStage(run)),
    e("00_data", ingestStage(run)),
    e("00_data", traceStage(run)),
    e("00_data", splitFormatStage(run)),
    e("00_data", contrastivePoolStage(run)),
    e("01_sft_search", searchStage(run, "iter_0")),
    e("01_sft_search", trajectoryStatsStage(run, "iter_0")),
    e("01_sft_search", minif2fStage(run, "iter_0")),
    e("02_embeddings_ebm", demo ? embedStage(run, "iter_0") : embeddingJobStage(run, "iter_0")),
    e("02_embeddings_ebm", spectrumStage(run, "iter_0")),
    e("02_embeddings_ebm", embeddingMetricsStage(run, "iter_0")),
    e("02_embeddings_ebm", analyticsPlotsStage(run, "iter_0")),
    e("02_embeddings_ebm", contrastivePlanStage(run, "iter_0")),
    e("02_embeddings_ebm", trainEbmStage(run, "iter_0")),
    e("02_embeddings_ebm", scoreEnergiesStage(run, "iter_0")),
    e("02_embeddings_ebm", ebmMetricsStage(run, "iter_0")),
    e("02_embeddings_ebm", baselineReportStage(run)),
    e("03_joint", jointTrainStage(run)),
    e("03_joint", abortCheckStage(run)),
    e("04_evaluation", searchStage(run, "iter_1")),
    e("04_evaluation", trajectoryStatsStage(run, "iter_1")),
    e("04_evaluation", minif2fStage(run, "iter_1")),
    e("04_evaluation", demo ? embedStage(run, "iter_1") : embeddingJobStage(run, "iter_1")),
    e("04_evaluation", spectrumStage(run, "iter_1")),
    e("04_evaluation", embeddingMetricsStage(run, "iter_1")),
    e("04_evaluation", analyticsPlotsStage(run, "iter_1")),
    e("04_evaluation", contrastivePlanStage(run, "iter_1")),
    e("04_evaluation", trainEbmStage(run, "iter_1")),
    e("04_evaluation", scoreEnergiesStage(run, "iter_1")),
    e("04_evaluation", configBEbmMetricsStage(run)),
    e("04_evaluation", comparisonReportStage(run)),
  ];
}
