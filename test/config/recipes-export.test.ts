import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { exportRecipes } from "../../src/config/recipes.js";

test("python/burnqed/recipes.json is the export of src/config/recipes.ts (the Python tests check the jobs' defaults against it)", () => {
  const committed = readFileSync("python/burnqed/recipes.json", "utf8");
  assert.equal(committed, JSON.stringify(exportRecipes(), null, 2) + "\n", "run: npx tsx src/cli.ts recipes --out python/burnqed/recipes.json");
});
