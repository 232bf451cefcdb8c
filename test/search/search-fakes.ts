/**
 * Scripted doubles for the search's dependencies, all on one fake clock that each call advances
 * by a fixed latency, so time budgets can be checked exactly.
 */
import type { Clock } from "../../src/search/clock.js";
import type { Policy, PolicyCandidate, ProposeOptions } from "../../src/search/policy.js";
import type { EnvState, ProofEnv, TacticOutcome, VerifyResult } from "../../src/search/proof-env.js";
import type { Scorer } from "../../src/search/scorer.js";
import { normalizeSearchConfig } from "../../src/search/search-config.js";
import type { FailedTactic, SearchNode, SearchResult } from "../../src/search/search-result.js";

export class FakeClock implements Clock {
  t_ms = 0;
  now_ms(): number {
    return this.t_ms;
  }
  advance(ms: number): void {
    this.t_ms += ms;
  }
}

export const cand = (tactic: string, log_prob_sum = -1, n_tokens = 1): PolicyCandidate => ({ tactic, log_prob_sum, n_tokens });

/** Candidates by state text; a state not listed gets none. */
export class FakePolicy implements Policy {
  readonly calls: { state: string; opts: ProposeOptions; at_ms: number }[] = [];
  constructor(
    private readonly table: Record<string, PolicyCandidate[]> | ((state: string) => PolicyCandidate[]),
    private readonly clock: FakeClock,
    private readonly latency_ms = 0,
  ) {}
  async propose(state: string, opts: ProposeOptions): Promise<PolicyCandidate[]> {
    this.calls.push({ state, opts, at_ms: this.clock.now_ms() });
    this.clock.advance(this.latency_ms);
    return typeof this.table === "function" ? this.table(state) : (this.table[state] ?? []);
  }
}

/** What one tactic does to one state. */
export type Step =
  | { readonly goals: string } //   new goal state
  | { readonly no_goals: true } //  Lean says nothing is left
  | { readonly empty: true } //     ok with no goal text and no_goals false (a malformed answer)
  | { readonly error: string }; //  Lean error text

export interface FakeEnvOptions {
  readonly root: string;
  /** undefined → Lean error "unknown tactic". */
  readonly step: (state: string, tactic: string) => Step | undefined;
  /** Overrides the default verdict (replay `step` from the root; ok iff it ends in no_goals). */
  readonly verify?: (tactics: readonly string[]) => VerifyResult;
  readonly clock: FakeClock;
  readonly apply_ms?: number;
  readonly verify_ms?: number;
}

/** Handles are the state texts themselves. */
export class FakeEnv implements ProofEnv<string> {
  readonly applied: { state: string; tactic: string; timeout_s: number; at_ms: number }[] = [];
  readonly verified: (readonly string[])[] = [];
  constructor(private readonly o: FakeEnvOptions) {}

  async root(): Promise<EnvState<string>> {
    return { goals_pp: this.o.root, handle: this.o.root };
  }

  async apply(handle: string, tactic: string, timeout_s: number): Promise<TacticOutcome<string>> {
    this.applied.push({ state: handle, tactic, timeout_s, at_ms: this.o.clock.now_ms() });
    const lean_ms = this.o.apply_ms ?? 0;
    this.o.clock.advance(lean_ms);
    const s = this.o.step(handle, tactic) ?? { error: `unknown tactic ${tactic}` };
    if ("error" in s) return { kind: "error", message: s.error, lean_ms };
    if ("no_goals" in s) return { kind: "ok", goals_pp: "", handle: "", no_goals: true, lean_ms };
    if ("empty" in s) return { kind: "ok", goals_pp: "", handle: "", no_goals: false, lean_ms };
    return { kind: "ok", goals_pp: s.goals, handle: s.goals, no_goals: false, lean_ms };
  }

  async verify(tactics: readonly string[]): Promise<VerifyResult> {
    this.verified.push([...tactics]);
    this.o.clock.advance(this.o.verify_ms ?? 0);
    if (this.o.verify) return this.o.verify(tactics);
    let state = this.o.root;
    for (const [i, t] of tactics.entries()) {
      const s = this.o.step(state, t);
      if (s !== undefined && "no_goals" in s && i === tactics.length - 1) return { ok: true };
      if (s === undefined || !("goals" in s)) return { ok: false, reason: `replay failed at tactic ${i} '${t}'` };
      state = s.goals;
    }
    return { ok: false, reason: "goals left after the last tactic" };
  }
}

/** A table env: state → tactic → step. */
export const tableStep =
  (t: Record<string, Record<string, Step>>) =>
  (state: string, tactic: string): Step | undefined =>
    t[state]?.[tactic];

