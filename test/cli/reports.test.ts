/**
 * `burnqed reports` end to end, as `make reports` runs it: the notebooks execute headless in real
 * Jupyter (tslab kernel), the reports are published; a second run with nothing changed runs no
 * stage, executes no notebook and says so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpDir } from "../helpers/tmp-run.js";

const kernel = join(process.cwd(), ".jupyter", "kernels", "burnqed-ts", "kernel.json");
const skip = !existsSync(kernel) ? `no kernel spec at ${kernel} (run make setup)` : !process.env["PYTHON"] ? "PYTHON not set (make test sets it)" : false;

test("make reports: cold run builds the DEMO run and every report; warm run changes nothing", { skip, timeout: 600_000 }, () => {
  const { dir, cleanup } = tmpDir();
  try {
    const env = { ...process.env, RUN: "demo", PROFILE: "demo", RUNS_DIR: join(dir, "runs"), REPORTS_DIR: join(dir, "reports"), JUPYTER_PATH: join(process.cwd(), ".jupyter") };
    const cold = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "reports"], { env, encoding: "utf8" });
    assert.equal(cold.status, 0, (cold.stdout + cold.stderr).slice(-4000));
    const rep = join(dir, "reports", "demo");
    for (const f of ["baseline_report.md", "baseline_report.html", "comparison_report.md", "comparison_report.html", "plots/iter_0_spectrum.svg", "plots/spectra_iter_0_vs_iter_1.svg"]) {
      assert.ok(existsSync(join(rep, f)), `missing ${f}`);
    }
    for (const nb of ["00_data", "01_sft_search", "02_embeddings_ebm", "03_joint", "04_evaluation"]) {
      const executed = JSON.parse(readFileSync(join(rep, "notebooks", `${nb}.ipynb`), "utf8")) as { cells: Array<{ source: string; outputs?: Array<{ name?: string; data?: Record<string, unknown> }> }> };
      assert.ok(executed.cells.some((c) => (c.outputs ?? []).length > 0), `${nb} has no outputs`);
      // every stage cell of a demo run shows a DEMO mark; nothing is written to stderr (red in Jupyter)
      for (const c of executed.cells.filter((x) => x.source.includes("lab.stage("))) {
        const out = JSON.stringify(c.outputs ?? []);
        assert.match(out, /DEMO/, `${nb}: cell ${c.source} shows no DEMO mark`);
        assert.ok(!(c.outputs ?? []).some((o) => o.name === "stderr"), `${nb}: cell ${c.source} wrote to stderr`);
      }
    }
    const nb04 = readFileSync(join(rep, "notebooks", "04_evaluation.ipynb"), "utf8");
    assert.match(nb04, /decision<\/code><\/td><td>R1: Joint training works/);
    const baseline = readFileSync(join(rep, "baseline_report.md"), "utf8");
    assert.match(baseline.split("\n")[0]!, /DEMO RUN/);
    assert.match(baseline, /Evaluated on \d+ theorems held out by iter_0\/ebm\/contrastive_plan\/plan\.json/);
    assert.match(baseline, /\| linear_probe base rate +\| 0\.9\d\d/);
    assert.match(baseline, /Source breakdown, by theorems: Workbook/);
    // self-contained HTML: every plot inline, each with the DEMO mark
    const html = readFileSync(join(rep, "baseline_report.html"), "utf8");
    assert.doesNotMatch(html, /<img/);
    assert.equal((html.match(/<figure class="plot"/g) ?? []).length, 6);
    assert.equal((html.match(/class="watermark"/g) ?? []).length, 6);
    const comparison = readFileSync(join(rep, "comparison_report.md"), "utf8");
    assert.match(comparison, /\| C: iter_1 full joint +\| [\d.]+ \[/, "config C has its own numbers");
    // C's numbers are its own; only a metric without enough data may be missing
    assert.doesNotMatch(comparison.split("### Deltas")[0]!.split("\n").find((l) => l.startsWith("| C:")) ?? "", /not run — (?!not enough data)/);
    // the miniF2F numbers are search outputs, and the EBM's effect is read paired
    assert.match(baseline, /miniF2F LLM-only \(\d+ nodes\): best-first search \(src\/search\) by stage iter_0\/minif2f/);
    assert.match(baseline, /LLM\+EBM \(config A\) − LLM-only on the same \d+ theorems: \+\d+\.\d pts \[\+\d+\.\d, \+\d+\.\d\] \(paired bootstrap over theorems\); exact McNemar p = /);
    assert.match(comparison, /## All baseline measurements, iter_0 vs iter_1/);
    assert.match(comparison, /same embeddings — equal by construction/);
    assert.match(comparison, /\| R1 +\| .* \| \*\*holds\*\* /);
    for (const f of ["plots/spectra_iter_0_vs_iter_1.svg", "plots/iter_1_umap_label.svg", "plots/iter_1_tsne_depth.svg", "plots/iter_1_sibling_l2_hist.svg"]) assert.ok(existsSync(join(rep, f)), `missing ${f}`);
    const warm = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "reports"], { env, encoding: "utf8" });
    assert.equal(warm.status, 0, warm.stderr.slice(-2000));
    assert.match(warm.stdout, /nothing changed: no stage ran, no notebook executed/);
  } finally {
    cleanup();
  }
});
