/** A short glossary printed at the end of each report. */

export const GLOSSARY: Readonly<Record<string, string>> = {
  "not run": "The stage that produces the number did not run or could not compute it; the reason follows. Never read as 0.",
  centroid_l2: "L2 distance between the mean positive and mean negative state embedding.",
  linear_probe_acc: "5-fold cross-validated accuracy of a logistic regression separating positive from negative states.",
  norm_gap: "Mean embedding norm of positive states minus that of negative states.",
  sibling_collision_rate: "Fraction of sibling pairs (same parent state) whose embeddings are closer than L2 1.0.",
  top1_variance_ratio: "Share of total embedding variance on the first principal component.",
  effective_dimension: "(Σλ)² / Σλ² over the covariance eigenvalues λ.",
  silhouette: "Silhouette score of the positive/negative labelling within a depth band (shallow 0–1, mid 2–3, deep 4+).",
  dual_label_rate: "Fraction of distinct state texts labelled both positive and negative.",
  "rank-1 accuracy": "Among siblings with mixed labels, the fraction of parents where the lowest-energy child is positive.",
  "d4+": "States at depth 4 or more from the root.",
  energy_gap: "Mean energy of negatives minus mean energy of positives (higher = better separated).",
  sibling_discrimination: "Rank-1 accuracy restricted to siblings of the same parent (stricter).",
  active_ratio: "Fraction of (positive, negative) pairs whose energy margin is below 1.0, i.e. still giving loss.",
  "miniF2F rate": "Fraction of miniF2F v2s test theorems proved (Lean-checked, no sorry).",
};

export function renderGlossaryMarkdown(extra: Readonly<Record<string, string>> = {}): string {
  const entries = { ...GLOSSARY, ...extra };
  return ["## Glossary", "", ...Object.entries(entries).map(([term, text]) => `- **${term}**: ${text}`)].join("\n");
}
