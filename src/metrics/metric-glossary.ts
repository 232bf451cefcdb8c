/**
 * METRIC_GLOSSARY: the exact definitions the metrics stages compute, for the reports' glossary
 * (renderGlossaryMarkdown(METRIC_GLOSSARY)). Where the plan's code is ambiguous or wrong, the
 * entry says what was chosen; tests pin each definition.
 */

export const METRIC_GLOSSARY: Readonly<Record<string, string>> = {
  "usable row":
    "A trajectory row whose embedding is finite, not all zeros and not excluded by the embeddings index (terminal nodes have no text). Unusable rows are counted, alarmed and left out of every embedding metric.",
  "sibling group":
    "The children of one parent state: rows with the same (run_id, theorem_name, parent_state_id). State ids restart at 0 in every theorem, so the plan's group-by on parent_state_id alone would merge unrelated trees.",
  centroid_l2: "‖mean(positive) − mean(negative)‖₂ over usable rows. Per depth (plot): the same within one depth_from_root, drawn where each label has ≥ 20 rows.",
  linear_probe_acc:
    "Mean accuracy over scikit-learn's StratifiedKFold(5) test folds (rows ordered positives then negatives, as the plan's vstack) of an L2 logistic regression on the full features: C = 1, intercept not penalised, L-BFGS to scipy's stopping rules (gtol 1e-4, ftol 2.2e-9, at most 1000 iterations) — scikit-learn's LogisticRegression(max_iter=1000).",
  linear_probe_base_rate: "Share of the majority label among the probe's rows: the accuracy of always answering it. linear_probe_acc means something only well above it.",
  linear_probe_balanced_acc: "Mean of the recall on positives and on negatives, from the same out-of-fold predictions as linear_probe_acc: 0.5 for a probe that separates nothing, whatever the label balance. Interval: bootstrap over theorems.",
  linear_probe_auc: "ROC AUC of the out-of-fold decision values (each row scored by the fold model that did not train on it); 0.5 = no signal. Interval: bootstrap over theorems.",
  norm_gap: "Mean ‖x‖₂ of positive usable rows minus that of negative usable rows.",
  sibling_l2_mean: "Mean L2 distance over every pair of usable siblings (any label).",
  sibling_l2_median: "Median of the same pair distances.",
  sibling_collision_rate: "Fraction of those sibling pairs closer than L2 1.0.",
  top1_variance_ratio: "λ₁ / Σλ for the eigenvalues λ of the covariance (ddof 1) of all usable rows; Σλ is the trace.",
  top10_variance_ratio: "(λ₁ + … + λ₁₀) / Σλ.",
  effective_dimension: "(Σλ)² / Σλ² = trace(C)² / ‖C‖²_F.",
  silhouette_shallow:
    "scikit-learn's silhouette_score (euclidean) of the positive/negative labelling among usable labelled rows at depth 0–1 (mid: 2–3, deep: 4+), when the band has more than 100 rows, on a sample of 2000 drawn as scikit-learn draws it with random_state = the embedding_metrics recipe's seed (0 unless overridden).",
  dual_label_states: "Distinct non-empty state texts (exact match) of usable rows labelled both positive and negative; 'unknown' labels do not count.",
  dual_label_rate: "dual_label_states / distinct non-empty labelled state texts.",
  "held-out theorems":
    "Every EBM number is computed on the theorems the contrastive plan held out from the head's training: a theorem is held out when sha256(seed:name), read as a fraction, is below val_fraction, so the same theorems are held out in every iteration and for A, B and C. The training theorems' numbers are shown as in-sample, for reference only.",
  chance:
    "What a scorer that ranks siblings at random gets in expectation on the same groups: the mean of p/k for rank-1 (k children, p positive) and of 1/C(k, p) for sibling_discrimination.",
  rank1_accuracy:
    "Over sibling groups with ≥ 2 children of finite energy and both labels: the fraction whose lowest-energy child (first in table order on ties, as numpy's argmin) is positive.",
  "rank1_d0_1 / d2_3 / d4+": "rank1_accuracy over the groups whose children are at depth 1 (0–1), 2–3, or 4 and deeper.",
  energy_gap: "Mean energy of negative rows minus mean energy of positive rows (rows with a finite energy).",
  "energy_std_pos / neg": "Standard deviation of the energies of positive / negative rows (ddof 0, numpy's default).",
  sibling_discrimination:
    "The stricter sibling test: over the same groups as rank1_accuracy, the fraction where every positive child has a strictly lower energy than every negative sibling (ties fail). Never above rank1_accuracy, and equal to it when every group has one positive and no ties; a collapsed head (equal energies) scores 0 here while argmin-first rank-1 credits it. A random scorer gets the mean of 1 / C(k, p) over groups of k children with p positives (details.chance.sibling_discrimination).",
  active_ratio:
    "Fraction of contrastive pairs with E(negative) − E(positive) < margin 1.0 (non-zero margin-ranking loss). Pairs: every positive non-root row is an anchor with 3 negatives; each is hard with probability 0.6 (a negative sibling; if none, another negative of the same theorem), otherwise easy (a negative of another theorem); seeded. Saturated (lab rule) when ≥ 0.95 while all usable energies lie within less than the margin: every pair is then active whatever the ranking.",
};
