/**
 * The client parser against every real repl transcript in ../shared/data/lean_repl_transcripts:
 * blank-line framing (fed in awkward chunk sizes), key order kept, omitted empty lists read as [],
 * proofStatus strings, error objects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeReplRequest, parseReplResponse, ReplFrameReader, ReplProtocolError, type ReplResponse } from "../../src/lean/repl-protocol.js";
import { TRANSCRIPTS } from "../fixtures/repl-double/double.js";

function transcriptOutputs(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  for (const dir of [TRANSCRIPTS, join(TRANSCRIPTS, "mathlib")]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".expected.out")).sort()) out.push({ name: join(dir, f), text: readFileSync(join(dir, f), "utf8") });
  }
  return out;
}

function framesOf(text: string, chunk: (i: number) => number): string[] {
  const r = new ReplFrameReader();
  const frames: string[] = [];
  const chars = Array.from(text);
  for (let i = 0, k = 0; i < chars.length; k++) {
    const n = chunk(k);
    frames.push(...r.push(chars.slice(i, i + n).join("")));
    i += n;
  }
  assert.equal(r.pending(), "", "nothing left after the last blank line");
  return frames;
}

test("every transcript response frames, parses, and keeps the printed keys in order", () => {
  const outs = transcriptOutputs();
  assert.equal(outs.length, 71);
  const kinds: Record<string, number> = { command: 0, proof_step: 0, error: 0 };
  const statuses = new Map<string, number>();
  for (const { name, text } of outs) {
    const expected = text.split("\n\n").filter((s) => s.trim() !== "");
    // same frames whether the stream arrives whole, byte by byte, or in odd chunks
    for (const chunk of [() => text.length, () => 1, (k: number) => 1 + ((k * 7) % 13)]) assert.deepEqual(framesOf(text, chunk), expected, name);
    for (const frame of expected) {
      const r = parseReplResponse(frame);
      kinds[r.kind]!++;
      assert.equal(JSON.stringify(r.raw), JSON.stringify(JSON.parse(frame)), `${name}: raw keeps every key in printed order`);
      if (r.kind === "proof_step") statuses.set(r.proofStatus ?? "(none)", (statuses.get(r.proofStatus ?? "(none)") ?? 0) + 1);
    }
  }
  assert.deepEqual(kinds, { command: 134, proof_step: 74, error: 9 });
  assert.equal(statuses.get("Completed"), 15);
  assert.equal(statuses.get("Incomplete: open goals remain"), 41);
  assert.equal(statuses.get("Incomplete: contains metavariable(s)"), 9);
  assert.equal(statuses.get("Incomplete: contains sorry"), 5);
  assert.equal([...statuses.keys()].filter((s) => s.startsWith("Error: kernel type check failed")).length, 3);
});

function responses(file: string): ReplResponse[] {
  return readFileSync(join(TRANSCRIPTS, file), "utf8")
    .split("\n\n")
    .filter((s) => s.trim() !== "")
    .map(parseReplResponse);
}

test("allTactics entries: goals before each tactic, positions, proof states", () => {
  const [r] = responses("all_tactics.expected.out");
  assert.ok(r && r.kind === "command");
  assert.equal(r.env, 0);
  assert.deepEqual(r.messages, []); // omitted by the repl when empty
  assert.deepEqual(r.sorries, []);
  assert.deepEqual(
    r.tactics.map((t) => [t.tactic, t.goals, t.proofState, t.pos.line, t.pos.column, t.endPos.column, t.usedConstants.length]),
    [
      ["have t := 37", "⊢ Nat", 0, 1, 18, 30, 3],
      ["exact t", "t : Nat\n⊢ Nat", 1, 1, 32, 39, 0],
    ],
  );
});

test("sorries, the sorry warning, error objects and proof steps", () => {
  const [cmd, unknown] = responses("unknown_proof_state.expected.out");
  assert.ok(cmd && cmd.kind === "command");
  assert.deepEqual(cmd.sorries, [{ proofState: 0, pos: { line: 1, column: 18 }, endPos: { line: 1, column: 23 }, goal: "⊢ Nat" }]);
  assert.deepEqual(cmd.messages.map((m) => [m.severity, m.data]), [["warning", "declaration uses `sorry`"]]);
  assert.deepEqual(unknown, { kind: "error", message: "Unknown proof state.", raw: { message: "Unknown proof state." } });
  assert.deepEqual(responses("unknown_environment.expected.out")[0], { kind: "error", message: "Unknown environment.", raw: { message: "Unknown environment." } });
  const steps = responses("proof_step.expected.out").slice(1);
  assert.deepEqual(
    steps.map((s) => (s.kind === "proof_step" ? [s.proofState, s.goals.length, s.proofStatus] : s.kind)),
    [
      [1, 1, "Incomplete: open goals remain"],
      [2, 1, "Incomplete: open goals remain"],
      [3, 0, "Completed"],
    ],
  );
  // a tactic-mode sorry has no position: the repl omits pos/endPos
  const hs = responses("have_by_sorry.expected.out")[2];
  assert.ok(hs && hs.kind === "proof_step");
  assert.deepEqual(hs.sorries, [{ proofState: 2, pos: null, endPos: null, goal: "x : Int\n⊢ x = 1" }]);
  // traces of a tactic
  const tr = responses("trace_simp.expected.out")[5];
  assert.ok(tr && tr.kind === "proof_step");
  assert.deepEqual(tr.traces, ["37"]);
});

test("malformed responses are protocol errors that quote the response", () => {
  assert.throws(() => parseReplResponse("uncaught exception: boom"), (e: unknown) => e instanceof ReplProtocolError && /not JSON/.test(e.message) && e.message.includes("uncaught exception"));
  assert.throws(() => parseReplResponse('{"foo": 1}'), /unknown response shape \(keys: foo\)/);
  assert.throws(() => parseReplResponse('{"env": -1}'), /env is not a natural number/);
  assert.throws(() => parseReplResponse('{"env": 0, "messages": [{"severity": "fatal", "pos": {"line": 1, "column": 0}, "data": "x"}]}'), /severity is 'fatal'/);
});

test("requests are one JSON line and a blank line, newlines escaped", () => {
  const s = encodeReplRequest({ cmd: "theorem t : 1 = 1 := by\n  rfl", env: 3, allTactics: true });
  assert.equal(s, '{"cmd":"theorem t : 1 = 1 := by\\n  rfl","env":3,"allTactics":true}\n\n');
  assert.equal(s.split("\n").length, 3);
});
