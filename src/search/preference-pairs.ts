/**
 * Preference pairs from a proved tree: at each state on the proof path, the tactic the proof took
 * (chosen) against each tactic Lean rejected there (rejected, with Lean's error text). Tactics
 * that worked but led elsewhere are not used: nothing says they were worse.
 */
import type { FailureKind, SearchResult } from "./search-result.js";
import { proofPath } from "./proof-path.js";

export interface PreferencePair {
  readonly theorem_name: string;
  /** Node id of the state on the proof path. */
  readonly state_id: number;
  readonly state_pp: string;
  readonly depth: number;
  readonly chosen_tactic: string;
  readonly rejected_tactic: string;
  readonly rejected_kind: FailureKind;
  readonly rejected_message: string;
}

/** In proof-path order, then failure order; empty when the search found no proof. */
export function preferencePairs(result: Pick<SearchResult, "theorem_name" | "proof_node_id" | "nodes" | "failures">): readonly PreferencePair[] {
  const path = proofPath(result);
  const out: PreferencePair[] = [];
  path.slice(0, -1).forEach((state, i) => {
    const chosen = path[i + 1]!.tactic;
    for (const f of result.failures) {
      if (f.parent_id !== state.id) continue;
      out.push(
        Object.freeze({
          theorem_name: result.theorem_name,
          state_id: state.id,
          state_pp: state.state_pp,
          depth: state.depth,
          chosen_tactic: chosen,
          rejected_tactic: f.tactic,
          rejected_kind: f.kind,
          rejected_message: f.message,
        }),
      );
    }
  });
  return Object.freeze(out);
}
