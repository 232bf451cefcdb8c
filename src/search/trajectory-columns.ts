/**
 * One searched tree as TRAJECTORIES rows (src/artifacts/schemas.ts), column-wise, one field per
 * schema column and nothing else. Pure; the chunked Arrow writing is the runner's job.
 * State ids are the tree's node ids, so they restart at 0 for every theorem (the table's key is
 * (run_id, theorem_name, state_id)).
 */
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { TRAJECTORIES } from "../artifacts/schemas.js";
import { searchLabels } from "./search-labels.js";
import type { SearchResult } from "./search-result.js";

export function trajectoryColumns(result: SearchResult, run_id: string): ColumnArraysOf<typeof TRAJECTORIES> {
  const { label, remaining_depth } = searchLabels(result);
  const nodes = result.nodes;
  const goal = nodes[0]?.state_pp ?? "";
  // terminal rows must carry no text (pitfall 4: they are dropped from EBM training by their empty state)
  const textual = nodes.find((n) => n.is_proof_complete && n.state_pp !== "");
  if (textual) throw new Error(`trajectoryColumns(${result.theorem_name}): proof-complete node ${textual.id} has state text ${JSON.stringify(textual.state_pp.slice(0, 200))}`);
  const each = <T>(f: (n: (typeof nodes)[number]) => T): readonly T[] => Object.freeze(nodes.map(f));
  return Object.freeze({
    theorem_name: each(() => result.theorem_name),
    state_id: each((n) => n.id),
    parent_state_id: each((n) => n.parent_id),
    state_pp: each((n) => n.state_pp),
    tactic_applied: each((n) => n.tactic),
    depth_from_root: each((n) => n.depth),
    remaining_depth,
    label,
    llm_log_prob: each((n) => n.log_prob_sum),
    ebm_score: each((n) => n.energy),
    is_proof_complete: each((n) => n.is_proof_complete),
    // best-first keeps no value estimate
    q_value: each(() => null),
    visits: each((n) => n.visits),
    run_id: each(() => run_id),
    goal_pp: each(() => goal),
    llm_time_ms: each((n) => n.policy_ms),
    lean_time_ms: each((n) => n.lean_ms),
  });
}
