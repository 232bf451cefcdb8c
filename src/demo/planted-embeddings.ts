/**
 * State and goal embeddings of one demo iteration with known structure planted in them, and the
 * exact planted values the metrics must recover.
 *
 * Row model (row i of theorem T, label sign σ ∈ {+1, −1}, depth d):
 *   x_i = σ · s(d)/2 · u + c_T + ε_i,   ε_i ~ N(0, Σ),  Σ = Σ_k λ_k q_k q_kᵀ,  λ_k = λ_0 r^k
 * Exceptions, each accounted for exactly in the planted values:
 *   - terminal rows (no text): all-zero vector, excluded ('terminal');
 *   - planted dual-label copies: the vector of their source row (same text ⇒ same embedding),
 *     so their mean is the source's mean;
 *   - colliding sibling groups (all-negative): one shared draw plus tiny noise δ ~ N(0, σ_δ² I),
 *     every pair < 0.5 apart; every other sibling pair is re-drawn until it is > 1.5 apart.
 * The goal embedding of T is the embedding of T's root state (the same text, the same encoder).
 */
import { MAX_SEARCH_DEPTH, type IterationSpec } from "./iteration-spec.js";
import type { IterationTrajectories } from "./demo-trajectories.js";
import type { EmbeddingGeometry } from "./embedding-geometry.js";
import { jacobiEigenvalues } from "../numeric/jacobi-eigenvalues.js";
import type { PlantedIterationValues } from "./planted-values.js";
import { Prng } from "../numeric/prng.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { EMBEDDINGS_INDEX, ExcludeReason } from "../artifacts/schemas.js";

type EmbeddingsIndexColumns = ColumnArraysOf<typeof EMBEDDINGS_INDEX>;
import { varianceSpectrum } from "./variance-spectrum.js";
import { DEMO_RECIPES } from "../config/recipes.js";
import { isValTheorem } from "../ebm/contrastive-plan.js";

export interface IterationEmbeddings {
  readonly dim: number;
  /** Row-major (n_rows, dim); row i ↔ trajectory row i; terminal rows are all zero (excluded). */
  readonly state_embeddings: Float32Array;
  /** Row-major (n_search_theorems, dim); row g = the root-state embedding of searched theorem g. */
  readonly goal_embeddings: Float32Array;
  /** (n_rows,) trajectory row → goal row. */
  readonly goal_index: Int32Array;
  readonly embeddings_index: EmbeddingsIndexColumns;
}

export const COLLISION_MAX_L2 = 0.5;
export const NON_COLLISION_MIN_L2 = 1.5;
const MAX_REDRAWS = 500;

/** Scale of the planted label shift per theorem (the scenario knobs of DemoParams, as fractions). */
export interface SignalScale {
  readonly label: number;
  readonly heldout: number;
}

