/**
 * What one best-first search of one theorem leaves behind: the outcome, its costs and the whole
 * tree, failed tactics included. Frozen; labels and exports are computed from it afterwards.
 */
import type { CandidateCounts } from "./filter-candidates.js";
import type { SearchConfig } from "./search-config.js";

export type SearchStatus =
  | "proved" //    a path whose whole proof `verify` accepted; `proof` holds its tactics
  | "exhausted" // no proof: the queue emptied, or the node budget was spent (`reason` says which)
  | "timeout" //   no proof: the wall budget ran out inside the loop
  | "error"; //    no proof: the policy, Lean env or scorer threw, or returned something malformed (`reason` has it)

export const SEARCH_STATUSES: readonly SearchStatus[] = ["proved", "exhausted", "timeout", "error"];

export interface SearchNode {
  /** Index in `nodes`; 0 is the root. */
  readonly id: number;
  readonly parent_id: number | null;
  /** Goal state text (the transposition-table key); "" for the proof-complete node. */
  readonly state_pp: string;
  /** Tactic that produced the node from its parent; "" at the root. */
  readonly tactic: string;
  readonly depth: number;
  /** Unnormalised log-prob sum of `tactic` (0 at the root). */
  readonly log_prob_sum: number;
  /** Tokens of `tactic` (0 at the root). */
  readonly n_tokens: number;
  readonly path_log_prob_sum: number;
  readonly path_n_tokens: number;
  /** E(state, goal); null when the search ran LLM-only, for the proof-complete node, and for children the search stopped before scoring (timeout, or a sibling proved the theorem). */
  readonly energy: number | null;
  /** nodePriority at creation; null when the node was never queued a priority (proof-complete, or unscored at a timeout). */
  readonly priority: number | null;
  readonly expanded: boolean;
  /** Expansions (0 or 1 in best-first) plus the times another path reached the same state text. */
  readonly visits: number;
  /** Lean reported no goals and `verify` accepted the whole path. */
  readonly is_proof_complete: boolean;
  /** Wall time of the policy call that proposed the tactic (shared by its siblings); null at the root. */
  readonly policy_ms: number | null;
  /** Lean time the env reported for the tactic; null at the root. */
  readonly lean_ms: number | null;
}

export type FailureKind =
  | "lean_error" //    Lean rejected the tactic (a messages-only response included)
  | "empty_goals" //   the env said goals remain but gave no goal text: a failure, never a proof
  | "verify_failed"; // Lean reported no goals, but the whole proof replayed from the root was rejected

export interface FailedTactic {
  /** Node the tactic was applied to. */
  readonly parent_id: number;
  readonly tactic: string;
  readonly kind: FailureKind;
  /** Lean's error text (or the verify reason). */
  readonly message: string;
  readonly log_prob_sum: number;
  readonly n_tokens: number;
  readonly lean_ms: number;
}

export interface SearchResult {
  readonly theorem_name: string;
  readonly status: SearchStatus;
  /** Why the search stopped, in words ("verified proof of 3 tactics", "node budget 800 spent", ...). */
  readonly reason: string;
  /** Tactics from the root when proved, else null. */
  readonly proof: readonly string[] | null;
  /** The proof-complete node when proved, else null. */
  readonly proof_node_id: number | null;
  readonly nodes_expanded: number;
  /** = nodes.length. */
  readonly nodes_created: number;
  /** Children not added because their state text was already in the tree (transpositions). */
  readonly duplicates: number;
  /** Summed over the whole search, by the injected clock: waiting on the policy, on Lean (apply + verify), on the scorer. */
  readonly policy_ms: number;
  readonly lean_ms: number;
  readonly energy_ms: number;
  readonly wall_ms: number;
  readonly candidates: CandidateCounts;
  readonly config: SearchConfig;
  readonly nodes: readonly SearchNode[];
  readonly failures: readonly FailedTactic[];
}
