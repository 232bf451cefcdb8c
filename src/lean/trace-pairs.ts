/**
 * (goal state before, tactic) pairs from one `allTactics` response (plan Task 0.4). Pure.
 *
 * The repl lists every original, substantive tactic of the proof with the goals before it and
 * its source range. The pair's tactic is the source text at that range (as written in the proof;
 * the repl's own `tactic` field is Lean's re-pretty-printed form, used only when the range does
 * not fit the code). Dropped: tactics run with no goals, focusing bullets (`· tac` — old repls
 * list the bullet block itself; its inner tactics come as their own entries), exact duplicates.
 * depth = index of the pair in source order (0 = first tactic); num_goals = goals before it.
 */
import { startsWithBullet } from "./proof-check.js";
import type { ReplPos, ReplTactic } from "./repl-protocol.js";

export interface TracedPair {
  readonly state_pp: string;
  readonly tactic: string;
  readonly depth: number;
  readonly num_goals: number;
}

/**
 * One goal-state text from a list of goals (tactic mode's `goals`), in the form tracing's state_pp
 * has (the repl's allTactics `goals` string): goals separated by a blank line; "no goals" for none.
 * The search's states and the traced pairs must share this text (one embedding recipe, pitfall 3).
 */
export function joinGoals(goals: readonly string[]): string {
  return goals.length === 0 ? "no goals" : goals.join("\n\n");
}

/** Goals in a repl goal string: blocks separated by blank lines; "no goals" is 0 (joinGoals' inverse count). */
export function countGoals(goals: string): number {
  const t = goals.trim();
  if (t === "" || t === "no goals") return 0;
  return t.split(/\n\s*\n/).filter((b) => b.trim() !== "").length;
}

/** Text of `code` between two repl positions (1-based lines, columns in code points), or null. */
export function sourceSlice(code: string, pos: ReplPos, endPos: ReplPos): string | null {
  const lines = code.split("\n");
  const offset = (p: ReplPos): number | null => {
    if (p.line < 1 || p.line > lines.length) return null;
    let off = 0;
    for (let i = 0; i < p.line - 1; i++) off += lines[i]!.length + 1;
    const cps = Array.from(lines[p.line - 1]!);
    if (p.column > cps.length) return null;
    return off + cps.slice(0, p.column).join("").length;
  };
  const a = offset(pos);
  const b = offset(endPos);
  if (a === null || b === null || b <= a) return null;
  return code.slice(a, b);
}

export function extractPairs(tactics: readonly ReplTactic[], code: string): TracedPair[] {
  const ordered = tactics
    .map((t, i) => ({ t, i }))
    .sort((x, y) => x.t.pos.line - y.t.pos.line || x.t.pos.column - y.t.pos.column || x.i - y.i)
    .map((x) => x.t);
  const seen = new Set<string>();
  const out: TracedPair[] = [];
  for (const t of ordered) {
    const num_goals = countGoals(t.goals);
    if (num_goals === 0) continue;
    const tactic = (sourceSlice(code, t.pos, t.endPos) ?? t.tactic).trim();
    if (tactic === "" || startsWithBullet(tactic)) continue;
    const key = `${t.goals}\u0000${tactic}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ state_pp: t.goals, tactic, depth: out.length, num_goals });
  }
  return out;
}
