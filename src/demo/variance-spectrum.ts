/** The plan's Task 2.2 spectrum metrics, from covariance eigenvalues (any order, any scale). */

export interface VarianceSpectrum {
  /** λ_max / Σλ. */
  readonly top1_variance_ratio: number;
  /** Sum of the 10 largest λ / Σλ (all of them when there are fewer than 10). */
  readonly top10_variance_ratio: number;
  /** Participation ratio (Σλ)² / Σλ². */
  readonly effective_dimension: number;
}

export function varianceSpectrum(eigenvalues: ArrayLike<number>): VarianceSpectrum {
  const sorted = Array.from(eigenvalues).sort((x, y) => y - x);
  const total = sorted.reduce((s, v) => s + v, 0);
  if (!(total > 0)) throw new Error(`varianceSpectrum: eigenvalues sum to ${total} (n=${sorted.length})`);
  const top10 = sorted.slice(0, 10).reduce((s, v) => s + v, 0);
  const sumSq = sorted.reduce((s, v) => s + v * v, 0);
  return {
    top1_variance_ratio: (sorted[0] ?? 0) / total,
    top10_variance_ratio: top10 / total,
    effective_dimension: (total * total) / sumSq,
  };
}
