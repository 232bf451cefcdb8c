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
import { tmpRun } from "../helpers/tmp-run.js";

function pairsStage(codeFile: string, params: { n: number }, calls: { n: number }): StageSpec<{ rows: number }> {
  return {
    name: "make-pairs",
    description: "writes n tactic pairs",
    params,
    inputs: [],
    code: [codeFile],
    outputs: [{ path: "data/traced/tactic_pairs.arrow", kind: "table" }],
    run(ctx) {
      calls.n++;
      const n = params.n;
      const rows = ctx.writeTable("data/traced/tactic_pairs.arrow", TACTIC_PAIRS, {
        theorem_name: Array.from({ length: n }, (_, i) => `t${i}`),
        source: Array.from({ length: n }, () => "workbook"),
        state_pp: Array.from({ length: n }, () => "⊢ True"),
        tactic: Array.from({ length: n }, () => "trivial"),
        depth: Array.from({ length: n }, () => 0),
        num_goals: Array.from({ length: n }, () => 1),
      });
      return { rows };
    },
  };
}

function statsStage(calls: { n: number }): StageSpec<{ n: number }> {
  return {
    name: "count",
    description: "counts pairs",
    params: {},
    inputs: ["data/traced/tactic_pairs.arrow"],
    code: [],
    outputs: [{ path: "data/traced/stats.json", kind: "json" }],
    run(ctx) {
      calls.n++;
      ctx.writeJson("data/traced/stats.json", { kind: "count", n: calls.n });
      return { n: calls.n };
    },
  };
}

test("cache: miss runs, hit returns the recorded result, params/code/input changes and --force re-run", async () => {
  const { run, dir, cleanup } = tmpRun();
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
    assert.deepEqual(stageStatus(run, statsStage(down)).reasons, ["input data/traced/tactic_pairs.arrow changed"]);
  } finally {
    cleanup();
  }
});

test("force from the run config (BURNQED_FORCE / --force) re-runs only the named stage", async () => {
  const { run, dir, cleanup } = tmpRun();
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
  try {
    const code = join(dir, "c.ts");
    writeFileSync(code, "x");
    await runStage(run, pairsStage(code, { n: 2 }, { n: 0 }), { quiet: true });
    await runStage(run, statsStage({ n: 0 }), { quiet: true });
    const m = readJson<Manifest>(run.paths.manifest);
    const e = m.artifacts["data/traced/tactic_pairs.arrow"]!;
    assert.equal(e.schema, "tactic_pairs");
    assert.equal(e.rows, 2);
    assert.equal(e.kind, "table");
    assert.equal(e.sha256, sha256File(run.paths.abs(e.path)));
    assert.equal(e.stage, "make-pairs");
    assert.match(e.params_hash, /^[0-9a-f]{64}$/);
    assert.match(e.code.git_commit, /^([0-9a-f]{40}|unknown)$/);
    assert.equal(typeof e.code.dirty, "boolean");
    assert.ok(e.wall_s >= 0);
    const s = m.artifacts["data/traced/stats.json"]!;
    assert.deepEqual(Object.keys(s.input_hashes), ["data/traced/tactic_pairs.arrow"]);
    assert.equal(s.input_hashes["data/traced/tactic_pairs.arrow"], e.sha256);
    assert.equal(m.stages["count"]!.outputs[0], "data/traced/stats.json");
    assert.deepEqual(m.stages["make-pairs"]!.params, { n: 2 });
  } finally {
    cleanup();
  }
});

test("an altered or deleted output makes the stage stale; a downstream stage refuses the altered input", async () => {
  const { run, dir, cleanup } = tmpRun();
  try {
    const code = join(dir, "c.ts");
    writeFileSync(code, "x");
    const calls = { n: 0 };
    await runStage(run, pairsStage(code, { n: 2 }, calls), { quiet: true });
    const p = run.paths.abs("data/traced/tactic_pairs.arrow");
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
  const { run, cleanup } = tmpRun();
  try {
    const spec: StageSpec<null> = {
      name: "boom",
      description: "",
      params: {},
      inputs: [],
      code: [],
      outputs: [{ path: "a.json", kind: "json" }, { path: "b.json", kind: "json" }],
      run(ctx) {
        ctx.writeJson("a.json", { kind: "x" });
        throw new Error("disk on fire");
      },
    };
    await assert.rejects(runStage(run, spec, { quiet: true }), /stage 'boom': disk on fire/);
    assert.equal(run.manifest().stages["boom"], undefined);
    assert.equal(stageStatus(run, spec).state, "missing");
    assert.deepEqual(readdirSync(run.paths.root).filter((f) => f.includes("partial")), []);
    const missingOutput: StageSpec<null> = { ...spec, name: "lazy", outputs: [{ path: "never.json", kind: "json" }], run: () => null };
    await assert.rejects(runStage(run, missingOutput, { quiet: true }), /stage 'lazy': finished without writing its declared output never\.json/);
    assert.ok(!existsSync(run.paths.abs("b.json")));
  } finally {
    cleanup();
  }
});
