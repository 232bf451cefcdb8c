/**
 * SFT records in the plan's format `[GOAL]{state}[PROOFSTEP]{tactic}` (Task 0.6). The prompt /
 * completion boundary is stored with the record, so the trainer masks the loss on everything
 * before the tactic without re-finding the boundary (trl style: computed once, at data time).
 */
export const GOAL_TOKEN = "[GOAL]";
export const PROOFSTEP_TOKEN = "[PROOFSTEP]";

export interface SftRecord {
  /** Full training text. */
  readonly text: string;
  /** `[GOAL]{state}[PROOFSTEP]`: the masked part. */
  readonly prompt: string;
  /** The tactic: the only part that carries loss. */
  readonly completion: string;
  readonly theorem_name: string;
  readonly source: string;
  readonly depth: number;
}

export function sftRecord(pair: { theorem_name: string; source: string; state_pp: string; tactic: string; depth: number }): SftRecord {
  if (pair.tactic.length === 0) throw new Error(`empty tactic in theorem '${pair.theorem_name}' at depth ${pair.depth}`);
  if (pair.state_pp.includes(PROOFSTEP_TOKEN)) {
    throw new Error(`state of theorem '${pair.theorem_name}' (depth ${pair.depth}) contains '${PROOFSTEP_TOKEN}', which would break the completion boundary: ${pair.state_pp.slice(0, 200)}`);
  }
  const prompt = `${GOAL_TOKEN}${pair.state_pp}${PROOFSTEP_TOKEN}`;
  return { text: prompt + pair.tactic, prompt, completion: pair.tactic, theorem_name: pair.theorem_name, source: pair.source, depth: pair.depth };
}
