import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_RECIPES, PLAN_RECIPES, parseOverrides, resolveRecipes } from "../../src/config/recipes.js";
import { normalizeRunConfig, runConfigInputFromEnv } from "../../src/config/run-config.js";

test("the profiles' recipes: the plan's in the real profile, the demo's short schedule in the demo", () => {
  assert.equal(normalizeRunConfig({ profile: "real", run_id: "r" }).recipes, PLAN_RECIPES);
  // the demo's recipes, with its pool cut to the demo scale's n_search_theorems
  const demo = normalizeRunConfig({}).recipes;
  assert.deepEqual({ ...demo, contrastive_pool: DEMO_RECIPES.contrastive_pool }, DEMO_RECIPES);
  assert.equal(demo.contrastive_pool.recipe.max_theorems, normalizeRunConfig({}).demo.n_search_theorems);
  assert.equal(normalizeRunConfig({ n_search_theorems: 40, recipe: "contrastive_pool.max_theorems=7" }).recipes.contrastive_pool.recipe.max_theorems, 7, "an explicit override wins");
  assert.deepEqual([PLAN_RECIPES.ebm_train.recipe.lr, DEMO_RECIPES.ebm_train.recipe.lr], [3e-5, 3e-3]);
  assert.ok(Object.isFrozen(PLAN_RECIPES.ebm_train.recipe.hidden_dims));
});

test("overrides reach recipe values and run controls, nested keys included; the result is frozen", () => {
  const c = normalizeRunConfig({ recipe: "ebm_train.lr=1e-4; ebm_train.timeout_s=60\nsplit_format.split.val_fraction=0.1; ebm_train.hidden_dims=[64,32]; trace.mem_cap_mb=4096" });
  assert.equal(c.recipes.ebm_train.recipe.lr, 1e-4);
  assert.equal(c.recipes.ebm_train.controls.timeout_s, 60);
  assert.equal(c.recipes.split_format.recipe.split.val_fraction, 0.1);
  assert.deepEqual(c.recipes.ebm_train.recipe.hidden_dims, [64, 32]);
  assert.equal(c.recipes.trace.controls.mem_cap_mb, 4096);
  assert.deepEqual(c.recipe_overrides.length, 5);
  assert.ok(Object.isFrozen(c.recipes.ebm_train.recipe));
  assert.equal(DEMO_RECIPES.ebm_train.recipe.lr, 3e-3, "the base recipes are not modified");
  // a list of entries (CLI --set, several notebook strings) works the same
  assert.equal(normalizeRunConfig({ recipe: ["plots.max_points=10", "plots.seed=3"] }).recipes.plots.recipe.seed, 3);
});

test("unknown groups and keys, and values of the wrong type, are errors naming them", () => {
  assert.throws(() => resolveRecipes("demo", parseOverrides("ebm_trian.lr=1", "t")), /unknown recipe group 'ebm_trian' in 'ebm_trian.lr=1' \(groups: split_format, .*ebm_train/);
  assert.throws(() => resolveRecipes("demo", parseOverrides("ebm_train.learning_rate=1", "t")), /unknown key 'learning_rate' in recipe group 'ebm_train' .*known: epochs, batch_size, lr/);
  assert.throws(() => resolveRecipes("demo", parseOverrides("split_format.split.fraction=0.1", "t")), /unknown key 'fraction' in 'split_format.split.fraction=0.1' \(known: val_fraction, salt\)/);
  assert.throws(() => resolveRecipes("demo", parseOverrides("ebm_train.lr=fast", "t")), /'ebm_train.lr=fast': expected number like the default 0.003, got string/);
  assert.throws(() => parseOverrides("lr", "notebook"), /notebook: 'lr' is not group.key=value/);
});

test("environment: BURNQED_SET and the tracing shorthands become overrides", () => {
  const input = runConfigInputFromEnv({ BURNQED_TRACE_WORKERS: "8", BURNQED_SET: "ebm_train.lr=2e-5" });
  const c = normalizeRunConfig(input);
  assert.equal(c.recipes.trace.controls.workers, 8);
  assert.equal(c.recipes.ebm_train.recipe.lr, 2e-5);
});
