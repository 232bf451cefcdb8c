/**
 * bestFirstSearch on scripted policies and Lean envs with a fake clock: proofs found and verified,
 * transpositions merged, budgets exact, the wall timeout kept inside the loop, the energy term
 * reordering expansions, and no false proof from any of the upstream pitfalls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bestFirstSearch } from "../../src/search/best-first.js";
import { normalizeSearchConfig, type SearchConfigInput } from "../../src/search/search-config.js";
import type { PolicyCandidate } from "../../src/search/policy.js";
import { cand, FakeClock, FakeEnv, FakePolicy, FakeScorer, tableStep, type Step } from "./search-fakes.js";

const cfg = (raw: SearchConfigInput = {}) => normalizeSearchConfig(raw);

/** Any tactic t at state s gives the new state "s/t": an endless tree. */
const endless = (state: string, tactic: string): Step => ({ goals: `${state}/${tactic}` });

test("finds a two-tactic proof, verifies it once, and books every call's time", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy(
    {
      "⊢ p ∧ q": [cand("simp", -2), cand("constructor", -0.5)],
      "case left ⊢ p\ncase right ⊢ q": [cand("all_goals assumption", -0.3, 3)],
    },
    clock,
    10,
  );
  const env = new FakeEnv({
    root: "⊢ p ∧ q",
    step: tableStep({
      "⊢ p ∧ q": { constructor: { goals: "case left ⊢ p\ncase right ⊢ q" }, simp: { error: "simp made no progress" } },
      "case left ⊢ p\ncase right ⊢ q": { "all_goals assumption": { no_goals: true } },
    }),
    clock,
    apply_ms: 100,
    verify_ms: 50,
  });
  const r = await bestFirstSearch({ name: "and_intro" }, { policy, env, clock }, cfg());
  assert.equal(r.status, "proved");
  assert.equal(r.reason, "verified proof of 2 tactics");
  assert.deepEqual(r.proof, ["constructor", "all_goals assumption"]);
  assert.equal(r.proof_node_id, 2);
  assert.deepEqual(env.verified, [["constructor", "all_goals assumption"]]);
  // best candidate (per-token log-prob) is applied first, the failing one still gets its turn
  assert.deepEqual(env.applied.map((a) => a.tactic), ["constructor", "simp", "all_goals assumption"]);
  assert.deepEqual(policy.calls.map((c) => [c.opts.n, c.opts.temperature]), [[16, 1.3], [16, 1.3]]);
  assert.equal(r.nodes_created, 3);
  assert.equal(r.nodes_expanded, 2);
  const [root, mid, done] = r.nodes;
  assert.deepEqual([root!.state_pp, root!.tactic, root!.depth, root!.parent_id], ["⊢ p ∧ q", "", 0, null]);
  assert.deepEqual([mid!.tactic, mid!.depth, mid!.log_prob_sum, mid!.priority, mid!.policy_ms, mid!.lean_ms], ["constructor", 1, -0.5, -0.5, 10, 100]);
  assert.deepEqual([done!.state_pp, done!.is_proof_complete, done!.depth, done!.path_log_prob_sum, done!.path_n_tokens], ["", true, 2, -0.8, 4]);
  assert.deepEqual(r.failures, [{ parent_id: 0, tactic: "simp", kind: "lean_error", message: "simp made no progress", log_prob_sum: -2, n_tokens: 1, lean_ms: 100 }]);
  // 2 policy calls × 10 ms; 3 applies × 100 ms + 1 verify × 50 ms
  assert.deepEqual([r.policy_ms, r.lean_ms, r.energy_ms, r.wall_ms], [20, 350, 0, 370]);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.nodes) && Object.isFrozen(r.nodes[0]));
});

