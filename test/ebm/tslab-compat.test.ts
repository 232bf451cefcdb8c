import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";

// src/lab.ts will import these stage builders (notebooks 02 and 04): they must compile the way tslab compiles.
test("the energy-head stages compile under tslab's TypeScript 5.0 (non-strict)", () => {
  const problems = checkTslabCompat("src/stages/ebm.ts");
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
