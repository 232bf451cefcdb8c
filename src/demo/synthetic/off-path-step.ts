/**
 * What the synthetic Lean does with a tactic that is not the proof's next step: it fails with a
 * Lean-like message or leaves a new goal drawn with the family's generators, never closing the
 * last goal (closers always fail here). Which one, and which message or goal, is decided by the
 * caller's rng (seeded by a hash of the state and the tactic), so the answer is a pure function
 * of (seed, state text, tactic).
 */
import { hypLineName, renderGoalState, type GoalState } from "../goal-state.js";
import type { ProblemFamily } from "../problem-family.js";
import type { Prng } from "../../numeric/prng.js";
import { hypIndex } from "./parse-goal-state.js";
import { classifyTactic, tacticHead } from "./tactic-class.js";

export type OffPathOutcome = { readonly kind: "state"; readonly state: GoalState } | { readonly kind: "error"; readonly message: string };

/**
 * @param p_error probability that a tactic which could apply here (have, rewrite) fails anyway;
 *   closers always fail, structural tactics (intro, constructor, rcases) succeed exactly when the
 *   goal or hypothesis has the right shape.
 */
export function offPathStep(rng: Prng, family: ProblemFamily, s: GoalState, tactic: string, p_error: number): OffPathOutcome {
  const t = tactic.trim();
  switch (classifyTactic(t)) {
    case "closer":
      return { kind: "error", message: closerFailure(t, s) };
    case "have":
      return haveStep(rng, s, t, p_error);
    case "intro":
      return introStep(s, t);
    case "split":
      return splitStep(s);
    case "destruct":
      return destructStep(s, t);
    case "rewrite":
      if (rng.bool(p_error)) return { kind: "error", message: rewriteFailure(t, s) };
      return { kind: "state", state: { ...s, targets: [family.target(rng, s), ...s.targets.slice(1)] } };
  }
}

const error = (message: string): OffPathOutcome => ({ kind: "error", message });

function haveStep(rng: Prng, s: GoalState, t: string, p_error: number): OffPathOutcome {
  const m = /^have\s+(?:([^\s:]+)\s*)?:\s*([\s\S]+?)\s*:=\s*(?:by\s+)?([\s\S]+)$/.exec(t);
  if (!m) return error("synthetic Lean: a `have` without `:= proof` opens a goal in another context, which this world does not model");
  const [, name = "this", prop = "", proof = ""] = m;
  if (rng.bool(p_error)) return error(closerFailure(proof, { ...s, targets: [prop] }));
  const idx = hypIndex(`${name} : `);
  return { kind: "state", state: { ...s, hyps: [...s.hyps, `${name} : ${prop}`], next_hyp: idx === null ? s.next_hyp : Math.max(s.next_hyp, idx + 1) } };
}

function introStep(s: GoalState, t: string): OffPathOutcome {
  const names = t.split(/\s+/).slice(1);
  let state = s;
  for (const name of names.length > 0 ? names : ["a✝"]) {
    const main = state.targets[0] ?? "";
    const at = main.indexOf(" → ");
    if (at < 0) return error(`tactic 'introN' failed, insufficient number of binders\n${renderGoalState(state)}`);
    const idx = hypIndex(`${name} : `);
    state = { ...state, hyps: [...state.hyps, `${name} : ${main.slice(0, at)}`], targets: [main.slice(at + 3), ...state.targets.slice(1)], next_hyp: idx === null ? state.next_hyp : Math.max(state.next_hyp, idx + 1) };
  }
  return { kind: "state", state };
}

function splitStep(s: GoalState): OffPathOutcome {
  const main = s.targets[0] ?? "";
  const at = main.indexOf(" ∧ ");
  if (at < 0) return error(`tactic 'constructor' failed, no applicable constructor found\n${renderGoalState(s)}`);
  return { kind: "state", state: { ...s, targets: [main.slice(0, at), main.slice(at + 3), ...s.targets.slice(1)] } };
}

