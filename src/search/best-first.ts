/**
 * Best-first proof search over one theorem: pop the highest-priority open state, sample tactics
 * from the policy, apply each in Lean, add the new states (once per state text), score them, queue
 * them. Pure of I/O: the policy, Lean env, scorer and clock come in through `SearchDeps`.
 *
 * A proof counts only when the env says no goals are left AND `verify` accepts the whole path's
 * tactics replayed from the root. Banned-word and bulleted tactics never reach Lean. The wall
 * budget is checked before every policy, Lean and scorer call (pitfall 10), and the remaining
 * time is passed on, so a theorem overruns by at most one call's latency.
 */
import { SYSTEM_CLOCK, type Clock } from "./clock.js";
import { filterCandidates, type CandidateCounts, type FilteredCandidates } from "./filter-candidates.js";
import { nodePriority } from "./node-priority.js";
import type { Policy, PolicyCandidate } from "./policy.js";
import { PriorityQueue } from "./priority-queue.js";
import type { ProofEnv, TacticOutcome } from "./proof-env.js";
import type { Scorer } from "./scorer.js";
import { normalizeSearchConfig, SearchConfigError, type SearchConfig } from "./search-config.js";
import type { FailedTactic, FailureKind, SearchNode, SearchResult, SearchStatus } from "./search-result.js";

export interface SearchTheorem {
  readonly name: string;
}

export interface SearchDeps<H> {
  readonly policy: Policy;
  /** Already bound to the theorem: `root()` starts it. */
  readonly env: ProofEnv<H>;
  /** Required when ebm_weight > 0; never called when it is 0. */
  readonly scorer?: Scorer;
  /** Defaults to SYSTEM_CLOCK. */
  readonly clock?: Clock;
}

/**
 * Searches one theorem. Never throws for what happens during the search (a dependency failing
 * gives status "error" with the tree so far); throws only for a bad config.
 */
export async function bestFirstSearch<H>(theorem: SearchTheorem, deps: SearchDeps<H>, config: SearchConfig): Promise<SearchResult> {
  // Normalised again so a hand-built object gets the same checks as one from normalizeSearchConfig.
  const cfg = normalizeSearchConfig(config);
  if (cfg.ebm_weight > 0 && deps.scorer === undefined) throw new SearchConfigError(`search of ${theorem.name}: ebm_weight is ${cfg.ebm_weight} but no scorer was given`);
  return new SearchRun(theorem, deps, cfg).run();
}

type MutableNode = { -readonly [K in keyof SearchNode]: SearchNode[K] };
type MutableCounts = { -readonly [K in keyof CandidateCounts]: number };
/** Where a dependency call's wall time is booked. */
type TimeBucket = "policy" | "lean" | "energy";

/** Ends the search from deep inside an expansion (timeout); caught in run(). */
class StopSearch {
  constructor(
    readonly status: SearchStatus,
    readonly reason: string,
  ) {}
}

const short = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

class SearchRun<H> {
  private readonly clock: Clock;
  private readonly t0_ms: number;
  private readonly nodes: MutableNode[] = [];
  /** handles[id] is node id's env state. */
  private readonly handles: H[] = [];
  /** Transposition table: state text → node id (the proof-complete node's "" is never entered). */
  private readonly seen = new Map<string, number>();
  private readonly queue = new PriorityQueue();
  private readonly failures: FailedTactic[] = [];
  private readonly counts: MutableCounts = { proposed: 0, over_n: 0, empty: 0, banned_word: 0, bullet: 0, duplicate: 0, kept: 0 };
  private readonly ms: Record<TimeBucket, number> = { policy: 0, lean: 0, energy: 0 };
  private nodes_expanded = 0;
  private duplicates = 0;
  private proof_node_id: number | null = null;

  constructor(
    private readonly theorem: SearchTheorem,
    private readonly deps: SearchDeps<H>,
    private readonly cfg: SearchConfig,
  ) {
    this.clock = deps.clock ?? SYSTEM_CLOCK;
    this.t0_ms = this.clock.now_ms();
  }

  async run(): Promise<SearchResult> {
    try {
      await this.start();
      for (;;) {
        if (this.nodes.length >= this.cfg.max_nodes) return this.finish("exhausted", `node budget ${this.cfg.max_nodes} spent after ${this.nodes_expanded} expansions`);
        const id = this.queue.pop();
        if (id === null) return this.finish("exhausted", `queue empty after ${this.nodes_expanded} expansions`);
        await this.expand(id);
        if (this.proof_node_id !== null) return this.finish("proved", `verified proof of ${this.nodes[this.proof_node_id]!.depth} tactics`);
      }
    } catch (e) {
      if (e instanceof StopSearch) return this.finish(e.status, e.reason);
      return this.finish("error", e instanceof Error ? e.message : String(e));
    }
  }

