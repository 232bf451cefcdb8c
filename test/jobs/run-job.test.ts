import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { JobAbortedError, JobError, TASK_4_1_ABORT_RULES, runJob, trackedProcessGroupCount } from "../../src/jobs/index.js";
import type { JobSpec } from "../../src/jobs/index.js";
import { FIXTURE_JOBS as FIXTURES, fixtureJobSpec } from "../helpers/fixture-jobs.js";

let tmp = "";

before(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "burnqed-jobs-"));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function fixture(name: string, config: Record<string, unknown>, extra: Partial<JobSpec> = {}): JobSpec {
  return fixtureJobSpec(name, config, path.join(tmp, `${name}-${Math.random().toString(36).slice(2, 8)}`), extra);
}

/** kill(pid, 0) → ESRCH means gone. A zombie (killed, not yet reaped by init) also counts as dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
  } catch {
    return false;
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

async function waitDead(pid: number, timeout_ms = 3000): Promise<boolean> {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected the job to fail");
}

test("abort rule: sft_loss 0.6 at step 2050 stops the job, keeps the last checkpoint, kills the group", async () => {
  const out_dir = mkdtempSync(path.join(tmp, "ckpt-"));
  const metrics: Array<[string, number, number]> = [];
  for (let step = 100; step <= 3000; step += 50) metrics.push(["sft_loss", step, step === 2050 ? 0.6 : 0.4]);
  let pid = 0;
  const spec = fixture("metric_stream", { metrics, checkpoint_steps: [1000, 2000], out_dir, sleep_s: 0.002, linger_s: 30 }, {
    abort_rules: TASK_4_1_ABORT_RULES,
    on_event: (e) => {
      if (e.event === "metric" && e.name === "pid") pid = e.value;
    },
  });
  const err = await rejection(runJob(spec));
  assert.ok(err instanceof JobAbortedError, String(err));
  assert.equal(err.kind, "abort_rule");
  assert.equal(err.rule.id, "sft_loss_above_0.5_after_2000");
  assert.equal(err.step, 2050);
  assert.equal(err.value, 0.6);
  assert.match(err.message, /sft_loss_above_0\.5_after_2000.*step 2050.*Remedy: decrease λ to 0\.03, restart/);
  assert.equal(err.last_checkpoint, path.join(out_dir, "ckpt-2000.txt"));
  assert.ok(existsSync(err.last_checkpoint));
  assert.equal(err.job, "metric_stream");
  assert.equal(err.config_path, path.join(path.resolve(spec.job_dir), "config.json"));
  assert.ok(pid > 0);
  assert.equal(groupExists(pid), false);
  assert.equal(err.signal ?? String(err.exit_code), "143"); // the job handled SIGTERM
  assert.ok(err.wall_s < 10);
  const logged = readFileSync(err.events_path, "utf8");
  assert.match(logged, /"step":2050/);
  assert.equal(trackedProcessGroupCount(), 0);
});

test("crash: the error names the job, the config file and the traceback", async () => {
  const spec = fixture("crash", { shard: "s3" });
  const err = await rejection(runJob(spec));
  assert.ok(err instanceof JobError);
  assert.equal(err.kind, "crashed");
  assert.equal(err.exit_code, 1);
  assert.match(err.message, /^job crash \(config .*config\.json\) crashed \(exit code 1\)/);
  assert.ok(err.message.includes(err.config_path));
  assert.ok(err.message.includes("ValueError: fixture shard 's3' is corrupt (marker 7f3a)"));
  assert.ok(err.message.includes("in load_shard"));
  assert.ok(readFileSync(err.stderr_path, "utf8").includes("marker 7f3a"));
  assert.deepEqual(JSON.parse(readFileSync(err.config_path, "utf8")), { shard: "s3" });
});

test("timeout: SIGTERM then SIGKILL to the whole group; grandchild dies, unrelated process lives", async () => {
  const unrelated = spawn("sleep", ["1000"], { stdio: "ignore" });
  assert.ok(unrelated.pid);
  const pids: Record<string, number> = {};
  try {
    const spec = fixture("hang_with_grandchild", { ignore_sigterm: true }, {
      timeout_s: 1,
      kill_grace_s: 0.5,
      on_event: (e) => {
        if (e.event === "metric") pids[e.name] = e.value;
      },
    });
    const err = await rejection(runJob(spec));
    assert.ok(err instanceof JobError);
    assert.equal(err.kind, "timeout");
    assert.equal(err.signal, "SIGKILL"); // it ignored SIGTERM
    assert.match(err.message, /job hang_with_grandchild .* timed out after 1 s; stopped its process group/);
    assert.ok(err.wall_s >= 1.4 && err.wall_s < 6, `wall_s ${err.wall_s}`);
    const { child_pid, grandchild_pid } = pids;
    assert.ok(child_pid && grandchild_pid);
    assert.equal(await waitDead(child_pid), true, "child still alive");
    assert.equal(await waitDead(grandchild_pid), true, "grandchild still alive");
    assert.equal(alive(unrelated.pid), true, "unrelated process was killed");
  } finally {
    process.kill(unrelated.pid, "SIGKILL");
  }
});

test("stray print() and C-level writes go to stderr and do not break the job", async () => {
  const result = await runJob(fixture("chatty", {}));
  assert.equal(result.exit_code, 0);
  assert.deepEqual(result.summary, { greeted: true });
  assert.ok(Number.isNaN(result.metrics["loss"]));
  assert.deepEqual(result.warnings, ["just so you know"]);
  const stderr = readFileSync(result.stderr_path, "utf8");
  assert.match(stderr, /hello/);
  assert.match(stderr, /from a C-level child/);
  const events = readFileSync(result.events_path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string });
  assert.deepEqual(events.map((e) => e.event), ["metric", "warning", "done"]);
});

test("a raw non-JSON line on the event channel is a protocol error naming the line", async () => {
  const err = await rejection(runJob(fixture("chatty", { raw_line: "oops {not json" })));
  assert.ok(err instanceof JobError);
  assert.equal(err.kind, "protocol");
  assert.match(err.message, /job chatty: stdout line 3 is not a protocol event \(not JSON\): "oops \{not json"/);
  assert.match(err.message, /stopped its process group/);
  assert.ok(err.wall_s < 10);
});

test("exit 0 without a done event is a crash; a job's own abort is kind job_abort", async () => {
  const noDone = await rejection(runJob(fixture("no_done", {})));
  assert.ok(noDone instanceof JobError);
  assert.equal(noDone.kind, "crashed");
  assert.match(noDone.message, /exited with code 0 without a done event/);
  const selfAbort = await rejection(runJob(fixture("self_abort", {})));
  assert.ok(selfAbort instanceof JobError);
  assert.equal(selfAbort.kind, "job_abort");
  assert.equal(selfAbort.exit_code, 3);
  assert.match(selfAbort.message, /aborted itself: loss exploded to 9\.0 at step 10/);
});

/** A float32 .npy file written from raw bytes. */
function writeNpyF32(file: string, rows: number[][]): void {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * n * d);
  rows.flat().forEach((v, i) => body.writeFloatLE(v, 4 * i));
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, "latin1"), body]));
}

