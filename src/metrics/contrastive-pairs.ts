/**
 * contrastivePairs: the (positive, negative) pairs behind active_ratio (plan Task 2.5 §5,
 * `contrastive_pairs(val_trajectories, hard_ratio=0.6)`), drawn the way the EBM trains: every
 * positive non-root row with a finite energy is an anchor with `k_negatives` draws; each draw is
 * hard with probability hard_ratio — uniform among the anchor's negative siblings (same run,
 * theorem and parent), falling back to the theorem's other negatives — otherwise easy, uniform
 * among negatives of other theorems. When a draw's pool is empty the other kind is used; anchors
 * with no negative anywhere get none. Seeded: the same inputs give the same pairs.
 */
import { Prng } from "../numeric/prng.js";
import type { MetricsTable } from "./metrics-table.js";

export interface PairOptions {
  readonly hard_ratio: number;
  readonly k_negatives: number;
  readonly seed: number;
}

export interface ContrastivePairs {
  readonly positive: Int32Array;
  readonly negative: Int32Array;
  /** 1 where the draw was hard (same theorem), 0 easy (other theorem). */
  readonly hard: Uint8Array;
  /** Hard draws served from the theorem's negatives because the anchor had no negative sibling. */
  readonly n_hard_fallback: number;
}

/** `usable(r)`: row r may take part (finite energy, labelled). */
export function contrastivePairs(table: MetricsTable, usable: (r: number) => boolean, o: PairOptions): ContrastivePairs {
  if (!(o.hard_ratio >= 0 && o.hard_ratio <= 1)) throw new Error(`contrastivePairs: hard_ratio must be in [0, 1], got ${o.hard_ratio}`);
  if (!Number.isInteger(o.k_negatives) || o.k_negatives < 1) throw new Error(`contrastivePairs: k_negatives must be a positive integer, got ${o.k_negatives}`);
  const run = (r: number) => (table.run_id ? table.run_id[r]! : "");
  const theoremKey = (r: number) => `${run(r)}\u0000${table.theorem_name[r]}`;
  const negBySibling = new Map<string, number[]>();
  const negByTheorem = new Map<string, number[]>();
  const allNeg: number[] = [];
  for (let r = 0; r < table.n_rows; r++) {
    if (!usable(r) || table.label[r] !== "negative") continue;
    allNeg.push(r);
    push(negByTheorem, theoremKey(r), r);
    if (table.parent_state_id[r] !== null) push(negBySibling, `${theoremKey(r)}\u0000${table.parent_state_id[r]}`, r);
  }
  const rng = Prng.stream(o.seed, "contrastive-pairs");
  const positive: number[] = [];
  const negative: number[] = [];
  const hard: number[] = [];
  let fallback = 0;
  for (let r = 0; r < table.n_rows; r++) {
    if (!usable(r) || table.label[r] !== "positive" || table.parent_state_id[r] === null) continue;
    const tk = theoremKey(r);
    const siblings = negBySibling.get(`${tk}\u0000${table.parent_state_id[r]}`) ?? [];
    const sameTheorem = negByTheorem.get(tk) ?? [];
    const others = allNeg.length - sameTheorem.length;
    if (sameTheorem.length === 0 && others === 0) continue; // no negative anywhere: no pair for any anchor
    for (let k = 0; k < o.k_negatives; k++) {
      let wantHard = rng.next() < o.hard_ratio;
      if (wantHard && sameTheorem.length === 0) wantHard = false;
      if (!wantHard && others === 0) wantHard = sameTheorem.length > 0;
      let neg: number;
      if (wantHard) {
        if (siblings.length > 0) neg = rng.pick(siblings);
        else {
          neg = rng.pick(sameTheorem);
          fallback++;
        }
      } else {
        // uniform over negatives of other theorems: rejection from all negatives (the theorem's share is small)
        do neg = rng.pick(allNeg);
        while (theoremKey(neg) === tk);
      }
      positive.push(r);
      negative.push(neg);
      hard.push(wantHard ? 1 : 0);
    }
  }
  return { positive: Int32Array.from(positive), negative: Int32Array.from(negative), hard: Uint8Array.from(hard), n_hard_fallback: fallback };
}

function push(m: Map<string, number[]>, key: string, r: number): void {
  const list = m.get(key);
  if (list) list.push(r);
  else m.set(key, [r]);
}
