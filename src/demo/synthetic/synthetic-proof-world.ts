/**
 * A synthetic Lean for the demo: a fixed set of theorems, each with one proof, and a tactic
 * semantics over goal *texts* so the project's real REPL pool, policy client and best-first search
 * can search it for real. Pure and deterministic: step(text, tactic) depends only on the world's
 * spec and its two arguments (no memory of earlier calls), so the REPL process and the policy
 * server, each holding its own copy of the world, agree on every state.
 *
 * - On the proof path (a text that is states[i] of some proof), the proof's tactic i (up to
 *   whitespace) gives states[i + 1], and the last tactic leaves no goals. A text can be several
 *   proof positions: the demo's proofs sometimes leave a state unchanged (a rewrite that draws the
 *   same target), so states[i] = states[i + 1]; then both tactics i and i + 1 work there, as they
 *   would in Lean, and the state's distance is the shortest one.
 * - Any other tactic is decided by a hash of (seed, text, tactic): a Lean-like error, or a new
 *   *off-path* state drawn with the family's generators (off-path.ts). Off-path states are never
 *   on a proof path (a draw that lands on one is redrawn) and no tactic closes their last goal,
 *   so the only way to prove a theorem is its proof.
 */
import { findBannedWord } from "../../lean/proof-check.js";
import { hypLineName } from "../goal-state.js";
import { FAMILY_IDS, PROBLEM_FAMILIES, type FamilyId } from "../problem-family.js";
import { hash32, Prng } from "../../numeric/prng.js";
import { normalizeTacticWhitespace } from "../../search/filter-candidates.js";
import type { VerifyResult } from "../../search/proof-env.js";
import { offPathStep } from "./off-path-step.js";
import { inferFamily, parseGoalState } from "./parse-goal-state.js";
import type { SyntheticProblem } from "./synthetic-problems.js";
import { referencedHyps, tacticSyntaxError } from "./tactic-class.js";

export interface SyntheticWorldSpec {
  /** Seed of every off-path draw (unsigned 32-bit integer). */
  readonly seed: number;
  /** Probability that a `have` or goal-rewriting tactic off the proof fails (closers always fail there). */
  readonly p_tactic_error: number;
  readonly problems: readonly SyntheticProblem[];
}

export const DEFAULT_P_TACTIC_ERROR = 0.5;

/**
 * What one tactic did:
 * - state: open goals remain (goals: one block per goal, main first; goals_text joins them with a
 *   blank line, as renderGoalState and the search's goals_pp do); distance: tactics left on the
 *   proof path, null off it;
 * - no_goals: the proof's last tactic closed the last goal;
 * - error: phase "parse" (the REPL answers `Lean error:\n<input>:…`) or "elab" (an error message).
 */
export type WorldStep =
  | { readonly kind: "state"; readonly goals_text: string; readonly goals: readonly string[]; readonly distance: number | null }
  | { readonly kind: "no_goals" }
  | { readonly kind: "error"; readonly phase: "parse" | "elab"; readonly message: string };

/** A tactic exactly `sorry` / `admit` in a replayed proof: the main goal is admitted. */
export type ReplayResult = WorldStep | { readonly kind: "admitted"; readonly goals_text: string | null };

export interface ReplayStep {
  readonly tactic: string;
  /** Goal text before the tactic. */
  readonly before: string;
  readonly result: ReplayResult;
}

/**
 * - proved: the last tactic left no goals (sorry-free only if no step was "admitted");
 * - failed: a tactic failed (the last step), or a tactic came after the goals were closed;
 * - unsolved: the tactics ran out with goals left (`remaining`).
 */
export interface Replay {
  readonly status: "proved" | "failed" | "unsolved";
  readonly steps: readonly ReplayStep[];
  /** failed: the message; unsolved: the open goals' text. */
  readonly detail: string;
  /** failed after the goals were closed: the index of the extra tactic. */
  readonly extra_tactic: number | null;
}

export interface ProofPosition {
  readonly theorem: string;
  /** Tactics of the proof already applied (0 at the root). */
  readonly index: number;
  /** Tactics left (≥ 1). */
  readonly distance: number;
}

interface OnPath {
  readonly problem: SyntheticProblem;
  readonly index: number;
  readonly distance: number;
}

const SEED_RANGE = 0xffffffff;
/** Draws of an off-path child before giving up (each lands on the proof path with tiny probability). */
const OFF_PATH_DRAWS = 8;

export class SyntheticProofWorld {
  readonly spec: SyntheticWorldSpec;
  readonly #byName = new Map<string, SyntheticProblem>();
  /** Proof positions of each on-path text, nearest the end of its proof first. */
  readonly #onPath = new Map<string, OnPath[]>();

  constructor(spec: SyntheticWorldSpec) {
    this.spec = normalizeWorldSpec(spec);
    for (const p of this.spec.problems) {
      this.#byName.set(p.name, p);
      p.states.forEach((text, index) => {
        const list = this.#onPath.get(text) ?? [];
        list.push({ problem: p, index, distance: p.tactics.length - index });
        this.#onPath.set(text, list.sort((a, b) => a.distance - b.distance));
      });
    }
  }

