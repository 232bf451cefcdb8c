/**
 * Column-wise row types of the tables the demo produces, one field per schema column
 * (src/artifacts/schemas.ts). Object type aliases (not interfaces) so they are assignable to
 * the artifacts layer's `Columns`.
 */
import type { Label, Source } from "../artifacts/schemas.js";

/** THEOREMS. */
export type TheoremColumns = {
  readonly name: readonly string[];
  readonly source: readonly Source[];
  readonly dataset: readonly string[];
  readonly header: readonly string[];
  readonly statement: readonly string[];
  readonly proof: readonly (string | null)[];
  readonly lean_version: readonly (string | null)[];
  readonly split: readonly (string | null)[];
};

/** TACTIC_PAIRS. */
export type TacticPairColumns = {
  readonly theorem_name: readonly string[];
  readonly source: readonly Source[];
  readonly state_pp: readonly string[];
  readonly tactic: readonly string[];
  readonly depth: readonly number[];
  readonly num_goals: readonly number[];
};

/** TRAJECTORIES. */
export type TrajectoryColumns = {
  readonly theorem_name: readonly string[];
  readonly state_id: readonly number[];
  readonly parent_state_id: readonly (number | null)[];
  readonly state_pp: readonly string[];
  readonly tactic_applied: readonly string[];
  readonly depth_from_root: readonly number[];
  readonly remaining_depth: readonly number[];
  readonly label: readonly Label[];
  readonly llm_log_prob: readonly number[];
  readonly ebm_score: readonly (number | null)[];
  readonly is_proof_complete: readonly boolean[];
  readonly q_value: readonly (number | null)[];
  readonly visits: readonly number[];
  readonly run_id: readonly string[];
  readonly goal_pp: readonly string[];
  readonly llm_time_ms: readonly (number | null)[];
  readonly lean_time_ms: readonly (number | null)[];
};

export const EXCLUDE_REASONS = ["terminal", "empty_text", "non_finite", "all_zero"] as const;
export type ExcludeReason = (typeof EXCLUDE_REASONS)[number];

/** EMBEDDINGS_INDEX. */
export type EmbeddingsIndexColumns = {
  readonly row: readonly number[];
  readonly run_id: readonly string[];
  readonly theorem_name: readonly string[];
  readonly state_id: readonly number[];
  readonly goal_row: readonly number[];
  readonly excluded: readonly boolean[];
  readonly exclude_reason: readonly (ExcludeReason | null)[];
};

/**
 * Per-theorem outcome of one miniF2F search configuration. No schema in src/artifacts yet
 * (a real run produces it from search trajectories).
 */
export type SearchResultColumns = {
  readonly name: readonly string[];
  readonly proved: readonly boolean[];
  readonly nodes_expanded: readonly number[];
  readonly wall_s: readonly number[];
};
