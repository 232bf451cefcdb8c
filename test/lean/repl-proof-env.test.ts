/**
 * ReplProofEnv (the search's Lean on the repl pool, tactic mode) against the protocol double:
 * the recorded responses of the real repl (proof_step, proof_branching, tactic_mode_sorry,
 * unknown_proof_state, invalid_tactic) replayed byte for byte, and the double's simulation for a
 * scripted theorem end to end (also under bestFirstSearch), messages-only failures, timeouts and
 * crashes (error outcomes, worker replaced, states rebuilt), and verify's rejections.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplPool } from "../../src/lean/repl-pool.js";
import { ReplProofEnv, indentTactic, replProofEnv, withReplProofEnv, wholeProofCommand, type ReplProofHandle, type ReplProofTheorem } from "../../src/lean/repl-proof-env.js";
import type { TacticOutcome } from "../../src/search/proof-env.js";
import { bestFirstSearch } from "../../src/search/best-first.js";
import { normalizeSearchConfig } from "../../src/search/search-config.js";
import type { Policy } from "../../src/search/policy.js";
import { doubleCommand, loggedPids, pidAlive, readDoubleLog, transcriptPath, type DoubleOptions } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-proof-env-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const logFile = () => join(dir, `log-${++n}.jsonl`);

const HEADER = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";
const THM: ReplProofTheorem = { name: "two_steps", header: HEADER, statement: "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 :=" };
const ROOT_GOAL = "x : ℕ\nh₀ : x = 2\n⊢ x + 0 = 2";

function pool(o: DoubleOptions, extra: { request_timeout_s?: number; workers?: number } = {}): ReplPool {
  return new ReplPool({ command: doubleCommand(o), workers: extra.workers ?? 1, mem_cap_mb: null, ...(extra.request_timeout_s !== undefined && { request_timeout_s: extra.request_timeout_s }) });
}

function ok(o: TacticOutcome<ReplProofHandle>): Extract<TacticOutcome<ReplProofHandle>, { kind: "ok" }> {
  assert.equal(o.kind, "ok", JSON.stringify(o));
  return o as Extract<TacticOutcome<ReplProofHandle>, { kind: "ok" }>;
}

function failed(o: TacticOutcome<ReplProofHandle>, re: RegExp): string {
  assert.equal(o.kind, "error", `expected an error outcome, got ${JSON.stringify(o)}`);
  const m = (o as Extract<TacticOutcome<ReplProofHandle>, { kind: "error" }>).message;
  assert.match(m, re);
  assert.ok(o.lean_ms >= 0);
  return m;
}

/** Frame i of a transcript's recorded output, parsed (for scenario replies). */
function recordedFrame(name: string, i: number): unknown {
  const frames = readFileSync(transcriptPath(name.replace(/\.in$/, ".expected.out")), "utf8").split("\n\n").filter((s) => s.trim() !== "");
  return JSON.parse(frames[i]!) as unknown;
}

/** A pool replaying a transcript, and its log; asserts afterwards that every recorded request was sent. */
async function onTranscript(name: string, theorem: ReplProofTheorem, fn: (env: ReplProofEnv) => Promise<void>): Promise<void> {
  const log = logFile();
  const p = pool({ transcript: transcriptPath(name), log });
  try {
    await withReplProofEnv(p, theorem, fn);
  } finally {
    await p.close();
  }
  const recorded = readFileSync(transcriptPath(name), "utf8").split("\n\n").filter((s) => s.trim() !== "").length;
  assert.equal(readDoubleLog(log).length, recorded, `${name}: every recorded request was sent, in order, and nothing else`);
}

// ------------------------------------------------------------------ the real repl's recorded responses

