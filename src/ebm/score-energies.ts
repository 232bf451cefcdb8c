/**
 * Batched energies for every row of a state-embedding matrix: E(state_i, goal_{GI[i]}), streamed
 * over row chunks so the matrix never sits whole in memory.
 *
 * Rows a caller marks (from the embeddings index) are not scored:
 * - terminal (proof complete, no state text) → TERMINAL_ENERGY (−∞: lower than every state, a
 *   proof is the best state; loud, never a plausible 0.0, dropped by every isFinite filter);
 * - unscorable (empty text, non-finite or all-zero vector) → NaN.
 */
import { readNpyHeader, readNpyRows, writeNpy, type NpyData, type NpyHeader } from "../artifacts/npy.js";
import { EnergyScorer } from "./energy-scorer.js";

export const TERMINAL_ENERGY = Number.NEGATIVE_INFINITY;
export const UNSCORABLE_ENERGY = Number.NaN;

/** Per-row status the caller may pass: what to do instead of scoring. */
export const ROW_SCORE = 0;
export const ROW_TERMINAL = 1;
export const ROW_UNSCORABLE = 2;

export interface ScoreEnergiesOptions {
  readonly model: string;
  readonly states: string;
  readonly goals: string;
  readonly goal_index: string;
  readonly out: string;
  /** Per state row: ROW_SCORE, ROW_TERMINAL or ROW_UNSCORABLE; all scored when absent. */
  readonly row_status?: Uint8Array;
  readonly batch_rows?: number;
  readonly threads?: number;
}

export interface EnergiesSummary {
  readonly kind: "energies";
  readonly model: string;
  readonly n_rows: number;
  readonly d_model: number;
  readonly n_scored: number;
  readonly n_terminal: number;
  readonly n_unscorable: number;
  /** Scored rows whose energy came out non-finite (a non-finite input vector). */
  readonly n_scored_non_finite: number;
  readonly terminal_energy: "-Infinity";
  readonly unscorable_energy: "NaN";
  /** Over the finite scored energies; null when there are none. */
  readonly energy_min: number | null;
  readonly energy_max: number | null;
  readonly energy_mean: number | null;
  readonly wall_s: number;
  readonly rows_per_s: number;
}

interface Inputs {
  readonly states: NpyHeader;
  readonly goals: Float32Array;
  readonly n_goals: number;
  readonly goal_index: Int32Array;
}

function toF32(a: NpyData): Float32Array {
  if (a instanceof Float32Array) return a;
  if (a instanceof Float64Array) return Float32Array.from(a);
  throw new Error("expected float data");
}

/** Reads and checks the goal matrix and goal index against the state matrix (errors name the files). */
function loadInputs(o: ScoreEnergiesOptions, d_model: number): Inputs {
  const states = readNpyHeader(o.states);
  const goalsH = readNpyHeader(o.goals);
  const giH = readNpyHeader(o.goal_index);
  const isFloat = (h: NpyHeader) => h.dtype === "float16" || h.dtype === "float32" || h.dtype === "float64";
  if (states.shape.length !== 2 || !isFloat(states)) throw new Error(`${o.states}: expected a 2-d float (n, d) matrix, got ${states.dtype} (${states.shape.join(", ")})`);
  if (goalsH.shape.length !== 2 || !isFloat(goalsH)) throw new Error(`${o.goals}: expected a 2-d float (g, d) matrix, got ${goalsH.dtype} (${goalsH.shape.join(", ")})`);
  const d = states.shape[1]!;
  if (d !== d_model || goalsH.shape[1] !== d_model) {
    throw new Error(`width mismatch: ${o.model} scores d=${d_model}, ${o.states} has d=${d}, ${o.goals} has d=${goalsH.shape[1]}`);
  }
  if (giH.shape.length !== 1 || (giH.dtype !== "int32" && giH.dtype !== "int64")) throw new Error(`${o.goal_index}: expected a 1-d int32/int64 array, got ${giH.dtype} (${giH.shape.join(", ")})`);
  if (giH.n_rows !== states.n_rows) {
    throw new Error(`row count mismatch: ${o.goal_index} has ${giH.n_rows} entries but ${o.states} has ${states.n_rows} rows (GI[i] must name the goal row of state i)`);
  }
  if (o.row_status && o.row_status.length !== states.n_rows) throw new Error(`row status has ${o.row_status.length} entries but ${o.states} has ${states.n_rows} rows`);
  const raw = readNpyRows(o.goal_index, 0, giH.n_rows, giH);
  const goal_index = new Int32Array(giH.n_rows);
  const n_goals = goalsH.n_rows;
  for (let i = 0; i < giH.n_rows; i++) {
    const g = Number(raw[i]!);
    if (!(g >= 0 && g < n_goals)) throw new Error(`${o.goal_index}: state row ${i} points at goal row ${g}, but ${o.goals} has ${n_goals} rows (missing goal for its theorem?)`);
    goal_index[i] = g;
  }
  return { states, goals: toF32(readNpyRows(o.goals, 0, n_goals, goalsH)), n_goals, goal_index };
}

