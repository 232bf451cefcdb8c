import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_DEMO_PARAMS, normalizeDemoParams } from "../../src/demo/index.js";

test("defaults fill missing keys and the result is frozen", () => {
  const p = normalizeDemoParams({ seed: 7 });
  assert.deepEqual(p, { ...DEFAULT_DEMO_PARAMS, seed: 7 });
  assert.ok(Object.isFrozen(p));
  assert.deepEqual(normalizeDemoParams(), DEFAULT_DEMO_PARAMS);
  assert.equal(DEFAULT_DEMO_PARAMS.n_theorems, 400);
  assert.equal(DEFAULT_DEMO_PARAMS.n_search_theorems, 160);
  assert.equal(DEFAULT_DEMO_PARAMS.dim, 64);
  assert.equal(DEFAULT_DEMO_PARAMS.n_minif2f, 244);
});

test("unknown keys are errors naming the key", () => {
  assert.throws(() => normalizeDemoParams({ seed: 1, n_theorem: 10 }), /unknown key 'n_theorem'/);
});

test("bad values are errors naming the key and value", () => {
  assert.throws(() => normalizeDemoParams({ dim: 64.5 }), /'dim' must be an integer .* got 64\.5/);
  assert.throws(() => normalizeDemoParams({ seed: "1" }), /'seed' must be an integer .* got "1"/);
  assert.throws(() => normalizeDemoParams({ n_theorems: 3 }), /'n_theorems'/);
  assert.throws(() => normalizeDemoParams({ n_theorems: 20, n_search_theorems: 30 }), /'n_search_theorems' \(30\) exceeds 'n_theorems' \(20\)/);
  assert.throws(() => normalizeDemoParams([1]), /expected an object/);
  assert.throws(() => normalizeDemoParams(null), /expected an object/);
});