test("transcript proof_step: root from the sorry, new proof states and goals, 'Completed' with [] goals is no_goals", async () => {
  await onTranscript("proof_step.in", { name: "f", header: "", statement: "def f : Nat :=" }, async (env) => {
    const root = await env.root();
    assert.deepEqual(root, { goals_pp: "⊢ Nat", handle: { session: 1, proofState: 0, tactics: [] } });
    const a = ok(await env.apply(root.handle, "apply Int.natAbs", 5));
    assert.deepEqual([a.goals_pp, a.handle.proofState, a.no_goals], ["⊢ Int", 1, false]);
    const b = ok(await env.apply(root.handle, "have t : Nat := 42", 5));
    assert.deepEqual([b.goals_pp, b.handle.proofState, b.handle.tactics], ["t : Nat\n⊢ Nat", 2, ["have t : Nat := 42"]]);
    const c = ok(await env.apply(b.handle, "exact t", 5));
    assert.deepEqual([c.no_goals, c.goals_pp, c.handle.proofState, c.handle.tactics], [true, "no goals", 3, ["have t : Nat := 42", "exact t"]]);
    assert.equal(env.stats().apply_calls, 3);
  });
});

test("transcript proof_branching: two goals are joined as tracing joins them (blank line), then closed one by one", async () => {
  const thm = { name: "complex_and", header: "", statement: "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r :=" };
  await onTranscript("proof_branching.in", thm, async (env) => {
    const root = await env.root();
    assert.equal(root.goals_pp, "p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r");
    const s1 = ok(await env.apply(root.handle, "apply And.intro", 5));
    assert.equal(s1.goals_pp, "case left\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p\n\ncase right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ r");
    const s2 = ok(await env.apply(s1.handle, "exact h1.left", 5));
    assert.equal(s2.goals_pp, "case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ r");
    const s3 = ok(await env.apply(s2.handle, "apply h2", 5));
    assert.equal(s3.goals_pp, "case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ q");
    const s4 = ok(await env.apply(s3.handle, "exact h1.right", 5));
    assert.deepEqual([s4.no_goals, s4.handle.proofState], [true, 4]);
  });
});

test("transcript tactic_mode_sorry: [] goals with a sorry ('Incomplete: contains sorry') is an error, never a proof", async () => {
  await onTranscript("tactic_mode_sorry.in", { name: "f", header: "", statement: "def f : Nat :=" }, async (env) => {
    const root = await env.root();
    failed(await env.apply(root.handle, "sorry", 5), /^banned_word: 'sorry'/);
  });
  // The same recorded response for a tactic without a banned word: rejected for the sorry Lean reports.
  const scenario = join(dir, "sorry-reply.json");
  writeFileSync(scenario, JSON.stringify({ rules: [{ when: { tactic_includes: "exact?" }, then: { reply: recordedFrame("tactic_mode_sorry.in", 1) } }] }));
  const p = pool({ scenario });
  try {
    await withReplProofEnv(p, THM, async (env) => {
      failed(await env.apply((await env.root()).handle, "exact?", 5), /^sorry: the tactic left a sorry/);
    });
  } finally {
    await p.close();
  }
});

test("transcript unknown_proof_state: the repl's {\"message\": \"Unknown proof state.\"} is an error outcome with its text", async () => {
  await onTranscript("unknown_proof_state.in", { name: "f", header: "", statement: "def f : Nat :=" }, async (env) => {
    const root = await env.root();
    failed(await env.apply({ ...root.handle, proofState: 1 }, "exact 42", 5), /^repl_error: Unknown proof state\.$/);
  });
});

test("transcript invalid_tactic: a messages-only failure ([] goals + an error) is an error outcome with Lean's message", async () => {
  await onTranscript("invalid_tactic.in", { name: "my_theorem", header: "", statement: "theorem my_theorem (x : Nat) : x = x :=" }, async (env) => {
    failed(await env.apply((await env.root()).handle, "exact my_fake_premise", 5), /^lean_error: Unknown identifier `my_fake_premise`$/);
  });
});

// ------------------------------------------------------------------ simulation

