import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runStage, stageStatus, type StageSpec } from "../../src/artifacts/stage.js";
import { archiveRun, listArchives, openArchivedRun, runningStages, ArchiveError } from "../../src/artifacts/archive.js";
import { verifyArtifact } from "../../src/artifacts/manifest.js";
import { openRun } from "../../src/artifacts/run.js";
import { runRel } from "../../src/config/run-paths.js";
import { tmpDir } from "../helpers/tmp-run.js";

const OUT = runRel("iter_0/trajectories/x.json");
const CKPT = "iter_0/model/checkpoints/joint/step000010.pt"; // not an artifact: moves with the folder

function writer(module: string, n: number): StageSpec<{ n: number }> {
  return {
    name: "write-x",
    description: "writes x",
    params: { n },
    inputs: [],
    code: { module },
    outputs: [{ path: OUT, kind: "json" }],
    run(ctx) {
      ctx.writeJson(OUT, { n });
      return { n };
    },
  };
}

function setup() {
  const t = tmpDir();
  const module = join(t.dir, "m.ts");
  writeFileSync(module, "// m\n");
  const run = openRun({ run_id: "r1", profile: "demo", runs_dir: join(t.dir, "runs"), reports_dir: join(t.dir, "reports"), recipe: "ebm_train.lr=0.001" });
  return { ...t, module, run };
}

const statesOf = (run: ReturnType<typeof openRun>, spec: StageSpec<unknown>) => {
  const s = stageStatus(run, spec);
  return [{ name: spec.name, state: s.state, reasons: s.reasons }];
};

test("archive round trip: moved with its manifest, reopened read-only, fresh results readable, nothing runs", async () => {
  const { dir, module, run, cleanup } = setup();
  try {
    const spec = writer(module, 3);
    await runStage(run, spec, { quiet: true });
    mkdirSync(join(run.paths.root, "iter_0/model/checkpoints/joint"), { recursive: true });
    writeFileSync(join(run.paths.root, CKPT), "weights");
    mkdirSync(run.paths.reports.dir, { recursive: true });
    writeFileSync(join(run.paths.reports.dir, "comparison_report.md"), "# report\n");
    const rootBefore = run.paths.root;
    const archive = join(dir, "archive");
    const rec = archiveRun(run, statesOf(run, spec), { name: "iter-0-cycle", archive_dir: archive });
    assert.equal(rec.artifacts, 1);
    assert.deepEqual(rec.not_fresh, []);
    assert.deepEqual(rec.moved.map((m) => m.how), ["renamed", "renamed"]);
    assert.equal(existsSync(rootBefore), false); // moved, not copied
    assert.equal(readFileSync(join(archive, "iter-0-cycle/runs/r1", CKPT), "utf8"), "weights"); // checkpoints travel
    assert.equal(readFileSync(join(archive, "iter-0-cycle/reports/r1/comparison_report.md"), "utf8"), "# report\n");
    assert.deepEqual(listArchives(archive).map((a) => a.name), ["iter-0-cycle"]);

    const ro = openArchivedRun(archive, "iter-0-cycle");
    assert.equal(ro.readonly, true);
    assert.deepEqual(ro.config.recipe_overrides, ["ebm_train.lr=0.001"]); // same config, so the same stage keys
    assert.equal(stageStatus(ro, spec).state, "fresh");
    for (const e of Object.values(ro.manifest().artifacts)) verifyArtifact(ro.paths.root, e, { deep: true });
    const cached = await runStage(ro, spec, { quiet: true });
    assert.deepEqual([cached.status, cached.result], ["cached", { n: 3 }]);
    await assert.rejects(runStage(ro, spec, { quiet: true, force: true }), /is an archive and read-only/);
    await assert.rejects(runStage(ro, writer(module, 4), { quiet: true }), /would run \(params changed.*read-only/);
    assert.throws(() => ro.update((m) => m), /read-only: a manifest update refused/);
    assert.throws(() => archiveRun(ro, [], { name: "again", archive_dir: archive }), /already an archive/);
  } finally {
    cleanup();
  }
});

test("archive refuses: stale stages (unless allowed), an existing name, a running stage, a bad name", async () => {
  const { dir, module, run, cleanup } = setup();
  try {
    const archive = join(dir, "archive");
    await runStage(run, writer(module, 1), { quiet: true });
    const stale = writer(module, 2); // its params changed: stale
    assert.throws(() => archiveRun(run, statesOf(run, stale), { name: "a", archive_dir: archive }), (e: Error) => e instanceof ArchiveError && /1 stage\(s\) not fresh[\s\S]*write-x: stale \(params changed/.test(e.message));
    assert.equal(existsSync(join(archive, "a")), false);
    assert.throws(() => archiveRun(run, [], { name: "../x", archive_dir: archive }), /archive name must be/);
    mkdirSync(join(archive, "taken"), { recursive: true });
    assert.throws(() => archiveRun(run, [], { name: "taken", archive_dir: archive }), /already exists.*nothing is overwritten/);
    // a stage running in another live process (this test's parent stands in for it)
    appendFileSync(run.paths.stage_log, JSON.stringify({ at: new Date().toISOString(), pid: process.ppid, stage: "write-x", status: "running" }) + "\n");
    assert.deepEqual(runningStages(run).map((r) => r.stage), ["write-x"]);
    assert.throws(() => archiveRun(run, [], { name: "b", archive_dir: archive }), /has a stage running \(write-x, pid/);
    appendFileSync(run.paths.stage_log, JSON.stringify({ at: new Date().toISOString(), pid: process.ppid, stage: "write-x", status: "ran" }) + "\n");
    const rec = archiveRun(run, statesOf(run, stale), { name: "b", archive_dir: archive, allow_stale: true });
    assert.deepEqual(rec.not_fresh, ["write-x"]);
    assert.throws(() => openArchivedRun(archive, "nope"), /no archive 'nope' .*archives: b/);
  } finally {
    cleanup();
  }
});
