/**
 * Pairs from allTactics responses: source text at the repl's positions (code points), goals
 * counted, "no goals" entries, bullets and duplicates dropped, depth in source order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { countGoals, extractPairs, sourceSlice } from "../../src/lean/trace-pairs.js";
import { parseReplResponse, type CommandResponse, type ReplTactic } from "../../src/lean/repl-protocol.js";
import { TRANSCRIPTS } from "../fixtures/repl-double/double.js";

const firstCommand = (file: string): CommandResponse => {
  const r = parseReplResponse(readFileSync(join(TRANSCRIPTS, file), "utf8").split("\n\n")[0]!);
  assert.equal(r.kind, "command");
  return r as CommandResponse;
};

test("countGoals: blank-line separated goals; 'no goals' is zero", () => {
  assert.equal(countGoals("⊢ Nat"), 1);
  assert.equal(countGoals("case left\np q : Prop\n⊢ p\n\ncase right\np q : Prop\n⊢ q"), 2);
  assert.equal(countGoals("no goals"), 0);
  assert.equal(countGoals(""), 0);
});

test("sourceSlice counts columns in code points (ℝ, ⊢, subscripts are one column each)", () => {
  const code = "theorem t (x : ℝ) (h₀ : x = 2) : x = 2 := by\n  rw [h₀]\n  nlinarith [sq_nonneg (x - 1),\n    h₀]";
  assert.equal(sourceSlice(code, { line: 2, column: 2 }, { line: 2, column: 9 }), "rw [h₀]");
  assert.equal(sourceSlice(code, { line: 3, column: 2 }, { line: 4, column: 7 }), "nlinarith [sq_nonneg (x - 1),\n    h₀]");
  assert.equal(sourceSlice(code, { line: 9, column: 0 }, { line: 9, column: 1 }), null);
  assert.equal(sourceSlice(code, { line: 2, column: 5 }, { line: 2, column: 2 }), null);
});

test("the real all_tactics response gives the two pairs, as written in the source", () => {
  const r = firstCommand("all_tactics.expected.out");
  assert.deepEqual(extractPairs(r.tactics, "def f : Nat := by have t := 37; exact t"), [
    { state_pp: "⊢ Nat", tactic: "have t := 37", depth: 0, num_goals: 1 },
    { state_pp: "t : Nat\n⊢ Nat", tactic: "exact t", depth: 1, num_goals: 1 },
  ]);
});

test("calc: the steps block that runs on 'no goals' is dropped; nested tactics stay in source order", () => {
  const r = firstCommand("calc.expected.out");
  const code = "example : 3 = 5 := by calc\n  3 = 4 := by sorry\n  4 = 5 := by sorry";
  const pairs = extractPairs(r.tactics, code);
  assert.deepEqual(
    pairs.map((p) => [p.depth, p.tactic.split("\n")[0], p.state_pp]),
    [
      [0, "calc", "⊢ 3 = 5"],
      [1, "sorry", "⊢ 3 = 4"],
      [2, "sorry", "⊢ 4 = 5"],
    ],
  );
});

test("bullet blocks (listed by old repls) and duplicate (state, tactic) entries are dropped", () => {
  const at = (line: number, col: number, endCol: number, tactic: string, goals: string): ReplTactic => ({ tactic, goals, proofState: null, pos: { line, column: col }, endPos: { line, column: endCol }, usedConstants: [] });
  const code = "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  · exact hp\n  · exact hq";
  const g2 = "case left\n⊢ p\n\ncase right\n⊢ q";
  const tactics = [
    at(2, 2, 13, "constructor", "⊢ p ∧ q"),
    at(3, 2, 12, "· exact hp", g2),
    at(3, 4, 12, "exact hp", g2),
    at(3, 4, 12, "exact hp", g2), // repeated by `<;>`-style replays
    at(4, 2, 12, "· exact hq", "case right\n⊢ q"),
    at(4, 4, 12, "exact hq", "case right\n⊢ q"),
  ];
  assert.deepEqual(
    extractPairs(tactics, code).map((p) => [p.depth, p.tactic, p.num_goals]),
    [
      [0, "constructor", 1],
      [1, "exact hp", 2],
      [2, "exact hq", 1],
    ],
  );
});
