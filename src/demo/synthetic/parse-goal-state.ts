/**
 * The inverse of renderGoalState (src/demo/goal-state.ts): a rendered synthetic goal text back to
 * the GoalState it came from, so the synthetic world is a pure function of state *text* (which is
 * all Lean, the REPL and the policy ever see). The fields that are not rendered are derived:
 * `names` are the binder variables in order, `next_hyp` is one past the highest `hₖ` in the
 * context (every family starts with h₀ … and every tactic that adds a hypothesis takes the next
 * index, so this is exact for generated states; parseGoalState(render(s)) deep-equals s).
 *
 * The world also has to know the *family* of an off-path state (to draw its children and the
 * policy's decoys with the right generators) without remembering where the text came from:
 * inferFamily reads it off the context. Both are checked against every generated state in
 * test/demo/synthetic/parse-goal-state.test.ts, so a change in problem-family.ts that breaks
 * them fails there.
 */
import { renderGoalState, type GoalState } from "../goal-state.js";
import type { FamilyId } from "../problem-family.js";

/** `hₖ : …` with a subscript index: the families' hypothesis names. */
const HYP_LINE = /^h([₀-₉]+) : /;
const SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉";

export class GoalStateParseError extends Error {
  override name = "GoalStateParseError";
  constructor(
    readonly detail: string,
    readonly text: string,
  ) {
    super(`not a synthetic goal state (${detail}): ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** Index of a subscripted hypothesis name (h₁₂ → 12), or null for another name. */
export function hypIndex(line: string): number | null {
  const m = HYP_LINE.exec(line);
  if (!m) return null;
  return Number(Array.from(m[1]!, (c) => String(SUBSCRIPT_DIGITS.indexOf(c))).join(""));
}

/**
 * Parses `renderGoalState(s)`. Context lines before the first `hₖ : …` line are binders, the
 * rest hypotheses (a `have key : P` with another name lands among the hypotheses, where Lean
 * shows it). Throws GoalStateParseError (with the text) when the text is not of that form or
 * does not render back to itself.
 */
export function parseGoalState(text: string): GoalState {
  if (text.trim() === "") throw new GoalStateParseError("empty text", text);
  const blocks = text.split("\n\n");
  let context: string[] | null = null;
  const targets: string[] = [];
  for (const block of blocks) {
    const lines = block.split("\n");
    const last = lines[lines.length - 1]!;
    if (!last.startsWith("⊢ ")) throw new GoalStateParseError("a goal does not end in a '⊢ target' line", text);
    const ctx = lines.slice(0, -1);
    if (ctx.some((l) => l.startsWith("⊢") || !l.includes(" : "))) throw new GoalStateParseError("a context line is not 'name : type'", text);
    if (context === null) context = ctx;
    else if (ctx.join("\n") !== context.join("\n")) throw new GoalStateParseError("goals with different contexts", text);
    targets.push(last.slice(2));
  }
  const ctx = context ?? [];
  const firstHyp = ctx.findIndex((l) => hypIndex(l) !== null);
  const split = firstHyp < 0 ? ctx.length : firstHyp;
  const binders = ctx.slice(0, split);
  const hyps = ctx.slice(split);
  const names = binders.flatMap((b) => b.slice(0, b.indexOf(" : ")).split(" ").filter((n) => n !== ""));
  const next_hyp = hyps.reduce((m, h) => Math.max(m, (hypIndex(h) ?? -1) + 1), 0);
  const state: GoalState = { binders, hyps, targets, names, next_hyp };
  if (renderGoalState(state) !== text) throw new GoalStateParseError("it does not render back to the same text", text);
  return state;
}

/**
 * The family whose generators made a state, read off its context:
 * - `f : …` first binder → func_eq; `… : ℕ` → nat_mod; `… : ℤ` → int_dvd;
 * - `… : ℝ`: real_ineq's h₀ is always a positivity fact `0 < …` (or was destructed away, so h₀
 *   is missing), real_eq's h₀ is a linear equation that no tactic removes.
 * Throws GoalStateParseError for a context no family makes.
 */
export function inferFamily(state: GoalState, text = renderGoalState(state)): FamilyId {
  const first = state.binders[0] ?? "";
  if (first.startsWith("f : ")) return "func_eq";
  if (first.endsWith(" : ℕ")) return "nat_mod";
  if (first.endsWith(" : ℤ")) return "int_dvd";
  if (first.endsWith(" : ℝ")) {
    const h0 = state.hyps.find((h) => hypIndex(h) === 0);
    return h0 === undefined || h0.startsWith("h₀ : 0 < ") ? "real_ineq" : "real_eq";
  }
  throw new GoalStateParseError(`no problem family has the binder ${JSON.stringify(first)}`, text);
}
