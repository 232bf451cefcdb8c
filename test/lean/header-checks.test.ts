/**
 * The header submitted with a theorem (design.md §5): a sorry / admit / cheat in it — a helper
 * lemma placed before the theorem lands in the header (src/data/lean-source.ts) — rejects the
 * theorem, in tracing as in search; a header of imports / open / set_option passes. Header
 * imports have their own timeout (header_timeout_s, pool and traceTheorems), and a header that
 * fails or times out is remembered by the pool: imported once, its theorems fail at once as
 * header_error with the original reason.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTheoremSource } from "../../src/data/lean-source.js";
import { theoremCode } from "../../src/data/theorem-row.js";
import { checkHeader, checkWholeProof } from "../../src/lean/proof-check.js";
import { ReplError } from "../../src/lean/repl-errors.js";
import { normalizePoolOptions, ReplPool } from "../../src/lean/repl-pool.js";
import { replCommand } from "../../src/lean/repl-command.js";
import { parseReplResponse } from "../../src/lean/repl-protocol.js";
import { traceTheorems } from "../../src/lean/trace-theorems.js";
import type { TraceTheorem } from "../../src/lean/trace-outcome.js";
import { doubleCommand, loggedPids, pidAlive, readDoubleLog } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-header-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const logFile = () => join(dir, `log-${++n}.jsonl`);

const HEADER = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";
const SLOW = "import Mathlib\nimport Slow__hang";
const CRASHY = "import Mathlib\nimport Boom__crash";
const thm = (name: string) => `theorem ${name} (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by\n  norm_num`;
const importsOf = (log: string, header: string) => readDoubleLog(log).filter((r) => r.request["cmd"] === header);

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

// ------------------------------------------------------------------ the check itself (pure)

const CLEAN = parseReplResponse(
  JSON.stringify({ tactics: [{ usedConstants: [], tactic: "norm_num", proofState: 0, pos: { line: 2, column: 2 }, goals: "⊢ 2 = 2", endPos: { line: 2, column: 10 } }], env: 1 }),
);

test("checkHeader: imports / open / set_option pass; a banned word in a declaration, or a sorry Lean reported, rejects", () => {
  assert.deepEqual(checkHeader({ text: HEADER, lean_sorry: null }), { status: "accepted" });
  assert.deepEqual(checkHeader({ text: `${HEADER}\n-- no sorry here\n/- admit nothing -/`, lean_sorry: null }), { status: "accepted" }, "comments do not count");
  assert.deepEqual(checkHeader({ text: `${HEADER}\nlemma helper : 1 = 1 := by\n  admit`, lean_sorry: null }), {
    status: "rejected",
    reason: "banned_word",
    detail: `'admit' in the header (a declaration before the theorem) line 6: "admit"`,
  });
  assert.deepEqual(checkHeader({ text: HEADER, lean_sorry: "declaration uses `sorry` (header line 5)" }), {
    status: "rejected",
    reason: "sorry",
    detail: "in the header (a declaration before the theorem): declaration uses `sorry` (header line 5)",
  });
  // the whole-proof check sees the header too: a clean theorem response does not save it
  assert.deepEqual(checkWholeProof(CLEAN, "norm_num"), { status: "accepted" });
  assert.deepEqual(checkWholeProof(CLEAN, "norm_num", { text: HEADER, lean_sorry: null }), { status: "accepted" });
  const v = checkWholeProof(CLEAN, "norm_num", { text: `${HEADER}\ntheorem helper : False := cheat`, lean_sorry: null });
  assert.ok(v.status === "rejected" && v.reason === "banned_word" && /'cheat' in the header/.test(v.detail), JSON.stringify(v));
});

// ------------------------------------------------------------------ tracing

/** A competition file with a helper lemma before the theorem, split as ingest splits it. */
function withHelper(name: string, helper_proof: string): TraceTheorem {
  const src = `import Mathlib\nopen Real\n\n-- a helper the dataset put before the theorem\nlemma helper_${name} (n : ℕ) : n = n := ${helper_proof}\n\ntheorem ${name} (x : ℝ) (h₀ : x = 2) : x + 0 = 2 := by\n  rw [h₀]\n  norm_num\n`;
  const p = parseTheoremSource(src);
  assert.ok(p.status === "ok", JSON.stringify(p));
  const t = p.theorem;
  assert.equal(t.header, `import Mathlib\nopen Real\nlemma helper_${name} (n : ℕ) : n = n := ${helper_proof}`, "the helper lemma is part of the header");
  return { name: t.name, source: "workbook", header: t.header, code: theoremCode({ name: t.name, statement: t.statement, proof: t.proof }), proof: t.proof! };
}

