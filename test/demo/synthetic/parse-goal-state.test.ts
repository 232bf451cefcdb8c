/**
 * parseGoalState inverts renderGoalState exactly (hidden fields included) on every state the demo
 * generators draw, and inferFamily recovers the family of every on- and off-path state: the
 * synthetic world relies on both to be a pure function of state text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateDemoTheorems } from "../../../src/demo/demo-theorems.js";
import { renderGoalState, type GoalState } from "../../../src/demo/goal-state.js";
import { FAMILY_IDS, PROBLEM_FAMILIES } from "../../../src/demo/problem-family.js";
import { nextTacticStep } from "../../../src/demo/tactic-step.js";
import { Prng } from "../../../src/numeric/prng.js";
import { GoalStateParseError, inferFamily, parseGoalState } from "../../../src/demo/synthetic/parse-goal-state.js";
import { syntheticProblemsFromDemo } from "../../../src/demo/synthetic/synthetic-problems.js";
import { SyntheticProofWorld } from "../../../src/demo/synthetic/synthetic-proof-world.js";

test("parseGoalState(renderGoalState(s)) deep-equals s for generated states of every family (hidden names and next_hyp included)", () => {
  let n = 0;
  for (const family of FAMILY_IDS) {
    const f = PROBLEM_FAMILIES[family];
    const rng = Prng.stream(11, `parse/${family}`);
    for (let i = 0; i < 60; i++) {
      let s: GoalState | null = f.initial(rng);
      const length = rng.int(1, 8);
      for (let d = 0; d < length && s !== null; d++) {
        assert.deepEqual(parseGoalState(renderGoalState(s)), s, `${family} state ${JSON.stringify(renderGoalState(s))}`);
        assert.equal(inferFamily(s), family);
        n++;
        // half proof-like (must close at the end), half open-ended branches
        s = nextTacticStep(rng, f, s, i % 2 === 0 ? length - d - 1 : null).state;
      }
    }
  }
  assert.ok(n > 1000, `${n} states checked`);
});

test("inferFamily is exact on the demo's traced proofs and on off-path states the world draws from them", () => {
  const problems = syntheticProblemsFromDemo(generateDemoTheorems(20260101, 400, 160));
  const world = new SyntheticProofWorld({ seed: 1, p_tactic_error: 0.3, problems });
  const rng = new Prng(5);
  let off = 0;
  for (const p of problems) {
    for (const text of p.states) assert.equal(inferFamily(parseGoalState(text)), p.family, `${p.name}: ${text}`);
    // a few random off-path steps below the root
    let text = p.states[0]!;
    for (let d = 0; d < 4; d++) {
      const gs = parseGoalState(text);
      const r = world.step(text, nextTacticStep(rng, PROBLEM_FAMILIES[p.family], gs, null).tactic);
      if (r.kind !== "state") continue;
      text = r.goals_text;
      if (world.distanceToProof(text) === null) {
        off++;
        assert.equal(inferFamily(parseGoalState(text)), p.family, `${p.name} off-path: ${text}`);
      }
    }
  }
  assert.ok(off > 200, `${off} off-path states checked`);
});

test("texts that are not synthetic goal states are errors that quote the text", () => {
  assert.throws(() => parseGoalState("def f : Nat := 3"), (e: unknown) => e instanceof GoalStateParseError && /def f : Nat := 3/.test(e.message));
  assert.throws(() => parseGoalState(""), GoalStateParseError);
  assert.throws(() => parseGoalState("x : ℝ\n⊢ x = x\n\ny : ℝ\n⊢ y = y"), /different contexts/);
  assert.throws(() => parseGoalState("x : ℝ\n⊢ x = x\n"), /does not end in a '⊢ target' line/);
  assert.throws(() => inferFamily(parseGoalState("p q : Prop\nh₀ : p\n⊢ q")), /no problem family has the binder "p q : Prop"/);
});
