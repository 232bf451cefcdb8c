import { test } from "node:test";
import assert from "node:assert/strict";
import type { Columns, TableSchema } from "../../src/artifacts/schema.js";
import { EMBEDDINGS_INDEX, TACTIC_PAIRS, THEOREMS, TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { DEMO_ITERATIONS, SEARCH_CONFIGS, generateDemoWorld } from "../../src/demo/index.js";

const world = generateDemoWorld({ seed: 21 });

/** Every column present (and no other), equal lengths, types, nullability and closed value sets. */
function assertConforms(schema: TableSchema, table: Columns): void {
  assert.deepEqual(Object.keys(table).sort(), schema.columns.map((c) => c.name).sort(), `${schema.name}: column set`);
  const n = (table[schema.columns[0]!.name] as ArrayLike<unknown>).length;
  assert.ok(n > 0, `${schema.name} is empty`);
  for (const col of schema.columns) {
    const values = table[col.name] as ArrayLike<unknown>;
    assert.equal(values.length, n, `${schema.name}.${col.name}: length`);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const where = `${schema.name}.${col.name}[${i}] = ${JSON.stringify(v)}`;
      if (v === null) {
        assert.ok(col.nullable, `${where}: null in a non-nullable column`);
        continue;
      }
      switch (col.type) {
        case "utf8":
          assert.equal(typeof v, "string", where);
          if (col.values) assert.ok(col.values.includes(v as string), `${where}: not in ${col.values.join("|")}`);
          break;
        case "int32":
          assert.ok(Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31, where);
          break;
        case "int64":
          assert.ok(Number.isSafeInteger(v), where);
          break;
        case "float32":
        case "float64":
          assert.ok(typeof v === "number" && Number.isFinite(v), where);
          break;
        case "bool":
          assert.equal(typeof v, "boolean", where);
          break;
      }
    }
  }
}

test("theorems and tactic pairs match their schemas", () => {
  assertConforms(THEOREMS, world.theorems);
  assertConforms(TACTIC_PAIRS, world.tactic_pairs);
  assert.equal(new Set(world.theorems.name).size, world.theorems.name.length, "theorem names unique");
  assert.ok(world.tactic_pairs.num_goals.every((g) => g >= 1));
  assert.ok(world.theorems.split.every((s) => s === null));
});

for (const id of DEMO_ITERATIONS) {
  test(`${id}: trajectories and embeddings index match their schemas`, () => {
    const it = world[id];
    assertConforms(TRAJECTORIES, it.trajectories);
    assertConforms(EMBEDDINGS_INDEX, it.embeddings_index);
    const n = it.trajectories.state_id.length;
    assert.equal(it.embeddings_index.row.length, n);
    assert.equal(it.state_embeddings.length, n * it.dim);
    assert.equal(it.goal_index.length, n);
    assert.equal(it.goal_embeddings.length, world.search_theorems.length * it.dim);
    assert.ok(it.trajectories.run_id.every((r) => r === it.run_id));
    assert.equal(it.run_id, id === "iter_0" ? "demo-iter0-search" : "demo-iter1-search");
    const ebm = it.trajectories.ebm_score;
    if (id === "iter_0") assert.ok(ebm.every((e) => e === null), "iter_0 search is LLM-only");
    else assert.ok(ebm.some((e) => e !== null));
  });
}

test("search results: one table per config over the same miniF2F names", () => {
  const names = world.search_results.iter0_llm.name;
  assert.equal(names.length, 244);
  assert.equal(new Set(names).size, 244);
  assert.ok(names.every((n) => /^(mathd_(algebra|numbertheory)_\d+|amc12[ab]_\d{4}_p\d+|aime_\d{4}_p\d+|imo_\d{4}_p\d+|induction_\w+|algebra_\w+)$/.test(n)));
  for (const c of SEARCH_CONFIGS) {
    const r = world.search_results[c];
    assert.deepEqual(r.name, names);
    assert.ok(r.proved.every((p) => typeof p === "boolean"));
    assert.ok(r.nodes_expanded.every((x) => Number.isInteger(x) && x >= 1 && x <= 600));
    assert.ok(r.wall_s.every((x) => x > 0 && x <= 300));
  }
});

test("planted values are JSON-serialisable", () => {
  assert.deepEqual(JSON.parse(JSON.stringify(world.planted)), world.planted);
});