export function plantEmbeddings(
  seed: number,
  spec: IterationSpec,
  geometry: EmbeddingGeometry,
  iteration: IterationTrajectories,
  signal: SignalScale = { label: 1, heldout: 1 },
): { embeddings: IterationEmbeddings; planted: PlantedIterationValues } {
  const rng = Prng.stream(seed, `embeddings/${spec.run_id}`);
  const { dim } = geometry;
  const { meta, trajectories } = iteration;
  const n = meta.goal_row.length;
  const model = rowModel(spec, geometry, iteration, signal);
  const groups = siblingGroups(iteration);
  const colliding = new Set<number>();
  for (const [parent, members] of groups) {
    const eligible = members.every((r) => meta.sign[r] === -1 && meta.dual_source_row[r] === -1);
    if (eligible && rng.bool(spec.collision_group_fraction)) colliding.add(parent);
  }
  const fixed = new Set<number>();
  for (let r = 0; r < n; r++) {
    if (meta.dual_source_row[r]! >= 0) fixed.add(r).add(meta.dual_source_row[r]!);
  }

  const x = new Float32Array(n * dim);
  const groupBase = new Map<number, Float64Array>();
  const sigmaDelta = 0.15 / Math.sqrt(2 * dim); // pairwise δ distance ≈ 0.15
  const draw = (r: number): void => {
    const out = x.subarray(r * dim, (r + 1) * dim);
    if (meta.terminal[r]) {
      out.fill(0);
      return;
    }
    const src = meta.dual_source_row[r]!;
    if (src >= 0) return out.set(x.subarray(src * dim, (src + 1) * dim));
    const parent = meta.parent_row[r]!;
    if (colliding.has(parent)) {
      let base = groupBase.get(parent);
      if (!base) {
        base = model.mean(r);
        model.addNoise(rng, base);
        groupBase.set(parent, base);
      }
      for (let k = 0; k < dim; k++) out[k] = base[k]! + sigmaDelta * rng.normal();
      return;
    }
    const v = model.mean(r);
    model.addNoise(rng, v);
    out.set(v);
  };
  for (let r = 0; r < n; r++) draw(r);
  for (const [parent, members] of groups) separateSiblings(x, dim, members, colliding.has(parent), fixed, draw, trajectories.theorem_name[members[0]!]!);

  const goalCount = meta.root_row.length;
  const goal_embeddings = new Float32Array(goalCount * dim);
  meta.root_row.forEach((root, g) => goal_embeddings.set(x.subarray(root * dim, (root + 1) * dim), g * dim));
  const embeddings: IterationEmbeddings = {
    dim,
    state_embeddings: x,
    goal_embeddings,
    goal_index: Int32Array.from(meta.goal_row),
    embeddings_index: embeddingsIndex(iteration),
  };
  const collisionRows = [...colliding].reduce((s, p) => s + groups.get(p)!.length, 0);
  return { embeddings, planted: plantedValues(spec, geometry, iteration, model, groups, colliding, collisionRows * sigmaDelta * sigmaDelta) };
}

interface RowModel {
  /** Planted mean of row r's vector (its dual source's for a copy). */
  mean(r: number): Float64Array;
  /** v += ε, ε ~ N(0, Σ_noise). */
  addNoise(rng: Prng, v: Float64Array): void;
  readonly lambda: Float64Array;
  shift(depth: number): number;
  /** Key of the mixture component the row's vector is drawn from. */
  component(r: number): string;
}

function rowModel(spec: IterationSpec, geometry: EmbeddingGeometry, iteration: IterationTrajectories, signal: SignalScale): RowModel {
  const { dim, basis, shift_direction: u, goal_offsets } = geometry;
  const { meta } = iteration;
  // the held-out theorems are the demo recipe's (a hash of the name: the same in every iteration)
  const plan = DEMO_RECIPES.contrastive_plan.recipe;
  const scale = (r: number): number => signal.label * (signal.heldout !== 1 && isValTheorem(iteration.trajectories.theorem_name[r]!, plan) ? signal.heldout : 1);
  const lambda = Float64Array.from({ length: dim }, (_, k) => spec.noise_top_eigenvalue * spec.noise_decay ** k);
  const sqrtLambda = lambda.map(Math.sqrt);
  const shift = (depth: number): number => spec.shift_at_root * spec.shift_decay ** depth;
  const source = (r: number): number => (meta.dual_source_row[r]! >= 0 ? meta.dual_source_row[r]! : r);
  return {
    lambda,
    shift,
    mean(r) {
      const s = source(r);
      const a = (meta.sign[s]! * shift(meta.depth[s]!) * scale(s)) / 2;
      const g = meta.goal_row[s]!;
      const v = new Float64Array(dim);
      for (let k = 0; k < dim; k++) v[k] = a * u[k]! + goal_offsets[g * dim + k]!;
      return v;
    },
    addNoise(rng, v) {
      for (let i = 0; i < dim; i++) {
        const z = sqrtLambda[i]! * rng.normal();
        for (let k = 0; k < dim; k++) v[k] = v[k]! + z * basis[i * dim + k]!;
      }
    },
    component(r) {
      const s = source(r);
      return `${meta.goal_row[s]}|${meta.sign[s]}|${meta.depth[s]}`;
    },
  };
}

