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
    for (const f of ["baseline_report.md", "baseline_report.html", "comparison_report.md", "comparison_report.html", "plots/iter_0_spectrum.svg", "plots/iter_1_spectrum.svg"]) {
      assert.ok(existsSync(join(rep, f)), `missing ${f}`);
    }
    for (const nb of ["00_data", "01_sft_search", "02_embeddings_ebm", "03_joint", "04_evaluation"]) {
      const executed = JSON.parse(readFileSync(join(rep, "notebooks", `${nb}.ipynb`), "utf8")) as { cells: Array<{ outputs?: unknown[] }> };
      assert.ok(executed.cells.some((c) => (c.outputs ?? []).length > 0), `${nb} has no outputs`);
    }
    const baseline = readFileSync(join(rep, "baseline_report.md"), "utf8");
    assert.match(baseline.split("\n")[0]!, /DEMO RUN/);
    assert.match(readFileSync(join(rep, "baseline_report.html"), "utf8"), /<img[^>]+plots\/iter_0_spectrum\.svg/);
    const warm = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "reports"], { env, encoding: "utf8" });
    assert.equal(warm.status, 0, warm.stderr.slice(-2000));
    assert.match(warm.stdout, /nothing changed: no stage ran, no notebook executed/);
  } finally {
    cleanup();
  }
});