  private async start(): Promise<void> {
    const root = await this.call("lean", "env.root()", () => this.deps.env.root());
    if (root.goals_pp.trim() === "") throw new Error("env.root() returned an empty goal text");
    this.addNode({ parent_id: null, state_pp: root.goals_pp, tactic: "", depth: 0, log_prob_sum: 0, n_tokens: 0, policy_ms: null, lean_ms: null }, root.handle);
    await this.scoreAndQueue([0]);
  }

  /** One expansion: propose, filter, apply each kept tactic until the node budget is spent, then score and queue the new children. */
  private async expand(id: number): Promise<void> {
    const node = this.nodes[id]!;
    this.checkTime(`the policy call at node ${id}`);
    const opts = { n: this.cfg.n_candidates, temperature: this.cfg.temperature, deadline_ms: this.remaining_ms() };
    const t_ms = this.clock.now_ms();
    const proposed = await this.call("policy", `policy.propose at node ${id}`, () => this.deps.policy.propose(node.state_pp, opts));
    const policy_ms = this.clock.now_ms() - t_ms;
    node.expanded = true;
    node.visits++;
    this.nodes_expanded++;
    const { kept, counts } = this.filter(id, proposed);
    for (const k of Object.keys(counts) as (keyof CandidateCounts)[]) this.counts[k] += counts[k];
    const children: number[] = [];
    for (const c of kept) {
      if (this.nodes.length >= this.cfg.max_nodes) break;
      const child = await this.tryTactic(id, c, policy_ms);
      if (this.proof_node_id !== null) return;
      if (child !== null) children.push(child);
    }
    await this.scoreAndQueue(children);
  }