/** Energies by state text; scoring an unlisted state throws (the test did not expect it). */
export class FakeScorer implements Scorer {
  readonly calls: { states: string[]; goal: string }[] = [];
  constructor(
    private readonly energy: Record<string, number>,
    private readonly clock: FakeClock,
    private readonly latency_ms = 0,
  ) {}
  async score(states_pp: readonly string[], goal_pp: string): Promise<Float64Array> {
    this.calls.push({ states: [...states_pp], goal: goal_pp });
    this.clock.advance(this.latency_ms);
    return Float64Array.from(states_pp, (s) => {
      const e = this.energy[s];
      if (e === undefined) throw new Error(`FakeScorer: no energy planted for ${JSON.stringify(s)}`);
      return e;
    });
  }
}

/** A hand-made node: defaults for everything a test does not care about. */
export function node(f: Pick<SearchNode, "id" | "parent_id" | "state_pp" | "tactic" | "depth"> & Partial<SearchNode>): SearchNode {
  return {
    log_prob_sum: f.parent_id === null ? 0 : -1,
    n_tokens: f.parent_id === null ? 0 : 1,
    path_log_prob_sum: -f.depth,
    path_n_tokens: f.depth,
    energy: null,
    priority: null,
    expanded: false,
    visits: 0,
    is_proof_complete: false,
    policy_ms: f.parent_id === null ? null : 10,
    lean_ms: f.parent_id === null ? null : 20,
    ...f,
  };
}

const fail = (parent_id: number, tactic: string, message: string, kind: FailedTactic["kind"] = "lean_error"): FailedTactic => ({ parent_id, tactic, kind, message, log_prob_sum: -2, n_tokens: 2, lean_ms: 5 });

/**
 * A small proved tree, ids in creation order:
 *
 *   0 R (expanded) ─┬─ a → 1 A (expanded) ─┬─ c → 3 C (expanded) ── t → 6 (proof complete)
 *                   │                      └─ d → 4 D
 *                   └─ b → 2 B (expanded) ──── e → 5 E
 *
 * Failed tactics: simp at R, ring at A, linarith at B (off the path), decide (verify failed) and omega at C.
 */
export function handMadeTree(): SearchResult {
  const nodes = [
    node({ id: 0, parent_id: null, state_pp: "R", tactic: "", depth: 0, expanded: true, visits: 1, energy: 0.5 }),
    node({ id: 1, parent_id: 0, state_pp: "A", tactic: "a", depth: 1, expanded: true, visits: 2, energy: 0.25 }),
    node({ id: 2, parent_id: 0, state_pp: "B", tactic: "b", depth: 1, expanded: true, visits: 1, energy: 1 }),
    node({ id: 3, parent_id: 1, state_pp: "C", tactic: "c", depth: 2, expanded: true, visits: 1, energy: -1 }),
    node({ id: 4, parent_id: 1, state_pp: "D", tactic: "d", depth: 2, energy: 2 }),
    node({ id: 5, parent_id: 2, state_pp: "E", tactic: "e", depth: 2, energy: 3 }),
    node({ id: 6, parent_id: 3, state_pp: "", tactic: "t", depth: 3, is_proof_complete: true, log_prob_sum: -0.5, n_tokens: 4 }),
  ];
  return {
    theorem_name: "hand_made",
    status: "proved",
    reason: "verified proof of 3 tactics",
    proof: ["a", "c", "t"],
    proof_node_id: 6,
    nodes_expanded: 4,
    nodes_created: 7,
    duplicates: 0,
    policy_ms: 40,
    lean_ms: 220,
    energy_ms: 0,
    wall_ms: 260,
    candidates: { proposed: 11, over_n: 0, empty: 0, banned_word: 0, bullet: 0, duplicate: 0, kept: 11 },
    config: normalizeSearchConfig({ ebm_weight: 1 }),
    nodes,
    failures: [fail(0, "simp", "simp made no progress"), fail(1, "ring", "ring failed"), fail(2, "linarith", "linarith failed"), fail(3, "decide", "declaration uses 'sorry'", "verify_failed"), fail(3, "omega", "omega could not prove the goal")],
  };
}

/** The same tree with no proof found: the search ran out of nodes. */
export function handMadeUnproved(): SearchResult {
  const t = handMadeTree();
  return { ...t, status: "exhausted", reason: "node budget 6 spent after 4 expansions", proof: null, proof_node_id: null, nodes: t.nodes.slice(0, 6), nodes_created: 6 };
}