  get problems(): readonly SyntheticProblem[] {
    return this.spec.problems;
  }

  findProblem(name: string): SyntheticProblem | null {
    return this.#byName.get(name) ?? null;
  }

  problem(name: string): SyntheticProblem {
    const p = this.#byName.get(name);
    if (!p) throw new Error(`SyntheticProofWorld: no theorem named ${JSON.stringify(name)} (the world has ${this.#byName.size}, e.g. ${[...this.#byName.keys()].slice(0, 3).join(", ")})`);
    return p;
  }

  rootText(name: string): string {
    return this.problem(name).states[0]!;
  }

  /** Where a text sits on proofs (nearest the end first); [] off every proof. */
  proofPositions(text: string): ProofPosition[] {
    return (this.#onPath.get(text) ?? []).map((at) => ({ theorem: at.problem.name, index: at.index, distance: at.distance }));
  }

  /** Fewest tactics left to the end of a proof from this state; null off the proof path. */
  distanceToProof(text: string): number | null {
    return this.#onPath.get(text)?.[0]?.distance ?? null;
  }

  /** The next tactic of the shortest proof from an on-path state, else null. */
  nextProofTactic(text: string): string | null {
    const at = this.#onPath.get(text)?.[0];
    return at ? at.problem.tactics[at.index]! : null;
  }

  /** The family of any state this world renders. Throws GoalStateParseError for other texts. */
  familyOf(text: string): FamilyId {
    return this.#onPath.get(text)?.[0]?.problem.family ?? inferFamily(parseGoalState(text), text);
  }

  /** One tactic on one state. Throws (naming the text) only for a text that is not a goal state of this world's form. */
  step(text: string, tactic: string): WorldStep {
    const key = normalizeTacticWhitespace(tactic);
    const banned = findBannedWord(tactic);
    if (banned) return elab(`synthetic Lean: '${banned}' proves nothing here (declaration uses \`sorry\`)`);
    const positions = this.#onPath.get(text) ?? [];
    const at = positions.find((p) => key === normalizeTacticWhitespace(p.problem.tactics[p.index]!));
    if (at) {
      const next = at.index + 1;
      if (next === at.problem.tactics.length) return { kind: "no_goals" };
      const goals_text = at.problem.states[next]!;
      return { kind: "state", goals_text, goals: goals_text.split("\n\n"), distance: this.distanceToProof(goals_text) };
    }
    const syntax = tacticSyntaxError(tactic);
    if (syntax) return { kind: "error", phase: "parse", message: `<input>:${syntax}` };
    const state = parseGoalState(text);
    const known = new Set(state.hyps.map(hypLineName));
    const unknown = referencedHyps(tactic).find((h) => !known.has(h));
    if (unknown) return elab(`Unknown identifier \`${unknown}\``);
    const family = PROBLEM_FAMILIES[positions[0]?.problem.family ?? inferFamily(state, text)];
    for (let draw = 0; draw < OFF_PATH_DRAWS; draw++) {
      const rng = new Prng(hash32(`${this.spec.seed}/step/${draw}/${text}\u0000${key}`));
      // the normalised text, so whitespace variants of a tactic act alike (as in Lean)
      const out = offPathStep(rng, family, state, key, this.spec.p_tactic_error);
      if (out.kind === "error") return elab(out.message);
      const child = out.state;
      const blocks = child.targets.map((t) => [...child.binders, ...child.hyps, `⊢ ${t}`].join("\n"));
      const goals_text = blocks.join("\n\n");
      if (this.#onPath.has(goals_text) || !rendersCleanly(goals_text)) continue;
      return { kind: "state", goals_text, goals: blocks, distance: null };
    }
    return elab(`unsolved goals\n${text}`);
  }

  /**
   * Replays tactics from the theorem's root, stopping at the first failure. A tactic that is
   * exactly `sorry` or `admit` admits the main goal (as Lean does, with a warning the REPL adds).
   */
  replay(theorem: string, tactics: readonly string[]): Replay {
    let text: string | null = this.rootText(theorem);
    const steps: ReplayStep[] = [];
    for (let i = 0; i < tactics.length; i++) {
      const tactic = tactics[i]!;
      if (text === null) return { status: "failed", steps, detail: "no goals to be proved", extra_tactic: i };
      if (/^\s*(sorry|admit)\s*$/.test(tactic)) {
        const rest: string = text.split("\n\n").slice(1).join("\n\n");
        steps.push({ tactic, before: text, result: { kind: "admitted", goals_text: rest === "" ? null : rest } });
        text = rest === "" ? null : rest;
        continue;
      }
      const result = this.step(text, tactic);
      steps.push({ tactic, before: text, result });
      if (result.kind === "error") return { status: "failed", steps, detail: result.message, extra_tactic: null };
      text = result.kind === "no_goals" ? null : result.goals_text;
    }
    return text === null ? { status: "proved", steps, detail: "", extra_tactic: null } : { status: "unsolved", steps, detail: text, extra_tactic: null };
  }

  /**
   * Whether the tactics prove the theorem: replayed from the root they leave no goal, and none
   * contains sorry / admit / cheat. Off-path states never lead to a proof, so only tactic
   * sequences through proof positions pass: the theorem's proof (up to whitespace), or a
   * shortcut of it past a state it revisits.
   */
  verify(theorem: string, tactics: readonly string[]): VerifyResult {
    if (!this.#byName.has(theorem)) return { ok: false, reason: `unknown theorem ${JSON.stringify(theorem)}` };
    if (tactics.length === 0) return { ok: false, reason: "no tactics" };
    const i = tactics.findIndex((t) => findBannedWord(t) !== null);
    if (i >= 0) return { ok: false, reason: `'${findBannedWord(tactics[i]!)}' in tactic ${i + 1} (${JSON.stringify(tactics[i]!.slice(0, 80))})` };
    const r = this.replay(theorem, tactics);
    if (r.status === "proved") return { ok: true };
    if (r.status === "unsolved") return { ok: false, reason: `unsolved goals after ${tactics.length} tactics:\n${r.detail.slice(0, 200)}` };
    const at = r.extra_tactic ?? r.steps.length - 1;
    return { ok: false, reason: `tactic ${at + 1} (${JSON.stringify(tactics[at]!.slice(0, 80))}): ${r.detail.slice(0, 200)}` };
  }
}

function elab(message: string): WorldStep {
  return { kind: "error", phase: "elab", message };
}

function rendersCleanly(text: string): boolean {
  try {
    parseGoalState(text);
    return true;
  } catch {
    return false;
  }
}

/** Validates a spec (from code or a world file); unknown keys and bad values are errors naming them. */
export function normalizeWorldSpec(raw: unknown): SyntheticWorldSpec {
  const where = "synthetic world spec";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected an object, got ${JSON.stringify(raw)?.slice(0, 100)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["seed", "p_tactic_error", "problems"].includes(k)) throw new Error(`${where}: unknown key '${k}' (allowed: seed, p_tactic_error, problems)`);
  const seed = o["seed"];
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > SEED_RANGE) throw new Error(`${where}: 'seed' must be an integer in [0, ${SEED_RANGE}], got ${JSON.stringify(seed)}`);
  const p = o["p_tactic_error"] ?? DEFAULT_P_TACTIC_ERROR;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`${where}: 'p_tactic_error' must be a number in [0, 1], got ${JSON.stringify(p)}`);
  if (!Array.isArray(o["problems"]) || o["problems"].length === 0) throw new Error(`${where}: 'problems' must be a non-empty list`);
  const names = new Set<string>();
  const problems = (o["problems"] as unknown[]).map((q, i) => {
    const pr = normalizeProblem(q, `${where}: problems[${i}]`);
    if (names.has(pr.name)) throw new Error(`${where}: theorem name ${JSON.stringify(pr.name)} appears twice`);
    names.add(pr.name);
    return pr;
  });
  return Object.freeze({ seed, p_tactic_error: p, problems: Object.freeze(problems) });
}

function normalizeProblem(raw: unknown, where: string): SyntheticProblem {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected an object`);
  const q = raw as Record<string, unknown>;
  const keys = ["name", "family", "header", "statement", "tactics", "states"];
  for (const k of Object.keys(q)) if (!keys.includes(k)) throw new Error(`${where}: unknown key '${k}' (allowed: ${keys.join(", ")})`);
  for (const k of ["name", "header", "statement"]) if (typeof q[k] !== "string" || (k !== "header" && q[k] === "")) throw new Error(`${where}: '${k}' must be a string, got ${JSON.stringify(q[k])?.slice(0, 100)}`);
  const name = q["name"] as string;
  if (!FAMILY_IDS.includes(q["family"] as FamilyId)) throw new Error(`${where} (${name}): 'family' must be one of ${FAMILY_IDS.join(", ")}, got ${JSON.stringify(q["family"])}`);
  const strings = (k: string): string[] => {
    const v = q[k];
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === "string" && s.trim() !== "")) throw new Error(`${where} (${name}): '${k}' must be a non-empty list of non-empty strings`);
    return v as string[];
  };
  const tactics = strings("tactics");
  const states = strings("states");
  if (tactics.length !== states.length) throw new Error(`${where} (${name}): ${tactics.length} tactics but ${states.length} states (states[i] is the goal before tactics[i])`);
  states.forEach((s, i) => {
    try {
      parseGoalState(s);
    } catch (e) {
      throw new Error(`${where} (${name}): states[${i}]: ${(e as Error).message}`);
    }
  });
  return Object.freeze({ name, family: q["family"] as FamilyId, header: q["header"] as string, statement: q["statement"] as string, tactics: Object.freeze([...tactics]), states: Object.freeze([...states]) });
}
