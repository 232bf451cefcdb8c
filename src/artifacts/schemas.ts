/**
 * Every artifact schema, declared once. `exportSchemas()` writes them as JSON for the Python side
 * (python/burnqed/schemas.json); a test keeps the two in step.
 */
import type { ColumnsOf, RowOf, TableSchema } from "./schema.js";

export const SOURCES = ["workbook", "workbook_plus", "numinamath", "minif2f"] as const;
export type Source = (typeof SOURCES)[number];
export const isSource = (s: string): s is Source => (SOURCES as readonly string[]).includes(s);

export const LABELS = ["positive", "negative", "unknown"] as const;
export type Label = (typeof LABELS)[number];

/** Why an embeddings-index row is unusable. */
export const EXCLUDE_REASONS = ["terminal", "empty_text", "non_finite", "all_zero"] as const;
export type ExcludeReason = (typeof EXCLUDE_REASONS)[number];

export const SFT_SPLITS = ["train", "val"] as const;
export type SftSplit = (typeof SFT_SPLITS)[number];

export const THEOREMS = {
  name: "theorems",
  version: 1,
  description: "One row per theorem statement, with its proof when the dataset has one.",
  columns: [
    { name: "name", type: "utf8", nullable: false, description: "Theorem name, unique within the table." },
    { name: "source", type: "utf8", nullable: false, values: SOURCES, description: "Dataset family the statement comes from." },
    { name: "dataset", type: "utf8", nullable: false, description: "Exact dataset id (e.g. Goedel-LM/Lean-workbook-proofs)." },
    { name: "header", type: "utf8", nullable: false, description: "imports / opens / set_option lines the statement is compiled with." },
    { name: "statement", type: "utf8", nullable: false, description: "`theorem name ... :=` without the proof." },
    { name: "proof", type: "utf8", nullable: true, description: "Tactic proof text after `:= by`, null when none." },
    { name: "lean_version", type: "utf8", nullable: true, description: "Lean toolchain the dataset was written for." },
    { name: "split", type: "utf8", nullable: true, values: ["train", "val", "valid", "test"], description: "Dataset split when the source defines one." },
  ],
} as const satisfies TableSchema;

export const TACTIC_PAIRS = {
  name: "tactic_pairs",
  version: 1,
  description: "(goal state before, tactic) pairs traced from accepted proofs.",
  columns: [
    { name: "theorem_name", type: "utf8", nullable: false, description: "Theorem the pair was traced from." },
    { name: "source", type: "utf8", nullable: false, values: SOURCES, description: "Source of the theorem." },
    { name: "state_pp", type: "utf8", nullable: false, description: "Pretty-printed goal state before the tactic." },
    { name: "tactic", type: "utf8", nullable: false, description: "Tactic text as written in the proof." },
    { name: "depth", type: "int32", nullable: false, description: "Tactic index along the proof (0 = first tactic)." },
    { name: "num_goals", type: "int32", nullable: false, description: "Open goals before the tactic." },
  ],
} as const satisfies TableSchema;

