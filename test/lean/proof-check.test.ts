/**
 * Acceptance rules on real repl responses: sorry/admit/cheat as whole words, the sorry warning,
 * messages-only failures and leading focus bullets never give an accepted proof.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkProofStep, checkWholeProof, findBannedWord, startsWithBullet } from "../../src/lean/proof-check.js";
import { parseReplResponse, type ReplResponse } from "../../src/lean/repl-protocol.js";
import { TRANSCRIPTS } from "../fixtures/repl-double/double.js";

const responses = (file: string): ReplResponse[] =>
  readFileSync(join(TRANSCRIPTS, file), "utf8")
    .split("\n\n")
    .filter((s) => s.trim() !== "")
    .map(parseReplResponse);

test("banned words count only as whole words outside comments", () => {
  const banned: Array<[string, string]> = [
    ["sorry", "sorry"],
    ["  exact sorry", "sorry"],
    ["nlinarith [h]\n  admit", "admit"],
    ["cheat", "cheat"],
    ["exact (sorry)", "sorry"],
    ["·sorry", "sorry"],
    ["simp [h.sorry]", "sorry"],
    ["rw [h] <;> admit", "admit"],
  ];
  for (const [text, word] of banned) assert.equal(findBannedWord(text), word, text);
  for (const text of ["exact sorryAx _", "exact h_admit", "apply cheater", "exact admit'", "exact sorry₁", "-- sorry, this was hard\n  simp", "/- we admit nothing -/ ring", "exact is_sorry_free", "simp [admitted]"]) {
    assert.equal(findBannedWord(text), null, text);
  }
});

test("leading focus bullets are recognised", () => {
  for (const t of ["· simp", "  · exact h", "·exact h", ". simp", "·"]) assert.ok(startsWithBullet(t), t);
  for (const t of ["simp", "exact h.1", ".5 < x", "nlinarith [h · 2]"]) assert.ok(!startsWithBullet(t), t);
});

test("whole proofs: the real allTactics response is accepted; sorry, errors and messages-only failures are not", () => {
  const [allTactics] = responses("all_tactics.expected.out");
  assert.deepEqual(checkWholeProof(allTactics!, "have t := 37; exact t"), { status: "accepted" });
  // the same clean response, but the proof text cheats: rejected on the text alone
  assert.equal(checkWholeProof(allTactics!, "have t := 37; cheat").status, "rejected");
  const [sorryCmd] = responses("tactic_sorry.expected.out");
  const sorryVerdict = checkWholeProof(sorryCmd!, "sorry");
  assert.ok(sorryVerdict.status === "rejected" && sorryVerdict.reason === "banned_word");
  // Lean's sorry warning alone (e.g. a sorry hidden behind a macro) rejects the proof too
  const hidden = checkWholeProof(sorryCmd!, "my_closing_macro");
  assert.ok(hidden.status === "rejected" && hidden.reason === "sorry" && /declaration uses `sorry`/.test(hidden.detail));
  // older Lean quoted it 'sorry'
  const old = parseReplResponse('{"messages": [{"severity": "warning", "pos": {"line": 1, "column": 8}, "endPos": {"line": 1, "column": 9}, "data": "declaration uses \'sorry\'"}], "env": 1}');
  assert.ok(checkWholeProof(old, "done_by_macro").status === "rejected");
  // messages only: an error and no tactics (incomplete.in: `def f : Nat := by apply Nat.succ`)
  const [incomplete] = responses("incomplete.expected.out");
  const v = checkWholeProof(incomplete!, "apply Nat.succ");
  assert.ok(v.status === "rejected" && v.reason === "lean_error" && /unsolved goals/.test(v.detail));
  // an error beside a clean tactic list is still an error
  const withError = parseReplResponse(JSON.stringify({ ...allTactics!.raw, messages: [{ severity: "error", pos: { line: 1, column: 0 }, endPos: { line: 1, column: 3 }, data: "linarith failed" }] }));
  assert.equal(checkWholeProof(withError, "have t := 37; exact t").status, "rejected");
  // warnings that are not about sorry (deprecations, linters) are fine
  const warned = parseReplResponse(JSON.stringify({ ...allTactics!.raw, messages: [{ severity: "warning", pos: { line: 1, column: 0 }, endPos: { line: 1, column: 3 }, data: "`div_le_div_iff` has been deprecated" }] }));
  assert.deepEqual(checkWholeProof(warned, "have t := 37; exact t"), { status: "accepted" });
  // an error object
  const [unknownEnv] = responses("unknown_environment.expected.out");
  assert.ok(checkWholeProof(unknownEnv!, "rfl").status === "rejected");
  // no tactics traced (term proof / repl without allTactics)
  const termOnly = parseReplResponse('{"env": 3}');
  const t = checkWholeProof(termOnly, "rfl");
  assert.ok(t.status === "rejected" && t.reason === "no_tactics");
});

test("tactic mode: messages-only failures, open goals, bullets and non-Completed statuses never complete a proof", () => {
  const steps = responses("proof_step.expected.out");
  assert.deepEqual(checkProofStep(steps[3]!, "exact t"), { status: "complete" });
  assert.equal(checkProofStep(steps[1]!, "apply Int.natAbs").status, "open");
  // invalid_tactic: `exact my_fake_premise` → an error message, goals [] (the upstream pitfall)
  const invalid = responses("invalid_tactic.expected.out")[1]!;
  assert.ok(invalid.kind === "proof_step" && invalid.goals.length === 0);
  const v = checkProofStep(invalid, "exact my_fake_premise");
  assert.ok(v.status === "failed" && v.reason === "lean_error");
  // the same failure from a repl that prints no proofStatus
  const oldStyle = parseReplResponse('{"proofState": 4, "messages": [{"severity": "error", "pos": {"line": 0, "column": 0}, "endPos": {"line": 0, "column": 0}, "data": "unknown identifier"}], "goals": []}');
  assert.equal(checkProofStep(oldStyle, "exact h").status, "failed");
  // goals [] with "Incomplete: contains metavariable(s)" (app_type_mismatch.in)
  const meta = responses("app_type_mismatch.expected.out")[4]!;
  const m = checkProofStep(meta, "apply ?succ");
  assert.ok(m.status === "failed" && m.reason === "incomplete" && /metavariable/.test(m.detail));
  // a bullet: old repls report the focused goal closed as "no goals"
  const noGoals = parseReplResponse('{"proofState": 7, "goals": []}');
  assert.deepEqual(checkProofStep(noGoals, "exact h"), { status: "complete" });
  const b = checkProofStep(noGoals, "· exact h");
  assert.ok(b.status === "failed" && b.reason === "bullet");
  // even when the repl says Completed, a bulleted step is not trusted as the end of the proof
  assert.equal(checkProofStep(steps[3]!, "· exact t").status, "failed");
  // sorry / admit in the tactic
  assert.equal(checkProofStep(steps[3]!, "admit").status, "failed");
  const lean = responses("unknown_tactic.expected.out")[1]!;
  assert.equal(checkProofStep(lean, "exat 42").status, "failed");
});
