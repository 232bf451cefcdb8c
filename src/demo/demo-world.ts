/**
 * The demo world: a seeded synthetic stand-in for everything the GPU, Lean and the datasets would
 * produce, with known structure planted in it so the CPU stages (split, format, metrics, EBM
 * training, reports) run for real and their results can be checked against `planted`.
 * Pure: no file I/O, no clock, no Math.random; the same params give identical values.
 */
import { normalizeDemoParams, type DemoParams } from "./demo-params.js";
import { generateSearchResults } from "./demo-search-results.js";
import { generateDemoTheorems, type DemoProblem } from "./demo-theorems.js";
import { generateIterationTrajectories } from "./demo-trajectories.js";
import { drawEmbeddingGeometry } from "./embedding-geometry.js";
import { DEMO_ITERATION_SPECS, type DemoIterationId } from "./iteration-spec.js";
import { jointTrainingLog, type DemoMetricEvent } from "./joint-training-log.js";
import { plantEmbeddings } from "./planted-embeddings.js";
import { PLANTED_VALUE_DOCS, type PlantedIterationValues, type PlantedValues, type SearchConfig } from "./planted-values.js";
import { Prng } from "../numeric/prng.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { EMBEDDINGS_INDEX, TACTIC_PAIRS, THEOREMS, TRAJECTORIES } from "../artifacts/schemas.js";
import type { SearchResultColumns } from "./demo-search-results.js";

export interface DemoIteration {
  readonly run_id: string;
  readonly dim: number;
  readonly trajectories: ColumnArraysOf<typeof TRAJECTORIES>;
  /** Row-major (n_rows, dim), row i ↔ trajectory row i; terminal rows are all zero and excluded. */
  readonly state_embeddings: Float32Array;
  /** Row-major (n_search_theorems, dim), row g ↔ search_theorems[g] (its root-state embedding). */
  readonly goal_embeddings: Float32Array;
  /** (n_rows,) trajectory row → goal row. */
  readonly goal_index: Int32Array;
  readonly embeddings_index: ColumnArraysOf<typeof EMBEDDINGS_INDEX>;
}

export interface DemoWorld {
  readonly demo: true;
  readonly params: DemoParams;
  readonly theorems: ColumnArraysOf<typeof THEOREMS>;
  readonly tactic_pairs: ColumnArraysOf<typeof TACTIC_PAIRS>;
  /** Contrastive pool (proof max depth ≥ 3) searched in both iterations, in goal-row order. */
  readonly search_theorems: readonly string[];
  readonly iter_0: DemoIteration;
  readonly iter_1: DemoIteration;
  /** miniF2F outcomes per configuration. */
  readonly search_results: Readonly<Record<SearchConfig, SearchResultColumns>>;
  /** iter_1 joint-training metric stream (healthy: no abort rule fires). */
  readonly joint_training_log: readonly DemoMetricEvent[];
  readonly planted: PlantedValues;
}

/** Accepts raw params (validated by normalizeDemoParams; missing keys take defaults). */
export function generateDemoWorld(params: Partial<DemoParams> = {}): DemoWorld {
  const p = normalizeDemoParams(params);
  const { theorems, tactic_pairs, problems } = generateDemoTheorems(p.seed, p.n_theorems, p.n_search_theorems);
  const pool = contrastivePool(p.seed, problems, p.n_search_theorems);
  const geometry = drawEmbeddingGeometry(p.seed, p.dim, pool.length);
  const iterations = {} as Record<DemoIterationId, { iteration: DemoIteration; planted: PlantedIterationValues }>;
  for (const id of ["iter_0", "iter_1"] as const) {
    const spec = DEMO_ITERATION_SPECS[id];
    const traj = generateIterationTrajectories(p.seed, spec, pool);
    const { embeddings, planted } = plantEmbeddings(p.seed, spec, geometry, traj, { label: p.label_signal_pct / 100, heldout: p.heldout_signal_pct / 100 });
    iterations[id] = { iteration: { run_id: spec.run_id, trajectories: traj.trajectories, ...embeddings }, planted };
  }
  const search = generateSearchResults(p.seed, p.n_minif2f);
  const log = jointTrainingLog({
    seed: p.seed,
    centroid_l2_start: iterations.iter_0.planted.population_centroid_l2,
    centroid_l2_end: iterations.iter_1.planted.population_centroid_l2,
  });
  return {
    demo: true,
    params: p,
    theorems,
    tactic_pairs,
    search_theorems: pool.map((q) => q.name),
    iter_0: iterations.iter_0.iteration,
    iter_1: iterations.iter_1.iteration,
    search_results: search.results,
    joint_training_log: log,
    planted: {
      demo: true,
      params: p,
      iter_0: iterations.iter_0.planted,
      iter_1: iterations.iter_1.planted,
      search: search.planted,
      value_docs: PLANTED_VALUE_DOCS,
    },
  };
}

/**
 * Plan Task 1.3's pool: theorems whose traced proof has max depth ≥ 3 (≥ 4 tactics), harder
 * sources preferred (numinamath drawn with twice the weight), kept in table order.
 */
function contrastivePool(seed: number, problems: readonly DemoProblem[], n: number): DemoProblem[] {
  const rng = Prng.stream(seed, "contrastive-pool");
  const eligible = problems.filter((q) => q.proof_length - 1 >= 3);
  if (eligible.length < n) throw new Error(`contrastivePool: ${eligible.length} theorems with max depth ≥ 3, need ${n}`);
  // weighted sampling without replacement: key = u^(1/w) (Efraimidis–Spirakis)
  const keyed = eligible.map((q, i) => ({ i, key: Math.pow(rng.next(), 1 / (q.source === "numinamath" ? 2 : 1)) }));
  const chosen = new Set(keyed.sort((a, b) => b.key - a.key || a.i - b.i).slice(0, n).map((k) => k.i));
  return eligible.filter((_, i) => chosen.has(i));
}
