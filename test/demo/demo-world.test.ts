import { test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_ITERATIONS, generateDemoWorld, type DemoWorld } from "../../src/demo/index.js";

// CPU time, not wall time: test files run in parallel and compete for cores
const cpu0 = process.cpuUsage();
const world = generateDemoWorld({ seed: 11 });
const cpu = process.cpuUsage(cpu0);
const cpu_ms = (cpu.user + cpu.system) / 1000;

function bytes(x: Float32Array | Int32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

test("generation at the default size takes < 5 s of CPU", () => {
  assert.ok(cpu_ms < 5000, `took ${cpu_ms.toFixed(0)} ms of CPU`);
});

test("same seed gives identical worlds, to the byte", () => {
  const again = generateDemoWorld({ seed: 11 });
  assert.deepStrictEqual(again, world);
  for (const id of DEMO_ITERATIONS) {
    assert.ok(bytes(again[id].state_embeddings).equals(bytes(world[id].state_embeddings)));
    assert.ok(bytes(again[id].goal_embeddings).equals(bytes(world[id].goal_embeddings)));
    assert.ok(bytes(again[id].goal_index).equals(bytes(world[id].goal_index)));
  }
});

test("a different seed gives a different world", () => {
  const other = generateDemoWorld({ seed: 12, n_theorems: 60, n_search_theorems: 20, n_minif2f: 20 });
  const small = generateDemoWorld({ seed: 11, n_theorems: 60, n_search_theorems: 20, n_minif2f: 20 });
  assert.notDeepEqual(other.theorems.name, small.theorems.name);
  assert.ok(!bytes(other.iter_0.state_embeddings).equals(bytes(small.iter_0.state_embeddings)));
});

test("sizes: ~60/40 sources, 15–25K trajectory rows per iteration, 40–60% of theorems with max depth ≥ 3", () => {
  const wb = world.theorems.source.filter((s) => s === "workbook").length;
  assert.equal(wb, 240);
  assert.equal(world.theorems.name.length - wb, 160);
  for (const id of DEMO_ITERATIONS) {
    const n = world[id].trajectories.state_id.length;
    assert.ok(n >= 15_000 && n <= 25_000, `${id}: ${n} rows`);
  }
  const maxDepth = new Map<string, number>();
  world.tactic_pairs.theorem_name.forEach((name, i) => maxDepth.set(name, Math.max(maxDepth.get(name) ?? 0, world.tactic_pairs.depth[i]!)));
  assert.equal(maxDepth.size, 400);
  const deep = [...maxDepth.values()].filter((d) => d >= 3).length / maxDepth.size;
  assert.ok(deep >= 0.4 && deep <= 0.6, `deep share ${deep}`);
  for (const name of world.search_theorems) assert.ok(maxDepth.get(name)! >= 3, `${name} searched but shallow`);
  assert.equal(new Set(world.search_theorems).size, 160);
});

test("small worlds work and keep their invariants", () => {
  const small: DemoWorld = generateDemoWorld({ seed: 3, n_theorems: 12, n_search_theorems: 10, dim: 16, n_minif2f: 5 });
  assert.equal(small.iter_0.goal_embeddings.length, 10 * 16);
  assert.equal(small.iter_0.state_embeddings.length, small.iter_0.trajectories.state_id.length * 16);
  assert.equal(small.search_results.iter1_llm_ebm.name.length, 5);
});

test("text looks like Lean", () => {
  assert.match(world.theorems.statement[0]!, /^theorem (lean_workbook_\d+|numina_[0-9a-f]{8}) .*:\n {4}.+ :=$/s);
  assert.ok(world.tactic_pairs.state_pp.every((s) => s.includes("⊢ ")));
  const tactics = new Set(world.tactic_pairs.tactic.map((t) => t.split(" ")[0]));
  for (const t of ["nlinarith", "linarith", "norm_num", "ring_nf", "omega", "positivity", "have", "intro", "constructor"]) assert.ok(tactics.has(t), `no ${t}`);
  assert.ok(world.tactic_pairs.tactic.some((t) => /^(rcases|obtain) .*⟨/.test(t)));
  world.theorems.name.forEach((name, i) => {
    assert.equal(world.theorems.lean_version[i], world.theorems.source[i] === "workbook" ? "v4.9.0-rc1" : "v4.15.0");
    assert.ok(name.startsWith(world.theorems.source[i] === "workbook" ? "lean_workbook_" : "numina_"));
  });
});