test("a scripted theorem end to end: root, two tactics, no goals, verify accepted; one worker, header imported once", async () => {
  const log = logFile();
  const p = pool({ log, lean_ms: 2 });
  try {
    const env = replProofEnv(p, THM);
    const root = await env.root();
    assert.equal(root.goals_pp, ROOT_GOAL);
    const s1 = ok(await env.apply(root.handle, "rw [h₀]", 5));
    assert.deepEqual([s1.no_goals, s1.goals_pp], [false, `x : ℕ\nh₀ : x = 2\nh_step1 : True\n⊢ x + 0 = 2`]);
    const s2 = ok(await env.apply(s1.handle, "norm_num", 5));
    assert.equal(s2.no_goals, true);
    assert.ok(s1.lean_ms >= 1 && s2.lean_ms >= 1, "Lean time is recorded per call"); // the double sleeps 2 ms; Node timers have 1 ms granularity, so a call can measure 1.x ms
    assert.deepEqual(await env.verify(["rw [h₀]", "norm_num"]), { ok: true });
    const st = env.stats();
    assert.deepEqual([st.sessions, st.apply_calls, st.verify_calls, st.replayed_tactics], [1, 2, 1, 0]);
    assert.ok(st.root_lean_ms > 0 && st.verify_lean_ms > 0);
    await env.close();
    await env.close(); // idempotent
    await assert.rejects(env.apply(root.handle, "simp", 5), /ReplProofEnv 'two_steps': used after close\(\)/);
    // the lease went back: another theorem gets the (only) worker and its imported header
    await withReplProofEnv(p, { ...THM, name: "again", statement: "theorem again (x : ℕ) (h₀ : x = 2) : x + 0 = 2 :=" }, async (e2) => {
      ok(await e2.apply((await e2.root()).handle, "norm_num", 5));
    });
  } finally {
    await p.close();
  }
  const reqs = readDoubleLog(log);
  assert.equal(new Set(reqs.map((r) => r.pid)).size, 1, "all on one worker");
  assert.equal(reqs.filter((r) => r.request["cmd"] === HEADER).length, 1, "header imported once, reused by env");
  const envId = 0;
  assert.deepEqual(reqs[1]!.request, { cmd: "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by sorry", env: envId });
  assert.deepEqual(Object.keys(reqs[2]!.request).sort(), ["proofState", "tactic"]);
  assert.deepEqual(reqs[4]!.request, { cmd: "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by\n  rw [h₀]\n  norm_num", env: envId, allTactics: true });
});

test("under bestFirstSearch: a messages-only failure is recorded as lean_error, the verified path is the proof", async () => {
  const policy: Policy = {
    propose: async (state) =>
      state === ROOT_GOAL
        ? [
            { tactic: "exact h__fail", log_prob_sum: -0.1, n_tokens: 1 },
            { tactic: "rw [h₀]", log_prob_sum: -0.5, n_tokens: 1 },
          ]
        : [{ tactic: "norm_num", log_prob_sum: -0.2, n_tokens: 1 }],
  };
  const p = pool({});
  try {
    const r = await withReplProofEnv(p, THM, (env) => bestFirstSearch({ name: THM.name }, { policy, env }, normalizeSearchConfig({ n_candidates: 4, timeout_s: 30, tactic_timeout_s: 5 })));
    assert.equal(r.status, "proved", r.reason);
    assert.deepEqual(r.proof, ["rw [h₀]", "norm_num"]);
    assert.equal(r.failures.length, 1);
    assert.deepEqual([r.failures[0]!.tactic, r.failures[0]!.kind], ["exact h__fail", "lean_error"]);
    assert.match(r.failures[0]!.message, /^lean_error: linarith failed to find a contradiction/);
    assert.ok(r.nodes.every((nd) => nd.lean_ms === null || nd.lean_ms > 0));
  } finally {
    await p.close();
  }
});

test("a messages-only failure (no goals, an error) is an error outcome, never no_goals", async () => {
  const p = pool({ style: "old" }); // old repls: no proofStatus, so only the messages tell
  try {
    await withReplProofEnv(p, THM, async (env) => {
      const m = failed(await env.apply((await env.root()).handle, "linarith __fail", 5), /^lean_error: linarith failed to find a contradiction$/);
      assert.doesNotMatch(m, /no goals/);
    });
  } finally {
    await p.close();
  }
});