export const TRAJECTORIES = {
  name: "trajectories",
  version: 1,
  description:
    "Search-tree nodes. Key: (run_id, theorem_name, state_id); state ids restart per theorem. " +
    "Columns match the upstream burn-qed parquet so its files import.",
  columns: [
    { name: "theorem_name", type: "utf8", nullable: false, description: "Theorem searched." },
    { name: "state_id", type: "int64", nullable: false, description: "Node id within this theorem's tree (0 = root)." },
    { name: "parent_state_id", type: "int64", nullable: true, description: "Parent node id; null at the root." },
    { name: "state_pp", type: "utf8", nullable: false, description: "Pretty-printed goal state; empty for terminal (proof-complete) nodes." },
    { name: "tactic_applied", type: "utf8", nullable: false, description: "Tactic that produced this node from its parent; empty at the root." },
    { name: "depth_from_root", type: "int32", nullable: false, description: "Tactics from the root." },
    { name: "remaining_depth", type: "int32", nullable: false, description: "Tactics to proof completion along the found proof; -1 off the proof path." },
    { name: "label", type: "utf8", nullable: false, values: LABELS, description: "positive: on the found proof path; negative: off it; unknown: not labelled." },
    { name: "llm_log_prob", type: "float64", nullable: false, description: "Sum of token log-probs of tactic_applied (unnormalised)." },
    { name: "ebm_score", type: "float64", nullable: true, description: "Energy when the search used an EBM; null otherwise." },
    { name: "is_proof_complete", type: "bool", nullable: false, description: "Lean reported no goals left." },
    { name: "q_value", type: "float64", nullable: true, description: "Search value estimate, when the search keeps one." },
    { name: "visits", type: "int32", nullable: false, description: "Times the node was expanded or revisited." },
    { name: "run_id", type: "utf8", nullable: false, description: "Search run that produced the node." },
    { name: "goal_pp", type: "utf8", nullable: false, description: "Root goal of the theorem (the goal-conditioning text)." },
    { name: "llm_time_ms", type: "float64", nullable: true, description: "Policy time spent producing this node." },
    { name: "lean_time_ms", type: "float64", nullable: true, description: "Lean time spent checking this node's tactic." },
  ],
} as const satisfies TableSchema;

export const EMBEDDINGS_INDEX = {
  name: "embeddings_index",
  version: 1,
  description: "Row i describes row i of the state-embedding .npy; goal_row points into the goal-embedding .npy.",
  columns: [
    { name: "row", type: "int64", nullable: false, description: "Row in the state-embedding matrix." },
    { name: "run_id", type: "utf8", nullable: false, description: "Trajectory run of the state." },
    { name: "theorem_name", type: "utf8", nullable: false, description: "Theorem of the state." },
    { name: "state_id", type: "int64", nullable: false, description: "Trajectory state id." },
    { name: "goal_row", type: "int32", nullable: false, description: "Row of the theorem's root goal in the goal-embedding matrix." },
    { name: "excluded", type: "bool", nullable: false, description: "Vector unusable (terminal, empty text, non-finite, all-zero)." },
    { name: "exclude_reason", type: "utf8", nullable: true, values: EXCLUDE_REASONS, description: "Why the row is excluded." },
  ],
} as const satisfies TableSchema;

export const CONTRASTIVE_THEOREMS = {
  name: "contrastive_theorems",
  version: 1,
  description: "Theorems whose traced proof reaches depth >= min_depth: the pool searched for EBM training data (plan Task 0.6, 1.3).",
  columns: [
    { name: "theorem_name", type: "utf8", nullable: false, description: "Theorem name." },
    { name: "source", type: "utf8", nullable: false, values: SOURCES, description: "Source of the theorem." },
    { name: "max_depth", type: "int32", nullable: false, description: "Deepest tactic index + 1 in the traced proof (number of proof steps)." },
    { name: "n_pairs", type: "int32", nullable: false, description: "Traced (state, tactic) pairs." },
    { name: "split", type: "utf8", nullable: false, values: SFT_SPLITS, description: "SFT split of the theorem." },
  ],
} as const satisfies TableSchema;

/** Why a proposed tactic did not give a node (src/search/search-result.ts FailureKind). */
export const FAILURE_KINDS = ["lean_error", "empty_goals", "verify_failed"] as const;

