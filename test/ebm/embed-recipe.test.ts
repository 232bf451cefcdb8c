import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { EMBED_RECIPE } from "../../src/ebm/embed-recipe.js";
import { embeddingsIndexColumns, embeddingTexts } from "../../src/ebm/embedding-texts.js";
import { repoRoot } from "../../src/util/repo-root.js";

const PYTHON = process.env["PYTHON"];

test("the TypeScript and Python embedding recipes are the same", { skip: !PYTHON && "PYTHON not set" }, () => {
  const code = "import json, dataclasses; from burnqed.embed import DEFAULT_RECIPE; print(json.dumps(dataclasses.asdict(DEFAULT_RECIPE)))";
  const py = JSON.parse(execFileSync(PYTHON!, ["-c", code], { cwd: join(repoRoot(), "python") }).toString()) as unknown;
  assert.deepEqual(py, EMBED_RECIPE);
});

const T = {
  theorem_name: ["A", "A", "A", "B", "B"],
  run_id: ["r", "r", "r", "r", "r"],
  state_id: [0, 1, 2, 0, 1],
  state_pp: ["⊢ a", "⊢ a'", "", "⊢ b", "h : {x}\n⊢ b'"],
  goal_pp: ["⊢ a", "⊢ a", "⊢ a", "⊢ b", "⊢ b"],
  is_proof_complete: [false, false, true, false, false],
};

test("texts: one goal per theorem, terminal states empty, goal index per row", () => {
  const x = embeddingTexts(T, "t.arrow");
  assert.deepEqual(x.goal_texts, ["⊢ a", "⊢ b"]);
  assert.deepEqual(x.goal_theorems, ["A", "B"]);
  assert.deepEqual(Array.from(x.goal_index), [0, 0, 0, 1, 1]);
  assert.deepEqual(x.state_texts, ["⊢ a", "⊢ a'", "", "⊢ b", "h : {x}\n⊢ b'"]);
});

test("a theorem without a goal, or with two, is an error naming it", () => {
  assert.throws(() => embeddingTexts({ ...T, goal_pp: ["⊢ a", "⊢ a", "⊢ a", "", ""] }, "t.arrow"), /t\.arrow: missing goal for theorem 'B' \(row 3/);
  assert.throws(() => embeddingTexts({ ...T, goal_pp: ["⊢ a", "⊢ a", "⊢ z", "⊢ b", "⊢ b"] }, "t.arrow"), /theorem 'A' has two goal texts \(row 2/);
});

test("index from the job's flags: terminal first, then the state's flag, then its goal's", () => {
  const x = embeddingTexts(T, "t.arrow");
  const ix = embeddingsIndexColumns(T, x.goal_index, [0, 2, 1, 0, 3], [0, 3]);
  assert.deepEqual(ix.exclude_reason, [null, "non_finite", "terminal", "all_zero", "all_zero"]);
  assert.deepEqual(ix.excluded, [false, true, true, true, true]);
  assert.deepEqual(ix.goal_row, [0, 0, 0, 1, 1]);
  assert.throws(() => embeddingsIndexColumns(T, x.goal_index, [0], [0, 0]), /1 state flags for 5 trajectory rows/);
});
