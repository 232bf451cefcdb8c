/**
 * The search stages of a small demo run, searched for real: the project's REPL pool (over the
 * synthetic Lean process), the completions client (over the synthetic policy server) and the
 * search core. Checked against the world's own truth: every proof verifies, positives lie on the
 * proof path, the tables agree with each other, miniF2F is the ingested miniF2F split and never
 * SFT data, and a stage whose outputs are lost resumes from its chunks without searching. Then
 * the real profile's code path, with the researcher's servers given by environment variables.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { readTable } from "../../src/artifacts/arrow-table.js";
import { readJson, readJsonl } from "../../src/artifacts/json-file.js";
import { openRun } from "../../src/artifacts/run.js";
import { FAILED_TACTICS, THEOREMS, TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { runStage, type StageSpec } from "../../src/artifacts/stage.js";
import { readSyntheticWorldFile } from "../../src/demo/synthetic/synthetic-world-file.js";
import { spawnSyntheticPolicyServer } from "../../src/demo/synthetic/synthetic-policy-server-process.js";
import type { SearchSummary } from "../../src/prover/search-outputs.js";
import type { PreferencePair } from "../../src/search/preference-pairs.js";
import type { TracedProof } from "../../src/search/traced-proof.js";
import { stageSpec } from "../../src/stages/registry.js";
import { searchStage, type SearchStageResult } from "../../src/stages/search.js";
import { tmpDir } from "../helpers/tmp-run.js";

const { dir, cleanup } = tmpDir();
after(cleanup);
const SMALL = { n_theorems: 80, n_search_theorems: 12, dim: 16, n_minif2f: 16 };
const run = openRun({ run_id: "s", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), ...SMALL });
const q = { quiet: true };
type R = SearchStageResult;

test("demo: pool and miniF2F searches are real searches of the synthetic world, with consistent tables", { timeout: 120_000 }, async () => {
  for (const s of ["demo/world", "lean/audit", "data/ingest", "data/trace", "data/split-format", "data/pool"] as const) await runStage(run, stageSpec(run, s)!, q);
  const pool = await runStage(run, stageSpec(run, "iter_0/search")! as StageSpec<R>, q);
  const world = readSyntheticWorldFile(run.paths.abs(run.paths.demo.synthetic_world));
  const ip = run.paths.iter_0;
  const t = readTable(run.paths.abs(ip.search.trajectories), TRAJECTORIES).columns;
  const names = [...new Set(Array.from(t.theorem_name))];
  assert.equal(names.length, SMALL.n_search_theorems);
  assert.equal(pool.result.theorems, SMALL.n_search_theorems);
  // labels: a positive is on the world's proof path (or the proof-complete node); a proof verifies
  for (let i = 0; i < t.theorem_name.length; i++) {
    if (t.label[i] !== "positive") continue;
    if (t.is_proof_complete[i]) assert.equal(t.state_pp[i], "");
    else assert.notEqual(world.distanceToProof(t.state_pp[i]!), null, `positive row ${i} is off the proof path: ${t.state_pp[i]}`);
  }
  const proofs = readJsonl<TracedProof>(run.paths.abs(ip.search.traced_proofs));
  assert.equal(proofs.length, pool.result.proved);
  for (const p of proofs) assert.deepEqual(world.verify(p.theorem_name, p.traced_tactics.map((x) => x.tactic)), { ok: true }, p.theorem_name);
  const summary = readJson<SearchSummary>(run.paths.abs(ip.search.results));
  assert.equal(summary.values["llm_only.proved"], pool.result.proved);
  assert.equal(summary.values["llm_only.nodes_created"], t.theorem_name.length);
  // failed tactics: each names a node of the tree and carries Lean's message
  const f = readTable(run.paths.abs(ip.search.failed_tactics), FAILED_TACTICS).columns;
  assert.ok(f.theorem_name.length > 0);
  const nodes = new Set(Array.from(t.theorem_name, (n, i) => `${n}#${t.state_id[i]}`));
  for (let i = 0; i < f.theorem_name.length; i++) {
    assert.ok(nodes.has(`${f.theorem_name[i]}#${f.parent_state_id[i]}`));
    assert.ok(f.message[i]!.length > 0);
  }
  const pairs = readJsonl<PreferencePair>(run.paths.abs(ip.search.preference_pairs));
  for (const p of pairs) assert.ok(proofs.some((x) => x.theorem_name === p.theorem_name && x.traced_tactics.some((s) => s.state_before === p.state_pp && s.tactic === p.chosen_tactic)));

  // miniF2F: the ingested minif2f rows of the test split, and none of them is SFT or pool data
  const mini = await runStage(run, stageSpec(run, "iter_0/minif2f")! as StageSpec<R>, q);
  const th = readTable(run.paths.abs(run.paths.data.theorems), THEOREMS).columns;
  const minif2f = Array.from(th.name).filter((_, i) => th.source[i] === "minif2f" && th.split[i] === "test");
  assert.equal(minif2f.length, SMALL.n_minif2f);
  const res = readJson<SearchSummary>(run.paths.abs(ip.minif2f.results));
  assert.deepEqual([...res.details.theorems].sort(), [...minif2f].sort());
  assert.equal(res.values["llm_only.total"], SMALL.n_minif2f);
  assert.equal(res.values["llm_only.rate"], mini.result.proved / SMALL.n_minif2f);
  assert.match(res.details.provenance, /best-first search .* synthetic Lean/);
  const sft = readJsonl<{ theorem_name: string }>(run.paths.abs(run.paths.data.traced.sft_train));
  assert.ok(!sft.some((r) => minif2f.includes(r.theorem_name)));
  assert.ok(!names.some((n) => minif2f.includes(n)));

  // fresh: not run again; outputs lost: the stage runs, but searches nothing (the chunks are there)
  assert.equal((await runStage(run, stageSpec(run, "iter_0/search")!, q)).status, "cached");
  rmSync(run.paths.abs(ip.search.trajectories));
  const again = await runStage(run, stageSpec(run, "iter_0/search")! as StageSpec<R>, q);
  assert.equal(again.status, "ran");
  assert.equal(again.result.searched_now, 0);
  assert.equal(again.result.resumed, SMALL.n_search_theorems);
  assert.equal(again.result.proved, pool.result.proved);
  // another recipe (a temperature) is another search: its chunks start empty, nothing is resumed
  const hot = openRun({ run_id: "s", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), ...SMALL, recipe: "search.pool.temperature=2.0" });
  const other = await runStage(hot, stageSpec(hot, "iter_0/search")! as StageSpec<R>, q);
  assert.equal(other.status, "ran");
  assert.deepEqual([other.result.resumed, other.result.searched_now], [0, SMALL.n_search_theorems]);
  // and back: the first recipe's chunks are still there and resume its search whole
  const back = await runStage(run, stageSpec(run, "iter_0/search")! as StageSpec<R>, q);
  assert.deepEqual([back.status, back.result.resumed, back.result.searched_now, back.result.proved], ["ran", SMALL.n_search_theorems, 0, pool.result.proved]);
});

test("real profile: Lean and the policy from the environment (BURNQED_REPL, BURNQED_POLICY_URL / _MODEL), same code path", { timeout: 120_000 }, async () => {
  // the demo's budget, so the trees can be compared
  const real = openRun({ run_id: "r", profile: "real", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), recipe: "search.pool.max_nodes=48; search.pool.n_candidates=8; search.pool.timeout_s=60" });
  // the data a real run's Phase 0 would have produced: taken from the demo run above
  for (const rel of [run.paths.data.theorems, run.paths.data.traced.contrastive_pool]) {
    mkdirSync(dirname(real.paths.abs(rel)), { recursive: true });
    copyFileSync(run.paths.abs(rel), real.paths.abs(rel));
  }
  const world = run.paths.abs(run.paths.demo.synthetic_world);
  const server = await spawnSyntheticPolicyServer({ world_file: world, config_file: run.paths.abs(run.paths.demo.policy_server) });
  const saved = { ...process.env };
  try {
    process.env["BURNQED_REPL"] = `${process.execPath} --import tsx src/demo/synthetic/synthetic-lean-repl.ts --world ${world}`;
    process.env["BURNQED_POLICY_URL"] = server.url;
    process.env["BURNQED_POLICY_MODEL"] = "iter_0";
    const spec = searchStage(real, "pool", "iter_0");
    assert.deepEqual(spec.inputs, [real.paths.data.theorems, real.paths.data.traced.contrastive_pool], "an external policy: no merged model is an input");
    const r = await runStage(real, spec, q);
    const demoTrees = readTable(run.paths.abs(run.paths.iter_0.search.trajectories), TRAJECTORIES).columns;
    const realTrees = readTable(real.paths.abs(real.paths.iter_0.search.trajectories), TRAJECTORIES).columns;
    // the same Lean and policy give the same trees, whichever profile drives them
    assert.deepEqual(Array.from(realTrees.state_pp), Array.from(demoTrees.state_pp));
    assert.deepEqual(Array.from(realTrees.label), Array.from(demoTrees.label));
    assert.match(r.result.policy, /BURNQED_POLICY_URL/);
    process.env["BURNQED_POLICY_MODEL"] = "iter_9";
    await assert.rejects(runStage(real, searchStage(real, "pool", "iter_0"), { ...q, force: true }), /BURNQED_POLICY_MODEL=iter_9 is not served/);
    delete process.env["BURNQED_POLICY_URL"];
    delete process.env["BURNQED_POLICY_MODEL"];
    await assert.rejects(runStage(real, searchStage(real, "pool", "iter_0"), { ...q, force: true }), /merge_summary\.json does not exist|iter_0\/model\/merged does not exist/);
  } finally {
    process.env = saved;
    await server.stop();
  }
});
