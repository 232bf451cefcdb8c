/** A synthetic Lean goal state and its pretty-printed text (what `state_pp` holds). */

export interface GoalState {
  /** Binder lines of the local context ("x y : ℝ", "f : ℝ → ℝ"). */
  readonly binders: readonly string[];
  /** Hypothesis lines ("h₀ : 0 < x"). */
  readonly hyps: readonly string[];
  /** One target per open goal, main goal first. */
  readonly targets: readonly string[];
  /** Term variables that generated expressions may use (not rendered). */
  readonly names: readonly string[];
  /** Index of the next fresh hypothesis name (2 → h₂). */
  readonly next_hyp: number;
}

const SUBSCRIPTS = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"];

/** h₀, h₁, …, h₁₂ as Lean users write them. */
export function hypName(i: number): string {
  return "h" + String(i).split("").map((c) => SUBSCRIPTS[Number(c)] ?? c).join("");
}

/** Name of a hypothesis line ("h₀ : 0 < x" → "h₀"). */
export function hypLineName(line: string): string {
  return line.slice(0, line.indexOf(" : "));
}

/** Lean's goal display: context, then `⊢ target`; several goals are separated by a blank line. */
export function renderGoalState(state: GoalState): string {
  return state.targets.map((t) => [...state.binders, ...state.hyps, `⊢ ${t}`].join("\n")).join("\n\n");
}