test("a tactic timeout is an error outcome; the worker is replaced and earlier states are rebuilt on the new one", { timeout: 30_000 }, async () => {
  const log = logFile();
  const p = pool({ log });
  try {
    await withReplProofEnv(p, THM, async (env) => {
      const root = await env.root();
      const s1 = ok(await env.apply(root.handle, "rw [h₀]", 5));
      const t0 = performance.now();
      failed(await env.apply(s1.handle, "nlinarith __hang", 0.5), /^timeout: no response within 0\.5 s; the worker was replaced/);
      assert.ok(performance.now() - t0 < 3000, "the timeout is kept, no hang");
      const [first] = loggedPids(log);
      assert.ok(!pidAlive(first!), "the hung worker's group was killed");
      // s1 lived in the dead worker: the env states the theorem again and replays `rw [h₀]` first
      const s2 = ok(await env.apply(s1.handle, "norm_num", 5));
      assert.equal(s2.no_goals, true);
      assert.deepEqual(await env.verify(["rw [h₀]", "norm_num"]), { ok: true });
      const st = env.stats();
      assert.deepEqual([st.sessions, st.replayed_tactics, st.worker_failures], [2, 1, { timeout: 1 }]);
      const second = loggedPids(log).find((pid) => pid !== first)!;
      const onSecond = readDoubleLog(log).filter((r) => r.pid === second).map((r) => (r.request["tactic"] as string | undefined) ?? (r.request["cmd"] as string).split("\n")[0]);
      assert.deepEqual(onSecond, [HEADER.split("\n")[0], "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by sorry", "rw [h₀]", "norm_num", "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by"]);
    });
  } finally {
    await p.close();
  }
  for (const pid of loggedPids(log)) assert.ok(!pidAlive(pid));
});

test("a worker crash during a tactic is an error outcome with the stderr tail; the search goes on", async () => {
  const p = pool({});
  try {
    await withReplProofEnv(p, THM, async (env) => {
      const root = await env.root();
      failed(await env.apply(root.handle, "simp __crash", 5), /^crash: .*the worker was replaced \| stderr: INTERNAL PANIC: stack overflow in tactic/s);
      ok(await env.apply(root.handle, "norm_num", 5));
      assert.deepEqual(env.stats().worker_failures, { crash: 1 });
    });
  } finally {
    await p.close();
  }
});

