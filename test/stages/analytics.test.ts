/**
 * The analytics stages in a small demo run (searched trajectories, synthetic-encoder embeddings):
 * embedding metrics read the trajectories, the embeddings index and the state embeddings and agree
 * with the Python spectrum job; EBM metrics read an energies file (here computed by the test as
 * the negative projection on the synthetic encoder's planted direction, standing in for the
 * energy-head stage); plots write every Task 2.3 SVG. A second call with nothing changed runs
 * nothing. (Recovery of exactly planted values: test/metrics/planted-recovery.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJson } from "../../src/artifacts/json-file.js";
import { readNpy, writeNpy } from "../../src/artifacts/npy.js";
import { openRun } from "../../src/artifacts/run.js";
import type { MetricsFile } from "../../src/artifacts/schemas.js";
import { runStage } from "../../src/artifacts/stage.js";
import { plantedDirection } from "../../src/demo/synthetic/synthetic-embeddings.js";
import { readTable } from "../../src/artifacts/arrow-table.js";
import { TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { checkTslabCompat } from "../../src/notebooks/tslab-compat.js";
import { EMBEDDING_PLOTS } from "../../src/config/run-paths.js";
import { stageSpec, type StageName } from "../../src/stages/registry.js";

test("embedding-metrics, ebm-metrics and plots stages on a demo run", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "burnqed-analytics-"));
  try {
    const run = openRun({ run_id: "a", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), force: [], seed: 5, n_theorems: 80, n_search_theorems: 24, dim: 24, recipe: "plots.max_points=300; plots.pca_dims=10" });
    const q = { quiet: true };
    const stage = (name: StageName) => runStage(run, stageSpec(run, name)!, q);
    for (const name of ["demo/world", "data/ingest", "data/trace", "data/split-format", "data/pool", "iter_0/search", "iter_0/embed", "iter_0/embedding-spectrum", "ebm-A/contrastive-plan"] as const) await stage(name);
    const a = run.paths.iter_0.baselines;
    const ebmA = run.paths.ebm("A");
    const traj = readTable(run.paths.abs(run.paths.iter_0.search_trajectories), TRAJECTORIES).columns;
    const terminal = Array.from(traj.is_proof_complete).filter(Boolean).length;

    const emb = await stage("iter_0/embedding-metrics");
    assert.equal(emb.status, "ran");
    const file = readJson<MetricsFile>(run.paths.abs(a.embedding_metrics));
    assert.deepEqual((file.details as { excluded_by_index_reason: Record<string, number> }).excluded_by_index_reason, terminal ? { terminal } : {});
    // the synthetic encoder shifts proof-path states: positives and negatives separate
    assert.ok(file.values["centroid_l2"]! > 1, `centroid_l2 ${file.values["centroid_l2"]}`);
    // the Python spectrum job and the TypeScript metrics agree on the spectrum ratios
    const spectrum = readJson<MetricsFile>(run.paths.abs(run.paths.iter_0.baselines.spectrum_metrics));
    for (const k of ["top1_variance_ratio", "top10_variance_ratio", "effective_dimension"]) {
      assert.ok(Math.abs(file.values[k]! - spectrum.values[k]!) <= 1e-4 * spectrum.values[k]!, `${k}: ${file.values[k]} vs ${spectrum.values[k]}`);
    }

    // energies from the test, at the path the energy-head stage writes
    const trajRows = readNpy(run.paths.abs(run.paths.iter_0.embeddings.states));
    const [n, d] = trajRows.shape as [number, number];
    const u = Array.from(plantedDirection(readJson<{ seed: number }>(run.paths.abs(run.paths.demo.policy_server)).seed, d));
    const x = trajRows.data as Float32Array;
    writeNpy(run.paths.abs(ebmA.energies), "float32", [n], Float32Array.from({ length: n }, (_, r) => -u.reduce((s, uk, k) => s + uk * x[r * d + k]!, 0)));
    await stage("ebm-A/metrics");
    const ebm = readJson<MetricsFile>(run.paths.abs(ebmA.metrics));
    assert.ok(ebm.values["rank1_accuracy"]! > 0.5, `rank1 ${ebm.values["rank1_accuracy"]}`);
    assert.ok(ebm.values["energy_gap"]! > 0);

    const plots = await stage("iter_0/plots");
    assert.deepEqual(plots.outputs.map((o) => o.path).sort(), [...EMBEDDING_PLOTS.map((k) => a.plots[k]), a.plot_specs].sort());
    assert.ok(readFileSync(run.paths.abs(a.plots.sibling_l2_hist), "utf8").includes("collision threshold 1"));
    // nothing changed: nothing runs
    const again = await stage("iter_0/embedding-metrics");
    assert.equal(again.status, "cached");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the analytics stages (and the metrics they import) compile under tslab's TypeScript 5.0", () => {
  assert.deepEqual(checkTslabCompat("src/stages/analytics.ts").map((p) => `${p.file}:${p.line} ${p.message.split("\n")[0]}`), []);
});