test("the transposition table adds a state text once and counts every re-reach", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy({ R: [cand("a"), cand("b"), cand("c")], S: [cand("d"), cand("e")] }, clock);
  const env = new FakeEnv({
    root: "R",
    // a and b reach the same state S; d at S goes back to the root's text
    step: tableStep({ R: { a: { goals: "S" }, b: { goals: "S" }, c: { goals: "T" } }, S: { d: { goals: "R" }, e: { goals: "U" } } }),
    clock,
  });
  const r = await bestFirstSearch({ name: "transpose" }, { policy, env, clock }, cfg());
  assert.equal(r.status, "exhausted");
  assert.equal(r.reason, "queue empty after 4 expansions");
  assert.deepEqual(r.nodes.map((n) => [n.id, n.parent_id, n.state_pp, n.tactic]), [[0, null, "R", ""], [1, 0, "S", "a"], [2, 0, "T", "c"], [3, 1, "U", "e"]]);
  assert.equal(r.duplicates, 2);
  assert.equal(r.nodes_created, 4);
  // R: expanded + reached again by d; S: expanded + reached again by b
  assert.deepEqual(r.nodes.map((n) => n.visits), [2, 2, 1, 1]);
  assert.deepEqual(policy.calls.map((c) => c.state), ["R", "S", "T", "U"]);
  assert.equal(new Set(r.nodes.map((n) => n.state_pp)).size, r.nodes.length);
});

test("node and candidate budgets are exact: max_nodes counts the root, at most n tactics per expansion", async () => {
  const clock = new FakeClock();
  // five candidates where three were asked for; t1 is the best
  const five = [1, 2, 3, 4, 5].map((k) => cand(`t${k}`, -k));
  const policy = new FakePolicy(() => five, clock);
  const env = new FakeEnv({ root: "R", step: endless, clock });
  const r = await bestFirstSearch({ name: "budget" }, { policy, env, clock }, cfg({ max_nodes: 6, n_candidates: 3 }));
  assert.equal(r.status, "exhausted");
  assert.equal(r.reason, "node budget 6 spent after 2 expansions");
  assert.equal(r.nodes_created, 6);
  assert.equal(r.nodes.length, 6);
  assert.deepEqual(policy.calls.map((c) => c.opts.n), [3, 3]);
  // root: t1..t3 (4 nodes); R/t1: t1, t2 (6 nodes), then the budget stops the third tactic
  assert.deepEqual(env.applied.map((a) => `${a.state} ${a.tactic}`), ["R t1", "R t2", "R t3", "R/t1 t1", "R/t1 t2"]);
  assert.deepEqual(r.candidates, { proposed: 10, over_n: 4, empty: 0, banned_word: 0, bullet: 0, duplicate: 0, kept: 6 });
});

test("nodes at max_depth are kept but not expanded", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy(() => [cand("t")], clock);
  const env = new FakeEnv({ root: "R", step: endless, clock });
  const r = await bestFirstSearch({ name: "deep" }, { policy, env, clock }, cfg({ max_depth: 2 }));
  assert.equal(r.status, "exhausted");
  assert.deepEqual(r.nodes.map((n) => [n.state_pp, n.depth, n.expanded]), [["R", 0, true], ["R/t", 1, true], ["R/t/t", 2, false]]);
  assert.deepEqual(policy.calls.map((c) => c.state), ["R", "R/t"]);
});

test("the wall timeout is checked before every call, so it is overrun by at most one tactic's latency", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy(() => [1, 2, 3, 4].map((k) => cand(`t${k}`, -k)), clock, 50);
  // the env ignores the timeout it is given: the worst case for the search
  const env = new FakeEnv({ root: "R", step: endless, clock, apply_ms: 300 });
  const r = await bestFirstSearch({ name: "slow" }, { policy, env, clock }, cfg({ timeout_s: 1, n_candidates: 4 }));
  assert.equal(r.status, "timeout");
  assert.match(r.reason, /^wall timeout 1 s reached before the policy call at node 1$/);
  // policy at 0 ms (50 ms), tactics at 50, 350, 650, 950 ms; the next expansion's policy call at 1250 ms is refused
  assert.deepEqual(env.applied.map((a) => a.at_ms), [50, 350, 650, 950]);
  assert.equal(r.wall_ms, 1250);
  assert.ok(r.wall_ms <= 1000 + 300);
  // each call is given what is left of the theorem's budget
  assert.deepEqual(policy.calls.map((c) => c.opts.deadline_ms), [1000]);
  assert.deepEqual(env.applied.map((a) => a.timeout_s), [0.95, 0.65, 0.35, 0.05]);
});

