/** Synthetic theorems with traced proofs: the THEOREMS and TACTIC_PAIRS tables of the demo. */
import type { Source } from "../artifacts/schemas.js";
import { renderGoalState, type GoalState } from "./goal-state.js";
import { PROBLEM_FAMILIES, FAMILY_IDS, type FamilyId } from "./problem-family.js";
import { Prng } from "../numeric/prng.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { TACTIC_PAIRS, THEOREMS } from "../artifacts/schemas.js";

type TheoremColumns = ColumnArraysOf<typeof THEOREMS>;
type TacticPairColumns = ColumnArraysOf<typeof TACTIC_PAIRS>;
import { nextTacticStep } from "./tactic-step.js";

/** A generated theorem as the later demo stages need it. */
export interface DemoProblem {
  readonly name: string;
  readonly source: Source;
  readonly family: FamilyId;
  /** Goal state at the start of the proof (the root of every search tree of this theorem). */
  readonly initial: GoalState;
  /** renderGoalState(initial): the goal_pp of its search trajectories. */
  readonly root_text: string;
  /** Tactics in the traced proof; max tactic depth is proof_length - 1. */
  readonly proof_length: number;
}

export interface DemoTheorems {
  readonly theorems: TheoremColumns;
  readonly tactic_pairs: TacticPairColumns;
  readonly problems: readonly DemoProblem[];
}

export const WORKBOOK_FRACTION = 0.6;
/** Proof length 1..9 weights: half the theorems have max depth ≥ 3 (length ≥ 4). */
const PROOF_LENGTH_WEIGHTS = [0.14, 0.18, 0.18, 0.15, 0.12, 0.09, 0.06, 0.045, 0.035];
const FAMILY_WEIGHTS: Readonly<Record<"workbook" | "numinamath", readonly number[]>> = {
  // order of FAMILY_IDS: real_ineq, real_eq, nat_mod, int_dvd, func_eq
  workbook: [0.5, 0.2, 0.1, 0.1, 0.1],
  numinamath: [0.25, 0.2, 0.25, 0.15, 0.15],
};
const SOURCE_INFO = {
  workbook: { dataset: "Goedel-LM/Lean-workbook-proofs", lean_version: "v4.9.0-rc1" },
  numinamath: { dataset: "AI-MO/NuminaMath-LEAN", lean_version: "v4.15.0" },
} as const;
const HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\nopen BigOperators Real Nat Topology Rat";

/**
 * @param min_deep at least this many theorems get a proof of ≥ 4 tactics (max depth ≥ 3), so the
 *   contrastive pool can be filled even for small n_theorems
 */
export function generateDemoTheorems(seed: number, n_theorems: number, min_deep: number): DemoTheorems {
  const rng = Prng.stream(seed, "theorems");
  const nWorkbook = Math.round(n_theorems * WORKBOOK_FRACTION);
  const sources = rng.shuffled(Array.from({ length: n_theorems }, (_, i): "workbook" | "numinamath" => (i < nWorkbook ? "workbook" : "numinamath")));
  const lengths = sources.map(() => 1 + rng.weighted(PROOF_LENGTH_WEIGHTS));
  const shallow = rng.shuffled(lengths.map((k, i) => (k < 4 ? i : -1)).filter((i) => i >= 0));
  for (let deep = lengths.length - shallow.length, j = 0; deep < min_deep; deep++, j++) lengths[shallow[j]!] = rng.int(4, 6);

  const names = new Set<string>();
  const roots = new Set<string>();
  const problems: DemoProblem[] = [];
  const th = { name: [] as string[], source: [] as Source[], dataset: [] as string[], header: [] as string[], statement: [] as string[], proof: [] as (string | null)[], lean_version: [] as (string | null)[], split: [] as TheoremColumns["split"][number][] };
  const tp = { theorem_name: [] as string[], source: [] as Source[], state_pp: [] as string[], tactic: [] as string[], depth: [] as number[], num_goals: [] as number[] };

  sources.forEach((source, i) => {
    let name = "";
    do name = source === "workbook" ? `lean_workbook_${rng.int(1, 29999)}` : `numina_${rng.hex(8)}`;
    while (names.has(name));
    names.add(name);
    const family = FAMILY_IDS[rng.weighted(FAMILY_WEIGHTS[source])]!;
    let initial = PROBLEM_FAMILIES[family].initial(rng);
    for (let tries = 0; roots.has(renderGoalState(initial)); tries++) {
      if (tries > 100) throw new Error(`generateDemoTheorems: cannot draw a fresh ${family} statement for ${name}`);
      initial = PROBLEM_FAMILIES[family].initial(rng);
    }
    const root_text = renderGoalState(initial);
    roots.add(root_text);
    const proof_length = lengths[i]!;
    const tactics: string[] = [];
    let state: GoalState | null = initial;
    for (let depth = 0; depth < proof_length; depth++) {
      if (state === null) throw new Error(`generateDemoTheorems: proof of ${name} closed before tactic ${depth}`);
      const step = nextTacticStep(rng, PROBLEM_FAMILIES[family], state, proof_length - depth - 1);
      tp.theorem_name.push(name);
      tp.source.push(source);
      tp.state_pp.push(renderGoalState(state));
      tp.tactic.push(step.tactic);
      tp.depth.push(depth);
      tp.num_goals.push(state.targets.length);
      tactics.push(step.tactic);
      state = step.state;
    }
    th.name.push(name);
    th.source.push(source);
    th.dataset.push(SOURCE_INFO[source].dataset);
    th.header.push(HEADER);
    th.statement.push(statementText(name, initial));
    th.proof.push(tactics.map((t) => `  ${t}`).join("\n"));
    th.lean_version.push(SOURCE_INFO[source].lean_version);
    th.split.push(null);
    problems.push({ name, source, family, initial, root_text, proof_length });
  });
  return { theorems: th, tactic_pairs: tp, problems };
}

/** `theorem name (x y : ℝ) (h₀ : 0 < x) :\n    target :=` */
function statementText(name: string, s: GoalState): string {
  const binders = [...s.binders, ...s.hyps].map((b) => `(${b})`).join(" ");
  return `theorem ${name} ${binders} :\n    ${s.targets.join(" ∧ ")} :=`;
}
