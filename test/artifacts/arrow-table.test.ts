import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTable, writeTable, writeUntypedTable, tableRows, SchemaError } from "../../src/artifacts/arrow-table.js";
import { TRAJECTORIES, TACTIC_PAIRS, type Label } from "../../src/artifacts/schemas.js";
import type { TableSchema } from "../../src/artifacts/schema.js";
import { tmpDir } from "../helpers/tmp-run.js";

function trajectoryColumns() {
  return {
    theorem_name: ["t1", "t1", "t1"],
    state_id: [0, 1, 2],
    parent_state_id: [null, 0, 0],
    state_pp: ["x : ℕ\n⊢ x = x", "", "x : ℕ\n⊢ True"],
    tactic_applied: ["", "rfl", "simp"],
    depth_from_root: Int32Array.from([0, 1, 1]),
    remaining_depth: Int32Array.from([1, 0, -1]),
    label: ["positive", "positive", "negative"] as Label[],
    llm_log_prob: Float64Array.from([0, -0.5, -3.25]),
    ebm_score: [null, null, null],
    is_proof_complete: [false, true, false],
    q_value: [null, 1, 0],
    visits: Int32Array.from([2, 1, 1]),
    run_id: ["r", "r", "r"],
    goal_pp: ["x : ℕ\n⊢ x = x", "x : ℕ\n⊢ x = x", "x : ℕ\n⊢ x = x"],
    llm_time_ms: [null, 12.5, 13],
    lean_time_ms: [null, 3, 4],
  };
}

test("Arrow tables round-trip with nulls, unicode, int64 and typed arrays", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "traj.arrow");
    assert.equal(writeTable(p, TRAJECTORIES, trajectoryColumns()), 3);
    const t = readTable(p, TRAJECTORIES);
    assert.equal(t.n_rows, 3);
    const rows = tableRows(t);
    assert.equal(rows[0]!["parent_state_id"], null);
    assert.equal(rows[2]!["parent_state_id"], 0);
    assert.equal(rows[0]!["state_pp"], "x : ℕ\n⊢ x = x");
    assert.equal(rows[1]!["is_proof_complete"], true);
    assert.equal(rows[2]!["llm_log_prob"], -3.25);
    assert.equal(rows[1]!["q_value"], 1);
    assert.deepEqual(Array.from(t.columns.depth_from_root), [0, 1, 1]);
    const label: Label | undefined = t.columns.label[2]; // typed from the schema
    assert.equal(label, "negative");
  } finally {
    cleanup();
  }
});

test("writes are validated: error names the file and the column", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "bad.arrow");
    const bad = { ...trajectoryColumns(), label: ["positive", "maybe", "negative"] };
    assert.throws(() => writeUntypedTable(p, TRAJECTORIES, bad), (e: Error) => e instanceof SchemaError && e.message.includes(p) && /column 'label': row 1: 'maybe' is not one of positive \| negative \| unknown/.test(e.message));
    const nulls = { ...trajectoryColumns(), theorem_name: ["t1", null, "t1"] };
    assert.throws(() => writeUntypedTable(p, TRAJECTORIES, nulls), /column 'theorem_name': row 1: null in a non-nullable column/);
    const { visits: _v, ...missing } = trajectoryColumns();
    assert.throws(() => writeUntypedTable(p, TRAJECTORIES, missing), /column 'visits': missing/);
    assert.throws(() => writeUntypedTable(p, TRAJECTORIES, { ...trajectoryColumns(), extra: [1, 2, 3] }), /column 'extra': not in the schema/);
    assert.throws(() => writeUntypedTable(p, TRAJECTORIES, { ...trajectoryColumns(), state_id: [0, 1.5, 2] }), /column 'state_id': row 1: 1.5 is not a valid int64/);
    assert.throws(() => readFileSync(p), /ENOENT/); // nothing written
  } finally {
    cleanup();
  }
});

test("reading against a different schema names the differing field", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "pairs.arrow");
    writeTable(p, TACTIC_PAIRS, { theorem_name: ["a"], source: ["workbook"], state_pp: ["⊢ True"], tactic: ["trivial"], depth: [0], num_goals: [1] });
    const changed: TableSchema = { ...TACTIC_PAIRS, columns: TACTIC_PAIRS.columns.map((c) => (c.name === "depth" ? { ...c, type: "float64" } : c)) };
    assert.throws(() => readTable(p, changed), (e: Error) => e.message.includes(p) && /column 'depth': expected float64, file has Int32/.test(e.message));
    assert.throws(() => readTable(p, TRAJECTORIES), /schema 'trajectories' column 'state_id': missing/);
  } finally {
    cleanup();
  }
});

test("a truncated or foreign Arrow file is a clear error", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "cut.arrow");
    writeTable(p, TRAJECTORIES, trajectoryColumns());
    truncateSync(p, readFileSync(p).length - 40);
    assert.throws(() => readTable(p, TRAJECTORIES), (e: Error) => e.message.includes(p) && /truncated Arrow IPC file/.test(e.message));
    const q = join(dir, "x.arrow");
    writeFileSync(q, "theorem_name,state_id\n");
    assert.throws(() => readTable(q, TRAJECTORIES), /not an Arrow IPC file/);
  } finally {
    cleanup();
  }
});

test("an empty table round-trips (a trace where every theorem failed, an empty pool)", () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = join(dir, "empty.arrow");
    assert.equal(writeTable(p, TACTIC_PAIRS, { theorem_name: [], source: [], state_pp: [], tactic: [], depth: [], num_goals: [] }), 0);
    const t = readTable(p, TACTIC_PAIRS);
    assert.equal(t.n_rows, 0);
    assert.deepEqual(Object.keys(t.columns), TACTIC_PAIRS.columns.map((c) => c.name));
  } finally {
    cleanup();
  }
});
