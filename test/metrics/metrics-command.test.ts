/** `burnqed metrics embeddings|ebm` and `burnqed plots` on files, as a user runs them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeNpy } from "../../src/artifacts/npy.js";
import type { MetricsFile } from "../../src/artifacts/schemas.js";
import { metricsCommand, plotsCommand } from "../../src/cli/metrics-command.js";
import { tmpDir } from "../helpers/tmp-run.js";
import { demoTable, demoWorld, plantedEnergies, writeInputs } from "./metrics-fixtures.js";

const SMALL = { seed: 9, n_theorems: 60, n_search_theorems: 20, dim: 16 };

test("metrics embeddings / ebm write a MetricsFile with the plan's keys", async () => {
  const world = demoWorld(SMALL);
  const it = world.iter_0;
  const tmp = tmpDir();
  try {
    const f = writeInputs(tmp.dir, demoTable(it), it.state_embeddings, it.dim, plantedEnergies(it, world.planted.iter_0.shift_direction));
    const out = join(tmp.dir, "embedding_metrics.json");
    assert.equal(await metricsCommand(["embeddings", "--table", f.table, "--vectors", f.vectors, "--out", out]), 0);
    const emb = JSON.parse(readFileSync(out, "utf8")) as MetricsFile;
    assert.equal(emb.kind, "embedding_metrics");
    assert.equal(emb.values["sibling_collision_rate"], world.planted.iter_0.sibling_collision_rate);
    // terminal rows have all-zero vectors: without an embeddings index they are caught by the screen
    assert.equal((emb.details as { excluded: { all_zero: number } }).excluded.all_zero, world.planted.iter_0.n_terminal);
    for (const k of Object.keys(emb.not_computed)) assert.ok(!(k in emb.values), k);
    const ebmOut = join(tmp.dir, "ebm_metrics.json");
    assert.equal(await metricsCommand(["ebm", "--table", f.table, "--energies", f.energies!, "--out", ebmOut, "--seed", "2"]), 0);
    const ebm = JSON.parse(readFileSync(ebmOut, "utf8")) as MetricsFile;
    assert.equal(ebm.kind, "ebm_metrics");
    assert.ok(ebm.values["rank1_accuracy"]! > 0.5);
  } finally {
    tmp.cleanup();
  }
});

test("usage errors exit 2 and name the problem; a row-count mismatch exits 1", async () => {
  const world = demoWorld(SMALL);
  const it = world.iter_0;
  const tmp = tmpDir();
  try {
    const f = writeInputs(tmp.dir, demoTable(it), it.state_embeddings, it.dim);
    const fiveEnergies = join(tmp.dir, "five.npy");
    writeNpy(fiveEnergies, "float64", [5], new Float64Array(5));
    assert.equal(await metricsCommand(["embeddings", "--table", f.table]), 2);
    assert.equal(await metricsCommand(["spectra"]), 2);
    assert.equal(await metricsCommand(["ebm", "--table", f.table, "--energies", fiveEnergies, "--out", join(tmp.dir, "x.json"), "--bogus", "1"]), 2);
    assert.equal(await metricsCommand(["ebm", "--table", f.table, "--energies", fiveEnergies, "--out", join(tmp.dir, "x.json")]), 1);
    assert.equal(existsSync(join(tmp.dir, "x.json")), false);
  } finally {
    tmp.cleanup();
  }
});

test("plots writes every Task 2.3 plot as SVG, with t-SNE coloured by energy when energies are given", { timeout: 60_000 }, async () => {
  const world = demoWorld(SMALL);
  const it = world.iter_0;
  const tmp = tmpDir();
  try {
    const f = writeInputs(tmp.dir, demoTable(it), it.state_embeddings, it.dim, plantedEnergies(it, world.planted.iter_0.shift_direction));
    const dir = join(tmp.dir, "plots");
    assert.equal(await plotsCommand(["--table", f.table, "--vectors", f.vectors, "--energies", f.energies!, "--out-dir", dir, "--max-points", "300"]), 0);
    for (const name of ["umap_label", "tsne_label", "tsne_depth", "tsne_energy", "sibling_l2_hist", "depth_centroid_l2", "spectrum"]) {
      const svg = readFileSync(join(dir, `${name}.svg`), "utf8");
      assert.ok(svg.startsWith("<svg") && svg.includes("</svg>"), name);
    }
    const hist = readFileSync(join(dir, "sibling_l2_hist.svg"), "utf8");
    assert.ok(hist.includes("collision threshold 1"), "threshold marked");
    const specs = JSON.parse(readFileSync(join(dir, "plot_specs.json"), "utf8")) as Record<string, { traces: { name: string; x: number[] }[] }>;
    assert.deepEqual(specs["tsne_label"]!.traces.map((t) => t.name), ["negative", "positive"]);
    // balanced sample: up to half positives
    const nPos = specs["tsne_label"]!.traces[1]!.x.length;
    assert.equal(nPos, Math.min(150, world.planted.iter_0.n_positive - world.planted.iter_0.n_terminal));
  } finally {
    tmp.cleanup();
  }
});
