/**
 * A found proof in LeanDojo's traced-tactic shape, so it can join the SFT data (expert iteration).
 * state_after of the closing tactic is "no goals", as LeanDojo and the repl print it.
 */
import { proofPath } from "./proof-path.js";
import type { SearchResult } from "./search-result.js";

export interface TracedTactic {
  readonly tactic: string;
  readonly state_before: string;
  readonly state_after: string;
}

export interface TracedProof {
  readonly theorem_name: string;
  readonly traced_tactics: readonly TracedTactic[];
}

export const NO_GOALS_TEXT = "no goals";

/** The proof path root → proof-complete node; null when the search found no proof. */
export function tracedProof(result: Pick<SearchResult, "theorem_name" | "proof_node_id" | "nodes">): TracedProof | null {
  if (result.proof_node_id === null) return null;
  const path = proofPath(result);
  const traced_tactics = path.slice(1).map((n, i) =>
    Object.freeze({ tactic: n.tactic, state_before: path[i]!.state_pp, state_after: n.is_proof_complete ? NO_GOALS_TEXT : n.state_pp }),
  );
  return Object.freeze({ theorem_name: result.theorem_name, traced_tactics: Object.freeze(traced_tactics) });
}
