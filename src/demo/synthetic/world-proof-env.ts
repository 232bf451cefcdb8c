/**
 * The search's ProofEnv straight over a SyntheticProofWorld, in process (no REPL): handles are the
 * state texts themselves. For fast tests and for runs that do not need the protocol in the loop.
 */
import type { EnvState, ProofEnv, TacticOutcome, VerifyResult } from "../../search/proof-env.js";
import type { SyntheticProofWorld } from "./synthetic-proof-world.js";

export class WorldProofEnv implements ProofEnv<string> {
  constructor(
    private readonly world: SyntheticProofWorld,
    readonly theorem: string,
  ) {
    world.problem(theorem); // throws naming an unknown theorem now, not at root()
  }

  async root(): Promise<EnvState<string>> {
    const text = this.world.rootText(this.theorem);
    return { goals_pp: text, handle: text };
  }

  async apply(handle: string, tactic: string): Promise<TacticOutcome<string>> {
    const r = this.world.step(handle, tactic);
    if (r.kind === "error") return { kind: "error", message: r.message, lean_ms: 0 };
    if (r.kind === "no_goals") return { kind: "ok", goals_pp: "", handle: "", no_goals: true, lean_ms: 0 };
    return { kind: "ok", goals_pp: r.goals_text, handle: r.goals_text, no_goals: false, lean_ms: 0 };
  }

  async verify(tactics: readonly string[]): Promise<VerifyResult> {
    return this.world.verify(this.theorem, tactics);
  }
}
