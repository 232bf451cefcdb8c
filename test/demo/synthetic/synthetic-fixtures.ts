/**
 * Shared pieces of the synthetic-world tests: small worlds, their files, and the policy adapter the
 * search needs.
 */
import { join } from "node:path";
import { generateSyntheticProblems, type SyntheticProblem } from "../../../src/demo/synthetic/synthetic-problems.js";
import { SyntheticProofWorld } from "../../../src/demo/synthetic/synthetic-proof-world.js";
import { writeSyntheticWorldFile } from "../../../src/demo/synthetic/synthetic-world-file.js";
import { checkProofStep, checkWholeProof } from "../../../src/lean/proof-check.js";
import type { ReplLease } from "../../../src/lean/repl-pool.js";
import type { ReplRequest } from "../../../src/lean/repl-protocol.js";
import { syntheticProofText } from "../../../src/demo/synthetic/synthetic-problems.js";
import type { CompletionsClient } from "../../../src/policy/completions-client.js";
import type { Policy } from "../../../src/search/policy.js";
import type { EnvState, ProofEnv, TacticOutcome, VerifyResult } from "../../../src/search/proof-env.js";

export const WORLD_SEED = 4242;

export function smallProblems(n_theorems = 40, seed = 7): SyntheticProblem[] {
  return generateSyntheticProblems({ seed, n_theorems, min_length: 1, max_length: 5 });
}

export function smallWorld(n_theorems = 40, seed = WORLD_SEED): SyntheticProofWorld {
  return new SyntheticProofWorld({ seed, p_tactic_error: 0.5, problems: smallProblems(n_theorems) });
}

/** Writes the world's spec to DIR/world.json and returns the path. */
export function worldFileIn(dir: string, world: SyntheticProofWorld, name = "world.json"): string {
  const path = join(dir, name);
  writeSyntheticWorldFile(path, world.spec);
  return path;
}

/** The first theorem with a proof of exactly `length` tactics. */
export function theoremOfLength(world: SyntheticProofWorld, length: number): SyntheticProblem {
  const p = world.problems.find((q) => q.tactics.length === length);
  if (!p) throw new Error(`no ${length}-tactic theorem in the test world`);
  return p;
}

/**
 * The search's Policy over a CompletionsClient. The search passes `deadline_ms` as what is left
 * of its wall budget, a fractional number of ms under the system clock, and CompletionsClient hands
 * it to AbortSignal.timeout, which throws on a non-integer delay in Node 20; so it is floored
 * here (the fix belongs in src/policy/completions-client.ts).
 */
export function searchPolicy(client: CompletionsClient): Policy {
  return { propose: (state, o) => client.propose(state, { ...o, deadline_ms: Math.max(0, Math.floor(o.deadline_ms)) }) };
}

/**
 * A thin ProofEnv over one held REPL worker (tactic mode): root = `statement by sorry`, one
 * `{tactic, proofState}` per apply judged by checkProofStep, verify = the whole proof as one `cmd`
 * with allTactics judged by checkWholeProof. Only the protocol, nothing synthetic: the project's
 * own adapter (src/lean/repl-proof-env.ts, with worker sessions and rebuilds) does the same job in
 * the pipeline.
 */
export class LeaseProofEnv implements ProofEnv<number> {
  constructor(
    private readonly lease: Pick<ReplLease, "env" | "request">,
    private readonly theorem: { readonly name: string; readonly statement: string },
  ) {}

  #cmd(cmd: string, allTactics = false): ReplRequest {
    const base = this.lease.env === null ? { cmd } : { cmd, env: this.lease.env };
    return allTactics ? { ...base, allTactics: true } : base;
  }

  async root(): Promise<EnvState<number>> {
    const r = await this.lease.request(this.#cmd(`${this.theorem.statement} by sorry`));
    const sorry = r.kind === "command" ? r.sorries[0] : undefined;
    if (!sorry || sorry.proofState === null) throw new Error(`LeaseProofEnv.root: ${this.theorem.name} did not start a proof: ${JSON.stringify(r.raw).slice(0, 300)}`);
    return { goals_pp: sorry.goal, handle: sorry.proofState };
  }

  async apply(handle: number, tactic: string, timeout_s: number): Promise<TacticOutcome<number>> {
    const t0 = performance.now();
    const r = await this.lease.request({ tactic, proofState: handle }, timeout_s);
    const lean_ms = performance.now() - t0;
    const v = checkProofStep(r, tactic);
    if (v.status === "failed") return { kind: "error", message: `${v.reason}: ${v.detail}`, lean_ms };
    const proofState = r.kind === "proof_step" ? r.proofState : -1;
    if (v.status === "complete") return { kind: "ok", goals_pp: "", handle: proofState, no_goals: true, lean_ms };
    return { kind: "ok", goals_pp: v.goals.join("\n\n"), handle: proofState, no_goals: false, lean_ms };
  }

  async verify(tactics: readonly string[]): Promise<VerifyResult> {
    const proof = syntheticProofText(tactics);
    const r = await this.lease.request(this.#cmd(`${this.theorem.statement} by\n${proof}`, true));
    const v = checkWholeProof(r, proof);
    return v.status === "accepted" ? { ok: true } : { ok: false, reason: `${v.reason}: ${v.detail}` };
  }
}
