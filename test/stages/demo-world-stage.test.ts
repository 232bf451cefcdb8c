import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openRun } from "../../src/artifacts/run.js";
import { runStage } from "../../src/artifacts/stage.js";
import { readJson } from "../../src/artifacts/json-file.js";
import { demoWorldStage } from "../../src/stages/demo-world.js";
import { stageSpec } from "../../src/stages/registry.js";
import type { MetricsFile } from "../../src/artifacts/schemas.js";
import { tmpDir } from "../helpers/tmp-run.js";

const SMALL = { n_theorems: 120, n_search_theorems: 40, dim: 32, n_minif2f: 40 };

test("same seed → byte-identical demo artifacts; another seed → different ones", async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const hashes = async (run_id: string, seed: number) => {
      const run = openRun({ run_id, profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), seed, ...SMALL });
      const o = await runStage(run, demoWorldStage(run), { quiet: true });
      return Object.fromEntries(o.outputs.map((a) => [a.path, a.sha256]));
    };
    const a = await hashes("a", 7);
    const b = await hashes("b", 7);
    const c = await hashes("c", 8);
    assert.equal(Object.keys(a).length, 17);
    assert.deepEqual(a, b);
    // miniF2F outcomes are planted exact rates (same counts for every seed); params.json differs only by seed.
    for (const [path, h] of Object.entries(a)) if (!path.endsWith("search_results.json")) assert.notEqual(c[path], h, `${path} did not change with the seed`);
  } finally {
    cleanup();
  }
});

test("the spectrum job recovers the planted variance spectrum of the demo embeddings", { skip: !process.env["PYTHON"] && "PYTHON not set" }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const run = openRun({ run_id: "s", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
    await runStage(run, demoWorldStage(run), { quiet: true });
    await runStage(run, stageSpec(run, "iter_0/embed")!, { quiet: true });
    await runStage(run, stageSpec(run, "iter_0/embedding-spectrum")!, { quiet: true });
    const got = readJson<MetricsFile>(run.paths.abs(run.paths.iter_0.baselines.spectrum_metrics)).values;
    const planted = readJson<{ iter_0: { top1_variance_ratio: number; top10_variance_ratio: number; effective_dimension: number; n_rows: number; n_terminal: number } }>(
      run.paths.abs(run.paths.demo.planted),
    ).iter_0;
    assert.ok(Math.abs(got["top1_variance_ratio"]! - planted.top1_variance_ratio) <= 0.01, `top1 ${got["top1_variance_ratio"]} vs planted ${planted.top1_variance_ratio}`);
    assert.ok(Math.abs(got["top10_variance_ratio"]! - planted.top10_variance_ratio) <= 0.01, `top10 ${got["top10_variance_ratio"]} vs ${planted.top10_variance_ratio}`);
    assert.ok(Math.abs(got["effective_dimension"]! / planted.effective_dimension - 1) <= 0.03, `eff dim ${got["effective_dimension"]} vs ${planted.effective_dimension}`);
    assert.equal(got["n_rows_used"], planted.n_rows - planted.n_terminal);
  } finally {
    cleanup();
  }
});