export async function scoreEnergies(o: ScoreEnergiesOptions): Promise<EnergiesSummary> {
  const t0 = performance.now();
  const batch = o.batch_rows ?? 4096;
  if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`scoreEnergies: batch_rows must be a positive integer, got ${batch}`);
  const scorer = await EnergyScorer.load(o.model, o.threads ? { threads: o.threads } : {});
  try {
    const inp = loadInputs(o, scorer.d_model);
    const n = inp.states.n_rows;
    const d = scorer.d_model;
    const energies = new Float32Array(n);
    const status = o.row_status ?? new Uint8Array(n);
    let scored = 0;
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const rows: number[] = [];
      for (let i = start; i < start + count; i++) {
        if (status[i] === ROW_TERMINAL) energies[i] = TERMINAL_ENERGY;
        else if (status[i] === ROW_UNSCORABLE) energies[i] = UNSCORABLE_ENERGY;
        else rows.push(i);
      }
      if (rows.length === 0) continue;
      const block = toF32(readNpyRows(o.states, start, count, inp.states));
      const zs = new Float32Array(rows.length * d);
      const zg = new Float32Array(rows.length * d);
      rows.forEach((r, k) => {
        zs.set(block.subarray((r - start) * d, (r - start + 1) * d), k * d);
        const g = inp.goal_index[r]!;
        zg.set(inp.goals.subarray(g * d, (g + 1) * d), k * d);
      });
      const e = await scorer.score(zs, zg, rows.length);
      rows.forEach((r, k) => (energies[r] = e[k]!));
      scored += rows.length;
    }
    writeNpy(o.out, "float32", [n], energies);
    return summarize(o, energies, status, d, scored, (performance.now() - t0) / 1000);
  } finally {
    await scorer.release();
  }
}

function summarize(o: ScoreEnergiesOptions, e: Float32Array, status: Uint8Array, d_model: number, n_scored: number, wall_s: number): EnergiesSummary {
  let terminal = 0;
  let unscorable = 0;
  let bad = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < e.length; i++) {
    if (status[i] === ROW_TERMINAL) terminal++;
    else if (status[i] === ROW_UNSCORABLE) unscorable++;
    else if (!Number.isFinite(e[i]!)) bad++;
    else {
      finite++;
      sum += e[i]!;
      if (e[i]! < min) min = e[i]!;
      if (e[i]! > max) max = e[i]!;
    }
  }
  return {
    kind: "energies",
    model: o.model,
    n_rows: e.length,
    d_model,
    n_scored,
    n_terminal: terminal,
    n_unscorable: unscorable,
    n_scored_non_finite: bad,
    terminal_energy: "-Infinity",
    unscorable_energy: "NaN",
    energy_min: finite ? min : null,
    energy_max: finite ? max : null,
    energy_mean: finite ? sum / finite : null,
    wall_s,
    rows_per_s: wall_s > 0 ? e.length / wall_s : 0,
  };
}

/** Row status from the embeddings index: terminal rows get TERMINAL_ENERGY, other excluded rows NaN. */
export function rowStatusFromIndex(excluded: ArrayLike<unknown>, exclude_reason: ArrayLike<unknown>): Uint8Array {
  const s = new Uint8Array(excluded.length);
  for (let i = 0; i < s.length; i++) {
    if (excluded[i] === true) s[i] = exclude_reason[i] === "terminal" ? ROW_TERMINAL : ROW_UNSCORABLE;
  }
  return s;
}
