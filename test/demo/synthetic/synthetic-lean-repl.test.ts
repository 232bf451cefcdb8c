/**
 * The synthetic REPL speaks the real repl's protocol: its answers have the field layout of the
 * real transcripts (../shared/data/lean_repl_transcripts) and the exact bytes where the real repl's
 * answer is fixed text; the project's ReplPool / ReplProcess drive the process unchanged from the
 * header through tactic mode to "no goals"; whole proofs are judged by checkWholeProof and traced
 * by extractPairs as the real ones are; two processes answer the same requests byte for byte.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkProofStep, checkWholeProof } from "../../../src/lean/proof-check.js";
import { ReplPool } from "../../../src/lean/repl-pool.js";
import { encodeReplRequest, parseReplResponse, type ReplRequest } from "../../../src/lean/repl-protocol.js";
import { extractPairs } from "../../../src/lean/trace-pairs.js";
import { syntheticProofText } from "../../../src/demo/synthetic/synthetic-problems.js";
import { syntheticReplCommand } from "../../../src/demo/synthetic/synthetic-repl-command.js";
import { SyntheticReplSession } from "../../../src/demo/synthetic/synthetic-repl-session.js";
import { renderLeanJson } from "../../../src/lean/lean-json-format.mjs";
import { transcriptPath } from "../../fixtures/repl-double/double.js";
import { smallWorld, theoremOfLength, worldFileIn } from "./synthetic-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-synthetic-repl-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const world = smallWorld(40);
const worldFile = worldFileIn(dir, world);
const p3 = theoremOfLength(world, 3);

/** Frame i of a real transcript, as printed. */
function realFrame(name: string, i: number): string {
  const frame = readFileSync(transcriptPath(`${name}.expected.out`), "utf8").split("\n\n").filter((s) => s.trim() !== "")[i];
  if (frame === undefined) throw new Error(`${name} has no frame ${i}`);
  return frame;
}

