/** metrics: embedding metrics (plan Task 2.2), EBM metrics (Task 2.5), projections and plot specs. Pure: files and jobs are the callers' (src/stages, src/cli). */
export { embeddingMetrics, screenNotes, DEFAULT_EMBEDDING_METRICS_PARAMS, EMBEDDING_PARTS, type EmbeddingPart, type DepthCentroid, type EmbeddingMetricsInput, type EmbeddingMetricsParams, type EmbeddingMetricsResult } from "./embedding-metrics.js";
export { ebmMetrics, DEFAULT_EBM_METRICS_PARAMS, type EbmMetricsInput, type EbmMetricsParams } from "./ebm-metrics.js";
export { METRIC_GLOSSARY } from "./metric-glossary.js";
export { metricsTableFromColumns, MetricsTableError, METRICS_TABLE_COLUMNS, type MetricsTable } from "./metrics-table.js";
export { siblingGroups } from "./sibling-groups.js";
export { contrastivePairs, type ContrastivePairs, type PairOptions } from "./contrastive-pairs.js";
export { DEPTH_BUCKETS, inBucket, type DepthBucket } from "./depth-buckets.js";
export { dualLabelStates, type DualLabelCount } from "./dual-label-states.js";
export { crossValidatedProbe, fitLogistic, logisticAccuracy, SKLEARN_LOGISTIC_DEFAULTS, type LogisticFit, type LogisticOptions, type ProbeResult, type SpectralInfo } from "./logistic-probe.js";
export { stratifiedFolds } from "./stratified-folds.js";
export { silhouetteScore, silhouetteSample, type SilhouetteInput, type SilhouetteResult } from "./silhouette.js";
export { screenRows, loadVectors, permuteRows, ROW_USABLE, ROW_INDEX_EXCLUDED, ROW_NON_FINITE, ROW_ALL_ZERO, type VectorScreen } from "./screen-vectors.js";
export { siblingDistances, median } from "./sibling-distances.js";
export { sampleRows, pcaProject, umap2d, type ProjectionSample } from "./projections.js";