test("tracing: a helper lemma with sorry before the theorem rejects it (banned word before Lean; a sorry only Lean reports after)", { timeout: 30_000 }, async () => {
  const log = logFile();
  const ts = [withHelper("uses_sorry", "by sorry"), withHelper("uses_sorry_ax", "sorryAx _"), withHelper("clean_helper", "by rfl"), { name: "plain", source: "workbook" as const, header: HEADER, code: thm("plain"), proof: "  norm_num" }];
  const r = await traceTheorems({ theorems: ts, out_dir: join(dir, "helpers"), pool: { command: doubleCommand({ log }), workers: 2, mem_cap_mb: null }, max_seed_failure_rate: 1 });
  const by = new Map(r.outcomes.map((o) => [o.name, o]));
  const s = by.get("uses_sorry")!;
  assert.ok(s.status === "failed" && s.category === "banned_word" && s.attempts === 0, JSON.stringify(s));
  assert.match(s.detail, /^'sorry' in the header \(a declaration before the theorem\) line 3: "lemma helper_uses_sorry/);
  const ax = by.get("uses_sorry_ax")!;
  assert.ok(ax.status === "failed" && ax.category === "sorry", JSON.stringify(ax));
  assert.match(ax.detail, /^in the header \(a declaration before the theorem\): declaration uses `sorry` \(header line 3\)/);
  assert.equal(by.get("clean_helper")!.status, "ok");
  assert.equal(by.get("plain")!.status, "ok", "imports / open / set_option only: fine");
  const sent = readDoubleLog(log).map((x) => String(x.request["cmd"] ?? ""));
  assert.ok(!sent.some((c) => c.startsWith("theorem uses_sorry ")), "the banned-word theorem never reached Lean");
  assert.deepEqual([r.report.details.all.categories.banned_word, r.report.details.all.categories.sorry], [1, 1]);
});

// ------------------------------------------------------------------ header timeout and remembered failures

test("pool: header_timeout_s (default 600) bounds an import; a timed-out header is imported once, its theorems fail at once", { timeout: 30_000 }, async () => {
  assert.equal(normalizePoolOptions({ command: replCommand("repl") }).header_timeout_s, 600);
  assert.throws(() => normalizePoolOptions({ command: replCommand("repl"), header_timeout_s: 0 }), /header_timeout_s must be a positive number, got 0/);
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 2, mem_cap_mb: null, header_timeout_s: 0.5 });
  try {
    const t0 = performance.now();
    const first = await expectReplError(pool.runCommand({ header: SLOW, cmd: thm("a") }), "header_failed");
    assert.ok(performance.now() - t0 < 3000, "the import was cut at header_timeout_s");
    assert.match(first.detail, /^importing the header timed out \(header_timeout_s 0\.5 s\) on worker \d: no response within 0\.5 s \(remembered: this pool does not import it again\)$/);
    for (const name of ["b", "c", "d"]) {
      const t1 = performance.now();
      const e = await expectReplError(pool.runCommand({ header: SLOW, cmd: thm(name) }), "header_failed");
      assert.equal(e.detail, first.detail, "the original reason");
      assert.ok(performance.now() - t1 < 200, `theorem ${name} failed at once (${(performance.now() - t1).toFixed(0)} ms)`);
    }
    assert.equal(importsOf(log, SLOW).length, 1, "the header was imported once");
    assert.equal(pool.stats().failed_headers, 1);
    const fine = await pool.runCommand({ header: HEADER, cmd: thm("fine"), allTactics: true });
    assert.equal(fine.response.tactics.length, 1, "other headers are unaffected");
    assert.equal(fine.header_sorry, null);
  } finally {
    await pool.close();
  }
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid));
});