test("verify rejects a sorry in the proof, a helper lemma with a sorry before the theorem, and a leading bullet", async () => {
  const log = logFile();
  const p = pool({ log }, { workers: 2 });
  try {
    await withReplProofEnv(p, THM, async (env) => {
      await env.root();
      assert.deepEqual(await env.verify(["rw [h₀]", "sorry"]), { ok: false, reason: "banned_word: 'sorry' in the proof text" });
      assert.deepEqual(await env.verify(["rw [h₀]", "admit -- closes it"]), { ok: false, reason: "banned_word: 'admit' in the proof text" });
      const b = await env.verify(["constructor", "· norm_num", "· simp"]);
      assert.ok(!b.ok && /^bullet: tactic 2 "· norm_num" starts with a focusing bullet/.test(b.reason), JSON.stringify(b));
      const empty = await env.verify([]);
      assert.ok(!empty.ok && empty.reason === "no tactics to replay");
    });
    assert.equal(readDoubleLog(log).filter((r) => String(r.request["cmd"] ?? "").includes(":= by\n")).length, 0, "none of these reached Lean");
    // a helper lemma before the theorem is part of the header: its sorry rejects the proof
    const withHelper = { ...THM, header: `${HEADER}\nlemma helper (n : ℕ) : n = n := by sorry` };
    await withReplProofEnv(p, withHelper, async (env) => {
      ok(await env.apply((await env.root()).handle, "norm_num", 5));
      const v = await env.verify(["norm_num"]);
      assert.ok(!v.ok && /^banned_word: 'sorry' in the header \(a declaration before the theorem\) line 5: "lemma helper/.test(v.reason), JSON.stringify(v));
    });
    // ... also when only Lean tells (no banned word in the text: sorryAx)
    const sneaky = { ...THM, header: `${HEADER}\nlemma helper (n : ℕ) : n = n := sorryAx _` };
    await withReplProofEnv(p, sneaky, async (env) => {
      await env.root();
      const v = await env.verify(["norm_num"]);
      assert.ok(!v.ok && /^sorry: in the header \(a declaration before the theorem\): declaration uses `sorry` \(header line 5\)/.test(v.reason), JSON.stringify(v));
    });
  } finally {
    await p.close();
  }
});

test("verify rejects what Lean rejects: an error, and a sorry Lean reports without a banned word", async () => {
  const scenario = join(dir, "verify-sorry.json");
  const sorryWarning = { messages: [{ severity: "warning", pos: { line: 1, column: 8 }, endPos: { line: 1, column: 17 }, data: "declaration uses `sorry`" }], env: 7, tactics: [{ usedConstants: [], tactic: "exact?", proofState: 9, pos: { line: 2, column: 2 }, goals: ROOT_GOAL, endPos: { line: 2, column: 8 } }] };
  writeFileSync(scenario, JSON.stringify({ rules: [{ when: { cmd_includes: "exact?" }, then: { reply: sorryWarning } }] }));
  const p = pool({ scenario });
  try {
    await withReplProofEnv(p, THM, async (env) => {
      await env.root();
      assert.deepEqual(await env.verify(["exact?"]), { ok: false, reason: "sorry: declaration uses `sorry` (line 1)" });
      const e = await env.verify(["rw [h₀] __unsolved"]);
      assert.ok(!e.ok && /^lean_error: line 1: unsolved goals/.test(e.reason), JSON.stringify(e));
    });
  } finally {
    await p.close();
  }
});

test("the proof text verify sends: one indented line (or block) per tactic; bad statements are refused", () => {
  assert.equal(indentTactic("  nlinarith [sq_nonneg (x - y),\n    sq_nonneg (x + y)]  "), "  nlinarith [sq_nonneg (x - y),\n      sq_nonneg (x + y)]");
  assert.equal(wholeProofCommand("theorem t : 1 = 1", ["skip", "rfl"]), "theorem t : 1 = 1 := by\n  skip\n  rfl");
  const p = pool({});
  try {
    assert.equal(new ReplProofEnv(p, { ...THM, statement: `${THM.statement} by sorry` }).rootCommand, "theorem two_steps (x : ℕ) (h₀ : x = 2) : x + 0 = 2 := by sorry");
    assert.throws(() => replProofEnv(p, { ...THM, statement: "theorem two_steps : x = 2 := rfl" }), /the statement of 'two_steps' must be 'theorem NAME … :=', got: theorem two_steps : x = 2 := rfl/);
    assert.throws(() => replProofEnv(p, { ...THM, name: "t", statement: "theorem t (h : sorry) : True :=" }), /the statement of 't' uses 'sorry'/);
    assert.throws(() => replProofEnv(p, THM, { verify_timeout: 5 } as never), /ReplProofEnv 'two_steps': unknown option\(s\) verify_timeout \(known: root_timeout_s, verify_timeout_s, max_sessions\)/);
  } finally {
    void p.close();
  }
});

test("a statement that does not elaborate makes root() throw with the theorem and its code", async () => {
  const p = pool({});
  try {
    const env = replProofEnv(p, { name: "plain", header: HEADER, statement: "theorem plain (x : ℕ) : x = x :=" });
    const scenario = join(dir, "bad-root.json");
    writeFileSync(scenario, JSON.stringify({ rules: [{ when: { cmd_includes: "bad_root" }, then: { reply: { messages: [{ severity: "error", pos: { line: 1, column: 20 }, endPos: { line: 1, column: 21 }, data: "unknown identifier 'y'" }], env: 1 } } }] }));
    const p2 = pool({ scenario });
    try {
      const bad = replProofEnv(p2, { name: "bad_root", header: HEADER, statement: "theorem bad_root : y = y :=" });
      await assert.rejects(bad.root(), /root of 'bad_root' \("theorem bad_root : y = y := by sorry"\): the statement does not elaborate: line 1: unknown identifier 'y'/);
      await bad.close();
    } finally {
      await p2.close();
    }
    assert.equal((await env.root()).goals_pp, "x : ℕ\n⊢ x = x");
    await env.close();
  } finally {
    await p.close();
  }
});
