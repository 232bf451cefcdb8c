import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runStage, stageStatus, type StageSpec } from "../../src/artifacts/stage.js";
import { TACTIC_PAIRS } from "../../src/artifacts/schemas.js";
import { readJson } from "../../src/artifacts/json-file.js";
import { sha256File } from "../../src/artifacts/hash.js";
import { openRun } from "../../src/artifacts/run.js";
import type { Manifest } from "../../src/artifacts/manifest.js";
import { runRel } from "../../src/config/run-paths.js";
import { tmpRun } from "../helpers/tmp-run.js";

const PAIRS = runRel("data/traced/tactic_pairs.arrow");
const STATS = runRel("data/traced/stats.json");

function pairsStage(codeFile: string, params: { n: number }, calls: { n: number }, controls: unknown = {}): StageSpec<{ rows: number }> {
  return {
    name: "make-pairs",
    description: "writes n tactic pairs",
    params,
    controls,
    inputs: [],
    code: { module: codeFile },
    outputs: [{ path: PAIRS, kind: "table" }],
    run(ctx) {
      calls.n++;
      const n = params.n;
      const rows = ctx.writeTable(PAIRS, TACTIC_PAIRS, {
        theorem_name: Array.from({ length: n }, (_, i) => `t${i}`),
        source: Array.from({ length: n }, () => "workbook" as const),
        state_pp: Array.from({ length: n }, () => "⊢ True"),
        tactic: Array.from({ length: n }, () => "trivial"),
        depth: Array.from({ length: n }, () => 0),
        num_goals: Array.from({ length: n }, () => 1),
      });
      return { rows };
    },
  };
}

/** A module file of its own (the stage's code root), so no two tests share one. */
function moduleFile(dir: string, name = "m.ts", text = "// m\n"): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

let statsModule = "";

function statsStage(calls: { n: number }): StageSpec<{ n: number }> {
  return {
    name: "count",
    description: "counts pairs",
    params: {},
    inputs: [PAIRS],
    code: { module: statsModule },
    outputs: [{ path: STATS, kind: "json" }],
    run(ctx) {
      calls.n++;
      ctx.writeJson(STATS, { kind: "count", n: calls.n });
      return { n: calls.n };
    },
  };
}

test("cache: miss runs, hit returns the recorded result, params/code/input changes and --force re-run", async () => {
  const { run, dir, cleanup } = tmpRun();
  statsModule = moduleFile(dir, "stats-module.ts");
  try {
    const code = join(dir, "stage-code.ts");
    writeFileSync(code, "// v1\n");
    const calls = { n: 0 };
    const a = await runStage(run, pairsStage(code, { n: 3 }, calls), { quiet: true });
    assert.equal(a.status, "ran");
    assert.deepEqual(a.reasons, ["never ran"]);
    const b = await runStage(run, pairsStage(code, { n: 3 }, calls), { quiet: true });
    assert.equal(b.status, "cached");
    assert.deepEqual(b.result, { rows: 3 });
    assert.equal(calls.n, 1);

    assert.deepEqual(stageStatus(run, pairsStage(code, { n: 4 }, calls)).reasons, ["params changed: n 3 → 4"]);
    appendFileSync(code, "// v2\n");
    const st = stageStatus(run, pairsStage(code, { n: 3 }, calls));
    assert.equal(st.state, "stale");
    assert.match(st.reasons[0]!, /^code changed: .*stage-code\.ts$/);
    assert.equal((await runStage(run, pairsStage(code, { n: 3 }, calls), { quiet: true })).status, "ran");
    assert.equal((await runStage(run, pairsStage(code, { n: 3 }, calls), { quiet: true, force: true })).reasons[0], "forced");
    assert.equal(calls.n, 3);

    // Downstream: its key includes the input's hash, so new upstream content makes it stale.
    const down = { n: 0 };
    await runStage(run, statsStage(down), { quiet: true });
    assert.equal((await runStage(run, statsStage(down), { quiet: true })).status, "cached");
    await runStage(run, pairsStage(code, { n: 5 }, calls), { quiet: true });
    assert.deepEqual(stageStatus(run, statsStage(down)).reasons, [`input ${PAIRS} changed`]);
  } finally {
    cleanup();
  }
});

test("force from the run config (BURNQED_FORCE / --force) re-runs only the named stage", async () => {
  const { run, dir, cleanup } = tmpRun();
  statsModule = moduleFile(dir, "stats-module.ts");
  try {
    const code = join(dir, "c.ts");
    writeFileSync(code, "x");
    const calls = { n: 0 };
    await runStage(run, pairsStage(code, { n: 1 }, calls), { quiet: true });
    const forced = openRun(Object.freeze({ ...run.config, force: Object.freeze(["make-pairs"]) }));
    assert.equal((await runStage(forced, pairsStage(code, { n: 1 }, calls), { quiet: true })).status, "ran");
    const down = { n: 0 };
    await runStage(forced, statsStage(down), { quiet: true });
    assert.equal((await runStage(forced, statsStage(down), { quiet: true })).status, "cached");
  } finally {
    cleanup();
  }
});