/** parent row → included (non-terminal) children rows, for parents with ≥ 2 of them. */
function siblingGroups(iteration: IterationTrajectories): Map<number, number[]> {
  const { meta } = iteration;
  const all = new Map<number, number[]>();
  for (let r = 0; r < meta.parent_row.length; r++) {
    const p = meta.parent_row[r]!;
    if (p < 0 || meta.terminal[r]) continue;
    const list = all.get(p);
    if (list) list.push(r);
    else all.set(p, [r]);
  }
  for (const [p, members] of all) if (members.length < 2) all.delete(p);
  return all;
}

function l2(x: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const t = x[a * dim + k]! - x[b * dim + k]!;
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Re-draws members until colliding groups are all < 0.5 apart and other groups all > 1.5 apart. */
function separateSiblings(x: Float32Array, dim: number, members: readonly number[], colliding: boolean, fixed: ReadonlySet<number>, draw: (r: number) => void, theorem: string): void {
  for (let attempt = 0; ; attempt++) {
    let bad: [number, number] | null = null;
    for (let i = 0; i < members.length && !bad; i++) {
      for (let j = i + 1; j < members.length && !bad; j++) {
        const d = l2(x, dim, members[i]!, members[j]!);
        if (colliding ? d >= COLLISION_MAX_L2 : d <= NON_COLLISION_MIN_L2) bad = [members[i]!, members[j]!];
      }
    }
    if (!bad) return;
    const redraw = !fixed.has(bad[1]) ? bad[1] : !fixed.has(bad[0]) ? bad[0] : -1;
    if (redraw < 0 || attempt >= MAX_REDRAWS) {
      throw new Error(`plantEmbeddings: cannot separate siblings rows ${bad[0]} and ${bad[1]} of ${theorem} (colliding group: ${colliding})`);
    }
    draw(redraw);
  }
}

function embeddingsIndex(iteration: IterationTrajectories): EmbeddingsIndexColumns {
  const { trajectories: t, meta } = iteration;
  const n = meta.goal_row.length;
  const reason: (ExcludeReason | null)[] = Array.from({ length: n }, (_, r) => (meta.terminal[r] ? "terminal" : null));
  return {
    row: Array.from({ length: n }, (_, r) => r),
    run_id: t.run_id.slice(),
    theorem_name: t.theorem_name.slice(),
    state_id: t.state_id.slice(),
    goal_row: Array.from(meta.goal_row),
    excluded: reason.map((x) => x !== null),
    exclude_reason: reason,
  };
}

function plantedValues(
  spec: IterationSpec,
  geometry: EmbeddingGeometry,
  iteration: IterationTrajectories,
  model: RowModel,
  groups: ReadonlyMap<number, readonly number[]>,
  colliding: ReadonlySet<number>,
  /** Σ over included rows of the extra per-coordinate variance σ_δ² of colliding members. */
  deltaVarianceSum: number,
): PlantedIterationValues {
  const { meta } = iteration;
  const n = meta.goal_row.length;
  let nPositive = 0;
  let nTerminal = 0;
  let deep = 0;
  for (let r = 0; r < n; r++) {
    if (meta.sign[r] === 1) nPositive++;
    if (meta.terminal[r]) nTerminal++;
    if (meta.depth[r]! >= 4) deep++;
  }
  const moments = populationMoments(geometry, iteration, model, deltaVarianceSum);
  let pairs = 0;
  let collidingPairs = 0;
  for (const [parent, members] of groups) {
    const p = (members.length * (members.length - 1)) / 2;
    pairs += p;
    if (colliding.has(parent)) collidingPairs += p;
  }
  const shiftByDepth: Record<string, number> = {};
  for (let d = 0; d <= MAX_SEARCH_DEPTH; d++) shiftByDepth[String(d)] = model.shift(d);
  return {
    run_id: spec.run_id,
    n_rows: n,
    n_positive: nPositive,
    n_negative: n - nPositive,
    n_terminal: nTerminal,
    n_included: n - nTerminal,
    n_theorems_searched: meta.root_row.length,
    n_proved: iteration.n_proved,
    fraction_depth4plus: deep / n,
    centroid_shift_by_depth: shiftByDepth,
    shift_direction: Array.from(geometry.shift_direction),
    population_centroid_l2: moments.centroid_l2,
    noise_eigenvalues: Array.from(model.lambda),
    population_covariance_eigenvalues: Array.from(moments.eigenvalues),
    ...varianceSpectrum(moments.eigenvalues),
    sibling_groups: groups.size,
    sibling_pairs: pairs,
    colliding_sibling_groups: colliding.size,
    colliding_sibling_pairs: collidingPairs,
    sibling_collision_rate: pairs > 0 ? collidingPairs / pairs : 0,
    collision_max_l2: COLLISION_MAX_L2,
    non_collision_min_l2: NON_COLLISION_MIN_L2,
    dual_label_states: iteration.dual_label_states,
    distinct_state_texts: iteration.distinct_state_texts,
    dual_label_rate: iteration.dual_label_states / iteration.distinct_state_texts,
  };
}

/**
 * Exact population centroid distance and covariance eigenvalues of the included rows, treating
 * the realised rows as a mixture with one component per (source theorem, source sign, source
 * depth, own label): covariance = Σ_noise + (share of colliding members)·σ_δ² I + between-component scatter.
 */
function populationMoments(geometry: EmbeddingGeometry, iteration: IterationTrajectories, model: RowModel, deltaVarianceSum: number): { centroid_l2: number; eigenvalues: Float64Array } {
  const { dim, basis } = geometry;
  const { meta } = iteration;
  const comps = new Map<string, { count: number; mean: Float64Array; positive: boolean }>();
  for (let r = 0; r < meta.goal_row.length; r++) {
    if (meta.terminal[r]) continue;
    // a dual copy has its source's mean but its own (negative) label
    const key = `${model.component(r)}|${meta.sign[r]}`;
    const c = comps.get(key);
    if (c) c.count++;
    else comps.set(key, { count: 1, mean: model.mean(r), positive: meta.sign[r] === 1 });
  }
  const sums = { pos: new Float64Array(dim), neg: new Float64Array(dim) };
  const counts = { pos: 0, neg: 0 };
  for (const c of comps.values()) {
    const side = c.positive ? "pos" : "neg";
    counts[side] += c.count;
    for (let k = 0; k < dim; k++) sums[side][k] = sums[side][k]! + c.count * c.mean[k]!;
  }
  const total = counts.pos + counts.neg;
  let centroid2 = 0;
  for (let k = 0; k < dim; k++) centroid2 += (sums.pos[k]! / counts.pos - sums.neg[k]! / counts.neg) ** 2;

  const cov = new Float64Array(dim * dim);
  const addOuter = (w: number, a: ArrayLike<number>, b: ArrayLike<number>): void => {
    for (let i = 0; i < dim; i++) {
      const wa = w * a[i]!;
      for (let j = 0; j < dim; j++) cov[i * dim + j] = cov[i * dim + j]! + wa * b[j]!;
    }
  };
  for (let i = 0; i < dim; i++) {
    const q = basis.subarray(i * dim, (i + 1) * dim);
    addOuter(model.lambda[i]!, q, q);
  }
  for (let i = 0; i < dim; i++) cov[i * dim + i] = cov[i * dim + i]! + deltaVarianceSum / total;
  const centre = Float64Array.from({ length: dim }, (_, k) => (sums.pos[k]! + sums.neg[k]!) / total);
  for (const c of comps.values()) {
    const diff = c.mean.map((v, k) => v - centre[k]!);
    addOuter(c.count / total, diff, diff);
  }
  return { centroid_l2: Math.sqrt(centroid2), eigenvalues: jacobiEigenvalues(cov, dim) };
}