test("pool: a header that crashes its worker is tried once more on a fresh worker, then remembered", { timeout: 30_000 }, async () => {
  const log = logFile();
  const pool = new ReplPool({ command: doubleCommand({ log }), workers: 1, mem_cap_mb: null });
  try {
    const e1 = await expectReplError(pool.runCommand({ header: CRASHY, cmd: thm("a") }), "header_failed");
    assert.match(e1.detail, /^importing the header failed \(crash\) on worker 0: .*\(will be tried once more\)$/s);
    assert.match(e1.stderr_tail, /INTERNAL PANIC: could not import/);
    const e2 = await expectReplError(pool.runCommand({ header: CRASHY, cmd: thm("b") }), "header_failed");
    assert.match(e2.detail, /\(remembered: this pool does not import it again\)$/);
    const e3 = await expectReplError(pool.runCommand({ header: CRASHY, cmd: thm("c") }), "header_failed");
    assert.equal(e3.detail, e2.detail);
    assert.equal(importsOf(log, CRASHY).length, 2);
    assert.equal(loggedPids(log).length, 2, "each crash cost one worker, the third theorem none");
  } finally {
    await pool.close();
  }
});

test("traceTheorems: header_timeout_s reaches the pool; the timed-out header's theorems are header_error with the reason; a resumed run tries the header again", { timeout: 60_000 }, async () => {
  const log = logFile();
  const out = join(dir, "slow-header");
  const ts: TraceTheorem[] = Array.from({ length: 6 }, (_, i) => ({ name: `s${i}`, source: "workbook", header: SLOW, code: thm(`s${i}`), proof: "  norm_num" }));
  const run = () => traceTheorems({ theorems: ts, out_dir: out, pool: { command: doubleCommand({ log }), workers: 2, mem_cap_mb: null }, header_timeout_s: 0.5, max_seed_failure_rate: 1 });
  const r = await run();
  assert.equal(r.outcomes.length, 6);
  for (const o of r.outcomes) {
    assert.ok(o.status === "failed" && o.category === "header_error", JSON.stringify(o));
    assert.match(o.detail, /importing the header timed out \(header_timeout_s 0\.5 s\)/);
  }
  assert.equal(r.report.details.run["header_timeout_s"], 0.5);
  const imports = importsOf(log, SLOW);
  assert.ok(imports.length >= 1 && imports.length <= 2, `at most one import per worker, got ${imports.length}`);
  assert.equal(new Set(imports.map((x) => x.pid)).size, imports.length, "no worker imported it twice");
  assert.ok(!readDoubleLog(log).some((x) => String(x.request["cmd"] ?? "").startsWith("theorem")), "no theorem was sent");
  // header_error outcomes are not reused: raising header_timeout_s and resuming retries the header
  const before = imports.length;
  const r2 = await run();
  assert.equal(r2.reused, 0);
  assert.ok(importsOf(log, SLOW).length > before, "the resumed run imported the header again");
  // the default, and a conflicting pair of options
  const d = await traceTheorems({ theorems: [{ name: "ok1", source: "workbook", header: HEADER, code: thm("ok1"), proof: "  norm_num" }], out_dir: join(dir, "default-ht"), pool: { command: doubleCommand({}), workers: 1, mem_cap_mb: null } });
  assert.equal(d.report.details.run["header_timeout_s"], 600);
  await assert.rejects(
    traceTheorems({ theorems: ts, out_dir: join(dir, "conflict"), pool: { command: doubleCommand({}), workers: 1, mem_cap_mb: null, header_timeout_s: 2 }, header_timeout_s: 1 }),
    /traceTheorems: header_timeout_s is 1 but pool.header_timeout_s is 2; give one of them/,
  );
});
