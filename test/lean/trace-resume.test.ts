/**
 * SIGKILL of the whole tracing run (`burnqed trace` in its own process group), twice, then resume:
 * every theorem ends traced exactly once, nothing finished before a kill is traced again, no chunk
 * line is duplicated, no REPL worker is left running — with the parent-death signal (workers die
 * with the run) and without it (the next run reaps the orphans by their recorded ids) — and the
 * decoy processes named lean / repl / lake are never touched.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTable } from "../../src/artifacts/arrow-table.js";
import { THEOREMS } from "../../src/artifacts/schemas.js";
import { theoremColumns, type TheoremRow } from "../../src/data/theorem-row.js";
import { tracePaths } from "../../src/lean/trace-theorems.js";
import { doubleArgv, loggedPids, pidAlive, readDoubleLog, spawnDecoys, waitFor } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-resume-"));
const decoys = spawnDecoys();
after(() => {
  decoys.stop();
  rmSync(dir, { recursive: true, force: true });
});

const N = 36;
const rows: TheoremRow[] = Array.from({ length: N }, (_, i) => {
  const slow = i % 6 === 0 ? "__slow2500" : "";
  return {
    name: `t${String(i).padStart(2, "0")}${slow}`,
    source: "workbook",
    dataset: "test",
    header: "import Mathlib\nopen Real",
    statement: `theorem t${String(i).padStart(2, "0")}${slow} (x : ℝ) (h₀ : x = ${i}) : x + 1 = ${i + 1} :=`,
    proof: "  rw [h₀]\n  norm_num",
    lean_version: null,
    split: null,
  };
});

function chunkNames(out: string): { names: string[]; torn: number } {
  const cdir = tracePaths(out).chunks_dir;
  const names: string[] = [];
  let torn = 0;
  for (const f of readdirSync(cdir)) {
    for (const line of readFileSync(join(cdir, f), "utf8").split("\n")) {
      if (!line) continue;
      try {
        names.push((JSON.parse(line) as { name: string }).name);
      } catch {
        torn++;
      }
    }
  }
  return { names, torn };
}

function startTrace(out: string, log: string, extra: string[] = []): { child: ChildProcess; stdout: () => string; exited: Promise<number | null> } {
  const repl = doubleArgv({ lean_ms: 120, log }).map((a) => `'${a}'`).join(" ");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/fixtures/repl-double/run-cli.ts", "trace", "--theorems", join(dir, "theorems.arrow"), "--out", out, "--repl", repl, "--workers", "2", "--chunk-size", "5", "--timeout-s", "20", "--mem-cap-mb", "1000", ...extra],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let text = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, stdout: () => text, exited };
}

const nameOf = (cmd: string) => /^theorem (\S+)/.exec(cmd)![1]!;

test("SIGKILL of the tracing run, twice, then resume: each theorem traced exactly once, no worker left", { timeout: 120_000 }, async () => {
  writeTable(join(dir, "theorems.arrow"), THEOREMS, theoremColumns(rows));
  const out = join(dir, "out");
  const log = join(dir, "double.jsonl");

  // Round 1: workers carry the parent-death signal; kill the run's group once a few chunk lines exist.
  const r1 = startTrace(out, log);
  await waitFor(() => chunkNamesSafe(out).length >= 4, 60_000, "4 traced theorems");
  process.kill(-r1.child.pid!, "SIGKILL");
  await r1.exited;
  const done1 = new Set(chunkNames(out).names);
  const pids1 = loggedPids(log);
  await waitFor(() => pids1.every((p) => !pidAlive(p)), 3000, "round-1 workers to die with their parent (setpriv --pdeathsig)");

  // Round 2: no parent-death signal; kill while a slow theorem is in flight, leaving an orphan.
  const before2 = readDoubleLog(log).length;
  const r2 = startTrace(out, log, ["--no-parent-death-signal"]);
  let orphan = 0;
  await waitFor(
    () => {
      const slow = readDoubleLog(log)
        .slice(before2)
        .find((r) => typeof r.request["cmd"] === "string" && (r.request["cmd"] as string).includes("__slow"));
      if (slow) orphan = slow.pid;
      return orphan !== 0;
    },
    60_000,
    "a slow theorem in flight",
  );
  process.kill(-r2.child.pid!, "SIGKILL");
  await r2.exited;
  assert.ok(pidAlive(orphan), "the worker busy with the slow theorem outlived the killed run");
  const done2 = new Set(chunkNames(out).names);
  const resumeFrom = readDoubleLog(log).length;

  // Resume to the end.
  const r3 = startTrace(out, log);
  assert.equal(await r3.exited, 0, r3.stdout());
  assert.match(r3.stdout(), /killed [12] REPL worker group\(s\) left by an interrupted run/);
  assert.ok(!pidAlive(orphan), "the orphan was reaped by its recorded id");
  assert.match(r3.stdout(), new RegExp(`resuming: ${done2.size} theorem\\(s\\) already traced`));

  // Exactly once: every theorem has one valid chunk line; the final table covers all of them.
  const { names, torn } = chunkNames(out);
  assert.deepEqual([...names].sort(), rows.map((r) => r.name).sort(), `duplicates or gaps in the chunks (torn lines: ${torn})`);
  const report = JSON.parse(readFileSync(join(out, "tracing_report.json"), "utf8")) as { values: Record<string, number>; details: { run: { reused: number } } };
  assert.equal(report.values["theorems"], N);
  assert.equal(report.values["traced_ok"], N);
  assert.equal(report.values["pairs"], 2 * N);
  assert.equal(report.details.run.reused, done2.size);
  // Nothing finished before a kill was traced again.
  const round2on = readDoubleLog(log).slice(before2).flatMap((r) => (typeof r.request["cmd"] === "string" && (r.request["cmd"] as string).startsWith("theorem") ? [nameOf(r.request["cmd"] as string)] : []));
  for (const n of round2on) assert.ok(!done1.has(n), `${n} was finished before the first kill but traced again`);
  const round3 = readDoubleLog(log).slice(resumeFrom).flatMap((r) => (typeof r.request["cmd"] === "string" && (r.request["cmd"] as string).startsWith("theorem") ? [nameOf(r.request["cmd"] as string)] : []));
  for (const n of round3) assert.ok(!done2.has(n), `${n} was finished before the second kill but traced again`);
  assert.equal(new Set(round3).size, round3.length, "each remaining theorem traced once in the last run");

  // No worker of any round is left; the decoys were never touched.
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid), `worker ${pid} left behind`);
  for (const pid of decoys.pids) assert.ok(pidAlive(pid), `decoy ${pid} was killed`);
});

function chunkNamesSafe(out: string): string[] {
  try {
    return chunkNames(out).names;
  } catch {
    return [];
  }
}
