import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openRun } from "../../src/artifacts/run.js";
import { runStage } from "../../src/artifacts/stage.js";
import { readJson } from "../../src/artifacts/json-file.js";
import { demoParamsOf, demoWorldStage } from "../../src/stages/demo-world.js";
import { generateDemoWorld } from "../../src/demo/demo-world.js";
import { writeNpy } from "../../src/artifacts/npy.js";
import { writeTable } from "../../src/artifacts/arrow-table.js";
import { EMBEDDINGS_INDEX } from "../../src/artifacts/schemas.js";
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
    assert.equal(Object.keys(a).length, 7);
    assert.deepEqual(a, b);
    for (const [path, h] of Object.entries(a)) assert.notEqual(c[path], h, `${path} did not change with the seed`);
  } finally {
    cleanup();
  }
});

test("the spectrum job recovers the planted variance spectrum of the planted demo embeddings", { skip: !process.env["PYTHON"] && "PYTHON not set" }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    // the planted world's iter_0 embeddings (src/demo/planted-embeddings.ts), where the embedding stage would put them
    const run = openRun({ run_id: "s", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
    const world = generateDemoWorld(demoParamsOf(run));
    const e = run.paths.iter_0.embeddings;
    const w = world.iter_0;
    writeNpy(run.paths.abs(e.states), "float32", [w.goal_index.length, w.dim], w.state_embeddings);
    writeTable(run.paths.abs(e.index), EMBEDDINGS_INDEX, w.embeddings_index);
    await runStage(run, stageSpec(run, "iter_0/embedding-spectrum")!, { quiet: true });
    const got = readJson<MetricsFile>(run.paths.abs(run.paths.iter_0.baselines.spectrum_metrics)).values;
    const planted = world.planted.iter_0;
    assert.ok(Math.abs(got["top1_variance_ratio"]! - planted.top1_variance_ratio) <= 0.01, `top1 ${got["top1_variance_ratio"]} vs planted ${planted.top1_variance_ratio}`);
    assert.ok(Math.abs(got["top10_variance_ratio"]! - planted.top10_variance_ratio) <= 0.01, `top10 ${got["top10_variance_ratio"]} vs ${planted.top10_variance_ratio}`);
    assert.ok(Math.abs(got["effective_dimension"]! / planted.effective_dimension - 1) <= 0.03, `eff dim ${got["effective_dimension"]} vs ${planted.effective_dimension}`);
    assert.equal(got["n_rows_used"], planted.n_rows - planted.n_terminal);
  } finally {
    cleanup();
  }
});