  private filter(id: number, proposed: readonly PolicyCandidate[]): FilteredCandidates {
    try {
      return filterCandidates(proposed, this.cfg.n_candidates);
    } catch (e) {
      throw new Error(`policy.propose at node ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Applies one tactic; returns the new node's id, or null (failed, or a state already in the tree). */
  private async tryTactic(parent_id: number, c: PolicyCandidate, policy_ms: number): Promise<number | null> {
    const what = `env.apply(${short(c.tactic)}) at node ${parent_id}`;
    this.checkTime(what);
    const timeout_s = Math.min(this.cfg.tactic_timeout_s, this.remaining_ms() / 1000);
    const out = await this.call("lean", what, () => this.deps.env.apply(this.handles[parent_id]!, c.tactic, timeout_s));
    if (out.kind === "error") return this.fail(parent_id, c, "lean_error", out.message, out.lean_ms);
    if (out.no_goals) return this.tryProof(parent_id, c, out, policy_ms);
    if (out.goals_pp.trim() === "") return this.fail(parent_id, c, "empty_goals", "the env reported open goals but no goal text", out.lean_ms);
    const seen = this.seen.get(out.goals_pp);
    if (seen !== undefined) {
      this.duplicates++;
      this.nodes[seen]!.visits++;
      return null;
    }
    const parent = this.nodes[parent_id]!;
    return this.addNode({ parent_id, state_pp: out.goals_pp, tactic: c.tactic, depth: parent.depth + 1, log_prob_sum: c.log_prob_sum, n_tokens: c.n_tokens, policy_ms, lean_ms: out.lean_ms }, out.handle);
  }

  /** Lean says no goals: the proof counts only if the whole path replays clean from the root. */
  private async tryProof(parent_id: number, c: PolicyCandidate, out: Extract<TacticOutcome<H>, { kind: "ok" }>, policy_ms: number): Promise<null> {
    const tactics = [...this.pathTactics(parent_id), c.tactic];
    const what = `env.verify of the ${tactics.length}-tactic proof ending ${short(c.tactic)} at node ${parent_id}`;
    this.checkTime(what);
    const verdict = await this.call("lean", what, () => this.deps.env.verify(tactics));
    if (verdict.ok === false) return this.fail(parent_id, c, "verify_failed", verdict.reason, out.lean_ms);
    const parent = this.nodes[parent_id]!;
    const id = this.addNode({ parent_id, state_pp: "", tactic: c.tactic, depth: parent.depth + 1, log_prob_sum: c.log_prob_sum, n_tokens: c.n_tokens, policy_ms, lean_ms: out.lean_ms }, out.handle, true);
    this.proof_node_id = id;
    return null;
  }

  /** Scores the new children in one batch (when ebm_weight > 0), then queues those above the depth cap. */
  private async scoreAndQueue(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    if (this.cfg.ebm_weight > 0) {
      const what = `scorer.score of ${ids.length} states after node ${this.nodes[ids[0]!]!.parent_id ?? "(root)"}`;
      this.checkTime(what);
      const states = ids.map((id) => this.nodes[id]!.state_pp);
      const energies = await this.call("energy", what, () => this.deps.scorer!.score(states, this.nodes[0]!.state_pp));
      if (energies.length !== ids.length) throw new Error(`${what}: got ${energies.length} energies for ${ids.length} states`);
      ids.forEach((id, i) => {
        const e = energies[i]!;
        if (!Number.isFinite(e)) throw new Error(`${what}: energy ${e} for state ${short(states[i]!)}`);
        this.nodes[id]!.energy = e;
      });
    }
    for (const id of ids) {
      const node = this.nodes[id]!;
      node.priority = nodePriority(node, this.cfg.ebm_weight);
      if (node.depth < this.cfg.max_depth) this.queue.push(id, node.priority);
    }
  }

  private addNode(f: Pick<SearchNode, "parent_id" | "state_pp" | "tactic" | "depth" | "log_prob_sum" | "n_tokens" | "policy_ms" | "lean_ms">, handle: H, proof_complete = false): number {
    const id = this.nodes.length;
    const parent = f.parent_id === null ? null : this.nodes[f.parent_id]!;
    this.nodes.push({
      ...f,
      id,
      path_log_prob_sum: (parent?.path_log_prob_sum ?? 0) + f.log_prob_sum,
      path_n_tokens: (parent?.path_n_tokens ?? 0) + f.n_tokens,
      energy: null,
      priority: null,
      expanded: false,
      visits: 0,
      is_proof_complete: proof_complete,
    });
    this.handles.push(handle);
    if (!proof_complete) this.seen.set(f.state_pp, id);
    return id;
  }

  private fail(parent_id: number, c: PolicyCandidate, kind: FailureKind, message: string, lean_ms: number): null {
    this.failures.push(Object.freeze({ parent_id, tactic: c.tactic, kind, message, log_prob_sum: c.log_prob_sum, n_tokens: c.n_tokens, lean_ms }));
    return null;
  }

  /** Tactics from the root to node id. */
  private pathTactics(id: number): string[] {
    const out: string[] = [];
    for (let n = this.nodes[id]!; n.parent_id !== null; n = this.nodes[n.parent_id]!) out.push(n.tactic);
    return out.reverse();
  }

  private remaining_ms(): number {
    return this.cfg.timeout_s * 1000 - (this.clock.now_ms() - this.t0_ms);
  }

  private checkTime(before: string): void {
    if (this.remaining_ms() > 0) return;
    throw new StopSearch("timeout", `wall timeout ${this.cfg.timeout_s} s reached before ${before}`);
  }

  /** Runs one dependency call, adds its wall time to its bucket, and names the call in any error. */
  private async call<T>(bucket: TimeBucket, what: string, fn: () => Promise<T>): Promise<T> {
    const t_ms = this.clock.now_ms();
    try {
      return await fn();
    } catch (e) {
      throw new Error(`${what} threw: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500));
    } finally {
      this.ms[bucket] += this.clock.now_ms() - t_ms;
    }
  }

  private finish(status: SearchStatus, reason: string): SearchResult {
    const nodes = Object.freeze(this.nodes.map((n) => Object.freeze({ ...n })));
    const proof = this.proof_node_id === null ? null : Object.freeze(this.pathTactics(this.proof_node_id));
    return Object.freeze({
      theorem_name: this.theorem.name,
      status,
      reason,
      proof,
      proof_node_id: this.proof_node_id,
      nodes_expanded: this.nodes_expanded,
      nodes_created: nodes.length,
      duplicates: this.duplicates,
      policy_ms: this.ms.policy,
      lean_ms: this.ms.lean,
      energy_ms: this.ms.energy,
      wall_ms: this.clock.now_ms() - this.t0_ms,
      candidates: Object.freeze({ ...this.counts }),
      config: this.cfg,
      nodes,
      failures: Object.freeze([...this.failures]),
    });
  }
}
