/**
 * The pool against the protocol double: header imported once per worker and reused by env; a
 * crash, a hang past the timeout, a worker over the memory cap and N uses each replace the worker;
 * a dead worker is never handed out; nothing is left running after close; decoy processes named
 * lean / repl / lake (not started by the pool) are never touched.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplError } from "../../src/lean/repl-errors.js";
import { ReplPool, normalizePoolOptions } from "../../src/lean/repl-pool.js";
import { defaultWorkerCount, replCommand } from "../../src/lean/repl-command.js";
import { processLiveness } from "../../src/lean/process-memory.js";
import { doubleCommand, loggedPids, pidAlive, readDoubleLog, spawnDecoys } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-pool-"));
const decoys = spawnDecoys();
after(() => {
  decoys.stop();
  rmSync(dir, { recursive: true, force: true });
});

const H1 = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";
const H2 = "import Mathlib\nopen Real";
const thm = (name: string, proof = "  norm_num") => `theorem ${name} (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by\n${proof}`;
let n = 0;
const logFile = () => join(dir, `log-${++n}.jsonl`);

async function expectReplError(p: Promise<unknown>, kind: string): Promise<ReplError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ReplError, String(e));
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected a ReplError of kind ${kind}`);
}

test("defaults: min(16, 0.75 × cores) workers; options are validated", () => {
  assert.equal(defaultWorkerCount(2), 1);
  assert.equal(defaultWorkerCount(8), 6);
  assert.equal(defaultWorkerCount(64), 16);
  assert.equal(normalizePoolOptions({ command: replCommand("repl") }).workers, defaultWorkerCount());
  assert.throws(() => normalizePoolOptions({ command: replCommand("repl"), workers: 0 }), /workers must be a positive number/);
  assert.deepEqual(replCommand("lake env '../repl/.lake/build/bin/repl'").argv, ["lake", "env", "../repl/.lake/build/bin/repl"]);
});

test("each worker imports a header once and runs every theorem against its env", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log, lean_ms: 5 }), workers: 2, mem_cap_mb: null });
  try {
    const jobs = [...Array.from({ length: 12 }, (_, i) => ({ header: H1, cmd: thm(`a${i}`) })), ...Array.from({ length: 4 }, (_, i) => ({ header: H2, cmd: thm(`b${i}`) }))];
    const rs = await Promise.all(jobs.map((j) => pool.runCommand({ ...j, allTactics: true })));
    assert.ok(rs.every((r) => r.response.tactics.length === 1 && r.response.messages.length === 0));
    const reqs = readDoubleLog(log);
    const imports = reqs.filter((r) => typeof r.request["cmd"] === "string" && (r.request["cmd"] as string).startsWith("import"));
    const perWorkerHeader = new Map<string, number>();
    for (const r of imports) perWorkerHeader.set(`${r.pid}|${r.request["cmd"]}`, (perWorkerHeader.get(`${r.pid}|${r.request["cmd"]}`) ?? 0) + 1);
    assert.ok([...perWorkerHeader.values()].every((k) => k === 1), "no worker imports the same header twice");
    assert.equal(pool.stats().header_imports, imports.length);
    assert.ok(imports.length >= 2 && imports.length <= 4);
    // every theorem ran with an env (the header's), never as a fresh file
    const theorems = reqs.filter((r) => typeof r.request["cmd"] === "string" && (r.request["cmd"] as string).startsWith("theorem"));
    assert.equal(theorems.length, 16);
    assert.ok(theorems.every((r) => typeof r.request["env"] === "number" && r.request["allTactics"] === true));
  } finally {
    await pool.close();
  }
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid), `worker ${pid} still running after close`);
});

test("a worker crash fails only its request (with the stderr tail); the next request gets a fresh worker", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 1, mem_cap_mb: null });
  try {
    const e = await expectReplError(pool.runCommand({ header: H1, cmd: thm("boom__crash") }), "crash");
    assert.match(e.stderr_tail, /INTERNAL PANIC/);
    assert.match(e.message, /SIGSEGV/);
    assert.match(e.message, /boom__crash/);
    const ok = await pool.runCommand({ header: H1, cmd: thm("after_crash"), allTactics: true });
    assert.equal(ok.response.tactics.length, 1);
    assert.equal(loggedPids(log).length, 2);
    assert.equal(pool.stats().stops["crash"], 1);
  } finally {
    await pool.close();
  }
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid));
});

test("a hang past the timeout kills the worker's group; the pool goes on", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 1, request_timeout_s: 0.5, mem_cap_mb: null });
  try {
    const t0 = performance.now();
    const e = await expectReplError(pool.runCommand({ header: H1, cmd: thm("stuck__hang") }), "timeout");
    assert.ok(performance.now() - t0 < 3000);
    assert.ok(!pidAlive(e.pid!), "the hung process is gone");
    const ok = await pool.runCommand({ header: H1, cmd: thm("after_hang") });
    assert.equal(ok.response.env !== null, true);
  } finally {
    await pool.close();
  }
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid));
});

test("a worker over the memory cap is killed mid-request and replaced", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log, grow_mb: 200, grow_hold_ms: 20000 }), workers: 1, mem_cap_mb: 150, mem_check_interval_ms: 50 });
  try {
    const e = await expectReplError(pool.runCommand({ header: H1, cmd: thm("big__grow") }), "memory_cap");
    assert.match(e.detail, /over the cap of 150 MB/);
    assert.ok(!pidAlive(e.pid!));
    assert.ok(pool.stats().peak_rss_mb > 150);
    await pool.runCommand({ header: H1, cmd: thm("after_grow") });
  } finally {
    await pool.close();
  }
});

test("workers are recycled after max_uses requests", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 1, max_uses: 3, mem_cap_mb: null });
  try {
    for (let i = 0; i < 7; i++) await pool.runCommand({ header: H1, cmd: thm(`r${i}`) });
    const pids = readDoubleLog(log)
      .filter((r) => (r.request["cmd"] as string).startsWith("theorem"))
      .map((r) => r.pid);
    // header + 2 theorems = 3 uses per worker: theorems 0-1, 2-3, 4-5, 6
    assert.deepEqual(pids.map((p) => pids.indexOf(p)), [0, 0, 2, 2, 4, 4, 6]);
    assert.ok((pool.stats().stops["recycled"] ?? 0) >= 3);
  } finally {
    await pool.close();
  }
});

test("a worker killed behind the pool's back is never handed out again", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 1, mem_cap_mb: null });
  try {
    const first = await pool.runCommand({ header: H1, cmd: thm("k1") });
    process.kill(-first.pid, "SIGKILL"); // someone else kills it; the pool has not seen the exit yet
    const second = await pool.runCommand({ header: H1, cmd: thm("k2") });
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.response.messages.length, 0);
    // dead and unreaped: block the event loop until it is a zombie, so the pool cannot have seen its exit
    process.kill(-second.pid, "SIGKILL");
    const t0 = Date.now();
    while (processLiveness(second.pid) !== "dead" && Date.now() - t0 < 5000);
    assert.equal(processLiveness(second.pid), "dead");
    const third = await pool.runCommand({ header: H1, cmd: thm("k3") });
    assert.ok(third.pid !== second.pid && third.response.messages.length === 0);
    assert.equal(pool.stats().requests, 3, "no request was lost to a dead worker");
  } finally {
    await pool.close();
  }
});

test("a REPL command that cannot start, and a header that does not import, fail with what went wrong", async () => {
  const bad = new ReplPool({ command: replCommand("/nonexistent/lean/repl --flag"), workers: 1, mem_cap_mb: null, parent_death_signal: false });
  const e = await expectReplError(bad.runCommand({ header: H1, cmd: thm("x") }), "start_failed");
  assert.match(e.message, /\/nonexistent\/lean\/repl --flag/);
  await bad.close();
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 2, mem_cap_mb: null });
  try {
    const h = await expectReplError(pool.runCommand({ header: "import NoSuchModule", cmd: thm("y") }), "header_failed");
    assert.match(h.detail, /unknown module prefix 'NoSuchModule'/);
    await expectReplError(pool.runCommand({ header: "import NoSuchModule", cmd: thm("z") }), "header_failed");
    assert.equal(readDoubleLog(log).filter((r) => r.request["cmd"] === "import NoSuchModule").length, 1, "a failed header is not imported again");
    await pool.runCommand({ header: H1, cmd: thm("fine") });
  } finally {
    await pool.close();
  }
});

test("closing while a replacement imports its header does not wait for the import", async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log, header_ms: 1500 }), workers: 1, max_uses: 2, mem_cap_mb: null, header_timeout_s: 30 });
  await pool.runCommand({ header: H1, cmd: thm("only") }); // header + theorem = 2 uses: recycled in the background
  await new Promise((r) => setTimeout(r, 300)); // the replacement is now importing the header (1.5 s)
  const t0 = performance.now();
  await pool.close(200); // EOF first, SIGKILL of the group after 200 ms
  assert.ok(performance.now() - t0 < 1000, `close took ${(performance.now() - t0).toFixed(0)} ms`);
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid), `worker ${pid} left behind`);
});

test("the pool never touched the decoys named lean / repl / lake", () => {
  for (const pid of decoys.pids) assert.ok(pidAlive(pid), `decoy ${pid} was killed`);
});