test("manifest records path, schema, rows, sha256, stage, params, inputs, code version, wall time", async () => {
  const { run, dir, cleanup } = tmpRun();
  statsModule = moduleFile(dir, "stats-module.ts");
  try {
    const code = join(dir, "c.ts");
    writeFileSync(code, "x");
    await runStage(run, pairsStage(code, { n: 2 }, { n: 0 }), { quiet: true });
    await runStage(run, statsStage({ n: 0 }), { quiet: true });
    const m = readJson<Manifest>(run.paths.manifest);
    const e = m.artifacts[PAIRS]!;
    assert.equal(e.schema, "tactic_pairs");
    assert.equal(e.rows, 2);
    assert.equal(e.kind, "table");
    assert.equal(e.sha256, sha256File(run.paths.abs(e.path)));
    assert.equal(e.stage, "make-pairs");
    assert.match(e.params_hash, /^[0-9a-f]{64}$/);
    assert.match(e.code.git_commit, /^([0-9a-f]{40}|unknown)$/);
    assert.equal(typeof e.code.dirty, "boolean");
    assert.ok(e.wall_s >= 0);
    const s = m.artifacts[STATS]!;
    assert.deepEqual(Object.keys(s.input_hashes), [PAIRS]);
    assert.equal(s.input_hashes[PAIRS], e.sha256);
    assert.equal(m.stages["count"]!.outputs[0], "data/traced/stats.json");
    assert.deepEqual(m.stages["make-pairs"]!.params, { n: 2 });
  } finally {
    cleanup();
  }
});

test("an altered or deleted output makes the stage stale; a downstream stage refuses the altered input", async () => {
  const { run, dir, cleanup } = tmpRun();
  statsModule = moduleFile(dir, "stats-module.ts");
  try {
    const code = join(dir, "c.ts");
    writeFileSync(code, "x");
    const calls = { n: 0 };
    await runStage(run, pairsStage(code, { n: 2 }, calls), { quiet: true });
    const p = run.paths.abs(PAIRS);
    appendFileSync(p, "garbage");
    assert.deepEqual(stageStatus(run, pairsStage(code, { n: 2 }, calls)).reasons, ["output data/traced/tactic_pairs.arrow altered"]);
    await assert.rejects(runStage(run, statsStage({ n: 0 }), { quiet: true }), (e: Error) =>
      /input .*tactic_pairs\.arrow: altered since stage 'make-pairs' wrote it/.test(e.message) && /re-run stage 'make-pairs'/.test(e.message),
    );
    assert.equal((await runStage(run, pairsStage(code, { n: 2 }, calls), { quiet: true })).status, "ran");
    const { rmSync } = await import("node:fs");
    rmSync(p);
    assert.deepEqual(stageStatus(run, pairsStage(code, { n: 2 }, calls)).reasons, ["output data/traced/tactic_pairs.arrow missing"]);
  } finally {
    cleanup();
  }
});

test("a stage that throws records nothing and leaves no partial files", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    const spec: StageSpec<null> = {
      name: "boom",
      description: "",
      params: {},
      inputs: [],
      code: { module: moduleFile(dir) },
      outputs: [{ path: runRel("a.json"), kind: "json" }, { path: runRel("b.json"), kind: "json" }],
      run(ctx) {
        ctx.writeJson(runRel("a.json"), { kind: "x" });
        throw new Error("disk on fire");
      },
    };
    await assert.rejects(runStage(run, spec, { quiet: true }), /stage 'boom': disk on fire/);
    assert.equal(run.manifest().stages["boom"], undefined);
    assert.equal(stageStatus(run, spec).state, "missing");
    assert.deepEqual(readdirSync(run.paths.root).filter((f) => f.includes("partial")), []);
    const missingOutput: StageSpec<null> = { ...spec, name: "lazy", outputs: [{ path: runRel("never.json"), kind: "json" }], run: () => null };
    await assert.rejects(runStage(run, missingOutput, { quiet: true }), /stage 'lazy': finished without writing its declared output never\.json/);
    assert.ok(!existsSync(run.paths.abs(runRel("b.json"))));
  } finally {
    cleanup();
  }
});

test("code key: editing a file the stage module imports, however indirectly, makes it stale and names the file", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    moduleFile(dir, "leaf.ts", "export const k = 1;\n");
    moduleFile(dir, "middle.ts", 'export { k } from "./leaf.js";\n');
    const root = moduleFile(dir, "root.ts", 'import { k } from "./middle.js";\nexport const v = k;\n');
    const calls = { n: 0 };
    await runStage(run, pairsStage(root, { n: 1 }, calls), { quiet: true });
    assert.equal(stageStatus(run, pairsStage(root, { n: 1 }, calls)).state, "fresh");
    appendFileSync(join(dir, "leaf.ts"), "export const j = 2;\n");
    const st = stageStatus(run, pairsStage(root, { n: 1 }, calls));
    assert.equal(st.state, "stale");
    assert.match(st.reasons[0]!, /^code changed: .*leaf\.ts$/);
    // a relative import that resolves to no file is an error naming both files, not a silent miss
    moduleFile(dir, "middle.ts", 'export { k } from "./gone.js";\n');
    assert.match(stageStatus(run, pairsStage(root, { n: 1 }, calls)).reasons[0]!, /middle\.ts: import '\.\/gone\.js' resolves to no file/);
  } finally {
    cleanup();
  }
});

