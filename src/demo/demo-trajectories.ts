/**
 * Search trajectories of one demo iteration: a best-first-search-like tree per searched theorem,
 * with texts, labels and search statistics (TRAJECTORIES rows), plus per-row facts the embedding
 * planter needs. Planted here: the proved set (exact count), one positive path per proved tree,
 * and an exact number of dual-label state texts (a positive state's text repeated by a later
 * negative node of the same tree). All other non-empty texts are unique within the iteration.
 */
import type { Label } from "../artifacts/schemas.js";
import type { DemoProblem } from "./demo-theorems.js";
import { renderGoalState, type GoalState } from "./goal-state.js";
import { MAX_SEARCH_DEPTH, type IterationSpec } from "./iteration-spec.js";
import { PROBLEM_FAMILIES } from "./problem-family.js";
import { Prng } from "../numeric/prng.js";
import { growSearchTree, type SearchTreeShape } from "./search-tree-shape.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { TRAJECTORIES } from "../artifacts/schemas.js";

type TrajectoryColumns = ColumnArraysOf<typeof TRAJECTORIES>;
import { nextTacticStep } from "./tactic-step.js";

/** Per-row facts (row i ↔ trajectory row i) that the embedding planter uses. */
export interface TrajectoryRowMeta {
  /** Index of the row's theorem among the searched theorems (= its goal-embedding row). */
  readonly goal_row: Int32Array;
  /** Global row of the parent node; -1 at roots. */
  readonly parent_row: Int32Array;
  /** +1 positive, -1 negative. */
  readonly sign: Int8Array;
  readonly depth: Int32Array;
  /** 1 for proof-complete nodes (empty text). */
  readonly terminal: Uint8Array;
  /** Earlier row whose text this row repeats (planted dual label); -1 if none. */
  readonly dual_source_row: Int32Array;
  /** Root row of each searched theorem. */
  readonly root_row: Int32Array;
}

export interface IterationTrajectories {
  readonly trajectories: TrajectoryColumns;
  readonly meta: TrajectoryRowMeta;
  readonly n_proved: number;
  /** Planted: distinct non-empty texts labelled both positive and negative. */
  readonly dual_label_states: number;
  /** Distinct non-empty state texts in the iteration. */
  readonly distinct_state_texts: number;
}

/** Found-proof lengths 3..8. */
const PROOF_LENGTH_WEIGHTS = [0.22, 0.24, 0.2, 0.14, 0.11, 0.09];
/** Frontier weight exp(−0.3 · depth): summed log-probs favour shallow nodes; trees still reach depth 6–8 and ~half the nodes sit at depth ≥ 4. */
const DEPTH_BIAS = -0.3;
const MAX_TEXT_TRIES = 2000;

export function generateIterationTrajectories(seed: number, spec: IterationSpec, problems: readonly DemoProblem[]): IterationTrajectories {
  const rng = Prng.stream(seed, `trajectories/${spec.run_id}`);
  const n = problems.length;
  const { shapes, proved } = growTrees(rng, spec, n);
  const nProved = proved.length;
  const duals = planDualLabels(rng, shapes, proved, Math.round(spec.dual_per_proved * nProved));

  const cols = emptyColumns();
  const meta = { goal_row: [] as number[], parent_row: [] as number[], sign: [] as number[], depth: [] as number[], terminal: [] as number[], dual_source_row: [] as number[], root_row: [] as number[] };
  // roots first, so no search state elsewhere can take a theorem's root text
  const used = new Set(problems.map((q) => q.root_text));
  if (used.size !== n) throw new Error(`generateIterationTrajectories: ${n - used.size} searched theorems share a root goal text`);
  let dualCount = 0;
  problems.forEach((problem, g) => {
    const shape = shapes[g]!;
    const dualOf = duals[g]!;
    const texts = treeTexts(rng, problem, shape, dualOf, used);
    const base = cols.state_id.length;
    meta.root_row.push(base);
    for (let id = 0; id < shape.parent.length; id++) {
      const pathIndex = shape.path_index[id]!;
      const terminal = shape.proof_length !== null && pathIndex === shape.proof_length;
      const label: Label = pathIndex >= 0 ? "positive" : "negative";
      const src = dualOf.get(id);
      pushRow(rng, cols, spec, { problem, shape, id, text: texts.text[id]!, tactic: texts.tactic[id]!, label, terminal });
      meta.goal_row.push(g);
      meta.parent_row.push(id === 0 ? -1 : base + shape.parent[id]!);
      meta.sign.push(label === "positive" ? 1 : -1);
      meta.depth.push(shape.depth[id]!);
      meta.terminal.push(terminal ? 1 : 0);
      meta.dual_source_row.push(src === undefined ? -1 : base + src);
    }
    dualCount += dualOf.size;
  });
  return {
    trajectories: cols,
    meta: {
      goal_row: Int32Array.from(meta.goal_row),
      parent_row: Int32Array.from(meta.parent_row),
      sign: Int8Array.from(meta.sign),
      depth: Int32Array.from(meta.depth),
      terminal: Uint8Array.from(meta.terminal),
      dual_source_row: Int32Array.from(meta.dual_source_row),
      root_row: Int32Array.from(meta.root_row),
    },
    n_proved: nProved,
    dual_label_states: dualCount,
    distinct_state_texts: used.size,
  };
}

