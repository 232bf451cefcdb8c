/**
 * From the server's choices to the tactic candidates a search expands: trailing whitespace
 * trimmed, empty and banned tactics dropped (and counted), duplicates after whitespace
 * normalisation merged keeping the higher log-prob, best first. Pure.
 */
import { findBannedWord } from "../lean/proof-check.js";
import type { CompletionChoice } from "./completions-response.js";

export interface TacticCandidate {
  /** The completion text with trailing whitespace trimmed. */
  readonly tactic: string;
  /** Sum of the scored tokens' log-probs: unnormalised (pitfall 8: divide by n_tokens before mixing with energies). */
  readonly log_prob_sum: number;
  /** Tokens in log_prob_sum, >= 1 (a null first logprob is not one of them). */
  readonly n_tokens: number;
  /** "stop" or "length" (max_tokens reached: the tactic may be cut short). */
  readonly finish_reason: string | null;
}

export interface CandidateSet {
  /** Unique tactics, highest log_prob_sum first (ties: the server's order). */
  readonly candidates: readonly TacticCandidate[];
  /** Choices the server returned. */
  readonly n_choices: number;
  /** Empty after trimming. */
  readonly dropped_empty: number;
  /** sorry / admit / cheat as a whole word (comments excluded). */
  readonly dropped_banned: number;
  /** Same tactic as a better-scored choice after whitespace normalisation. */
  readonly dropped_duplicates: number;
  /** Non-empty text but no scored token (a single token whose logprob was null): nothing to rank it by. */
  readonly dropped_unscored: number;
  /** Choices whose first token had a null logprob (left out of the sum and the count). */
  readonly null_first_logprobs: number;
}

/** The dedup key: every whitespace run (newlines included) as one space, ends trimmed. */
export function normalizeTacticWhitespace(tactic: string): string {
  return tactic.replace(/\s+/g, " ").trim();
}

/**
 * Sum and count of a choice's token log-probs. A null logprob (only ever at position 0, see
 * parseCompletionsResponse) is skipped in both: counting it as 0 would score that token as
 * certain (p = 1), and counting it in n_tokens would dilute the per-token mean; skipped, the sum
 * is exactly what the server reported and log_prob_sum / n_tokens is the mean over the tokens it
 * scored. (Imputing the missing value would invent a number.) A choice left with no scored token
 * is dropped by tacticCandidates (dropped_unscored), so every candidate has n_tokens >= 1.
 */
export function choiceLogProb(choice: CompletionChoice): { log_prob_sum: number; n_tokens: number; null_first: boolean } {
  let log_prob_sum = 0;
  let n_tokens = 0;
  for (const lp of choice.token_logprobs) {
    if (lp === null) continue;
    log_prob_sum += lp;
    n_tokens++;
  }
  return { log_prob_sum, n_tokens, null_first: choice.token_logprobs[0] === null };
}

export function tacticCandidates(choices: readonly CompletionChoice[]): CandidateSet {
  const best = new Map<string, TacticCandidate>();
  let dropped_empty = 0;
  let dropped_banned = 0;
  let dropped_duplicates = 0;
  let dropped_unscored = 0;
  let null_first_logprobs = 0;
  for (const choice of choices) {
    const { log_prob_sum, n_tokens, null_first } = choiceLogProb(choice);
    if (null_first) null_first_logprobs++;
    const tactic = choice.text.trimEnd();
    if (tactic.trim().length === 0) {
      dropped_empty++;
      continue;
    }
    if (findBannedWord(tactic) !== null) {
      dropped_banned++;
      continue;
    }
    if (n_tokens === 0) {
      dropped_unscored++;
      continue;
    }
    const key = normalizeTacticWhitespace(tactic);
    const seen = best.get(key);
    if (seen !== undefined) dropped_duplicates++;
    // Map keeps first-insertion order, so ties stay in the server's order after the stable sort.
    if (seen === undefined || log_prob_sum > seen.log_prob_sum) best.set(key, { tactic, log_prob_sum, n_tokens, finish_reason: choice.finish_reason });
  }
  const candidates = [...best.values()].sort((a, b) => b.log_prob_sum - a.log_prob_sum);
  return { candidates, n_choices: choices.length, dropped_empty, dropped_banned, dropped_duplicates, dropped_unscored, null_first_logprobs };
}