test("run controls are recorded but not keyed: a changed timeout leaves the stage fresh; a changed recipe value names the key", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    const code = moduleFile(dir);
    const calls = { n: 0 };
    await runStage(run, pairsStage(code, { n: 2 }, calls, { timeout_s: 60, threads: 1 }), { quiet: true });
    assert.equal(stageStatus(run, pairsStage(code, { n: 2 }, calls, { timeout_s: 7200, threads: 8 })).state, "fresh");
    assert.equal((await runStage(run, pairsStage(code, { n: 2 }, calls, { timeout_s: 7200 }), { quiet: true })).status, "cached");
    assert.deepEqual(run.manifest().stages["make-pairs"]!.controls, { timeout_s: 60, threads: 1 });
    const nested = (lr: number): StageSpec<{ rows: number }> => ({ ...pairsStage(code, { n: 2 }, calls), params: { n: 2, opt: { lr, wd: 0.01 } } });
    await runStage(run, nested(1e-3), { quiet: true });
    assert.deepEqual(stageStatus(run, nested(1e-4)).reasons, ["params changed: opt.lr 0.001 → 0.0001"]);
  } finally {
    cleanup();
  }
});

test("a stage may run only the Python jobs it declares (their code is part of its key)", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    const spec: StageSpec<null> = {
      name: "sneaky",
      description: "",
      params: {},
      inputs: [],
      code: { module: moduleFile(dir) },
      outputs: [{ path: runRel("x.json"), kind: "json" }],
      async run(ctx) {
        await ctx.runJob({ job: "tsne", job_dir: join(dir, "job"), config: {} });
        return null;
      },
    };
    await assert.rejects(runStage(run, spec, { quiet: true }), /runs Python job 'tsne' but does not declare it in code\.jobs/);
    const declared = { ...spec, code: { module: spec.code.module, jobs: ["tsne"] } };
    const { stageCodeFiles } = await import("../../src/artifacts/code-closure.js");
    const files = Object.keys(stageCodeFiles(declared.code));
    assert.ok(files.includes("python/burnqed/tsne.py") && files.includes("python/burnqed/events.py") && files.includes("python/burnqed/strict_config.py"), files.join(", "));
    // declared, it runs; the job rejects its empty config, and the .err file keeps the command and the stderr tail
    await assert.rejects(runStage(run, declared, { quiet: true }), /job tsne/);
    const err = readJson<{ command: string[]; stderr_tail: string }>(run.paths.abs(runRel("sneaky.err")));
    assert.deepEqual(err.command.slice(1, 3), ["-m", "burnqed.tsne"]);
    assert.match(err.stderr_tail, /tsne config: missing key\(s\) \['points', 'out'\]/);
  } finally {
    cleanup();
  }
});

test("a failed stage writes <stage>.err beside its outputs (message, params, controls); status shows it; success removes it", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    let fail = true;
    const spec: StageSpec<null> = {
      name: "iter_0/flaky",
      description: "",
      params: { lr: 0.1 },
      controls: { timeout_s: 5 },
      inputs: [],
      code: { module: moduleFile(dir) },
      outputs: [{ path: runRel("iter_0/out/x.json"), kind: "json" }],
      run(ctx) {
        if (fail) throw new Error("GPU fell over\nsecond line of detail");
        ctx.writeJson(runRel("iter_0/out/x.json"), { kind: "x" });
        return null;
      },
    };
    await assert.rejects(runStage(run, spec, { quiet: true }), /GPU fell over[\s\S]*details: .*iter_0-flaky\.err/);
    const errPath = run.paths.abs(runRel("iter_0/out/iter_0-flaky.err"));
    const err = readJson<{ stage: string; message: string; params: unknown; controls: unknown; command: unknown }>(errPath);
    assert.equal(err.stage, "iter_0/flaky");
    assert.match(err.message, /second line of detail/);
    assert.deepEqual([err.params, err.controls, err.command], [{ lr: 0.1 }, { timeout_s: 5 }, null]);
    const st = stageStatus(run, spec);
    assert.equal(st.failure?.message, "GPU fell over");
    assert.equal(st.failure?.path, "iter_0/out/iter_0-flaky.err");
    fail = false;
    await runStage(run, spec, { quiet: true });
    assert.ok(!existsSync(errPath));
    assert.equal(stageStatus(run, spec).failure, null);
  } finally {
    cleanup();
  }
});
