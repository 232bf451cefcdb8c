/**
 * What a linear probe's accuracy means on imbalanced data: its base rate (always answering the
 * majority label), balanced accuracy (mean of the two recalls) and ROC AUC, from the out-of-fold
 * decision values of the cross-validated probe, each with a 95 % interval: Wilson for the accuracy
 * (a proportion of rows), bootstrap over theorems for balanced accuracy and AUC (rows of one
 * theorem share a proof tree and are not independent). Pure.
 */
import { bootstrapInterval, wilson, type Interval } from "../numeric/intervals.js";

export interface ProbeStats {
  readonly n: number;
  readonly n_positive: number;
  readonly n_negative: number;
  /** Share of the majority label: what always answering it scores. */
  readonly base_rate: number;
  readonly majority_label: "positive" | "negative";
  /** Correct out-of-fold predictions / rows (the fold-size-weighted accuracy). */
  readonly pooled_accuracy: number;
  readonly balanced_accuracy: number;
  readonly auc: number;
  readonly ci95: { readonly accuracy: Interval; readonly balanced_accuracy: Interval | null; readonly auc: Interval | null };
  readonly bootstrap_se: { readonly balanced_accuracy: number | null; readonly auc: number | null };
}

/** Weighted AUC over rows sorted by score: P(score_pos > score_neg) + ½ P(tie), weights per row. */
function weightedAuc(order: Int32Array, scores: Float64Array, y: Uint8Array, weight: (row: number) => number): number {
  let negBelow = 0; // weight of negatives with a strictly lower score
  let pairs = 0;
  let wPos = 0;
  let wNeg = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let tiePos = 0;
    let tieNeg = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      const r = order[j]!;
      const w = weight(r);
      if (y[r]) tiePos += w;
      else tieNeg += w;
      j++;
    }
    pairs += tiePos * (negBelow + 0.5 * tieNeg);
    negBelow += tieNeg;
    wPos += tiePos;
    wNeg += tieNeg;
    i = j;
  }
  return wPos > 0 && wNeg > 0 ? pairs / (wPos * wNeg) : Number.NaN;
}

/**
 * @param y 1 positive / 0 negative per row; @param scores out-of-fold decision values (> 0 predicts
 * positive); @param cluster theorem index per row in [0, n_clusters).
 */
export function probeStats(y: Uint8Array, scores: Float64Array, cluster: Int32Array, n_clusters: number, o: { samples: number; seed: number }): ProbeStats {
  const n = y.length;
  if (scores.length !== n || cluster.length !== n) throw new Error(`probeStats: ${n} labels, ${scores.length} scores, ${cluster.length} cluster ids`);
  // per-theorem confusion counts
  const tp = new Float64Array(n_clusters);
  const fn = new Float64Array(n_clusters);
  const tn = new Float64Array(n_clusters);
  const fp = new Float64Array(n_clusters);
  let correct = 0;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const pred = scores[i]! > 0;
    const c = cluster[i]!;
    if (y[i]) {
      nPos++;
      if (pred) tp[c]!++;
      else fn[c]!++;
    } else if (pred) fp[c]!++;
    else tn[c]!++;
    if (pred === (y[i] === 1)) correct++;
  }
  const nNeg = n - nPos;
  const balanced = (w: Float64Array): number => {
    let TP = 0;
    let FN = 0;
    let TN = 0;
    let FP = 0;
    for (let c = 0; c < n_clusters; c++) {
      TP += w[c]! * tp[c]!;
      FN += w[c]! * fn[c]!;
      TN += w[c]! * tn[c]!;
      FP += w[c]! * fp[c]!;
    }
    return TP + FN > 0 && TN + FP > 0 ? 0.5 * (TP / (TP + FN) + TN / (TN + FP)) : Number.NaN;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ones = new Float64Array(n_clusters).fill(1);
  const auc = weightedAuc(order, scores, y, () => 1);
  const counts = new Float64Array(n_clusters);
  const resampleWeights = (sample: Int32Array): Float64Array => {
    counts.fill(0);
    for (const c of sample) counts[c]!++;
    return counts;
  };
  const bBal = bootstrapInterval(n_clusters, (s) => balanced(resampleWeights(s)), { ...o, stream: "probe-balanced" });
  const bAuc = bootstrapInterval(n_clusters, (s) => {
    const w = resampleWeights(s);
    return weightedAuc(order, scores, y, (r) => w[cluster[r]!]!);
  }, { ...o, stream: "probe-auc" });
  return {
    n,
    n_positive: nPos,
    n_negative: nNeg,
    base_rate: n > 0 ? Math.max(nPos, nNeg) / n : Number.NaN,
    majority_label: nPos > nNeg ? "positive" : "negative",
    pooled_accuracy: n > 0 ? correct / n : Number.NaN,
    balanced_accuracy: balanced(ones),
    auc,
    ci95: { accuracy: wilson(correct, n), balanced_accuracy: bBal?.interval ?? null, auc: bAuc?.interval ?? null },
    bootstrap_se: { balanced_accuracy: bBal?.se ?? null, auc: bAuc?.se ?? null },
  };
}
