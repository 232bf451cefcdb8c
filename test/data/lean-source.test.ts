/**
 * Splitting Lean text into header / statement / proof without Lean: comments, docstrings,
 * brackets, same-line and next-line proofs, `sorry` statements, term proofs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachProof, parseTheoremSource } from "../../src/data/lean-source.js";
import { theoremCode } from "../../src/data/theorem-row.js";
import { maskLeanComments } from "../../src/lean/lean-comments.js";

const ok = (text: string, name?: string) => {
  const r = parseTheoremSource(text, name);
  assert.equal(r.status, "ok", JSON.stringify(r));
  return (r as { theorem: { name: string; header: string; statement: string; proof: string | null } }).theorem;
};

test("comments are masked in place (same length, newlines kept), strings are not comments", () => {
  const t = 'a -- x := y\n/- b /- nested -/ theorem -/ c "-- not a comment" d';
  const m = maskLeanComments(t);
  assert.equal(m.length, t.length);
  assert.equal(m, `a${" ".repeat(10)}\n${" ".repeat(29)}c "-- not a comment" d`);
});

test("a whole file: header without comments, statement to the first top-level :=, proof on the next lines", () => {
  const text = [
    "import Mathlib",
    "import Aesop",
    "",
    "set_option maxHeartbeats 400000",
    "",
    "open BigOperators Real Nat Topology Rat",
    "",
    "/-- Show that theorem foo := bar holds (a docstring with := and theorem in it). -/",
    "theorem foo (f : ℕ → ℕ) (h₀ : ∀ x, f x = x := by intro x; rfl) (h₁ : {y | y = 2} = {2}) :",
    "    f 2 = 2 := by",
    "  -- a comment with sorry",
    "  simp [h₀]",
    "  /- block",
    "     comment -/",
    "  rfl",
  ].join("\n");
  const t = ok(text);
  assert.equal(t.name, "foo");
  assert.equal(t.header, "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat");
  assert.equal(t.statement, "theorem foo (f : ℕ → ℕ) (h₀ : ∀ x, f x = x := by intro x; rfl) (h₁ : {y | y = 2} = {2}) :\n    f 2 = 2 :=");
  assert.equal(t.proof, "  -- a comment with sorry\n  simp [h₀]\n  /- block\n     comment -/\n  rfl");
  assert.ok(text.endsWith(theoremCode(t)), "statement + proof rebuild the declaration");
});

test("same-line proofs, column-0 blocks, sorry statements, term proofs, missing declarations", () => {
  const same = ok("theorem a (x : ℝ) : x ^ 2 ≥ 0 := by nlinarith [sq_nonneg x,\n    sq_abs x]");
  assert.equal(same.proof, "nlinarith [sq_nonneg x,\n    sq_abs x]");
  assert.equal(theoremCode(same), "theorem a (x : ℝ) : x ^ 2 ≥ 0 := by nlinarith [sq_nonneg x,\n    sq_abs x]");
  const col0 = ok("theorem b : 1 + 1 = 2 := by\nnorm_num\nrfl");
  assert.equal(col0.proof, "  norm_num\n  rfl");
  for (const s of ["theorem c : 1 = 1 := sorry", "theorem c : 1 = 1 := by sorry", "theorem c : 1 = 1 := by\n  sorry", "theorem c : 1 = 1 := by\n", "theorem c : 1 = 1 :="]) assert.equal(ok(s).proof, null, s);
  const term = parseTheoremSource("theorem d : 1 = 1 := rfl");
  assert.deepEqual(term, { status: "failed", reason: "term_proof", detail: "theorem 'd' has a term-mode proof (no tactics to trace): rfl" });
  assert.equal(parseTheoremSource("-- theorem e : 1 = 1 := by rfl\ndef x := 1").status, "failed");
  assert.equal((parseTheoremSource("theorem f : ∀ n, n = n | 0 => rfl") as { reason: string }).reason, "no_assign");
  // the proof ends where the next top-level command starts
  const two = ok("lemma helper : 2 = 2 := by rfl\n\ntheorem main : 3 = 3 := by\n  rfl\n\n#eval 1", "main");
  assert.equal(two.header, "lemma helper : 2 = 2 := by rfl");
  assert.equal(two.proof, "  rfl");
});

test("attachProof joins separately stored statements and proofs (miniF2F / Lean Workbook forms)", () => {
  assert.equal(attachProof("theorem t : 1 = 1 := sorry", "by\n  rfl"), "theorem t : 1 = 1 := by\n  rfl");
  assert.equal(attachProof("theorem t : 1 = 1 := by\n", "  rfl"), "theorem t : 1 = 1 := by\n  rfl");
  assert.equal(attachProof("theorem t : 1 = 1 := by sorry", "rfl"), "theorem t : 1 = 1 := by\n  rfl");
  assert.equal(attachProof("theorem t : 1 = 1", "norm_num\nrfl"), "theorem t : 1 = 1 := by\n  norm_num\n  rfl");
});
