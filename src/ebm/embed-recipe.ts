/**
 * The one embedding recipe (plan Gotcha 4, design pitfall 3): the same text template, truncation,
 * token position and dtypes for training, metrics and search. The Python side
 * (python/burnqed/embed.py DEFAULT_RECIPE) holds the same values; python/tests/test_recipes.py
 * keeps the two equal through python/burnqed/recipes.json.
 */
import { PLAN_RECIPES } from "../config/recipes.js";
export interface EmbedRecipe {
  /** `{state}` is replaced by the state text (no other substitution: Lean text has braces). */
  readonly template: string;
  readonly max_length: number;
  /** left: keep BOS and the last max_length − 1 tokens (the goal `⊢ …` and the template's end). */
  readonly truncation_side: "left" | "right";
  readonly padding_side: "right";
  readonly compute_dtype: "bfloat16" | "float16" | "float32";
  readonly storage_dtype: "float16" | "float32";
  readonly position: "last_content_token";
  readonly layer: "final_normed_hidden_state";
}

/** The plan's recipe (src/config/recipes.ts holds the values). */
export const EMBED_RECIPE: EmbedRecipe = PLAN_RECIPES.embed.recipe;
