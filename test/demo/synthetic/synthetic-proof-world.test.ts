/**
 * SyntheticProofWorld: the proof's tactics walk the proof path to "no goals" with the distance
 * counting down; any other tactic gives a Lean-like error or an off-path state from which no
 * tactic ever closes the goal; answers are a pure function of (seed, text, tactic); verify accepts
 * the proof and nothing that is not one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateDemoTheorems } from "../../../src/demo/demo-theorems.js";
import { PROBLEM_FAMILIES } from "../../../src/demo/problem-family.js";
import { nextTacticStep } from "../../../src/demo/tactic-step.js";
import { Prng } from "../../../src/numeric/prng.js";
import { parseGoalState } from "../../../src/demo/synthetic/parse-goal-state.js";
import { generateSyntheticProblems, syntheticProblemsFromDemo } from "../../../src/demo/synthetic/synthetic-problems.js";
import { normalizeWorldSpec, SyntheticProofWorld, type WorldStep } from "../../../src/demo/synthetic/synthetic-proof-world.js";
import { smallProblems, smallWorld, WORLD_SEED } from "./synthetic-fixtures.js";

const world = smallWorld(60);

test("the proof's tactics walk the proof path: distance L, L-1, …, 1, then no goals", () => {
  for (const p of world.problems) {
    let text = world.rootText(p.name);
    assert.equal(text, p.states[0]);
    p.tactics.forEach((tactic, i) => {
      assert.equal(world.distanceToProof(text), p.tactics.length - i, `${p.name} step ${i}`);
      assert.equal(world.nextProofTactic(text), tactic);
      const r = world.step(text, tactic);
      if (i === p.tactics.length - 1) assert.deepEqual(r, { kind: "no_goals" }, `${p.name}: the last tactic closes the goal`);
      else {
        assert.equal(r.kind, "state", `${p.name} step ${i}: ${JSON.stringify(r)}`);
        if (r.kind === "state") {
          assert.equal(r.goals_text, p.states[i + 1]);
          assert.equal(r.goals.join("\n\n"), r.goals_text);
          assert.equal(r.distance, p.tactics.length - i - 1);
          text = r.goals_text;
        }
      }
    });
    assert.deepEqual(world.verify(p.name, p.tactics), { ok: true });
    // whitespace does not matter, as in Lean
    assert.deepEqual(world.verify(p.name, p.tactics.map((t) => `  ${t.replace(/ /g, "  ")} `)), { ok: true });
  }
});

test("off the proof path: errors or new states, and no sequence of tactics ever closes an off-path state", () => {
  const rng = new Prng(99);
  const kinds = { state: 0, error: 0, parse: 0 };
  const messages = new Set<string>();
  let offPath = 0;
  for (const p of world.problems) {
    for (let walk = 0; walk < 6; walk++) {
      let text = p.states[0]!;
      for (let d = 0; d < 10; d++) {
        const gs = parseGoalState(text);
        const family = PROBLEM_FAMILIES[world.familyOf(text)];
        const tactic = rng.bool(0.4) ? family.closer(rng, gs) : nextTacticStep(rng, family, gs, null).tactic;
        const onPath = world.distanceToProof(text) !== null;
        const r: WorldStep = world.step(text, tactic);
        if (r.kind === "no_goals") {
          assert.ok(onPath && tactic === world.nextProofTactic(text), `an off-path state closed: ${JSON.stringify(text)} by ${tactic}`);
          break;
        }
        if (r.kind === "error") {
          kinds[r.phase === "parse" ? "parse" : "error"]++;
          messages.add(r.message.split("\n")[0]!.replace(/`h[₀-₉]+`/, "`h`"));
          continue;
        }
        kinds.state++;
        if (tactic !== world.nextProofTactic(text)) {
          assert.equal(r.distance, null, "a wrong tactic never lands on a proof path");
          assert.equal(world.distanceToProof(r.goals_text), null);
        }
        if (r.distance === null) offPath++;
        assert.doesNotThrow(() => parseGoalState(r.goals_text), "every state the world answers is a goal state it can take again");
        text = r.goals_text;
      }
    }
  }
  assert.ok(offPath > 300 && kinds.error > kinds.state, JSON.stringify({ offPath, ...kinds }));
  for (const m of ["linarith failed to find a contradiction", "unsolved goals", "Unknown identifier `h`", "simp made no progress"]) assert.ok(messages.has(m), `message '${m}' seen (have: ${[...messages].join(" | ")})`);
});

test("Lean-like failures: parse errors, unknown identifiers, closers on the wrong goal, intro without a binder", () => {
  const p = world.problems[0]!;
  const root = p.states[0]!;
  assert.deepEqual(world.step(root, "exat 42"), { kind: "error", phase: "parse", message: "<input>:1:1: unknown tactic" });
  assert.match((world.step(root, "nlinarith [sq_nonneg (a - b)") as { message: string }).message, /^<input>:1:\d+: unexpected end of input; expected '\]'/);
  assert.deepEqual(world.step(root, "exact h₉"), { kind: "error", phase: "elab", message: "Unknown identifier `h₉`" });
  const closer = world.step(root, "omega");
  assert.ok(closer.kind === "error" || world.nextProofTactic(root) === "omega");
  const noArrow = world.problems.find((q) => !q.states[0]!.includes(" → "))!;
  assert.match((world.step(noArrow.states[0]!, "intro h₅") as { message: string }).message, /^tactic 'introN' failed, insufficient number of binders/);
  assert.equal(world.step(root, "sorry").kind, "error");
  assert.throws(() => world.step("not a goal", "simp"), /not a synthetic goal state .*"not a goal"/);
});

test("answers are a pure function of (seed, text, tactic): same seed, same answers in any order; another seed, other answers", () => {
  const a = smallWorld(60);
  const b = smallWorld(60);
  const other = smallWorld(60, WORLD_SEED + 1);
  const rng = new Prng(3);
  const queries: [string, string][] = [];
  for (const p of a.problems) for (const s of p.states) queries.push([s, nextTacticStep(rng, PROBLEM_FAMILIES[p.family], parseGoalState(s), null).tactic]);
  const fromA = queries.map(([s, t]) => a.step(s, t));
  const fromB = [...queries].reverse().map(([s, t]) => b.step(s, t)).reverse();
  assert.deepEqual(fromB, fromA);
  assert.deepEqual(queries.map(([s, t]) => a.step(s, t)), fromA, "asking again gives the same answers");
  const differing = queries.filter(([s, t], i) => JSON.stringify(other.step(s, t)) !== JSON.stringify(fromA[i])).length;
  assert.ok(differing > queries.length / 10, `${differing} of ${queries.length} answers differ under another seed`);
});

test("verify rejects everything that is not the proof: prefixes, extra or wrong tactics, sorry / admit, unknown theorems", () => {
  const p = world.problems.find((q) => q.tactics.length >= 3)!;
  const T = p.tactics;
  const no = (tactics: readonly string[], re: RegExp, theorem = p.name) => {
    const v = world.verify(theorem, tactics);
    assert.ok(!v.ok && re.test(v.reason), `${JSON.stringify(tactics)} → ${JSON.stringify(v)}`);
  };
  no(T.slice(0, -1), /^unsolved goals after/);
  no([...T, "simp"], /^tactic \d+ \("simp"\): no goals to be proved/);
  no(["linarith", ...T], /^tactic 1 \("linarith"\)/);
  no([...T.slice(0, -1), "sorry"], /'sorry' in tactic/);
  no([T[0]!, "admit", ...T.slice(2)], /'admit' in tactic 2/);
  no([], /no tactics/);
  no(T, /unknown theorem/, "no_such_theorem");
  const q = world.problems.find((x) => x.name !== p.name && x.tactics.length === p.tactics.length)!;
  no(q.tactics, /^tactic \d+ /, p.name);
});

test("the demo's own theorems: every traced proof verifies, and a state its proof revisits accepts both tactics there", () => {
  const problems = syntheticProblemsFromDemo(generateDemoTheorems(20260101, 400, 160));
  const w = new SyntheticProofWorld({ seed: 1, p_tactic_error: 0.5, problems });
  for (const p of problems) assert.deepEqual(w.verify(p.name, p.tactics), { ok: true }, p.name);
  const loop = problems.find((p) => p.states.some((s, i) => s === p.states[i + 1]));
  assert.ok(loop, "the demo (seed 20260101) has a proof that leaves a state unchanged");
  const i = loop.states.findIndex((s, k) => s === loop.states[k + 1]);
  assert.equal(w.distanceToProof(loop.states[i]!), loop.tactics.length - i - 1, "distance: the shorter way");
  assert.deepEqual(w.verify(loop.name, [...loop.tactics.slice(0, i), ...loop.tactics.slice(i + 1)]), { ok: true }, "the shortcut past the repeated state also proves it");
});

test("generated problems: unique root and on-path texts, requested lengths, deterministic per seed", () => {
  const a = generateSyntheticProblems({ seed: 5, n_theorems: 200, min_length: 2, max_length: 4, families: ["nat_mod", "real_eq"] });
  assert.deepEqual(generateSyntheticProblems({ seed: 5, n_theorems: 200, min_length: 2, max_length: 4, families: ["nat_mod", "real_eq"] }), a);
  const texts = a.flatMap((p) => p.states);
  assert.equal(new Set(texts).size, texts.length);
  assert.ok(a.every((p) => p.tactics.length >= 2 && p.tactics.length <= 4 && (p.family === "nat_mod" || p.family === "real_eq")));
  assert.ok(a.every((p) => p.statement.startsWith(`theorem ${p.name} (`) && p.statement.endsWith(" :=")));
  assert.throws(() => generateSyntheticProblems({ seed: 1, n_theorems: 3, min_length: 4, max_length: 2 }), /1 ≤ min_length ≤ max_length, got 4..2/);
});

test("world specs are validated once, naming the key, the theorem and the value", () => {
  const problems = smallProblems(3);
  const ok = { seed: 1, p_tactic_error: 0.5, problems };
  assert.doesNotThrow(() => normalizeWorldSpec(ok));
  assert.throws(() => normalizeWorldSpec({ ...ok, p_error: 1 }), /unknown key 'p_error'/);
  assert.throws(() => normalizeWorldSpec({ ...ok, seed: -1 }), /'seed' must be an integer in \[0, 4294967295\], got -1/);
  assert.throws(() => normalizeWorldSpec({ ...ok, p_tactic_error: 2 }), /'p_tactic_error' must be a number in \[0, 1\], got 2/);
  const p = problems[0]!;
  assert.throws(() => normalizeWorldSpec({ ...ok, problems: [{ ...p, tactics: [...p.tactics, "simp"] }] }), new RegExp(`\\(${p.name}\\): ${p.tactics.length + 1} tactics but ${p.states.length} states`));
  assert.throws(() => normalizeWorldSpec({ ...ok, problems: [{ ...p, states: ["x = x", ...p.states.slice(1)] }] }), /states\[0\]: not a synthetic goal state/);
  assert.throws(() => normalizeWorldSpec({ ...ok, problems: [p, p] }), /appears twice/);
});
