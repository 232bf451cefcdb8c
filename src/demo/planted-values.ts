/**
 * The values planted in the demo world: what the metrics stages must recover from the data.
 * JSON-serialisable; another module writes them next to the artifacts. `PLANTED_VALUE_DOCS` says
 * for each value whether it is exact (a count the metric must reproduce) or a population value
 * that the sample estimate approaches, with the tolerance a test should use at the default size.
 */
import type { DemoParams } from "./demo-params.js";
import type { DemoIterationId } from "./iteration-spec.js";

export const SEARCH_CONFIGS = ["iter0_llm", "iter0_llm_ebm", "iter1_llm", "iter1_llm_ebm"] as const;
export type SearchConfig = (typeof SEARCH_CONFIGS)[number];

export interface PlantedIterationValues {
  readonly run_id: string;
  /** Trajectory rows, all of them. */
  readonly n_rows: number;
  /** Rows labelled positive, terminal rows included. */
  readonly n_positive: number;
  readonly n_negative: number;
  /** Proof-complete rows: empty text, all-zero embedding, excluded. */
  readonly n_terminal: number;
  /** Rows with a usable embedding (n_rows − n_terminal); every population value below is over them. */
  readonly n_included: number;
  readonly n_theorems_searched: number;
  readonly n_proved: number;
  /** Rows with depth_from_root ≥ 4 over all rows. */
  readonly fraction_depth4plus: number;
  /** depth → s(d): distance between the positive and negative means along u at that depth. */
  readonly centroid_shift_by_depth: Readonly<Record<string, number>>;
  /** The unit direction u (dim numbers). */
  readonly shift_direction: readonly number[];
  /** ‖E[mean of positive rows] − E[mean of negative rows]‖ given the realised rows (excluded rows left out). */
  readonly population_centroid_l2: number;
  /** λ_i of the noise covariance, descending. */
  readonly noise_eigenvalues: readonly number[];
  /** Eigenvalues of the exact population covariance of the included rows, descending. */
  readonly population_covariance_eigenvalues: readonly number[];
  readonly top1_variance_ratio: number;
  readonly top10_variance_ratio: number;
  /** (Σλ)² / Σλ² of population_covariance_eigenvalues. */
  readonly effective_dimension: number;
  /** Sibling groups: included children of one (theorem, parent) pair, ≥ 2 of them. */
  readonly sibling_groups: number;
  readonly sibling_pairs: number;
  readonly colliding_sibling_groups: number;
  /** Pairs inside colliding groups: all have L2 < collision_max_l2; every other pair has L2 > non_collision_min_l2. */
  readonly colliding_sibling_pairs: number;
  /** colliding_sibling_pairs / sibling_pairs. */
  readonly sibling_collision_rate: number;
  readonly collision_max_l2: number;
  readonly non_collision_min_l2: number;
  /** Distinct non-empty state texts carrying both labels. */
  readonly dual_label_states: number;
  /** Distinct non-empty state texts. */
  readonly distinct_state_texts: number;
  /** dual_label_states / distinct_state_texts. */
  readonly dual_label_rate: number;
}

export interface PlantedSearchValues {
  readonly n_theorems: number;
  readonly n_proved: number;
  readonly proved_rate: number;
}

export interface PlantedValueDoc {
  /** exact: the metric computed from the data must equal it; population: the sample estimate approaches it. */
  readonly kind: "exact" | "population";
  /** Tolerance for a test at the default size (absolute unless `relative`); 0 for exact values. */
  readonly tolerance: number;
  readonly relative?: boolean;
  readonly note: string;
}

export interface PlantedValues {
  readonly demo: true;
  readonly params: DemoParams;
  readonly iter_0: PlantedIterationValues;
  readonly iter_1: PlantedIterationValues;
  readonly search: Readonly<Record<SearchConfig, PlantedSearchValues>>;
  readonly value_docs: Readonly<Record<string, PlantedValueDoc>>;
}

export type PlantedIterations = Readonly<Record<DemoIterationId, PlantedIterationValues>>;

const EXACT = (note: string): PlantedValueDoc => ({ kind: "exact", tolerance: 0, note });

export const PLANTED_VALUE_DOCS: Readonly<Record<string, PlantedValueDoc>> = {
  n_rows: EXACT("count of trajectory rows"),
  n_positive: EXACT("count, terminal rows included"),
  n_negative: EXACT("count"),
  n_terminal: EXACT("count of is_proof_complete rows (= n_proved)"),
  n_included: EXACT("count of rows with embeddings_index.excluded = false"),
  n_proved: EXACT("count of searched theorems with a terminal node"),
  fraction_depth4plus: EXACT("count ratio over all rows"),
  sibling_collision_rate: EXACT("pairs with L2 < 1.0 (plan's threshold) over all sibling pairs; no pair lies in [0.5, 1.5]"),
  sibling_pairs: EXACT("count of pairs of included siblings, grouped by (run_id, theorem_name, parent_state_id)"),
  dual_label_states: EXACT("distinct non-empty state_pp with both labels"),
  dual_label_rate: EXACT("dual_label_states over distinct non-empty state_pp"),
  population_centroid_l2: {
    kind: "population",
    tolerance: 0.6,
    note: "sample ‖mean_pos − mean_neg‖ over included rows; sd ≈ σ_u/√n_pos ≈ 3.1/√300 ≈ 0.18 (u lies along the top noise direction), upward bias ≈ tr(Σ)/(2·n_pos·l2) ≈ 0.02; tolerance ≈ 3.3 sd",
  },
  centroid_shift_by_depth: {
    kind: "population",
    tolerance: 0.25,
    relative: true,
    note: "s(d) ≈ (mean_pos − mean_neg)·u over included rows at depth d, for depths with ≥ 50 rows of each label (largest relative error seen: 12%)",
  },
  top1_variance_ratio: { kind: "population", tolerance: 0.01, note: "from the sample covariance of included rows (largest error seen over 24 draws: 0.003)" },
  top10_variance_ratio: { kind: "population", tolerance: 0.01, note: "from the sample covariance of included rows (largest error seen: 0.0024)" },
  effective_dimension: { kind: "population", tolerance: 0.03, relative: true, note: "(Σλ)²/Σλ² of the sample covariance of included rows (largest relative error seen: 1.2%)" },
  population_covariance_eigenvalues: {
    kind: "population",
    tolerance: 0.1,
    relative: true,
    note: "the 5 largest eigenvalues of the sample covariance (largest relative error seen: 4.5%); smaller ones are noisier",
  },
  proved_rate: EXACT("search_results: proved / n per config"),
};
