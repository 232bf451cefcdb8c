import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_BANNER, renderHtml, writeReport } from "../../src/report/index.js";

const MD = [
  DEMO_BANNER,
  "",
  "# Report <b>",
  "",
  "| Metric | Value |",
  "|--------|-------|",
  "| centroid_l2 | not run — no data |",
  "",
  "![Eigenvalue spectrum](plots/spectrum.svg)",
  "",
].join("\n");

test("demo page: the banner is the first element of the body; images keep relative paths; tables bordered", () => {
  const html = renderHtml(MD, { title: "Baseline <iter_0>", demo: true });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  const body = html.slice(html.indexOf("<body>") + "<body>".length).trimStart();
  assert.ok(body.startsWith('<div class="demo-banner" role="alert"><strong>DEMO RUN — synthetic data, not a result.</strong>'));
  assert.ok(html.includes('<img src="plots/spectrum.svg" alt="Eigenvalue spectrum">'));
  assert.match(html, /<table>[\s\S]*<td>not run — no data<\/td>/);
  assert.match(html, /th, td \{ border: 1px solid/);
  assert.ok(html.includes("<title>[DEMO] Baseline &lt;iter_0&gt;</title>"));
  assert.ok(html.trimEnd().endsWith("</html>"));
});

test("real page: no banner element", () => {
  const html = renderHtml("# Report\n", { title: "Baseline", demo: false });
  assert.ok(!html.includes('class="demo-banner"'));
  assert.ok(html.includes("<h1>Report</h1>"));
});

test("writeReport writes .md and .html side by side, atomically", () => {
  const dir = mkdtempSync(join(tmpdir(), "report-"));
  try {
    const out = writeReport(MD, join(dir, "baselines", "baseline_report"), { title: "Baseline", demo: true });
    assert.equal(readFileSync(out.md_path, "utf8"), MD);
    assert.equal(readFileSync(out.html_path, "utf8"), renderHtml(MD, { title: "Baseline", demo: true }));
    assert.deepEqual(readdirSync(join(dir, "baselines")).sort(), ["baseline_report.html", "baseline_report.md"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
