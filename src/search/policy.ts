/**
 * The tactic policy as the search sees it: a state in, sampled tactics out. The adapter (an
 * OpenAI-compatible completions client with logprobs) lives elsewhere; the search only needs this.
 */

/** One sampled tactic. */
export interface PolicyCandidate {
  readonly tactic: string;
  /**
   * Sum of the completion's token log-probs: unnormalised, so it grows more negative with length
   * (pitfall 8). The search divides by token counts before mixing it with energies.
   */
  readonly log_prob_sum: number;
  /** Tokens in the completion (≥ 1). */
  readonly n_tokens: number;
}

export interface ProposeOptions {
  /** Completions to sample. */
  readonly n: number;
  readonly temperature: number;
  /**
   * Milliseconds the call may take: what is left of the theorem's wall budget when the call is
   * made (relative, not a timestamp, so it means the same under any clock).
   */
  readonly deadline_ms: number;
}

export interface Policy {
  propose(state_pp: string, opts: ProposeOptions): Promise<PolicyCandidate[]>;
}
