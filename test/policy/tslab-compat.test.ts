import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";

// Notebook cells (checkServer in a parameters-driven cell, a search stage) reach the policy client
// through tslab's own compiler: it must compile there too.
test("the policy client compiles under tslab's TypeScript 5.0 (non-strict)", () => {
  const problems = checkTslabCompat("src/policy/index.ts");
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
