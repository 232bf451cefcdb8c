/** Public API of the demo world: a seeded synthetic run with planted, recoverable structure. */
export { DEFAULT_DEMO_PARAMS, normalizeDemoParams, type DemoParams } from "./demo-params.js";
export { generateDemoWorld, type DemoIteration, type DemoWorld } from "./demo-world.js";
export { DEMO_ITERATIONS, DEMO_ITERATION_SPECS, MAX_SEARCH_DEPTH, type DemoIterationId, type IterationSpec } from "./iteration-spec.js";
export {
  PLANTED_VALUE_DOCS,
  SEARCH_CONFIGS,
  type PlantedIterationValues,
  type PlantedSearchValues,
  type PlantedValueDoc,
  type PlantedValues,
  type SearchConfig,
} from "./planted-values.js";
export { COLLISION_MAX_L2, NON_COLLISION_MIN_L2 } from "./planted-embeddings.js";
export { PLANTED_PROVED_RATES, MINIF2F_MAX_NODES, MINIF2F_TIMEOUT_S } from "./demo-search-results.js";
export {
  JOINT_EVAL_EVERY,
  JOINT_LOG_EVERY,
  JOINT_TOTAL_STEPS,
  UNHEALTHY_KINDS,
  jointTrainingLog,
  unhealthyJointTrainingLog,
  type DemoMetricEvent,
  type JointTrainingLogOptions,
  type UnhealthyKind,
} from "./joint-training-log.js";
export { varianceSpectrum, type VarianceSpectrum } from "./variance-spectrum.js";
export type { SearchResultColumns } from "./demo-search-results.js";