/** Tree shapes of the n searched theorems; exactly round(proved_fraction · n) of them (sorted indices) are proved. */
function growTrees(rng: Prng, spec: IterationSpec, n: number): { shapes: SearchTreeShape[]; proved: number[] } {
  const nProved = Math.round(spec.proved_fraction * n);
  const proved = rng.shuffled(Array.from({ length: n }, (_, g) => g)).slice(0, nProved).sort((a, b) => a - b);
  const isProved = new Set(proved);
  const shapes = Array.from({ length: n }, (_, g) =>
    growSearchTree(rng, {
      node_budget: Math.min(320, Math.max(30, Math.round(Math.exp(Math.log(105) + 0.4 * rng.normal())))),
      proof_length: isProved.has(g) ? 3 + rng.weighted(PROOF_LENGTH_WEIGHTS) : null,
      max_depth: MAX_SEARCH_DEPTH,
      depth_bias: DEPTH_BIAS,
    }),
  );
  return { shapes, proved };
}

/**
 * Chooses `total` (positive source, later negative copy) node pairs across proved trees: the
 * source is an interior node of the proof path, the copy a negative node created after it and not
 * its sibling (siblings must stay > 1.5 apart in embedding space). Returns per tree: copy → source.
 */
function planDualLabels(rng: Prng, shapes: readonly SearchTreeShape[], proved: readonly number[], total: number): Map<number, number>[] {
  const out = shapes.map(() => new Map<number, number>());
  const usedSources = shapes.map(() => new Set<number>());
  let left = total;
  for (let pass = 0; left > 0 && pass < 20 && proved.length > 0; pass++) {
    for (const g of rng.shuffled(proved)) {
      if (left === 0) break;
      const s = shapes[g]!;
      const sources: number[] = [];
      for (let id = 1; id < s.parent.length; id++) {
        const k = s.path_index[id]!;
        if (k >= 1 && k < s.proof_length! && !usedSources[g]!.has(id)) sources.push(id);
      }
      if (sources.length === 0) continue;
      const p = rng.pick(sources);
      const copies: number[] = [];
      for (let id = p + 1; id < s.parent.length; id++) {
        if (s.path_index[id] === -1 && s.parent[id] !== s.parent[p] && !out[g]!.has(id)) copies.push(id);
      }
      if (copies.length === 0) continue;
      out[g]!.set(rng.pick(copies), p);
      usedSources[g]!.add(p);
      left--;
    }
  }
  if (left > 0) throw new Error(`planDualLabels: could place only ${total - left} of ${total} dual-label states`);
  return out;
}

interface TreeTexts {
  readonly text: string[];
  readonly tactic: string[];
}

/**
 * State texts: a child's state is its parent's after one tactic. The proof path is written first
 * (its last steps can be forced, e.g. closing the one remaining goal, so it gets first claim on
 * its texts); the other nodes follow in creation order, re-drawing any text already taken.
 */
function treeTexts(rng: Prng, problem: DemoProblem, shape: SearchTreeShape, dualOf: ReadonlyMap<number, number>, used: Set<string>): TreeTexts {
  const family = PROBLEM_FAMILIES[problem.family];
  const size = shape.parent.length;
  const states = new Array<GoalState | null>(size).fill(null);
  const text = new Array<string>(size).fill("");
  const tactic = new Array<string>(size).fill("");
  states[0] = problem.initial;
  text[0] = problem.root_text;
  const path: number[] = [];
  for (let id = 1; id < size; id++) if (shape.path_index[id]! >= 1) path.push(id);
  path.sort((a, b) => shape.path_index[a]! - shape.path_index[b]!);
  pathTexts(rng, problem, shape, path, states, text, tactic, used);
  for (let id = 1; id < size; id++) {
    if (shape.path_index[id]! >= 1) continue;
    const parentState = states[shape.parent[id]!];
    if (!parentState) throw new Error(`treeTexts: ${problem.name} node ${id} has a terminal parent`);
    const src = dualOf.get(id);
    for (let tries = 0; ; tries++) {
      if (tries >= MAX_TEXT_TRIES) throw new Error(`treeTexts: no fresh state text for ${problem.name} node ${id} after ${tries} tries`);
      const step = nextTacticStep(rng, family, parentState, null);
      if (src !== undefined) {
        // planted dual label: the proof-path state reached again on a branch that failed
        states[id] = states[src]!;
        text[id] = text[src]!;
        tactic[id] = step.tactic;
        break;
      }
      const t = renderGoalState(step.state!);
      if (used.has(t)) continue;
      used.add(t);
      states[id] = step.state;
      text[id] = t;
      tactic[id] = step.tactic;
      break;
    }
  }
  return { text, tactic };
}