/** `rcases h with ⟨a, b⟩` / `obtain ⟨a, b⟩ := h` on a conjunction or a `d ∣ v` hypothesis. */
function destructStep(s: GoalState, t: string): OffPathOutcome {
  const m = /^rcases\s+(\S+)\s+with\s+⟨\s*([^,⟩\s]+)\s*,\s*([^,⟩\s]+)\s*⟩$/.exec(t) ?? /^obtain\s+⟨\s*([^,⟩\s]+)\s*,\s*([^,⟩\s]+)\s*⟩\s*:=\s*(\S+)$/.exec(t);
  if (!m) return error(`synthetic Lean: only \`rcases h with ⟨a, b⟩\` and \`obtain ⟨a, b⟩ := h\` are modelled, got ${JSON.stringify(t.slice(0, 80))}`);
  const [hyp, a, b] = t.startsWith("rcases") ? [m[1]!, m[2]!, m[3]!] : [m[3]!, m[1]!, m[2]!];
  const i = s.hyps.findIndex((h) => hypLineName(h) === hyp);
  if (i < 0) return error(`Unknown identifier \`${hyp}\``);
  const prop = s.hyps[i]!.slice(hyp.length + 3);
  const before = s.hyps.slice(0, i);
  const after = s.hyps.slice(i + 1);
  const next = (n: string, cur: number): number => Math.max(cur, (hypIndex(`${n} : `) ?? -1) + 1);
  const at = prop.indexOf(" ∧ ");
  if (at >= 0) {
    return { kind: "state", state: { ...s, hyps: [...before, `${a} : ${prop.slice(0, at)}`, `${b} : ${prop.slice(at + 3)}`, ...after], next_hyp: next(b, next(a, s.next_hyp)) } };
  }
  const dvd = /^(\d+) ∣ (\w+)$/.exec(prop);
  if (dvd) {
    return { kind: "state", state: { ...s, binders: [...s.binders, `${a} : ℤ`], names: [...s.names, a], hyps: [...before, ...after, `${b} : ${dvd[2]} = ${dvd[1]} * ${a}`], next_hyp: next(b, s.next_hyp) } };
  }
  return error(`rcases: the pattern ⟨${a}, ${b}⟩ does not fit ${hyp} : ${prop}`);
}

/** `A ≥ B` → `A < B` … as linarith shows the negated goal; anything else as ¬(…). */
function negated(target: string): string {
  const ops: [string, string][] = [[" ≥ ", " < "], [" ≤ ", " > "], [" > ", " ≤ "], [" < ", " ≥ "], [" = ", " < "]];
  let best: [number, string, string] | null = null;
  for (const [op, neg] of ops) {
    const i = target.indexOf(op);
    if (i >= 0 && (best === null || i < best[0])) best = [i, op, neg];
  }
  if (best === null || target.includes(" ∧ ") || target.includes(" → ")) return `¬(${target})`;
  const [i, op, neg] = best;
  return `${target.slice(0, i)}${neg}${target.slice(i + op.length)}`;
}

/** The message a closing tactic fails with on the state's main goal. */
export function closerFailure(tactic: string, s: GoalState): string {
  const combined = tactic.lastIndexOf("<;>");
  const t = combined >= 0 ? tactic.slice(combined + 3).trim() : tactic.trim();
  const main = s.targets[0] ?? "";
  const context = [...s.binders, ...s.hyps].join("\n");
  const state = renderGoalState(s);
  switch (tacticHead(t)) {
    case "linarith":
    case "nlinarith":
    case "polyrith":
    case "linear_combination":
      return `linarith failed to find a contradiction\ncase a\n${context}\na✝ : ${negated(main)}\n⊢ False failed`;
    case "positivity":
      return /^0 [<≤] /.test(main) ? `failed to prove positivity: the goal is not of the form 0 < e\n${state}` : "not a positivity goal";
    case "omega":
      return "omega could not prove the goal:\nNo usable constraints found for the hypotheses and goal.";
    case "decide":
    case "native_decide":
      return `failed to synthesize\n  Decidable (${main})\nAdditional diagnostic information may be available using the \`set_option diagnostics true\` command.`;
    case "rfl":
      return `The rfl tactic failed. Possible reasons:\n- The goal is not a reflexive relation (neither \`=\` nor a relation with a @[refl] lemma).\n- The arguments of the relation are not equal.\n${state}`;
    case "exact": {
      const inner = /\bby\s+(.+)$/.exec(t);
      if (inner) return closerFailure(inner[1]!, s);
      return `type mismatch\n  ${t.replace(/^exact\s+/, "")}\nhas type\n  ?m.${Array.from(t).length} : Prop\nbut is expected to have type\n  ${main} : Prop`;
    }
    case "aesop":
      return "aesop: failed to prove the goal after exhaustive search.";
    case "tauto":
      return "tauto failed to solve some goals.";
    case "assumption":
    case "trivial":
      return `tactic 'assumption' failed\n${state}`;
    default:
      return `unsolved goals\n${state}`;
  }
}

/** The message a goal-changing tactic fails with. */
function rewriteFailure(t: string, s: GoalState): string {
  const state = renderGoalState(s);
  const head = tacticHead(t);
  if (head === "rw" || head === "rewrite" || head === "nth_rw" || head === "rwa") {
    const lemma = /\[\s*(?:←\s*)?([^\s,\]]+)/.exec(t)?.[1] ?? "?a";
    return `tactic 'rewrite' failed, did not find instance of the pattern in the target expression\n  ${lemma}\n${state}`;
  }
  if (head.startsWith("simp") || head === "field_simp" || head === "norm_num") return "simp made no progress";
  if (head === "ring_nf") return "ring_nf failed";
  if (head === "apply") return `apply failed to unify\n  ${t.replace(/^apply\s+/, "")}\nwith\n  ${s.targets[0] ?? ""}`;
  if (head === "subst") return `tactic 'subst' failed, did not find equation for eliminating '${t.split(/\s+/)[1] ?? ""}'\n${state}`;
  return `unsolved goals\n${state}`;
}
