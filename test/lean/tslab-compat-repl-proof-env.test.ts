import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";

// The search notebooks will import the REPL proof env through src/lab.ts: it (and everything it
// imports: the pool, proof checks, the search's ProofEnv types) must compile under tslab's TS 5.0.
test("src/lean/repl-proof-env.ts and everything it imports compile under tslab's TypeScript 5.0 (non-strict)", () => {
  const problems = checkTslabCompat("src/lean/repl-proof-env.ts");
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