/** Keys (in printed order) and value types, recursively; a list by its first element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return v === null ? "null" : typeof v;
}

const printed = (o: unknown): string => renderLeanJson(o);
const shapeOfPrinted = (o: unknown): unknown => shape(JSON.parse(printed(o)));

test("answers have the real repl's fields in its printed order (transcript by transcript)", () => {
  const s = new SyntheticReplSession(world);
  const q = (req: ReplRequest) => s.answer(JSON.stringify(req));
  assert.equal(printed(q({ cmd: p3.header })), realFrame("import_lean", 0), '{"env": 0}');
  const root = q({ cmd: `${p3.statement} by sorry`, env: 0 });
  assert.deepEqual(shapeOfPrinted(root), shape(JSON.parse(realFrame("proof_step", 0))), "theorem := by sorry");
  const open = q({ tactic: p3.tactics[0]!, proofState: 0 });
  assert.deepEqual(shapeOfPrinted(open), shape(JSON.parse(realFrame("proof_step", 1))), "a tactic with goals left");
  const wrong = q({ tactic: "linarith [h₀]", proofState: 0 });
  assert.deepEqual(shapeOfPrinted(wrong), shape(JSON.parse(realFrame("invalid_tactic", 1))), "a failing tactic");
  assert.equal((wrong["messages"] as { data: string }[])[0]!.data.split("\n")[0], "linarith failed to find a contradiction");
  assert.equal(printed(q({ tactic: "exat 42", proofState: 0 })), realFrame("unknown_tactic", 1));
  assert.equal(printed(q({ tactic: "exact 42", proofState: 999 })), realFrame("unknown_proof_state", 1));
  assert.equal(printed(q({ cmd: p3.statement + " by sorry", env: 5 })), realFrame("unknown_environment", 0));
  let id = open["proofState"] as number;
  for (const t of p3.tactics.slice(1, -1)) id = q({ tactic: t, proofState: id })["proofState"] as number;
  const sorry = q({ tactic: "sorry", proofState: id });
  assert.deepEqual(shapeOfPrinted(sorry), shape(JSON.parse(realFrame("tactic_mode_sorry", 1))), "sorry on the last goal");
  const done = q({ tactic: p3.tactics[2]!, proofState: id });
  assert.equal(printed(done), `{"proofStatus": "Completed", "proofState": ${done["proofState"]}, "goals": []}`);
  assert.deepEqual(shapeOfPrinted(done), shape(JSON.parse(realFrame("proof_step", 3))));
  const whole = q({ cmd: `${p3.statement} by\n${syntheticProofText(p3.tactics)}`, env: 0, allTactics: true });
  assert.deepEqual(shapeOfPrinted(whole), shape(JSON.parse(realFrame("all_tactics-20250622", 0))), "a whole proof with allTactics");
  const unsolved = q({ cmd: `${p3.statement} by\n${syntheticProofText(p3.tactics.slice(0, 2))}`, env: 0 });
  assert.deepEqual(shapeOfPrinted(unsolved), shape(JSON.parse(realFrame("incomplete", 0))), "a proof that stops early");
  assert.match((unsolved["messages"] as { data: string }[])[0]!.data, /^unsolved goals\n/);
});

test("ReplPool drives the synthetic REPL process unchanged: header env, root → the proof's tactics → no goals, failures as Lean errors", async () => {
  const pool = new ReplPool({ command: syntheticReplCommand(worldFile), workers: 1, mem_cap_mb: null, request_timeout_s: 30 });
  try {
    await pool.withWorker(p3.header, async (lease) => {
      assert.equal(typeof lease.env, "number");
      const root = await lease.request({ cmd: `${p3.statement} by sorry`, env: lease.env! });
      assert.ok(root.kind === "command" && root.sorries.length === 1 && root.sorries[0]!.goal === p3.states[0] && root.sorries[0]!.proofState !== null);
      let id = root.sorries[0]!.proofState!;
      const bad = await lease.request({ tactic: "omega", proofState: id });
      const verdict = checkProofStep(bad, "omega");
      assert.ok(verdict.status === "failed" && verdict.reason === "lean_error" || world.nextProofTactic(p3.states[0]!) === "omega", JSON.stringify(verdict));
      for (let i = 0; i < p3.tactics.length; i++) {
        const r = await lease.request({ tactic: p3.tactics[i]!, proofState: id });
        const v = checkProofStep(r, p3.tactics[i]!);
        if (i < p3.tactics.length - 1) assert.deepEqual(v, { status: "open", goals: p3.states[i + 1]!.split("\n\n") });
        else assert.deepEqual(v, { status: "complete" });
        assert.equal(r.kind, "proof_step");
        if (r.kind === "proof_step") id = r.proofState;
      }
      const again = await lease.request({ tactic: "simp", proofState: id });
      assert.match(JSON.stringify(again.raw), /no goals to be proved/);
    });
    // whole proofs through runCommand, as tracing sends them
    const code = `${p3.statement} by\n${syntheticProofText(p3.tactics)}`;
    const ok = await pool.runCommand({ header: p3.header, cmd: code, allTactics: true });
    assert.deepEqual(checkWholeProof(ok.response, syntheticProofText(p3.tactics)), { status: "accepted" });
    assert.deepEqual(
      extractPairs(ok.response.tactics, code).map((x) => [x.state_pp, x.tactic]),
      p3.states.map((s, i) => [s, p3.tactics[i]]),
      "tracing the proof gives back the world's (state, tactic) pairs: positions and goals are right",
    );
    const withSorry = syntheticProofText([...p3.tactics.slice(0, -1), "sorry"]);
    const sorry = await pool.runCommand({ header: p3.header, cmd: `${p3.statement} by\n${withSorry}`, allTactics: true });
    assert.equal(checkWholeProof(sorry.response, withSorry).status, "rejected");
    assert.ok(sorry.response.messages.some((m) => m.data === "declaration uses `sorry`") && sorry.response.sorries.length === 1);
    const wrongText = syntheticProofText(["linarith", ...p3.tactics.slice(1)]);
    const wrong = await pool.runCommand({ header: p3.header, cmd: `${p3.statement} by\n${wrongText}`, allTactics: true });
    const v = checkWholeProof(wrong.response, wrongText);
    assert.ok(v.status === "rejected" && v.reason === "lean_error" && /^line 3:/.test(v.detail), JSON.stringify(v));
    const unknown = await pool.runCommand({ header: p3.header, cmd: "theorem nope (x : ℕ) : x = x := by rfl" });
    assert.match(unknown.response.messages[0]!.data, /unknown theorem 'nope'/);
    assert.equal(pool.stats().header_imports, 1, "one header import per worker, reused by env");
  } finally {
    await pool.close();
  }
  assert.deepEqual(pool.livePids(), []);
});

function runRepl(input: string, file = worldFile) {
  const cmd = syntheticReplCommand(file);
  return spawnSync(cmd.argv[0]!, cmd.argv.slice(1), { cwd: cmd.cwd ?? undefined, input, encoding: "utf8" });
}

test("two processes answer the same requests byte for byte; input is read with the repl's getLines rules", () => {
  const reqs: ReplRequest[] = [
    { cmd: p3.header },
    { cmd: `${p3.statement} by sorry`, env: 0 },
    ...p3.tactics.map((t, i) => ({ tactic: t, proofState: i })),
    { tactic: "nlinarith [sq_nonneg (x - y)]", proofState: 0 },
    { tactic: "ring_nf", proofState: 0 },
    { cmd: `${p3.statement} by\n${syntheticProofText(p3.tactics)}`, env: 0, allTactics: true },
  ];
  // a request split over lines (outside strings) and a comment query, as getLines allows
  const input = reqs.map(encodeReplRequest).join("").replace('{"cmd":', '{\n"cmd":') + "-- a comment\n\n";
  const a = runRepl(input);
  const b = runRepl(input);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  const frames = a.stdout.split("\n\n").filter((f) => f !== "");
  assert.equal(frames.length, reqs.length);
  const parsed = frames.map(parseReplResponse);
  assert.deepEqual(parsed.map((r) => r.kind), ["command", "command", ...p3.tactics.map(() => "proof_step"), "proof_step", "proof_step", "command"]);
  const done = parsed[p3.tactics.length + 1]!;
  assert.ok(done.kind === "proof_step" && done.goals.length === 0 && done.proofStatus === "Completed", "the last proof tactic leaves no goals");
});

test("a bad world file stops the process at start with the path and the reason on stderr", () => {
  const bad = join(dir, "bad-world.json");
  writeFileSync(bad, JSON.stringify({ format: "burnqed-synthetic-world/1", seed: 1, problems: [] }));
  const r = runRepl("", bad);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`synthetic world file ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*'problems' must be a non-empty list`));
  const missing = runRepl("", join(dir, "nope.json"));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: ENOENT/);
});
