/** The plan's depth bands: silhouette_shallow|mid|deep (Task 2.2) and rank1_d0_1|d2_3|d4+ (Task 2.5). */

export interface DepthBucket {
  /** Suffix of the embedding metric (silhouette_<name>). */
  readonly name: "shallow" | "mid" | "deep";
  /** Suffix of the EBM metric (rank1_<ebm>). */
  readonly ebm: "d0_1" | "d2_3" | "d4+";
  /** Inclusive depth_from_root range; `hi` Infinity for "and deeper" (the plan writes (4, 99)). */
  readonly lo: number;
  readonly hi: number;
}

export const DEPTH_BUCKETS: readonly DepthBucket[] = [
  { name: "shallow", ebm: "d0_1", lo: 0, hi: 1 },
  { name: "mid", ebm: "d2_3", lo: 2, hi: 3 },
  { name: "deep", ebm: "d4+", lo: 4, hi: Infinity },
];

export function inBucket(b: DepthBucket, depth: number): boolean {
  return depth >= b.lo && depth <= b.hi;
}
