/** Search options: plan defaults, frozen, unknown keys and bad values refused by name. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SEARCH_CONFIG, normalizeSearchConfig, type SearchConfigInput } from "../../src/search/search-config.js";

test("defaults are the plan's Task 1.3 values, LLM-only, and the config is frozen", () => {
  const c = normalizeSearchConfig();
  assert.deepEqual(c, { max_nodes: 800, n_candidates: 16, temperature: 1.3, timeout_s: 300, tactic_timeout_s: 30, max_depth: 50, ebm_weight: 0 });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(DEFAULT_SEARCH_CONFIG));
  assert.deepEqual(normalizeSearchConfig({ max_nodes: 600, ebm_weight: 0.5 }), { ...c, max_nodes: 600, ebm_weight: 0.5 });
  // normalising a normalised config changes nothing
  assert.deepEqual(normalizeSearchConfig(c), c);
});

test("an unknown key is an error naming it", () => {
  assert.throws(() => normalizeSearchConfig({ max_node: 600 } as SearchConfigInput), /unknown search option 'max_node' \(known: max_nodes, n_candidates,/);
});

test("bad values are refused with the option and the value", () => {
  const bad: Array<[SearchConfigInput, RegExp]> = [
    [{ max_nodes: 0 }, /max_nodes must be an integer ≥ 1, got 0/],
    [{ n_candidates: 2.5 }, /n_candidates must be an integer ≥ 1, got 2\.5/],
    [{ timeout_s: 0 }, /timeout_s must be a finite number > 0, got 0/],
    [{ tactic_timeout_s: Number.POSITIVE_INFINITY }, /tactic_timeout_s must be a finite number > 0, got Infinity/],
    [{ temperature: -1 }, /temperature must be a finite number ≥ 0, got -1/],
    [{ ebm_weight: Number.NaN }, /ebm_weight must be a finite number ≥ 0, got NaN/],
    [{ max_depth: "8" as unknown as number }, /max_depth must be an integer ≥ 1, got "8"/],
  ];
  for (const [raw, re] of bad) assert.throws(() => normalizeSearchConfig(raw), re, JSON.stringify(raw));
  assert.equal(normalizeSearchConfig({ temperature: 0, ebm_weight: 0 }).temperature, 0);
});
