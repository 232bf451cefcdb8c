/**
 * The one definition of a node's place in the best-first queue (higher = expanded sooner).
 */

export interface PriorityInputs {
  /** Σ log_prob_sum of the tactics on the path from the root (0 at the root). */
  readonly path_log_prob_sum: number;
  /** Σ n_tokens of those tactics (0 at the root). */
  readonly path_n_tokens: number;
  /** E(state, goal) of the node; null when it was not scored. */
  readonly energy: number | null;
}

/** For the report glossary. */
export const NODE_PRIORITY_DEFINITION =
  "priority = (Σ log_prob_sum / Σ n_tokens over the tactics on the path from the root; 0 at the root) " +
  "+ ebm_weight · (−energy). The first term is the path's mean token log-prob, so the policy's " +
  "unnormalised completion scores are put on one per-token scale before they meet energies, and a " +
  "deep path is not penalised for its length. Lower energy ranks higher. ebm_weight = 0 is LLM-only " +
  "(the energy head is never called). Ties go to the node created first.";

/**
 * See NODE_PRIORITY_DEFINITION. Throws when ebm_weight ≠ 0 and the energy is missing or not finite:
 * a silent 0 would rank an unscored state as an average one.
 */
export function nodePriority(p: PriorityInputs, ebm_weight: number): number {
  const llm = p.path_n_tokens === 0 ? 0 : p.path_log_prob_sum / p.path_n_tokens;
  if (ebm_weight === 0) return llm;
  if (p.energy === null || !Number.isFinite(p.energy)) {
    throw new Error(`nodePriority: ebm_weight is ${ebm_weight} but the node's energy is ${p.energy} (path ${p.path_log_prob_sum} over ${p.path_n_tokens} tokens)`);
  }
  return llm + ebm_weight * -p.energy;
}
