/**
 * The project's bestFirstSearch searches the synthetic world for real: with the policy reached
 * through CompletionsClient over HTTP and Lean through either the world in process or the
 * synthetic REPL process under ReplPool. A policy that always proposes the proof's next tactic
 * proves a known short theorem (its proof, verified); one that never does proves nothing; and the
 * tree is the same whichever way Lean is reached. Also times a 60-node search through the REPL
 * process and the server process (reported as a diagnostic).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplPool } from "../../../src/lean/repl-pool.js";
import { CompletionsClient } from "../../../src/policy/completions-client.js";
import { bestFirstSearch } from "../../../src/search/best-first.js";
import { normalizeTacticWhitespace } from "../../../src/search/filter-candidates.js";
import type { ProofEnv } from "../../../src/search/proof-env.js";
import { normalizeSearchConfig } from "../../../src/search/search-config.js";
import type { SearchResult } from "../../../src/search/search-result.js";
import { startSyntheticPolicyServer } from "../../../src/demo/synthetic/synthetic-policy-server.js";
import { spawnSyntheticPolicyServer } from "../../../src/demo/synthetic/synthetic-policy-server-process.js";
import { syntheticReplCommand } from "../../../src/demo/synthetic/synthetic-repl-command.js";
import { WorldProofEnv } from "../../../src/demo/synthetic/world-proof-env.js";
import { LeaseProofEnv, searchPolicy, smallWorld, theoremOfLength, worldFileIn } from "./synthetic-fixtures.js";

const world = smallWorld(40);
const POLICIES = [
  { model: "oracle", p_correct: 1 },
  { model: "useless", p_correct: 0 },
  { model: "iter_0", p_correct: 0.6 },
];
const CONFIG = normalizeSearchConfig({ max_nodes: 60, n_candidates: 8, timeout_s: 120, tactic_timeout_s: 30 });
const dir = mkdtempSync(join(tmpdir(), "burnqed-synthetic-search-"));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function inProcessServer(): Promise<string> {
  const s = await startSyntheticPolicyServer(world, { policies: POLICIES });
  cleanups.push(() => s.close());
  return s.url;
}
function client(url: string, model: string): CompletionsClient {
  const c = new CompletionsClient({ base_url: url, model, n: 8, temperature: 1.3, max_retries: 0 });
  cleanups.push(() => c.close());
  return c;
}
const search = <H>(name: string, c: CompletionsClient, env: ProofEnv<H>): Promise<SearchResult> => bestFirstSearch({ name }, { policy: searchPolicy(c), env }, CONFIG);
/** The tree without timings: what must not depend on how Lean was reached (LeaseProofEnv prefixes the verdict and checkProofStep caps messages at 300 characters). */
const tree = (r: SearchResult) => ({ status: r.status, proof: r.proof, nodes: r.nodes.map((n) => [n.parent_id, n.tactic, n.state_pp, n.log_prob_sum, n.n_tokens, n.is_proof_complete]), failures: r.failures.map((f) => [f.parent_id, f.tactic, f.kind, f.message.replace(/^lean_error: /, "").slice(0, 200)]) });

test("in process: a policy that always offers the proof's next tactic proves a 2-tactic theorem; one that never does proves nothing", async () => {
  const url = await inProcessServer();
  const p2 = theoremOfLength(world, 2);
  const proved = await search(p2.name, client(url, "oracle"), new WorldProofEnv(world, p2.name));
  assert.equal(proved.status, "proved", proved.reason);
  assert.deepEqual(proved.proof?.map(normalizeTacticWhitespace), p2.tactics.map(normalizeTacticWhitespace));
  const short = world.problems.filter((q) => q.tactics.length <= 3).slice(0, 12);
  assert.ok(short.length >= 8);
  const useless = client(url, "useless");
  for (const q of short) {
    const r = await search(q.name, useless, new WorldProofEnv(world, q.name));
    assert.equal(r.status, "exhausted", `${q.name}: ${r.status} (${r.reason})`);
    assert.equal(r.proof, null);
    assert.ok(r.nodes.slice(1).every((n) => world.distanceToProof(n.state_pp) === null), "without the proof's tactics every state below the root is off the proof path");
    assert.ok(r.failures.some((f) => f.kind === "lean_error"));
  }
});

test("through the REPL process (ReplPool + a lease ProofEnv) and the server process: the same trees as in process, and a 60-node search's wall time", async (t) => {
  const worldFile = worldFileIn(dir, world);
  const configFile = join(dir, "server.json");
  writeFileSync(configFile, JSON.stringify({ policies: POLICIES }));
  const t_start = performance.now();
  const server = await spawnSyntheticPolicyServer({ world_file: worldFile, config_file: configFile });
  cleanups.push(() => server.stop());
  const pool = new ReplPool({ command: syntheticReplCommand(worldFile), workers: 1, mem_cap_mb: null, request_timeout_s: 30 });
  cleanups.push(() => pool.close());
  await pool.start(world.problems[0]!.header);
  const startup_ms = performance.now() - t_start;
  const localUrl = await inProcessServer();
  const viaRepl = (name: string, model: string) => {
    const q = world.problem(name);
    return pool.withWorker(q.header, (lease) => search(name, client(server.url, model), new LeaseProofEnv(lease, q)));
  };

  const p2 = theoremOfLength(world, 2);
  const proved = await viaRepl(p2.name, "oracle");
  assert.equal(proved.status, "proved", proved.reason);
  assert.deepEqual(tree(proved), tree(await search(p2.name, client(localUrl, "oracle"), new WorldProofEnv(world, p2.name))));

  const timings: string[] = [];
  for (const model of ["useless", "iter_0"]) {
    // the first theorem (≥ 3 tactics) whose in-process search fills the 60-node budget: some trees die out early (every tactic fails)
    let chosen: { name: string; tactics: readonly string[]; local: SearchResult } | null = null;
    for (const x of world.problems.filter((y) => y.tactics.length >= 3)) {
      const local = await search(x.name, client(localUrl, model), new WorldProofEnv(world, x.name));
      if (local.nodes_created === CONFIG.max_nodes) {
        chosen = { name: x.name, tactics: x.tactics, local };
        break;
      }
    }
    assert.ok(chosen, `a theorem whose ${model} search creates ${CONFIG.max_nodes} nodes`);
    const t0 = performance.now();
    const r = await viaRepl(chosen.name, model);
    const wall_ms = performance.now() - t0;
    assert.equal(r.nodes_created, CONFIG.max_nodes, `${chosen.name}: ${r.status} ${r.reason}`);
    assert.deepEqual(tree(r), tree(chosen.local), `${chosen.name} (${model}): REPL and in-process trees agree`);
    timings.push(`${chosen.name} (${chosen.tactics.length}-tactic proof) / ${model}: ${r.status}, ${r.nodes_created} nodes, ${r.nodes_expanded} expansions, ${r.failures.length} failed tactics in ${wall_ms.toFixed(0)} ms (policy ${r.policy_ms.toFixed(0)} ms, lean ${r.lean_ms.toFixed(0)} ms)`);
  }
  t.diagnostic(`startup (server process + REPL worker + header): ${startup_ms.toFixed(0)} ms`);
  for (const line of timings) t.diagnostic(line);
});
