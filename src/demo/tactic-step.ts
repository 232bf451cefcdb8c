/**
 * One tactic applied to a synthetic goal state: the tactic text and the state it leaves.
 * Used both for traced proofs (which must close the last goal exactly at their last tactic) and
 * for search branches (which never close the last goal: only the found proof path completes).
 */
import { hypLineName, hypName, type GoalState } from "./goal-state.js";
import type { ProblemFamily } from "./problem-family.js";
import type { Prng } from "../numeric/prng.js";

export interface TacticStep {
  readonly tactic: string;
  /** State after the tactic; null when it closed the last goal (proof complete). */
  readonly state: GoalState | null;
}

type StepKind = "intro" | "split" | "destruct" | "have" | "rewrite" | "close";

/**
 * @param steps_after tactics that follow this one on a proof that must end exactly then
 *   (0: this one closes the last goal); null: an open-ended search branch that never completes.
 */
export function nextTacticStep(rng: Prng, family: ProblemFamily, state: GoalState, steps_after: number | null): TacticStep {
  const goals = state.targets.length;
  const main = state.targets[0] ?? "";
  const fits = (after: number): boolean =>
    steps_after === null ? after >= 1 : steps_after === 0 ? after === 0 : after >= 1 && after <= steps_after;
  const options: [StepKind, number, number][] = [
    // [kind, weight, goals after]
    ["intro", main.includes(" → ") ? 8 : 0, goals],
    ["split", main.includes(" ∧ ") ? 4 : 0, goals + 1],
    ["destruct", destructible(state) >= 0 ? 3 : 0, goals],
    ["have", 3, goals],
    ["rewrite", 4, goals],
    ["close", steps_after === 0 ? 100 : goals > 1 ? 3 : 0, goals - 1],
  ];
  const valid = options.filter(([, w, after]) => w > 0 && fits(after));
  if (valid.length === 0) {
    throw new Error(`nextTacticStep: no tactic fits ${goals} goal(s) with steps_after=${steps_after} (main goal: ${main.slice(0, 200)})`);
  }
  const kind = valid[rng.weighted(valid.map(([, w]) => w))]![0];
  return applyStep(rng, family, state, kind);
}

function applyStep(rng: Prng, family: ProblemFamily, s: GoalState, kind: StepKind): TacticStep {
  const main = s.targets[0] ?? "";
  const rest = s.targets.slice(1);
  const fresh = hypName(s.next_hyp);
  switch (kind) {
    case "intro": {
      const at = main.indexOf(" → ");
      return {
        tactic: `intro ${fresh}`,
        state: { ...s, hyps: [...s.hyps, `${fresh} : ${main.slice(0, at)}`], targets: [main.slice(at + 3), ...rest], next_hyp: s.next_hyp + 1 },
      };
    }
    case "split": {
      const at = main.indexOf(" ∧ ");
      return { tactic: "constructor", state: { ...s, targets: [main.slice(0, at), main.slice(at + 3), ...rest] } };
    }
    case "destruct":
      return destruct(rng, s);
    case "have": {
      const fact = family.fact(rng, s);
      return {
        tactic: `have ${fresh} : ${fact} := by ${family.factProof(rng, s)}`,
        state: { ...s, hyps: [...s.hyps, `${fresh} : ${fact}`], next_hyp: s.next_hyp + 1 },
      };
    }
    case "rewrite":
      return { tactic: family.rewriter(rng, s), state: { ...s, targets: [family.target(rng, s), ...rest] } };
    case "close":
      return { tactic: closing(rng, family, s, main), state: rest.length > 0 ? { ...s, targets: rest } : null };
  }
}

/** Closing tactic for the main goal, wrapped when the goal is a conjunction or an implication. */
function closing(rng: Prng, family: ProblemFamily, s: GoalState, main: string): string {
  const base = family.closer(rng, s);
  if (main.includes(" → ")) return `exact fun ${hypName(s.next_hyp)} => by ${base}`;
  if (main.includes(" ∧ ")) return rng.bool(0.5) ? `constructor <;> ${base}` : `exact ⟨by ${base}, by ${base}⟩`;
  return base;
}

/** Index of a hypothesis that rcases/obtain can take apart (a conjunction or `d ∣ v`), or -1. */
function destructible(s: GoalState): number {
  return s.hyps.findIndex((h) => h.includes(" ∧ ") || /^\S+ : \d+ ∣ \w+$/.test(h));
}

function destruct(rng: Prng, s: GoalState): TacticStep {
  const i = destructible(s);
  const line = s.hyps[i] ?? "";
  const name = hypLineName(line);
  const prop = line.slice(name.length + 3);
  const before = s.hyps.slice(0, i);
  const after = s.hyps.slice(i + 1);
  if (prop.includes(" ∧ ")) {
    const at = prop.indexOf(" ∧ ");
    const [h1, h2] = [hypName(s.next_hyp), hypName(s.next_hyp + 1)];
    const tactic = rng.bool(0.5) ? `rcases ${name} with ⟨${h1}, ${h2}⟩` : `obtain ⟨${h1}, ${h2}⟩ := ${name}`;
    const hyps = [...before, `${h1} : ${prop.slice(0, at)}`, `${h2} : ${prop.slice(at + 3)}`, ...after];
    return { tactic, state: { ...s, hyps, next_hyp: s.next_hyp + 2 } };
  }
  // `d ∣ v` unfolds to `∃ k, v = d * k`
  const [d, v] = prop.split(" ∣ ") as [string, string];
  const k = ["k", "j", "t", "q", "r"].find((c) => !s.names.includes(c)) ?? `k${s.next_hyp}`;
  const hk = hypName(s.next_hyp);
  return {
    tactic: rng.bool(0.5) ? `obtain ⟨${k}, ${hk}⟩ := ${name}` : `rcases ${name} with ⟨${k}, ${hk}⟩`,
    state: {
      ...s,
      binders: [...s.binders, `${k} : ℤ`],
      names: [...s.names, k],
      hyps: [...before, ...after, `${hk} : ${v} = ${d} * ${k}`],
      next_hyp: s.next_hyp + 1,
    },
  };
}
