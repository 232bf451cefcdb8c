/**
 * What the embedding job (python/burnqed/embed.py) reads and what its flags become: state texts in
 * trajectory-row order, one goal text per theorem (its root goal, goal_pp), the goal index, and the
 * embeddings index with exclusions. Pure.
 */
import type { CellValue } from "../artifacts/schema.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { EMBEDDINGS_INDEX, ExcludeReason } from "../artifacts/schemas.js";

export interface EmbeddingTexts {
  /** One per trajectory row (empty for terminal rows: the job does not embed them). */
  readonly state_texts: string[];
  /** One per theorem, in order of first appearance. */
  readonly goal_texts: string[];
  readonly goal_theorems: string[];
  /** Trajectory row → goal row. */
  readonly goal_index: Int32Array;
}

export interface TextColumns {
  readonly theorem_name: ArrayLike<CellValue>;
  readonly state_pp: ArrayLike<CellValue>;
  readonly goal_pp: ArrayLike<CellValue>;
  readonly is_proof_complete: ArrayLike<CellValue>;
}

/** Throws naming the theorem when its goal text is missing or differs between rows. */
export function embeddingTexts(t: TextColumns, trajectories_path: string): EmbeddingTexts {
  const n = t.theorem_name.length;
  const goalRow = new Map<string, number>();
  const goal_texts: string[] = [];
  const goal_theorems: string[] = [];
  const goal_index = new Int32Array(n);
  const state_texts: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const thm = String(t.theorem_name[i]);
    const goal = String(t.goal_pp[i] ?? "");
    let g = goalRow.get(thm);
    if (g === undefined) {
      if (goal.trim() === "") throw new Error(`${trajectories_path}: missing goal for theorem '${thm.slice(0, 200)}' (row ${i} has an empty goal_pp)`);
      g = goal_texts.length;
      goalRow.set(thm, g);
      goal_texts.push(goal);
      goal_theorems.push(thm);
    } else if (goal !== goal_texts[g]) {
      throw new Error(`${trajectories_path}: theorem '${thm.slice(0, 200)}' has two goal texts (row ${i}: ${JSON.stringify(goal.slice(0, 200))} vs ${JSON.stringify(goal_texts[g]!.slice(0, 200))})`);
    }
    goal_index[i] = g;
    state_texts[i] = t.is_proof_complete[i] === true ? "" : String(t.state_pp[i] ?? "");
  }
  return { state_texts, goal_texts, goal_theorems, goal_index };
}

/** Flags of python/burnqed/embed.py. */
export const EMBED_FLAG: Readonly<Record<number, ExcludeReason | null>> = { 0: null, 1: "empty_text", 2: "non_finite", 3: "all_zero" };

export interface IndexColumnsIn {
  readonly run_id: ArrayLike<CellValue>;
  readonly theorem_name: ArrayLike<CellValue>;
  readonly state_id: ArrayLike<CellValue>;
  readonly is_proof_complete: ArrayLike<CellValue>;
}

/** The embeddings index (EMBEDDINGS_INDEX columns) from the job's per-row flags. */
export function embeddingsIndexColumns(t: IndexColumnsIn, goal_index: Int32Array, state_flags: ArrayLike<number>, goal_flags: ArrayLike<number>): ColumnArraysOf<typeof EMBEDDINGS_INDEX> {
  const n = t.theorem_name.length;
  if (state_flags.length !== n) throw new Error(`embedding flags: ${state_flags.length} state flags for ${n} trajectory rows`);
  const reason: (ExcludeReason | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const g = goal_index[i]!;
    reason[i] = t.is_proof_complete[i] === true ? "terminal" : (EMBED_FLAG[state_flags[i]!] ?? null) ?? (EMBED_FLAG[goal_flags[g]!] ?? null);
  }
  return {
    row: Array.from({ length: n }, (_, i) => i),
    run_id: Array.from(t.run_id, String),
    theorem_name: Array.from(t.theorem_name, String),
    state_id: Array.from(t.state_id, Number),
    goal_row: Array.from(goal_index),
    excluded: reason.map((r) => r !== null),
    exclude_reason: reason,
  };
}
