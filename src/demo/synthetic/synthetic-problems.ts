/**
 * The theorems a synthetic world knows, each with its one proof: the tactic sequence and the
 * goal text before each tactic (states[i] is the state tactics[i] is applied to; the last tactic
 * closes the last goal). Two sources, both built on the demo's own generators:
 *
 * - syntheticProblemsFromDemo: the demo's THEOREMS / TACTIC_PAIRS tables (generateDemoTheorems),
 *   so a searched theorem is the same row the SFT data and the reports talk about;
 * - generateSyntheticProblems: fresh theorems with chosen proof lengths and families, drawn the
 *   way demo-theorems.ts draws its traced proofs (family.initial, then nextTacticStep with the
 *   number of tactics left), for tests that need e.g. a known 2-tactic theorem.
 *
 * Pure: no I/O, no clock, no Math.random.
 */
import { renderGoalState, type GoalState } from "../goal-state.js";
import { FAMILY_IDS, PROBLEM_FAMILIES, type FamilyId } from "../problem-family.js";
import { nextTacticStep } from "../tactic-step.js";
import type { DemoTheorems } from "../demo-theorems.js";
import { Prng } from "../../numeric/prng.js";

export interface SyntheticProblem {
  readonly name: string;
  readonly family: FamilyId;
  /** Imports / opens the theorem is elaborated under (a REPL header: one env per worker). */
  readonly header: string;
  /** `theorem name (binders) :\n    target :=` (THEOREMS.statement: ends in `:=`). */
  readonly statement: string;
  /** The proof, one tactic per step. */
  readonly tactics: readonly string[];
  /** Rendered goal state before each tactic; states[0] is the root goal. Same length as tactics. */
  readonly states: readonly string[];
}

/** The demo's header (src/demo/demo-theorems.ts). */
export const SYNTHETIC_HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\nopen BigOperators Real Nat Topology Rat";

/** `theorem name (x y : ℝ) (h₀ : 0 < x) :\n    target :=`, the format of demo-theorems.ts's statements. */
export function syntheticStatement(name: string, initial: GoalState): string {
  const binders = [...initial.binders, ...initial.hyps].map((b) => `(${b})`).join(" ");
  return `theorem ${name} ${binders} :\n    ${initial.targets.join(" ∧ ")} :=`;
}

/** The whole proof as THEOREMS.proof holds it (two-space indented lines after `by`). */
export function syntheticProofText(tactics: readonly string[]): string {
  return tactics.map((t) => `  ${t.replace(/\n/g, "\n  ")}`).join("\n");
}

/** The problems of the demo's theorem tables, in table order. Throws naming a theorem whose rows do not form a proof. */
export function syntheticProblemsFromDemo(demo: DemoTheorems): SyntheticProblem[] {
  const rows = new Map<string, { state: string; tactic: string; depth: number }[]>();
  const tp = demo.tactic_pairs;
  tp.theorem_name.forEach((name, i) => {
    const list = rows.get(name) ?? [];
    list.push({ state: tp.state_pp[i]!, tactic: tp.tactic[i]!, depth: tp.depth[i]! });
    rows.set(name, list);
  });
  return demo.problems.map((q) => {
    const i = demo.theorems.name.indexOf(q.name);
    const steps = (rows.get(q.name) ?? []).sort((a, b) => a.depth - b.depth);
    const where = `syntheticProblemsFromDemo: theorem ${q.name}`;
    if (i < 0) throw new Error(`${where} is not in the THEOREMS table`);
    if (steps.length !== q.proof_length || steps.some((s, d) => s.depth !== d)) throw new Error(`${where}: ${steps.length} tactic pairs with depths ${steps.map((s) => s.depth).join(",")}, expected 0..${q.proof_length - 1}`);
    if (steps[0]!.state !== q.root_text) throw new Error(`${where}: the depth-0 state is not the root goal ${JSON.stringify(q.root_text.slice(0, 200))}`);
    return Object.freeze({
      name: q.name,
      family: q.family,
      header: demo.theorems.header[i]!,
      statement: demo.theorems.statement[i]!,
      tactics: Object.freeze(steps.map((s) => s.tactic)),
      states: Object.freeze(steps.map((s) => s.state)),
    });
  });
}

export interface SyntheticProblemOptions {
  readonly seed: number;
  readonly n_theorems: number;
  /** Proof lengths are drawn uniformly from [min_length, max_length] (default 1..6). */
  readonly min_length?: number;
  readonly max_length?: number;
  /** Families drawn uniformly from this list (default: all). */
  readonly families?: readonly FamilyId[];
  /** Name prefix (default "synthetic"): names are `${prefix}_${family}_${i}`. */
  readonly name_prefix?: string;
}

const MAX_DRAWS = 200;

/**
 * Fresh problems. Every root text and every on-path state text is unique across the set (a
 * proof is redrawn when it would revisit a text), so a text names at most one proof position.
 */
export function generateSyntheticProblems(o: SyntheticProblemOptions): SyntheticProblem[] {
  const min = o.min_length ?? 1;
  const max = o.max_length ?? 6;
  const families = o.families ?? FAMILY_IDS;
  if (!Number.isInteger(o.n_theorems) || o.n_theorems < 1) throw new Error(`generateSyntheticProblems: n_theorems must be a positive integer, got ${o.n_theorems}`);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) throw new Error(`generateSyntheticProblems: need integers 1 ≤ min_length ≤ max_length, got ${min}..${max}`);
  if (families.length === 0 || families.some((f) => !FAMILY_IDS.includes(f))) throw new Error(`generateSyntheticProblems: families must be a non-empty subset of ${FAMILY_IDS.join(", ")}, got ${JSON.stringify(families)}`);
  const used = new Set<string>();
  const out: SyntheticProblem[] = [];
  for (let i = 0; i < o.n_theorems; i++) {
    // one stream per theorem: theorem i does not change when n_theorems does
    const rng = Prng.stream(o.seed, `synthetic-problems/${i}`);
    const family = rng.pick(families);
    const name = `${o.name_prefix ?? "synthetic"}_${family}_${i}`;
    const length = rng.int(min, max);
    out.push(drawProblem(rng, name, family, length, used));
  }
  return out;
}

function drawProblem(rng: Prng, name: string, family: FamilyId, length: number, used: Set<string>): SyntheticProblem {
  const f = PROBLEM_FAMILIES[family];
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const initial = f.initial(rng);
    const states: string[] = [];
    const tactics: string[] = [];
    let state: GoalState | null = initial;
    for (let d = 0; d < length && state !== null; d++) {
      const text = renderGoalState(state);
      if (used.has(text) || states.includes(text)) break;
      const step = nextTacticStep(rng, f, state, length - d - 1);
      states.push(text);
      tactics.push(step.tactic);
      state = step.state;
    }
    if (tactics.length !== length || state !== null) continue;
    for (const s of states) used.add(s);
    return Object.freeze({ name, family, header: SYNTHETIC_HEADER, statement: syntheticStatement(name, initial), tactics: Object.freeze(tactics), states: Object.freeze(states) });
  }
  throw new Error(`generateSyntheticProblems: no fresh ${length}-tactic ${family} proof for ${name} after ${MAX_DRAWS} draws`);
}
