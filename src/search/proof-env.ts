/**
 * Lean as the search sees it: one theorem started, tactics applied to opaque states, and the final
 * whole-proof check. The adapter over the repl pool (tactic mode + a replayed `cmd`) lives in
 * src/lean; the search never touches processes.
 */

/** A proof state: its goal text and the env's handle for it (a repl proofState id, say). */
export interface EnvState<H> {
  readonly goals_pp: string;
  readonly handle: H;
}

/**
 * What Lean said about one tactic.
 * - ok: the tactic elaborated; `no_goals` is Lean's word that nothing is left, which the search
 *   still does not believe until `verify` replays the whole proof;
 * - error: Lean rejected it. A response with only messages (no goals, an error) is an error,
 *   never a finished proof (pitfall 1).
 */
export type TacticOutcome<H> =
  | { readonly kind: "ok"; readonly goals_pp: string; readonly handle: H; readonly no_goals: boolean; readonly lean_ms: number }
  | { readonly kind: "error"; readonly message: string; readonly lean_ms: number };

/** Whole-proof verdict: no goals, no error messages, sorry-free, replayed from the root. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ProofEnv<H> {
  root(): Promise<EnvState<H>>;
  apply(handle: H, tactic: string, timeout_s: number): Promise<TacticOutcome<H>>;
  /** Replays `tactics` from the theorem statement; only a verified proof counts as proved. */
  verify(tactics: readonly string[]): Promise<VerifyResult>;
}
