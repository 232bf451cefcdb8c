import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { exportSchemas } from "../../src/artifacts/schemas.js";

test("python/burnqed/schemas.json is the export of src/artifacts/schemas.ts (no drift)", () => {
  const committed = readFileSync("python/burnqed/schemas.json", "utf8");
  assert.equal(committed, JSON.stringify(exportSchemas(), null, 2) + "\n", "run: npx tsx src/cli.ts schemas --out python/burnqed/schemas.json");
});
