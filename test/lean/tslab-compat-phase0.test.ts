import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";

// Notebook 00 will import these stage builders through src/lab.ts: they must compile under tslab's
// TypeScript 5.0 in non-strict mode (string discriminants, no import.meta) before they are wired.
test("src/stages/phase0-real.ts and everything it imports compile under tslab's TypeScript 5.0 (non-strict)", () => {
  const problems = checkTslabCompat("src/stages/phase0-real.ts");
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
