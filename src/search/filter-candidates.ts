/**
 * From what the policy sampled to what the search applies: at most n candidates, no empty, banned
 * or bulleted tactic, no two the same up to whitespace, best first. Pure.
 */
import { findBannedWord, startsWithBullet } from "../lean/proof-check.js";
import type { PolicyCandidate } from "./policy.js";

/** Candidates per expansion, by fate. Every proposed candidate lands in exactly one count. */
export interface CandidateCounts {
  /** Returned by the policy. */
  readonly proposed: number;
  /** Past the first n (a policy that returned more than it was asked for). */
  readonly over_n: number;
  /** Whitespace only. */
  readonly empty: number;
  /** sorry / admit / cheat as a whole word: never sent to Lean, so they can never "prove" anything. */
  readonly banned_word: number;
  /** Starts with a focus bullet: a replayed `· tac` can make Lean report the focused goal as the whole proof (pitfall 2). */
  readonly bullet: number;
  /** Same text as a better candidate after whitespace normalisation. */
  readonly duplicate: number;
  /** Handed to the search to apply. */
  readonly kept: number;
}

export interface FilteredCandidates {
  /** Trimmed tactics, by descending log_prob_sum / n_tokens (ties keep the policy's order). */
  readonly kept: readonly PolicyCandidate[];
  readonly counts: CandidateCounts;
}

/** Dedup key: runs of whitespace collapsed, ends trimmed. */
export function normalizeTacticWhitespace(tactic: string): string {
  return tactic.trim().replace(/\s+/g, " ");
}

/** Throws on a candidate with a non-finite log-prob or a token count below 1: a broken policy client, not a bad tactic. */
export function filterCandidates(proposed: readonly PolicyCandidate[], n: number): FilteredCandidates {
  for (const c of proposed) {
    if (!Number.isFinite(c.log_prob_sum) || !Number.isInteger(c.n_tokens) || c.n_tokens < 1) {
      throw new Error(`policy candidate '${c.tactic.slice(0, 200)}' has log_prob_sum ${c.log_prob_sum} and n_tokens ${c.n_tokens} (need a finite sum and an integer ≥ 1)`);
    }
  }
  const counts = { proposed: proposed.length, over_n: Math.max(0, proposed.length - n), empty: 0, banned_word: 0, bullet: 0, duplicate: 0, kept: 0 };
  const best = new Map<string, PolicyCandidate>();
  for (const c of proposed.slice(0, n)) {
    const tactic = c.tactic.trim();
    if (tactic === "") counts.empty++;
    else if (findBannedWord(tactic) !== null) counts.banned_word++;
    else if (startsWithBullet(tactic)) counts.bullet++;
    else {
      const key = normalizeTacticWhitespace(tactic);
      const seen = best.get(key);
      if (seen !== undefined) counts.duplicate++;
      // Map keeps the first insertion's position; a better-scored copy only replaces the value.
      if (seen === undefined || perToken(c) > perToken(seen)) best.set(key, { ...c, tactic });
    }
  }
  const kept = [...best.values()].sort((a, b) => perToken(b) - perToken(a));
  counts.kept = kept.length;
  return Object.freeze({ kept: Object.freeze(kept), counts: Object.freeze(counts) });
}

const perToken = (c: PolicyCandidate): number => c.log_prob_sum / c.n_tokens;