test("the timeout also stops an expansion between two tactics, and before a scoring or verify call", async () => {
  {
    const clock = new FakeClock();
    const policy = new FakePolicy(() => [1, 2, 3, 4].map((k) => cand(`t${k}`, -k)), clock, 50);
    const env = new FakeEnv({ root: "R", step: endless, clock, apply_ms: 300 });
    const r = await bestFirstSearch({ name: "mid" }, { policy, env, clock }, cfg({ timeout_s: 0.5, n_candidates: 4 }));
    assert.equal(r.reason, 'wall timeout 0.5 s reached before env.apply("t3") at node 0');
    assert.equal(r.wall_ms, 650);
    assert.equal(env.applied.length, 2);
  }
  {
    // the closing tactic uses up the budget: no verify, so no proof
    const clock = new FakeClock();
    const policy = new FakePolicy({ R: [cand("done")] }, clock);
    const env = new FakeEnv({ root: "R", step: tableStep({ R: { done: { no_goals: true } } }), clock, apply_ms: 1000 });
    const r = await bestFirstSearch({ name: "late" }, { policy, env, clock }, cfg({ timeout_s: 1 }));
    assert.equal(r.status, "timeout");
    assert.match(r.reason, /before env\.verify of the 1-tactic proof ending "done" at node 0$/);
    assert.deepEqual(env.verified, []);
    assert.equal(r.proof, null);
  }
  {
    const clock = new FakeClock();
    const policy = new FakePolicy({ R: [cand("a")] }, clock);
    const env = new FakeEnv({ root: "R", step: tableStep({ R: { a: { goals: "A" } } }), clock, apply_ms: 1000 });
    const scorer = new FakeScorer({ R: 0, A: 1 }, clock);
    const r = await bestFirstSearch({ name: "unscored" }, { policy, env, scorer, clock }, cfg({ timeout_s: 1, ebm_weight: 1 }));
    assert.equal(r.status, "timeout");
    assert.equal(r.reason, "wall timeout 1 s reached before scorer.score of 1 states after node 0");
    assert.deepEqual(scorer.calls.map((c) => c.states), [["R"]]);
    assert.deepEqual(r.nodes.map((n) => n.energy), [0, null]);
  }
});

test("ebm_weight reorders expansions in a planted case; LLM-only never calls the scorer", async () => {
  const run = async (ebm_weight: number) => {
    const clock = new FakeClock();
    // the policy prefers a (-1 vs -2 per token), the energy head prefers b's state (0 vs 5)
    const policy = new FakePolicy({ R: [cand("a", -1), cand("b", -2)] }, clock);
    const env = new FakeEnv({ root: "R", step: tableStep({ R: { a: { goals: "A" }, b: { goals: "B" } } }), clock });
    const scorer = new FakeScorer({ R: 0, A: 5, B: 0 }, clock, 7);
    const r = await bestFirstSearch({ name: "planted" }, { policy, env, scorer, clock }, cfg({ ebm_weight }));
    return { r, order: policy.calls.map((c) => c.state), scorer };
  };
  const llm = await run(0);
  assert.deepEqual(llm.order, ["R", "A", "B"]);
  assert.equal(llm.scorer.calls.length, 0);
  assert.deepEqual(llm.r.nodes.map((n) => [n.energy, n.priority]), [[null, 0], [null, -1], [null, -2]]);
  assert.equal(llm.r.energy_ms, 0);
  const ebm = await run(1);
  assert.deepEqual(ebm.order, ["R", "B", "A"]);
  // the root once, then both children of the root in one batch, each against the root goal
  assert.deepEqual(ebm.scorer.calls, [{ states: ["R"], goal: "R" }, { states: ["A", "B"], goal: "R" }]);
  // A: -1 + 1·(−5) = −6; B: −2 + 1·(−0) = −2
  assert.deepEqual(ebm.r.nodes.map((n) => [n.energy, n.priority]), [[0, 0], [5, -6], [0, -2]]);
  assert.equal(ebm.r.energy_ms, 14);
});

