/**
 * The search runner over the synthetic world (Lean in process, the policy over HTTP): results
 * do not depend on concurrency; a SIGKILLed run resumes with nothing lost or duplicated; shards
 * partition the theorem list and their chunk folders merge; consecutive errors stop the run and
 * errored theorems are searched again on resume.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSyntheticPolicyServer } from "../../src/demo/synthetic/synthetic-policy-server.js";
import { WorldProofEnv } from "../../src/demo/synthetic/world-proof-env.js";
import { CompletionsClient } from "../../src/policy/completions-client.js";
import { SearchChunkStore } from "../../src/prover/search-chunks.js";
import { runSearches, SearchRunStopped, type RunSearchesOptions } from "../../src/prover/search-runner.js";
import { inShard, parseShard } from "../../src/prover/shard.js";
import { normalizeSearchConfig } from "../../src/search/search-config.js";
import type { SearchResult } from "../../src/search/search-result.js";
import { smallWorld, worldFileIn } from "../demo/synthetic/synthetic-fixtures.js";

const world = smallWorld(24);
const CONFIG = { max_nodes: 24, n_candidates: 8, timeout_s: 60, tactic_timeout_s: 30 };
const dir = mkdtempSync(join(tmpdir(), "burnqed-runner-"));
const server = await startSyntheticPolicyServer(world, { policies: [{ model: "iter_0", p_correct: 0.8 }] });
const client = new CompletionsClient({ base_url: server.url, model: "iter_0", n: 8, temperature: 1.3, max_retries: 0 });
after(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const tasks = world.problems.map((p) => ({ name: p.name, header: p.header, statement: p.statement }));
const env = (name: string) => Object.assign(new WorldProofEnv(world, name), { close: async () => {} });
const opts = (chunks: string, extra: Partial<RunSearchesOptions> = {}): RunSearchesOptions => ({
  tasks,
  config: normalizeSearchConfig(CONFIG),
  concurrency: 3,
  chunks_dir: join(dir, chunks),
  chunk_size: 4,
  policy: client,
  openEnv: (t) => env(t.name),
  ...extra,
});
/** A tree without its timings. */
const tree = (r: SearchResult) => JSON.stringify({ s: r.status, p: r.proof, n: r.nodes.map((n) => [n.parent_id, n.tactic, n.state_pp, n.log_prob_sum]), f: r.failures.map((f) => [f.parent_id, f.tactic, f.message]) });
const trees = (m: ReadonlyMap<string, SearchResult>) => Object.fromEntries([...m].map(([k, r]) => [k, tree(r)]).sort());

let reference: ReadonlyMap<string, SearchResult>;

test("every theorem gets one result; the trees do not depend on concurrency; every proof verifies in the world", async () => {
  const a = await runSearches(opts("c1", { concurrency: 1 }));
  const b = await runSearches(opts("c4", { concurrency: 4 }));
  assert.equal(a.results.size, tasks.length);
  assert.deepEqual(trees(a.results), trees(b.results));
  const proved = [...a.results.values()].filter((r) => r.status === "proved");
  assert.ok(proved.length >= 3 && proved.length < tasks.length, `${proved.length} proved of ${tasks.length}`);
  for (const r of proved) assert.deepEqual(world.verify(r.theorem_name, r.proof!), { ok: true }, r.theorem_name);
  assert.equal(a.searched_now, tasks.length);
  // a second run over the same folder searches nothing
  const again = await runSearches(opts("c1"));
  assert.equal(again.searched_now, 0);
  assert.equal(again.resumed, tasks.length);
  reference = a.results;
});

test("SIGKILL mid-run, then resume: every theorem once, the same trees as an uninterrupted run", { timeout: 60_000 }, async () => {
  const chunks = join(dir, "killed");
  const file = worldFileIn(dir, world);
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/search-runner/search-child.ts", file, server.url, chunks, JSON.stringify(CONFIG)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      const done = Math.max(...String(d).trim().split("\n").map(Number));
      if (done >= 9) {
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`child exited (${code}) before it was killed: ${stderr}`)));
  });
  await new Promise((r) => child.once("close", r));
  const before = new SearchChunkStore(chunks, parseShard("1/1")).readAll();
  assert.ok(before.results.size >= 9 && before.results.size < tasks.length, `${before.results.size} results before the resume`);
  // a torn last line, as a kill during a write leaves it
  const filling = readdirSync(chunks).find((f) => f.endsWith(".filling.jsonl"));
  if (filling) appendFileSync(join(chunks, filling), '{"theorem_name": "x", "status": "pro');
  const resumed = await runSearches(opts("killed"));
  assert.equal(resumed.resumed, before.results.size);
  assert.equal(resumed.searched_now, tasks.length - before.results.size);
  assert.deepEqual(trees(resumed.results), trees(reference));
  const lines = readdirSync(chunks).flatMap((f) => readFileSync(join(chunks, f), "utf8").split("\n").filter((l) => l.startsWith("{") && l.endsWith("}")));
  assert.equal(lines.length, tasks.length, "one chunk line per theorem: nothing searched twice");
});

test("--shard i/n partitions the list; the shards' chunks merged equal one unsharded run", async () => {
  const s1 = parseShard("1/3");
  const counts = [0, 1, 2].map((i) => tasks.filter((t) => inShard(t.name, { index: i, count: 3 })).length);
  assert.equal(counts.reduce((a, b) => a + b), tasks.length);
  assert.ok(counts.every((c) => c > 0), `shard sizes ${counts}`);
  for (const s of ["1/3", "2/3", "3/3"]) {
    const r = await runSearches(opts("sharded", { shard: parseShard(s) }));
    assert.equal(r.shard_tasks, counts[parseShard(s).index]);
  }
  const merged = await runSearches(opts("sharded"));
  assert.equal(merged.searched_now, 0);
  assert.deepEqual(trees(merged.results), trees(reference));
  assert.deepEqual(s1, { index: 0, count: 3 });
  assert.throws(() => parseShard("4/3"), /--shard must be i\/n with 1 ≤ i ≤ n/);
  assert.throws(() => parseShard("0/2"), /got "0\/2"/);
});

test("consecutive errors stop the run with the reasons; on resume errored theorems are searched again", async () => {
  const broken = { propose: async () => Promise.reject(new Error("policy server unreachable (ECONNREFUSED)")) };
  await assert.rejects(runSearches(opts("errors", { policy: broken, concurrency: 1, max_consecutive_errors: 3 })), (e: unknown) => {
    assert.ok(e instanceof SearchRunStopped);
    assert.match(e.message, /3 theorems in a row ended in error, last: .*ECONNREFUSED.*fix the cause and run again to resume/);
    return true;
  });
  const healed = await runSearches(opts("errors"));
  assert.equal(healed.retried_errors, 3);
  assert.equal(healed.searched_now, tasks.length);
  assert.deepEqual(trees(healed.results), trees(reference));
});

test("a theorem listed twice is refused", async () => {
  await assert.rejects(runSearches(opts("dup", { tasks: [...tasks, tasks[0]!] })), /listed twice/);
});