/** The found proof, root to terminal; the whole path is re-drawn if a forced step hits a taken text. */
function pathTexts(rng: Prng, problem: DemoProblem, shape: SearchTreeShape, path: readonly number[], states: (GoalState | null)[], text: string[], tactic: string[], used: Set<string>): void {
  const family = PROBLEM_FAMILIES[problem.family];
  for (let attempt = 0; attempt < MAX_TEXT_TRIES; attempt++) {
    const mine = new Set<string>();
    let ok = true;
    for (const id of path) {
      const k = shape.path_index[id]!;
      const step = nextTacticStep(rng, family, states[shape.parent[id]!]!, shape.proof_length! - k);
      const t = step.state === null ? "" : renderGoalState(step.state);
      if (t !== "" && (used.has(t) || mine.has(t))) {
        ok = false;
        break;
      }
      if (t !== "") mine.add(t);
      states[id] = step.state;
      text[id] = t;
      tactic[id] = step.tactic;
    }
    if (ok) {
      for (const t of mine) used.add(t);
      return;
    }
  }
  throw new Error(`treeTexts: no fresh proof path for ${problem.name} after ${MAX_TEXT_TRIES} attempts`);
}

type MutableColumns = { -readonly [K in keyof TrajectoryColumns]: TrajectoryColumns[K] extends readonly (infer T)[] ? T[] : never };

function emptyColumns(): MutableColumns {
  return {
    theorem_name: [], state_id: [], parent_state_id: [], state_pp: [], tactic_applied: [], depth_from_root: [],
    remaining_depth: [], label: [], llm_log_prob: [], ebm_score: [], is_proof_complete: [], q_value: [],
    visits: [], run_id: [], goal_pp: [], llm_time_ms: [], lean_time_ms: [],
  };
}

interface NodeFacts {
  readonly problem: DemoProblem;
  readonly shape: SearchTreeShape;
  readonly id: number;
  readonly text: string;
  readonly tactic: string;
  readonly label: Label;
  readonly terminal: boolean;
}

/** One TRAJECTORIES row; search statistics are plausible draws, better on the proof path. */
function pushRow(rng: Prng, c: MutableColumns, spec: IterationSpec, f: NodeFacts): void {
  const { shape, id } = f;
  const positive = f.label === "positive";
  const depth = shape.depth[id]!;
  const root = id === 0;
  const tokens = Math.ceil(f.tactic.length / 3.5);
  c.theorem_name.push(f.problem.name);
  c.state_id.push(id);
  c.parent_state_id.push(root ? null : shape.parent[id]!);
  c.state_pp.push(f.text);
  c.tactic_applied.push(f.tactic);
  c.depth_from_root.push(depth);
  c.remaining_depth.push(positive ? shape.proof_length! - shape.path_index[id]! : -1);
  c.label.push(f.label);
  // sum of token log-probs; the root's empty tactic has an empty sum
  c.llm_log_prob.push(root ? 0 : -(0.02 + tokens * (positive ? 0.04 + 0.3 * rng.next() : 0.1 + 0.8 * rng.next())));
  // terminal nodes carry no text and are not scored
  c.ebm_score.push(!spec.search_uses_ebm || f.terminal ? null : positive ? -0.8 + 0.12 * depth + 0.7 * rng.normal() : 0.4 + 0.9 * rng.normal());
  c.is_proof_complete.push(f.terminal);
  const progress = positive && shape.proof_length ? shape.path_index[id]! / shape.proof_length : 0;
  c.q_value.push(f.terminal ? 1 : positive ? clamp01(0.5 + 0.4 * progress + 0.05 * rng.normal()) : clamp01(0.05 + 0.5 * rng.next()));
  c.visits.push(shape.expanded[id] ? 1 + (rng.bool(0.25) ? rng.int(1, 3) : 0) : 0);
  c.run_id.push(spec.run_id);
  c.goal_pp.push(f.problem.root_text);
  c.llm_time_ms.push(root ? null : round3(15 + tokens * (2 + 4 * rng.next())));
  c.lean_time_ms.push(root ? null : round3(Math.exp(Math.log(40) + 0.8 * rng.normal())));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
