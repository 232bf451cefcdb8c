/** Best-first proof search: the pure tree search, its interfaces, labels and exports, and trajectory statistics. */
export * from "./best-first.js";
export * from "./clock.js";
export * from "./filter-candidates.js";
export * from "./node-priority.js";
export * from "./policy.js";
export * from "./preference-pairs.js";
export * from "./priority-queue.js";
export * from "./proof-env.js";
export * from "./proof-path.js";
export * from "./scorer.js";
export * from "./search-config.js";
export * from "./search-labels.js";
export * from "./search-result.js";
export * from "./traced-proof.js";
export * from "./trajectory-columns.js";
export * from "./trajectory-stats.js";
