import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readTable } from "../../src/artifacts/arrow-table.js";
import { TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { readNpy } from "../../src/artifacts/npy.js";
import { runStage } from "../../src/artifacts/stage.js";
import { ebmCommand } from "../../src/cli/ebm-command.js";
import { DEMO_RECIPES } from "../../src/config/recipes.js";
import { runRel } from "../../src/config/run-paths.js";
import { contrastivePlanStage, scoreEnergiesStage, trainEbmStage } from "../../src/stages/ebm.js";
import { stageSpec } from "../../src/stages/registry.js";
import { join } from "node:path";
import { openRun } from "../../src/artifacts/run.js";
import { tmpDir } from "../helpers/tmp-run.js";

/**
 * A smaller world than the default (160 searched theorems) keeps this test under 30 s; a stronger
 * proof-path signal (300 %) lets a head learn from its ~40 anchors, and holding out 40 % of the
 * theorems gives validation groups.
 */
const SMALL = { n_theorems: 240, n_search_theorems: 100, dim: 64, n_minif2f: 20, label_signal_pct: 300 };
const RECIPE = "contrastive_plan.val_fraction=0.4";

const skip = !process.env["PYTHON"] && "PYTHON not set";

test("demo: plan → train (real head on CPU) → energies for every row; re-run is cached", { skip }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    // the demo recipe, shortened to keep the test fast (an override, as a notebook or --set gives it)
    const run = openRun({ run_id: "ebm", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), ...SMALL, recipe: RECIPE });
    const q = { quiet: true };
    for (const name of ["demo/world", "data/ingest", "data/trace", "data/split-format", "data/pool", "iter_0/search", "iter_0/embed"] as const) await runStage(run, stageSpec(run, name)!, q);
    const plan = await runStage(run, contrastivePlanStage(run, "A"), q);
    assert.ok(plan.result.train.anchors > 20 && plan.result.val.rank1_groups >= 5, JSON.stringify(plan.result));
    assert.equal(run.config.recipes.contrastive_plan.recipe.val_fraction, 0.4);
    const trained = await runStage(run, trainEbmStage(run, "A"), q);
    const r = trained.result;
    assert.equal(r.steps, DEMO_RECIPES.ebm_train.recipe.epochs * Math.ceil(plan.result.train.anchors / DEMO_RECIPES.ebm_train.recipe.batch_size));
    assert.ok(r.val_rank1 !== null && r.val_rank1_chance !== null && r.val_rank1 > r.val_rank1_chance + 0.2, `val rank-1 ${r.val_rank1} vs chance ${r.val_rank1_chance}`);
    const e = run.paths.ebm("A");
    const events = readFileSync(run.paths.abs(e.training_events), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string; name?: string });
    assert.ok(events.some((x) => x.event === "metric" && x.name === "temperature"));
    assert.ok(events.some((x) => x.event === "metric" && x.name === "val_rank1"));

    const scored = await runStage(run, scoreEnergiesStage(run, "A"), q);
    const energies = readNpy(run.paths.abs(e.energies)).data as Float32Array;
    const traj = readTable(run.paths.abs(run.paths.iter_0.search_trajectories), TRAJECTORIES).columns;
    const planted = { n_rows: traj.theorem_name.length, n_terminal: Array.from(traj.is_proof_complete).filter(Boolean).length };
    assert.equal(energies.length, planted.n_rows);
    assert.equal(scored.result.n_terminal, planted.n_terminal);
    let zeros = 0;
    let negInf = 0;
    for (const v of energies) {
      if (v === 0) zeros++;
      if (v === Number.NEGATIVE_INFINITY) negInf++;
      else assert.ok(Number.isFinite(v));
    }
    assert.equal(negInf, planted.n_terminal);
    assert.equal(zeros, 0);

    // the CLI gives the same energies
    const out = run.paths.abs(runRel("cli-energies.npy"));
    const emb = run.paths.iter_0.embeddings;
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await ebmCommand(["score", "--model", run.paths.abs(e.head_onnx), "--states", run.paths.abs(emb.states), "--goals", run.paths.abs(emb.goals), "--goal-index", run.paths.abs(emb.goal_index), "--out", out, "--index", run.paths.abs(emb.index)]);
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(readNpy(out).data, energies);

    const again = await runStage(run, trainEbmStage(run, "A"), q);
    assert.equal(again.status, "cached");
    // a longer job timeout is a run control: the head is not retrained
    const patient = openRun({ run_id: "ebm", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), ...SMALL, recipe: `${RECIPE}; ebm_train.timeout_s=7200; ebm_train.threads=2` });
    assert.equal((await runStage(patient, trainEbmStage(patient, "A"), q)).status, "cached");
    // a recipe value is keyed: the stage is stale and says which key
    const faster = openRun({ run_id: "ebm", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), ...SMALL, recipe: `${RECIPE}; ebm_train.lr=0.01` });
    const { stageStatus } = await import("../../src/artifacts/stage.js");
    assert.deepEqual(stageStatus(faster, trainEbmStage(faster, "A")).reasons, ["params changed: lr 0.003 → 0.01"]);
  } finally {
    cleanup();
  }
});

test("ebm command: unknown options and missing flags are errors", async () => {
  await assert.rejects(ebmCommand(["score", "--model", "m.onnx"]), /missing --states/);
  await assert.rejects(ebmCommand(["score", "--modle", "m.onnx"]), /unknown option --modle/);
  await assert.rejects(ebmCommand(["rank"]), /unknown subcommand 'rank'/);
});
