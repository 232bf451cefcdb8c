/**
 * BaselineReportModel: every number of the plan's iter_0 baseline report (Task 2.7), as cells
 * built from artifacts. Rendering is `renderBaselineMarkdown`; this file holds only data shapes
 * and the plan's reference numbers.
 */
import type { EBM_METRIC_KEYS, EMBEDDING_METRIC_KEYS, Source } from "../artifacts/schemas.js";
import type { Cell, CellFormat } from "./cell.js";
import type { PlotRef } from "./plots-section.js";
import type { ReportHeader } from "./report-header.js";

export type EmbeddingMetricKey = (typeof EMBEDDING_METRIC_KEYS)[number];
export type EbmMetricKey = (typeof EBM_METRIC_KEYS)[number];

/** Proof counts of one search configuration on miniF2F v2s test. */
export interface SearchCells {
  readonly proved: Cell;
  readonly total: Cell;
  /** proved / total as a fraction (rendered as %). */
  readonly rate: Cell;
}

export interface BaselineData {
  readonly sft_pairs_train: Cell;
  readonly sft_pairs_val: Cell;
  readonly contrastive_theorems: Cell;
  /** Share (fraction) of SFT pairs per source; Workbook and NuminaMath are always shown. */
  readonly source_breakdown: { readonly workbook: Cell; readonly numinamath: Cell } & Readonly<Partial<Record<Source, Cell>>>;
  /** Share (fraction) of theorems per source (the plan's "Workbook ???%" does not say which). */
  readonly source_breakdown_theorems?: Readonly<Partial<Record<Source, Cell>>>;
}

export interface BaselineReportModel {
  readonly header: ReportHeader;
  readonly data: BaselineData;
  readonly embedding: Readonly<Record<EmbeddingMetricKey, Cell>>;
  /** EBM metrics on the held-out theorems (the plan's val_trajectories). */
  readonly ebm: Readonly<Record<EbmMetricKey, Cell>>;
  /** The same on the theorems the head trained on, labelled in-sample. */
  readonly ebm_in_sample?: Readonly<Record<EbmMetricKey, Cell>>;
  /** Which theorems the EBM numbers are on ("37 theorems held out by …"). */
  readonly ebm_split?: string;
  readonly search: { readonly llm_only: SearchCells; readonly llm_ebm: SearchCells };
  readonly plots: readonly PlotRef[];
  readonly notes: readonly string[];
}

/** One row of a metric table: the plan's label, reference column and note, and the number format. */
export interface MetricRowSpec {
  readonly label: string;
  readonly format: CellFormat;
  /** "Old iter_4" / "Old iter_5" column; "—" where the plan leaves it blank. */
  readonly old: string;
  readonly note: string;
}

/** Embedding rows: the plan's table (Task 2.7) plus the other Task 2.2 metrics, in schema order. */
export const EMBEDDING_ROWS: Readonly<Record<EmbeddingMetricKey, MetricRowSpec>> = {
  centroid_l2: { label: "centroid_l2", format: "f2", old: "6.40", note: "Higher = better" },
  linear_probe_acc: { label: "linear_probe_acc", format: "f3", old: "0.83", note: ">0.75 is healthy only well above the base rate (next row)" },
  linear_probe_base_rate: { label: "linear_probe base rate", format: "f3", old: "—", note: "Always answering the majority label" },
  linear_probe_balanced_acc: { label: "linear_probe_balanced_acc", format: "f3", old: "—", note: "Mean of both recalls; 0.5 = no signal. The plan's 0.75 line applied here (lab choice)" },
  linear_probe_auc: { label: "linear_probe_auc", format: "f3", old: "—", note: "Out-of-fold ROC AUC; 0.5 = no signal" },
  norm_gap: { label: "norm_gap", format: "f2", old: "4.29", note: "—" },
  sibling_l2_mean: { label: "sibling_l2_mean", format: "f2", old: "—", note: "Mean L2 between siblings" },
  sibling_l2_median: { label: "sibling_l2_median", format: "f2", old: "—", note: "Median L2 between siblings" },
  sibling_collision_rate: { label: "sibling_collision_rate", format: "f3", old: "0.14", note: "Lower = better" },
  top1_variance_ratio: { label: "top1_variance_ratio", format: "f3", old: "0.645", note: "Lower = better spread" },
  top10_variance_ratio: { label: "top10_variance_ratio", format: "f3", old: "—", note: "Lower = better spread" },
  effective_dimension: { label: "effective_dimension", format: "f2", old: "—", note: "Higher = more useful dims" },
  silhouette_shallow: { label: "silhouette_shallow (d0-1)", format: "f3", old: "—", note: "> 0 = labels separate" },
  silhouette_mid: { label: "silhouette_mid (d2-3)", format: "f3", old: "—", note: "> 0 = labels separate" },
  silhouette_deep: { label: "silhouette_deep (d4+)", format: "f3", old: "—", note: "> 0 = labels separate" },
  dual_label_states: { label: "dual_label_states", format: "int", old: "—", note: "States labelled both ways" },
  dual_label_rate: { label: "dual_label_rate", format: "f3", old: "—", note: "Lower = easier for EBM" },
};

/** EBM rows: the plan's table plus energy spreads, in schema order. */
export const EBM_ROWS: Readonly<Record<EbmMetricKey, MetricRowSpec>> = {
  rank1_accuracy: { label: "rank1_accuracy (overall)", format: "f3", old: "0.68 train", note: "Target: match or beat (old value was in-sample)" },
  rank1_d0_1: { label: "rank1_accuracy (d0-1)", format: "f3", old: "—", note: "—" },
  rank1_d2_3: { label: "rank1_accuracy (d2-3)", format: "f3", old: "—", note: "—" },
  "rank1_d4+": { label: "rank1_accuracy (d4+)", format: "f3", old: "0.35-0.39", note: "Key metric for search" },
  energy_gap: { label: "energy_gap", format: "f3", old: "—", note: "—" },
  energy_std_pos: { label: "energy_std_pos", format: "f3", old: "—", note: "Spread of positive energies" },
  energy_std_neg: { label: "energy_std_neg", format: "f3", old: "—", note: "Spread of negative energies" },
  sibling_discrimination: { label: "sibling_discrimination", format: "f3", old: "0.13", note: "Above chance (measured on the same groups)" },
  active_ratio: { label: "active_ratio", format: "f3", old: "0.31", note: "Share of pairs inside the margin: signal only when not saturated" },
};

/** Display names of SFT data sources. */
export const SOURCE_NAMES: Readonly<Record<Source, string>> = {
  workbook: "Workbook",
  workbook_plus: "Workbook+",
  numinamath: "NuminaMath",
  minif2f: "miniF2F",
};

/** Old iter_4 miniF2F v2s rates quoted by the plan (fractions). */
export const OLD_ITER4_LLM_ONLY_RATE = 0.35;
export const OLD_ITER4_LLM_EBM_RATE = 0.417;

export const EBM_NOTE =
  "Note: This EBM uses GoalConditionedEnergyHead with E(state, goal),\n" +
  "same architecture as will be used in iter_1 joint training.\n" +
  "burn-rs EBM is deprecated.";

export const SEARCH_FOOTNOTE =
  "*Old number used context-free burn-rs EBM. Not directly comparable\n" +
  "due to architecture difference, but directionally informative.";