test("no false proofs: messages-only failures, empty goal text, banned words and bullets never prove", async () => {
  const clock = new FakeClock();
  const tactics: PolicyCandidate[] = ["linarith", "nlinarith", "sorry", "exact sorry", "  admit", "cheat", "· simp", "decide"].map((t, i) => cand(t, -1 - i / 10));
  const policy = new FakePolicy({ R: tactics }, clock);
  const env = new FakeEnv({
    root: "R",
    step: (_state, tactic) => {
      // a messages-only answer is an error; everything else here would claim "no goals" if it were ever applied
      if (tactic === "linarith") return { error: "linarith failed to find a contradiction" };
      if (tactic === "nlinarith") return { empty: true };
      return { no_goals: true };
    },
    // Lean's whole-proof check catches what tactic mode missed
    verify: () => ({ ok: false, reason: "declaration uses 'sorry'" }),
    clock,
  });
  const r = await bestFirstSearch({ name: "cheater" }, { policy, env, clock }, cfg());
  assert.equal(r.status, "exhausted");
  assert.equal(r.proof, null);
  assert.deepEqual(env.applied.map((a) => a.tactic), ["linarith", "nlinarith", "decide"]);
  assert.deepEqual(env.verified, [["decide"]]);
  assert.deepEqual(r.failures.map((f) => [f.tactic, f.kind, f.message]), [
    ["linarith", "lean_error", "linarith failed to find a contradiction"],
    ["nlinarith", "empty_goals", "the env reported open goals but no goal text"],
    ["decide", "verify_failed", "declaration uses 'sorry'"],
  ]);
  assert.equal(r.candidates.banned_word, 4);
  assert.equal(r.candidates.bullet, 1);
  assert.equal(r.nodes.length, 1);
  assert.ok(r.nodes.every((n) => !n.is_proof_complete));
});

test("a no-goals step whose verify fails is recorded and the search goes on to a verified proof", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy({ R: [cand("decide", -0.1), cand("intro h", -1)], "h ⊢ q": [cand("exact h")] }, clock);
  const step = tableStep({ R: { decide: { no_goals: true }, "intro h": { goals: "h ⊢ q" } }, "h ⊢ q": { "exact h": { no_goals: true } } });
  const env = new FakeEnv({
    root: "R",
    step,
    verify: (t) => (t.join("; ") === "intro h; exact h" ? { ok: true } : { ok: false, reason: `replayed proof '${t.join("; ")}' left goals` }),
    clock,
  });
  const r = await bestFirstSearch({ name: "second_try" }, { policy, env, clock }, cfg());
  assert.equal(r.status, "proved");
  assert.deepEqual(r.proof, ["intro h", "exact h"]);
  assert.deepEqual(env.verified, [["decide"], ["intro h", "exact h"]]);
  assert.deepEqual(r.failures.map((f) => [f.parent_id, f.tactic, f.kind, f.message]), [[0, "decide", "verify_failed", "replayed proof 'decide' left goals"]]);
  // the rejected "proof" left no node behind
  assert.deepEqual(r.nodes.map((n) => [n.tactic, n.is_proof_complete]), [["", false], ["intro h", false], ["exact h", true]]);
});

test("a failing dependency ends the search with status error naming the call; the tree so far is kept", async () => {
  const clock = new FakeClock();
  const env = new FakeEnv({ root: "R", step: endless, clock });
  const broken = { propose: async () => Promise.reject(new Error("HTTP 503 from the completions server")) };
  const r = await bestFirstSearch({ name: "down" }, { policy: broken, env, clock }, cfg());
  assert.equal(r.status, "error");
  assert.equal(r.reason, "policy.propose at node 0 threw: HTTP 503 from the completions server");
  assert.equal(r.nodes.length, 1);

  const zeroTokens = new FakePolicy({ R: [cand("simp", -1, 0)] }, clock);
  const z = await bestFirstSearch({ name: "zero" }, { policy: zeroTokens, env, clock }, cfg());
  assert.equal(z.status, "error");
  assert.match(z.reason, /^policy\.propose at node 0: policy candidate 'simp' has log_prob_sum -1 and n_tokens 0/);

  const short = { score: async () => new Float64Array(0) };
  const s = await bestFirstSearch({ name: "short" }, { policy: zeroTokens, env, scorer: short, clock }, cfg({ ebm_weight: 0.5 }));
  assert.equal(s.status, "error");
  assert.equal(s.reason, "scorer.score of 1 states after node (root): got 0 energies for 1 states");
});

test("a bad config is refused before the search starts", async () => {
  const clock = new FakeClock();
  const policy = new FakePolicy({}, clock);
  const env = new FakeEnv({ root: "R", step: endless, clock });
  await assert.rejects(bestFirstSearch({ name: "x" }, { policy, env, clock }, { ...cfg(), max_node: 5 } as never), /unknown search option 'max_node'/);
  await assert.rejects(bestFirstSearch({ name: "x" }, { policy, env, clock }, cfg({ ebm_weight: 1 })), /search of x: ebm_weight is 1 but no scorer was given/);
  assert.equal(policy.calls.length, 0);
});
