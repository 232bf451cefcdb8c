/**
 * The policy's prompt: `[GOAL]{state}[PROOFSTEP]`, byte-identical to the prompt part of the SFT
 * records the policy was trained on (src/data/sft-format.ts). A prompt that differs by one byte
 * (a space after `[PROOFSTEP]`, a newline) moves generation off the training distribution.
 *
 * The prompt is taken from `sftRecord(...).prompt` itself rather than restated here, so the two
 * cannot drift: sft-format.ts exports no prompt-only function, so the record is built with a
 * placeholder tactic and only its prompt is kept. That also reuses its guard: a state containing
 * `[PROOFSTEP]` is an error naming the theorem.
 */
import { sftRecord } from "../data/sft-format.js";

/** Non-empty placeholder: sftRecord rejects an empty tactic; the completion is discarded. */
const PLACEHOLDER_TACTIC = "_";

/** `[GOAL]{state_pp}[PROOFSTEP]`. `theorem_name` only labels the error for a bad state. */
export function policyPrompt(state_pp: string, theorem_name = "(policy prompt)"): string {
  return sftRecord({ theorem_name, source: "policy", state_pp, tactic: PLACEHOLDER_TACTIC, depth: 0 }).prompt;
}
