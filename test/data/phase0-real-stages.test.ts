/**
 * The real-profile Phase 0 stages end to end on the real samples, with the protocol double as the
 * REPL: ingest (Goedel sample + miniF2F test files) → trace (the 100 real Goedel proofs, split
 * into tactics by the double) → split-format → contrastive pool, plus the version audit. The demo
 * profile keeps its stand-ins.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRun } from "../../src/artifacts/run.js";
import { readTable } from "../../src/artifacts/arrow-table.js";
import { runStage } from "../../src/artifacts/stage.js";
import { TACTIC_PAIRS, THEOREMS } from "../../src/artifacts/schemas.js";
import { runRel } from "../../src/config/run-paths.js";
import { contrastivePoolStage, realIngestParams, realIngestStage, realTraceStage, splitFormatStage, versionAuditStage } from "../../src/stages/phase0.js";
import { stageSpec } from "../../src/stages/registry.js";
import { doubleArgv, SHARED_DATA } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-phase0-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const D = SHARED_DATA;

test("real profile: ingest → trace (double) → split-format → pool; the audit; demo keeps its stand-ins", { timeout: 90_000 }, async () => {
  const run = openRun({ run_id: "real-t", profile: "real", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
  const q = { quiet: true };
  // nothing downloaded yet: a clear message, not a crash
  await assert.rejects(runStage(run, realIngestStage(run), q), /no dataset found under .*download them first/);

  const params = realIngestParams(run, [
    { format: "goedel", path: join(D, "proofs/goedel_lean_workbook_proofs_sample_kimina/input") },
    { format: "minif2f", path: join(D, "minif2f/v1_yangky11_lean4/Test") },
  ]);
  const ing = await runStage(run, realIngestStage(run, params), q);
  assert.equal(ing.status, "ran");
  assert.deepEqual([ing.result.theorems, ing.result.with_proofs, ing.result.quarantined], [344, 100, 0]);
  assert.equal(readTable(run.paths.abs(run.paths.data.theorems), THEOREMS).n_rows, 344);
  assert.ok(existsSync(run.paths.abs(run.paths.data.ingest_report)));
  assert.equal((await runStage(run, realIngestStage(run, params), q)).status, "cached");

  const traced = openRun({ run_id: "real-t", profile: "real", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), recipe: "trace.timeout_s=20" });
  const tr = await runStage(traced, realTraceStage(traced, { lean: { repl_argv: doubleArgv({ lean_ms: 2 }), lean_project: null }, controls: { workers: 2, mem_cap_mb: null } }), q);
  assert.deepEqual([tr.result.theorems, tr.result.traced_ok, tr.result.failed, tr.result.seed_failure_rate], [100, 100, 0, 0]);
  const pairs = readTable(run.paths.abs(run.paths.data.traced.tactic_pairs), TACTIC_PAIRS);
  assert.equal(new Set(Array.from(pairs.columns.theorem_name)).size, 100);
  assert.equal(pairs.n_rows, tr.result.pairs);
  const report = JSON.parse(readFileSync(run.paths.abs(run.paths.data.traced.tracing_report), "utf8")) as { kind: string; details: { status: string; seed: { theorems: number } } };
  assert.deepEqual([report.kind, report.details.status, report.details.seed.theorems], ["tracing_report", "complete", 20]);
  // the seed batch's own outputs sit in the trace folder
  assert.ok(existsSync(run.paths.abs(runRel(`${tr.result.trace_dir}/tactic_pairs_seed.arrow`))));

  const sf = await runStage(run, splitFormatStage(run), q);
  assert.equal(sf.result.sft_pairs_train + sf.result.sft_pairs_val, pairs.n_rows);
  assert.equal(sf.result.theorems_train + sf.result.theorems_val, 100);
  assert.equal(sf.result.theorems_val, 5);

  const pool = await runStage(run, contrastivePoolStage(run, { max_theorems: 10, min_depth: 2, prefer_hard: true }), q);
  const doc = JSON.parse(readFileSync(run.paths.abs(run.paths.data.traced.contrastive_pool), "utf8")) as { theorems: Array<{ statement?: string }> };
  assert.equal(doc.theorems.length, pool.result.theorems);
  assert.ok(doc.theorems.every((t) => t.statement?.startsWith("theorem lean_workbook_")));

  const audit = await runStage(run, versionAuditStage(run, join(D, "toolchains/kimina_prover_preview_minif2f_v4.15.0")), q);
  assert.equal(audit.result.local_lean, "v4.15.0");
  assert.equal(audit.result.decisions["AI-MO/NuminaMath-LEAN"], "match");
  assert.equal(audit.result.decisions["Goedel-LM/Lean-workbook-proofs"], "parallel_install");

  // the registry picks the implementation per profile: DEMO stand-ins there, the real stages here
  const demo = openRun({ run_id: "demo-t", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
  assert.deepEqual([stageSpec(demo, "data/ingest")!.code.module, stageSpec(demo, "data/trace")!.code.module], ["src/stages/stand-in.ts", "src/stages/stand-in.ts"]);
  assert.deepEqual([stageSpec(run, "data/ingest")!.code.module, stageSpec(run, "data/trace")!.code.module], ["src/stages/phase0.ts", "src/stages/phase0.ts"]);
  assert.equal(stageSpec(run, "demo/world"), null);
});
