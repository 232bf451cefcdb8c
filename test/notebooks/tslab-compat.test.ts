import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";

test("src/lab.ts and everything it imports compile under tslab's TypeScript 5.0 (non-strict)", () => {
  const problems = checkTslabCompat();
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
