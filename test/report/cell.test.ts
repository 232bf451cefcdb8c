import { test } from "node:test";
import assert from "node:assert/strict";
import type { MetricsFile } from "../../src/artifacts/schemas.js";
import { cellNumber, formatCell, formatSigned, formatValue, markdownTable, metricCells, mdText, notRun, textCell, valueCell } from "../../src/report/index.js";

test("formatValue: every format, fixed and locale-free", () => {
  assert.equal(formatValue(1234567.4, "int"), "1,234,567");
  assert.equal(formatValue(-1234.6, "int"), "-1,235");
  assert.equal(formatValue(0.4172, "pct"), "41.7%");
  assert.equal(formatValue(6.4, "f2"), "6.40");
  assert.equal(formatValue(0.8349, "f3"), "0.835");
  assert.equal(formatValue(0.12345, "f4"), "0.1235");
  assert.equal(formatValue(-0.0001, "f2"), "0.00");
  assert.equal(formatValue(-0.0001, "pct"), "0.0%");
});

test("formatCell: not_run says why, never 0 or blank", () => {
  assert.equal(formatCell(notRun("no EBM checkpoint")), "not run — no EBM checkpoint");
  assert.equal(formatCell(notRun("  ")), "not run — no reason recorded");
  assert.equal(formatCell(valueCell(NaN, "m.json")), "not run — non-finite value (NaN) in m.json");
  assert.equal(formatCell(textCell("")), "—");
  assert.equal(formatCell(valueCell(0.5, "m.json", "pct"), "f2"), "50.0%", "the cell's own format wins");
  assert.equal(formatCell(valueCell(0.5, "m.json"), "f2"), "0.50");
});

test("formatSigned: signs and percentage points", () => {
  assert.equal(formatSigned(0.06000000000000005, "pct"), "+6.0 pts");
  assert.equal(formatSigned(-0.021, "pct"), "-2.1 pts");
  assert.equal(formatSigned(0.3, "f2"), "+0.30");
  assert.equal(formatSigned(0.0001, "f2"), "0.00");
  assert.equal(formatSigned(-0.0001, "f2"), "0.00");
});

test("cellNumber: numbers or reasons", () => {
  assert.deepEqual(cellNumber(valueCell(2, "a")), { ok: true, value: 2 });
  assert.deepEqual(cellNumber(notRun("x")), { ok: false, reason: "x" });
  assert.equal(cellNumber(textCell("~35%")).ok, false);
});

test("metricCells: value, not_computed reason, missing key, whole artifact not run", () => {
  const file: MetricsFile = { kind: "embedding", values: { centroid_l2: 5.1 }, not_computed: { silhouette_deep: "not enough data: n=12" } };
  const cells = metricCells(["centroid_l2", "silhouette_deep", "norm_gap"] as const, { path: "e.json", file }, { centroid_l2: "f2" });
  assert.deepEqual(cells.centroid_l2, { kind: "value", value: 5.1, format: "f2", source: "e.json" });
  assert.deepEqual(cells.silhouette_deep, { kind: "not_run", reason: "not enough data: n=12" });
  assert.deepEqual(cells.norm_gap, { kind: "not_run", reason: "norm_gap missing from e.json" });
  const none = metricCells(["a", "b"] as const, notRun("embedding stage not run"));
  assert.equal(formatCell(none.b), "not run — embedding stage not run");
});

test("markdownTable: aligned, pipes escaped, empty cells refused", () => {
  assert.equal(markdownTable(["A", "B"], [["1", "x|y"]]), "| A   | B    |\n|-----|------|\n| 1   | x\\|y |");
  assert.throws(() => markdownTable(["Metric", "Value"], [["m", " "]]), /empty cell at row 1 column "Value"/);
  assert.throws(() => markdownTable(["A"], [["1", "2"]]), /row 1 has 2 cells/);
});

test("mdText: tags are neutralised, comparisons kept", () => {
  assert.equal(mdText("<script>alert(1)</script> and < 25%"), "&lt;script>alert(1)&lt;/script> and < 25%");
});
