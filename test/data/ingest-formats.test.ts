/**
 * Readers for the Hugging Face formats with no sample here (internlm/Lean-Workbook,
 * AI-MO/NuminaMath-LEAN, the Goedel JSONL rows), on small files written in those formats, and
 * quarantine: malformed rows are counted with a reason, never fatal.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingestDatasets } from "../../src/data/ingest-datasets.js";
import { theoremCode } from "../../src/data/theorem-row.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-ingest-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const jsonl = (name: string, rows: unknown[], extra = "") => {
  const p = join(dir, name);
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join("\n") + "\n" + extra);
  return p;
};

const full = (name: string, proof: string) => `import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat\n\n/- informal -/\ntheorem ${name} (x : ℝ) (h : x = 1) : x + 1 = 2 := by\n${proof}`;

test("Goedel rows: good rows kept, malformed ones quarantined with reasons", () => {
  const p = jsonl(
    "goedel.jsonl",
    [
      { problem_id: "lean_workbook_1", full_proof: full("lean_workbook_1", "  subst h\n  norm_num") },
      { problem_id: "lean_workbook_2" },
      { problem_id: "lean_workbook_3", full_proof: "theorem lean_workbook_3 : 1 = 1 := rfl" },
      { problem_id: "lean_workbook_4", full_proof: "-- nothing here" },
      { problem_id: "lean_workbook_5", full_proof: full("lean_workbook_5", "  sorry") },
    ],
    "{not json\n",
  );
  writeFileSync(join(dir, "train-00000.parquet"), "PAR1");
  const r = ingestDatasets([{ format: "goedel", path: p }, { format: "goedel", path: join(dir, "train-00000.parquet") }]);
  assert.deepEqual(r.rows.map((x) => x.name), ["lean_workbook_1"]);
  assert.deepEqual(r.datasets[0]!.quarantine_reasons, { not_json: 1, missing_field: 1, term_proof: 1, no_theorem: 1, no_proof: 1 });
  assert.deepEqual(r.datasets[1]!.quarantine_reasons, { parquet_unsupported: 1 });
  assert.match(r.quarantine.find((q) => q.reason === "parquet_unsupported")!.detail, /read_parquet/);
  assert.ok(r.quarantine.every((q) => q.file && q.detail), "every entry says which file and why");
  assert.equal(r.quarantine.find((q) => q.reason === "missing_field")!.row, 2);
});

test("Lean Workbook / Plus: every statement is a row, proved ones with their proof", () => {
  const stmt = (id: string) => `theorem ${id} (a b : ℝ) (hab : a + b = 2) : a * b ≤ 1 := by sorry`;
  const p = jsonl("lean_workbook.json.jsonl", [
    { id: "lean_workbook_10", formal_statement: stmt("lean_workbook_10"), status: "proved", tactic: "nlinarith [sq_nonneg (a - b)]", natural_language_statement: "…" },
    { id: "lean_workbook_11", formal_statement: stmt("lean_workbook_11"), status: "open" },
    { id: "lean_workbook_12", status: "proved", tactic: "simp" },
  ]);
  const q = jsonl("lean_workbook_plus.jsonl", [{ id: "lean_workbook_plus_7", formal_statement: stmt("lean_workbook_plus_7"), status: "proved", proof: "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]" }]);
  const r = ingestDatasets([{ format: "lean_workbook", path: p }, { format: "lean_workbook", path: q }]);
  assert.deepEqual(
    r.rows.map((x) => [x.name, x.source, x.proof]),
    [
      ["lean_workbook_10", "workbook", "  nlinarith [sq_nonneg (a - b)]"],
      ["lean_workbook_11", "workbook", null],
      ["lean_workbook_plus_7", "workbook_plus", "  nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]"],
    ],
  );
  assert.equal(theoremCode(r.rows[0]!), "theorem lean_workbook_10 (a b : ℝ) (hab : a + b = 2) : a * b ≤ 1 := by\n  nlinarith [sq_nonneg (a - b)]");
  assert.equal(r.rows[0]!.header, "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat");
  assert.deepEqual(r.datasets[0]!.quarantine_reasons, { missing_field: 1 });
  assert.deepEqual(r.datasets[0]!.notes, { statement_only_status_open: 1 });
  assert.equal(r.datasets[1]!.dataset, "internlm/Lean-Workbook (Plus)");
});

test("NuminaMath-LEAN: only rows with a proof; full-file and tactic-block proofs; repeated names renamed", () => {
  const stmt = "import Mathlib\n\ntheorem algebra_1 (x : ℝ) (hx : 2 * x = 4) : x = 2 := by sorry";
  const p = jsonl("numina.jsonl", [
    { uuid: "0a1b2c3d-0000", formal_statement: stmt, formal_proof: "import Mathlib\n\ntheorem algebra_1 (x : ℝ) (hx : 2 * x = 4) : x = 2 := by\n  linarith" },
    { uuid: "9f8e7d6c-1111", formal_statement: stmt, formal_proof: "  linarith [hx]" },
    { uuid: "55555555-2222", formal_statement: stmt, formal_proof: "" },
    { uuid: "66666666-3333", formal_statement: stmt, formal_proof: null },
    { uuid: "77777777-4444", formal_statement: stmt, formal_proof: "by sorry" },
  ]);
  const r = ingestDatasets([{ format: "numinamath", path: p }]);
  assert.deepEqual(
    r.rows.map((x) => [x.name, x.statement.split(" (")[0], x.proof, x.source, x.lean_version]),
    [
      ["algebra_1", "theorem algebra_1", "  linarith", "numinamath", "v4.15.0"],
      ["algebra_1_9f8e7d6c", "theorem algebra_1_9f8e7d6c", "  linarith [hx]", "numinamath", "v4.15.0"],
    ],
  );
  assert.deepEqual(r.datasets[0]!.skipped, { no_proof: 3 });
  assert.deepEqual(r.datasets[0]!.notes, { renamed_repeated_name: 1 });
  assert.equal(r.rows[0]!.header, "import Mathlib");
});
