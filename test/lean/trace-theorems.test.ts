/**
 * Tracing against the protocol double: every theorem ends traced exactly once or failed with its
 * category (crash, hang past the timeout, memory cap, sorry/admit/cheat, messages-only failure),
 * chunks are written as theorems finish, the seed batch comes first and gates the rest.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTable } from "../../src/artifacts/arrow-table.js";
import { TACTIC_PAIRS } from "../../src/artifacts/schemas.js";
import { pairsColumns, planBatches, traceTheorems, tracePaths, TraceStoppedError } from "../../src/lean/trace-theorems.js";
import type { TraceTheorem } from "../../src/lean/trace-outcome.js";
import { doubleCommand, loggedPids, pidAlive, spawnDecoys } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-trace-"));
const decoys = spawnDecoys();
after(() => {
  decoys.stop();
  rmSync(dir, { recursive: true, force: true });
});

const HEADER = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";

function theorem(name: string, proof: string): TraceTheorem {
  return { name, source: "workbook", header: HEADER, code: `theorem ${name} (x y : ℝ) (h₀ : x = 2) (h₁ : y = 3) : x + y = 5 := by\n${proof}`, proof };
}

function chunkLines(out: string): Array<{ file: string; name: string; batch: string }> {
  const cdir = tracePaths(out).chunks_dir;
  return readdirSync(cdir).flatMap((f) =>
    readFileSync(join(cdir, f), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const o = JSON.parse(l) as { name: string; batch: string };
        return { file: f, name: o.name, batch: o.batch };
      }),
  );
}

test("each theorem is traced once or fails with its reason; crashes, hangs and memory caps included", { timeout: 60_000 }, async () => {
  const out = join(dir, "mixed");
  const log = join(dir, "mixed-log.jsonl");
  const ok = [
    theorem("ok_norm_num", "  subst h₀ h₁\n  norm_num"),
    theorem("ok_linarith", "  nlinarith [sq_nonneg (x - y),\n    sq_nonneg (x + y)]"),
    theorem("ok_bullets", "  constructor\n  · norm_num [h₀]\n  · simp [h₁]"),
    theorem("ok_warning", "  simp __warn [h₀, h₁]"),
    theorem("ok_one_line", "  linarith"),
    theorem("ok_rw", "  rw [h₀, h₁]\n  norm_num"),
  ];
  const bad: Array<[TraceTheorem, string]> = [
    [theorem("has_sorry", "  rw [h₀]\n  sorry"), "banned_word"],
    [theorem("has_admit", "  admit"), "banned_word"],
    [theorem("has_cheat", "  cheat"), "banned_word"],
    [theorem("messages_only", "  exact h__fail"), "lean_error"],
    [theorem("unsolved__unsolved", "  rw [h₀]"), "lean_error"],
    [theorem("dies__crash", "  norm_num"), "crash"],
    [theorem("stuck__hang", "  norm_num"), "timeout"],
    [theorem("huge__grow", "  norm_num"), "memory_cap"],
  ];
  const flaky = theorem("once__flaky", "  norm_num");
  const all = [...ok, ...bad.map(([t]) => t), flaky];
  const r = await traceTheorems({
    theorems: all,
    out_dir: out,
    pool: { command: doubleCommand({ log, style: "old", grow_mb: 200, grow_hold_ms: 20000, state_dir: join(dir, "flaky") }), workers: 2, mem_cap_mb: 150, mem_check_interval_ms: 50 },
    timeout_s: 1.5,
    chunk_size: 4,
    seed_fraction: 0.2,
    max_seed_failure_rate: 1,
  });
  // exactly one outcome per theorem, with the right category
  assert.deepEqual(r.outcomes.map((o) => o.name).sort(), all.map((t) => t.name).sort());
  const by = new Map(r.outcomes.map((o) => [o.name, o]));
  for (const t of ok) assert.equal(by.get(t.name)!.status, "ok", `${t.name}: ${JSON.stringify(by.get(t.name))}`);
  for (const [t, cat] of bad) {
    const o = by.get(t.name)!;
    assert.ok(o.status === "failed" && o.category === cat, `${t.name}: expected ${cat}, got ${JSON.stringify(o).slice(0, 300)}`);
  }
  const f = by.get("once__flaky")!;
  assert.ok(f.status === "ok" && f.attempts === 2, "a worker crash is retried once on a fresh worker");
  assert.equal(by.get("dies__crash")!.attempts, 2);
  // pairs only from accepted proofs; no pair starts with a focusing bullet
  const cols = pairsColumns(r.outcomes);
  const names = new Set(cols["theorem_name"] as string[]);
  assert.deepEqual([...names].sort(), [...ok.map((t) => t.name), "once__flaky"].sort());
  assert.ok((cols["tactic"] as string[]).every((t) => !/^\s*·/.test(t)));
  const bullets = r.outcomes.find((o) => o.name === "ok_bullets");
  assert.ok(bullets && bullets.status === "ok");
  assert.deepEqual(bullets.pairs.map((p) => [p.depth, p.tactic, p.num_goals]), [
    [0, "constructor", 1],
    [1, "norm_num [h₀]", 2],
    [2, "simp [h₁]", 1],
  ]);
  const lin = by.get("ok_linarith");
  assert.ok(lin && lin.status === "ok");
  assert.deepEqual(lin.pairs.map((p) => p.tactic), ["nlinarith [sq_nonneg (x - y),\n    sq_nonneg (x + y)]"], "a multi-line tactic is taken as written");
  // the report counts every category
  const c = r.report.details.all.categories;
  assert.deepEqual([c.banned_word, c.lean_error, c.crash, c.timeout, c.memory_cap, c.sorry], [3, 2, 1, 1, 1, 0]);
  assert.equal(r.report.values["theorems"], 15);
  assert.equal(r.report.values["traced_ok"], 7);
  assert.equal(r.report.details.status, "complete");
  // chunks: one line per theorem, seed batch first and in its own files, at most 4 lines per file
  const lines = chunkLines(out);
  assert.deepEqual(lines.map((l) => l.name).sort(), all.map((t) => t.name).sort());
  const { seed } = planBatches(all, 0.2, "burnqed-trace");
  assert.deepEqual(lines.filter((l) => l.batch === "seed").map((l) => l.name).sort(), seed.map((t) => t.name).sort());
  assert.ok(lines.filter((l) => l.batch === "seed").every((l) => l.file.startsWith("seed-")));
  const perFile = new Map<string, number>();
  for (const l of lines) perFile.set(l.file, (perFile.get(l.file) ?? 0) + 1);
  assert.ok([...perFile.values()].every((k) => k <= 4));
  assert.ok(readdirSync(tracePaths(out).chunks_dir).every((fname) => !fname.includes(".filling")), "every chunk sealed at the end");
  // seed outputs exist; nothing left running; decoys untouched
  assert.ok(existsSync(tracePaths(out).seed_pairs) && existsSync(tracePaths(out).seed_report));
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid), `worker ${pid} left behind`);
  for (const pid of decoys.pids) assert.ok(pidAlive(pid), `decoy ${pid} was killed`);
  assert.deepEqual(readdirSync(tracePaths(out).workers_dir), [], "the worker registry is empty after a clean close");
});

test("a seed batch failing above the limit stops the run with a clear message; its pairs are kept", { timeout: 30_000 }, async () => {
  const out = join(dir, "stop");
  const ts = [theorem("fine", "  norm_num"), ...Array.from({ length: 9 }, (_, i) => theorem(`broken_${i}`, "  exact h__fail"))];
  await assert.rejects(
    traceTheorems({ theorems: ts, out_dir: out, pool: { command: doubleCommand(), workers: 2, mem_cap_mb: null }, seed_fraction: 0.5, chunk_size: 500 }),
    (e: unknown) => {
      assert.ok(e instanceof TraceStoppedError);
      assert.match(e.message, /tracing stopped after the seed batch: \d of 5 seed theorems failed \(\d+\.\d % > 20 %\): lean_error \d/);
      assert.match(e.message, /burnqed lean audit/);
      assert.equal(e.report.details.status, "stopped_seed_failure_rate");
      assert.equal(e.report.details.rest.theorems, 0);
      return true;
    },
  );
  const lines = chunkLines(out);
  assert.equal(lines.length, 5);
  assert.ok(lines.every((l) => l.batch === "seed"), "the remainder never ran");
  const seedPairs = readTable(tracePaths(out).seed_pairs, TACTIC_PAIRS);
  assert.ok((seedPairs.columns["theorem_name"] as unknown as string[]).every((n) => n === "fine"));
  const seedReport = JSON.parse(readFileSync(tracePaths(out).seed_report, "utf8")) as { values: Record<string, number> };
  assert.ok(seedReport.values["seed_failure_rate"]! >= 0.8);
});

test("a folder traced with another REPL command is not silently reused", async () => {
  const out = join(dir, "stop");
  await assert.rejects(
    traceTheorems({ theorems: [theorem("fine", "  norm_num")], out_dir: out, pool: { command: doubleCommand({ lean_ms: 1 }), workers: 1, mem_cap_mb: null }, seed_fraction: 0.5 }),
    /traced with a different repl_argv/,
  );
});

test("a header that does not import fails its theorems as header_error (and the seed gate stops the run)", { timeout: 30_000 }, async () => {
  const out = join(dir, "badheader");
  const ts = Array.from({ length: 5 }, (_, i) => ({ ...theorem(`h${i}`, "  norm_num"), header: "import NoSuchModule" }));
  await assert.rejects(traceTheorems({ theorems: ts, out_dir: out, pool: { command: doubleCommand(), workers: 2, mem_cap_mb: null } }), (e: unknown) => {
    assert.ok(e instanceof TraceStoppedError);
    assert.match(e.message, /header_error 1/);
    assert.match(JSON.stringify(e.report.details.examples), /unknown module prefix 'NoSuchModule'/);
    return true;
  });
  const start = traceTheorems({ theorems: ts, out_dir: join(dir, "nostart"), pool: { command: { argv: ["/nonexistent/repl"], cwd: null, env: {} }, workers: 1, mem_cap_mb: null, parent_death_signal: false } });
  await assert.rejects(start, /start_failed: cannot start "\/nonexistent\/repl"/);
});