export const FAILED_TACTICS = {
  name: "failed_tactics",
  version: 1,
  description:
    "Tactics the search applied that Lean rejected, with Lean's error text: the hard negatives of preference data. " +
    "Key: (run_id, theorem_name, parent_state_id, tactic); parent_state_id joins the trajectories table.",
  columns: [
    { name: "theorem_name", type: "utf8", nullable: false, description: "Theorem searched." },
    { name: "parent_state_id", type: "int64", nullable: false, description: "Trajectory state the tactic was applied to." },
    { name: "tactic", type: "utf8", nullable: false, description: "Tactic text as the policy proposed it." },
    { name: "kind", type: "utf8", nullable: false, values: FAILURE_KINDS, description: "lean_error: Lean rejected it; empty_goals: goals left without text; verify_failed: no goals, but the whole proof replayed from the root was rejected." },
    { name: "message", type: "utf8", nullable: false, description: "Lean's error text (or the verify verdict)." },
    { name: "llm_log_prob", type: "float64", nullable: false, description: "Sum of token log-probs of the tactic (unnormalised)." },
    { name: "n_tokens", type: "int32", nullable: false, description: "Tokens of the tactic." },
    { name: "lean_time_ms", type: "float64", nullable: false, description: "Lean time spent on it." },
    { name: "run_id", type: "utf8", nullable: false, description: "Search run." },
  ],
} as const satisfies TableSchema;

export const TABLE_SCHEMAS: readonly TableSchema[] = [THEOREMS, TACTIC_PAIRS, TRAJECTORIES, FAILED_TACTICS, EMBEDDINGS_INDEX, CONTRASTIVE_THEOREMS];

export type TheoremColumns = ColumnsOf<typeof THEOREMS>;
export type TacticPairColumns = ColumnsOf<typeof TACTIC_PAIRS>;
export type TrajectoryColumns = ColumnsOf<typeof TRAJECTORIES>;
export type FailedTacticColumns = ColumnsOf<typeof FAILED_TACTICS>;
export type EmbeddingsIndexColumns = ColumnsOf<typeof EMBEDDINGS_INDEX>;
export type ContrastiveTheoremColumns = ColumnsOf<typeof CONTRASTIVE_THEOREMS>;
export type TheoremRow = RowOf<typeof THEOREMS>;
export type ContrastiveTheoremRow = RowOf<typeof CONTRASTIVE_THEOREMS>;

/** Metric keys as the plan names them (Task 2.2 and 2.5); reports list them in this order. */
export const EMBEDDING_METRIC_KEYS = [
  "centroid_l2",
  "linear_probe_acc",
  "linear_probe_base_rate",
  "linear_probe_balanced_acc",
  "linear_probe_auc",
  "norm_gap",
  "sibling_l2_mean",
  "sibling_l2_median",
  "sibling_collision_rate",
  "top1_variance_ratio",
  "top10_variance_ratio",
  "effective_dimension",
  "silhouette_shallow",
  "silhouette_mid",
  "silhouette_deep",
  "dual_label_states",
  "dual_label_rate",
] as const;

export const EBM_METRIC_KEYS = [
  "rank1_accuracy",
  "rank1_d0_1",
  "rank1_d2_3",
  "rank1_d4+",
  "energy_gap",
  "energy_std_pos",
  "energy_std_neg",
  "sibling_discrimination",
  "active_ratio",
] as const;

/**
 * A metrics JSON artifact. A metric that could not be computed is absent from `values` and
 * present in `not_computed` with the reason ("not enough data: n=12"), so nothing reads as 0.
 */
export interface MetricsFile {
  readonly kind: string;
  readonly values: Readonly<Record<string, number>>;
  readonly not_computed: Readonly<Record<string, string>>;
  readonly details?: Readonly<Record<string, unknown>>;
}

export function exportSchemas(): Record<string, unknown> {
  return {
    generated_by: "src/artifacts/schemas.ts (npx burnqed schemas --out python/burnqed/schemas.json)",
    tables: Object.fromEntries(TABLE_SCHEMAS.map((s) => [s.name, s])),
    metrics: { embedding: EMBEDDING_METRIC_KEYS, ebm: EBM_METRIC_KEYS },
    metrics_file: {
      description: "Every metrics JSON artifact: a value that could not be computed is absent from values and present in not_computed with its reason.",
      fields: {
        kind: "string: what produced it (embedding_spectrum, data_stats, ...)",
        values: "object: metric name -> finite number",
        not_computed: "object: metric name -> reason (e.g. 'not enough data: n=12')",
        details: "object, optional: anything else (histograms, counts)",
      },
    },
    labels: LABELS,
    sources: SOURCES,
  };
}
