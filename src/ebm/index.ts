/** The energy head from TypeScript: contrastive plan, embedding recipe and texts, run paths, ONNX scoring. */
export { contrastivePlan, checkIndexAlignment, isValTheorem, valTheorems, validateContrastivePlanParams, PLAN_ARRAYS, PLAN_SPLITS, PLAN_EXCLUSIONS } from "./contrastive-plan.js";
export type { ContrastivePlan, ContrastivePlanParams, ContrastivePlanSummary, SplitArrays, SplitSummary, PlanSplit, PlanArrayName, PlanExclusion } from "./contrastive-plan.js";
export { EMBED_RECIPE } from "./embed-recipe.js";
export type { EmbedRecipe } from "./embed-recipe.js";
export { embeddingTexts, embeddingsIndexColumns, EMBED_FLAG } from "./embedding-texts.js";
export { EnergyScorer } from "./energy-scorer.js";
export { scoreEnergies, rowStatusFromIndex, TERMINAL_ENERGY, UNSCORABLE_ENERGY, ROW_SCORE, ROW_TERMINAL, ROW_UNSCORABLE } from "./score-energies.js";
export type { EnergiesSummary, ScoreEnergiesOptions } from "./score-energies.js";