test("embedding_spectrum end to end: exact spectrum of orthogonal ±1 columns", async () => {
  // Columns 1..4 of an 8x8 Sylvester-Hadamard matrix: zero mean, mutually orthogonal, so the
  // covariance is diag(scale² · 8/7) and the eigenvalues are known exactly.
  const hadamard = (i: number, j: number): number => ((popcount(i & j) % 2) === 0 ? 1 : -1);
  const scales = [4, 3, 2, 1];
  const rows = Array.from({ length: 8 }, (_, i) => scales.map((s, j) => s * hadamard(i, j + 1)));
  rows.splice(3, 0, [1, Number.NaN, 0, 0]); // skipped as non-finite
  const dir = mkdtempSync(path.join(tmp, "spectrum-"));
  const vectors = path.join(dir, "emb.npy");
  writeNpyF32(vectors, rows);
  const result = await runJob({
    job: "embedding_spectrum",
    config: { vectors, out_eigenvalues: path.join(dir, "eig.npy"), out_metrics: path.join(dir, "spectrum.json"), chunk_rows: 3 },
    job_dir: path.join(dir, "job"),
    display: "none",
  });
  const lambda = scales.map((s) => (s * s * 8) / 7);
  const total = lambda.reduce((a, b) => a + b, 0);
  const close = (a: number | undefined, b: number): void => assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  close(result.metrics["top1_variance_ratio"], (lambda[0] ?? 0) / total);
  close(result.metrics["top10_variance_ratio"], 1);
  close(result.metrics["effective_dimension"], total ** 2 / lambda.reduce((a, b) => a + b * b, 0));
  assert.equal(result.summary["n_rows_used"], 8);
  assert.equal(result.summary["dim"], 4);
  assert.deepEqual(result.warnings, [`${vectors}: skipped 1 of 9 rows with non-finite values`]);
  assert.deepEqual(result.artifacts.map((a) => a.kind), ["npy", "json"]);
  const metrics = JSON.parse(readFileSync(path.join(dir, "spectrum.json"), "utf8")) as { values: Record<string, number>; details: Record<string, number> };
  close(metrics.values["total_variance"], total);
  assert.equal(metrics.details["n_rows_nonfinite"], 1);
});

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v >>= 1) c += v & 1;
  return c;
}

for (const how of ["exit", "SIGTERM"] as const) {
  test(`Node process ending by ${how} while a job runs kills the job's group`, async () => {
    const script = path.join(FIXTURES, "exit-while-running.ts");
    const node = spawn(process.execPath, ["--import", "tsx", script, how, path.join(tmp, `exit-${how}`)], {
      cwd: path.resolve(FIXTURES, "../../.."), // the repository root
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<void>((resolve) => node.once("exit", () => resolve()));
    const rl = createInterface({ input: node.stdout });
    const first = await new Promise<string>((resolve) => rl.once("line", resolve));
    await exited;
    const pids = JSON.parse(first) as { child_pid: number; grandchild_pid: number };
    assert.equal(await waitDead(pids.child_pid), true, "job still alive");
    assert.equal(await waitDead(pids.grandchild_pid), true, "grandchild still alive");
  });
}
