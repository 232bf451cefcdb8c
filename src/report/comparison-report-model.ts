/**
 * ComparisonReportModel: the numbers of the Day 10–11 comparison (Tasks 4.3–4.5 and the plan's
 * Success Metrics), as cells built from artifacts.
 */
import type { TheoremAggregate } from "../metrics/ebm-metrics.js";
import type { EbmMetricKey, EmbeddingMetricKey } from "./baseline-report-model.js";
import type { Cell, CellFormat, NotRunCell } from "./cell.js";
import type { DecisionThresholds } from "./comparison-inputs.js";
import type { PlotRef } from "./plots-section.js";
import type { ReportHeader } from "./report-header.js";

/** The plan's three configurations (Task 4.3). */
export type ConfigId =
  | "A" // iter_0 LoRA + GoalCond EBM on frozen iter_0 embeddings (Phase 2 baseline)
  | "B" // iter_1 LoRA + GoalCond EBM trained decoupled on frozen iter_1 embeddings (control)
  | "C"; // iter_1 LoRA + iter_1's jointly trained GoalCond EBM (full joint system)

export const CONFIG_IDS: readonly ConfigId[] = ["A", "B", "C"];

export const CONFIG_LABELS: Readonly<Record<ConfigId, string>> = {
  A: "A: iter_0 decoupled",
  B: "B: iter_1 LoRA, decoupled",
  C: "C: iter_1 full joint",
};

export const CONFIG_DESCRIPTIONS: Readonly<Record<ConfigId, string>> = {
  A: "iter_0 LoRA + GoalCond EBM on frozen iter_0 embeddings (Phase 2 baseline)",
  B: "iter_1 LoRA + GoalCond EBM on frozen iter_1 embeddings (joint LoRA helps embeddings?)",
  C: "iter_1 LoRA + iter_1's jointly-trained GoalCond EBM (full joint system)",
};

/** One configuration's measurements. Embedding metrics of B and C both come from iter_1 embeddings. */
export interface ConfigMeasurements {
  readonly centroid_l2: Cell;
  readonly linear_probe_acc: Cell;
  /** The probe's balanced accuracy and base rate (linear_probe_acc means little without them). */
  readonly linear_probe_balanced_acc?: Cell;
  readonly linear_probe_base_rate?: Cell;
  readonly rank1_accuracy: Cell;
  readonly rank1_d4_plus: Cell;
  readonly sibling_discrimination: Cell;
  /** miniF2F v2s test proof rate (fraction) of LLM + this config's EBM. */
  readonly minif2f_rate: Cell;
}

/** The columns of the plan's 3-row table, in order. */
export type ComparisonColumn = "centroid_l2" | "linear_probe_acc" | "linear_probe_balanced_acc" | "rank1_d4_plus" | "sibling_discrimination" | "minif2f_rate";

/** Columns measured on a configuration's embeddings (configs sharing embeddings share them). */
export const EMBEDDING_COLUMNS: readonly ComparisonColumn[] = ["centroid_l2", "linear_probe_acc", "linear_probe_balanced_acc"];

export const COMPARISON_COLUMNS: readonly { readonly key: ComparisonColumn; readonly header: string; readonly format: CellFormat }[] = [
  { key: "centroid_l2", header: "centroid_l2", format: "f2" },
  { key: "linear_probe_acc", header: "probe_acc", format: "f3" },
  { key: "linear_probe_balanced_acc", header: "probe_bal_acc", format: "f3" },
  { key: "rank1_d4_plus", header: "rank1_d4+", format: "f3" },
  { key: "sibling_discrimination", header: "sibling", format: "f3" },
  { key: "minif2f_rate", header: "miniF2F", format: "pct" },
];

/** One abort rule of the joint training run (Task 4.1) as checked over its event stream. */
export interface AbortRuleCheck {
  readonly id: string;
  readonly description: string;
  readonly fired: boolean;
  /** Training step at which it fired. */
  readonly step?: number;
  /** The offending value (e.g. centroid_l2 = 2.7). */
  readonly value?: number;
  /** Set when the stream held no event the rule looks at: it did not fire, but nothing was checked. */
  readonly not_evaluated?: string;
}

export interface AbortChecks {
  /** Artifact the checks were read from (job event log / summary). */
  readonly source: string;
  readonly rules: readonly AbortRuleCheck[];
}

/** Search configurations evaluated on miniF2F: each iteration's LLM alone and the LLM with a config's head. */
export type SearchRunId = "llm_only_0" | "A" | "llm_only_1" | "B" | "C";

/** What paired and interval comparisons need beyond the cells. */
export interface PairedData {
  /** Per-theorem miniF2F outcomes on the same theorems (in one order), per search run. */
  readonly minif2f?: { readonly theorems: readonly string[]; readonly proved: Readonly<Partial<Record<SearchRunId, readonly boolean[]>>>; readonly source: string };
  /** Per-theorem EBM sums on the held-out theorems, per config (for paired bootstrap). */
  readonly ebm?: Readonly<Partial<Record<ConfigId, readonly TheoremAggregate[]>>>;
  /** Bootstrap standard errors per config and column (independent comparisons). */
  readonly se?: Readonly<Partial<Record<ConfigId, Readonly<Partial<Record<ComparisonColumn, number>>>>>>;
  /** Pairs of configs that use the same embeddings: their embedding columns are equal by construction. */
  readonly same_embeddings?: ReadonlyArray<readonly [ConfigId, ConfigId]>;
  /** Bootstrap replicates and seed for the paired intervals. */
  readonly bootstrap?: { readonly samples: number; readonly seed: number };
}

/** Every baseline measurement repeated on iter_1 (Task 4.3): full tables, side by side. */
export interface RepeatedTables {
  readonly embedding: Readonly<Record<"iter_0" | "iter_1", Readonly<Record<EmbeddingMetricKey, Cell>>>>;
  readonly ebm: Readonly<Record<ConfigId, Readonly<Record<EbmMetricKey, Cell>>>>;
  /** Which held-out theorems each config's EBM numbers are on. */
  readonly ebm_split: Readonly<Partial<Record<ConfigId, string>>>;
}

export interface ComparisonReportModel {
  readonly header: ReportHeader;
  readonly configs: Readonly<Record<ConfigId, ConfigMeasurements>>;
  readonly paired?: PairedData;
  readonly tables?: RepeatedTables;
  /** The decision thresholds in force (recipe `decision`); DECISION_THRESHOLDS when absent. */
  readonly thresholds?: DecisionThresholds;
  /** miniF2F v2s test rate (fraction) of the LLM alone, per iteration. */
  readonly llm_only_rate: { readonly iter_0: Cell; readonly iter_1: Cell };
  readonly sft_val_loss: { readonly iter_0: Cell; readonly iter_1: Cell };
  readonly abort_checks: AbortChecks | NotRunCell;
  readonly plots: readonly PlotRef[];
  readonly notes: readonly string[];
}
