/**
 * What the demo's searches search: the synthetic world (the demo theorems, each with its traced
 * proof, plus miniF2F-like evaluation theorems) and the synthetic servers' policies, one per
 * iteration. The demo's trajectories, pass rates and embeddings are then outputs of the project's
 * real search, client and scorer; what is planted is only the world's behaviour:
 *
 * - iter_0's policy offers a state's proof tactic with probability 0.85, iter_1's (after joint
 *   training) with 0.90 and a sharper preference for it: iter_1 proves more. Both prefer the
 *   proof tactic only mildly (its log-prob quality +1.0 / +1.5 decoy spreads), so there is room
 *   for an energy head to rank on-path children first;
 * - on-path states carry a shift along one direction in the encoder's embeddings (iter_1's
 *   larger): an energy head can learn it, and LLM+EBM can beat LLM-only;
 * - the scenario knobs scale that shift: label_signal_pct everywhere, heldout_signal_pct on the
 *   theorems the energy head's contrastive plan holds out.
 * Pure.
 */
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { THEOREMS } from "../artifacts/schemas.js";
import type { DemoParams } from "./demo-params.js";
import type { DemoTheorems } from "./demo-theorems.js";
import { generateSyntheticProblems, syntheticProblemsFromDemo, type SyntheticProblem } from "./synthetic/synthetic-problems.js";
import type { SyntheticWorldSpec } from "./synthetic/synthetic-proof-world.js";
import type { SyntheticPolicyParams } from "./synthetic/synthetic-policy-params.js";

/** The world's chance that an off-path tactic that could work fails anyway. */
export const DEMO_P_TACTIC_ERROR = 0.5;

/** Per iteration: the served model's parameters before the scenario knobs (embed_shift at 100 %). */
export const DEMO_POLICIES: Readonly<Record<"iter_0" | "iter_1", Omit<SyntheticPolicyParams, "model">>> = Object.freeze({
  iter_0: Object.freeze({ p_correct: 0.9, correct_logit: 1.0, n_decoys: 8, embed_shift: 0.2 }),
  iter_1: Object.freeze({ p_correct: 0.93, correct_logit: 1.5, n_decoys: 8, embed_shift: 0.3 }),
});

export interface DemoSearchScenario {
  readonly world: SyntheticWorldSpec;
  /** The synthetic server's config (normalizeSyntheticServerConfig's input). */
  readonly server: {
    readonly policies: readonly SyntheticPolicyParams[];
    readonly seed: number;
    readonly embedding_dim: number;
    readonly embed_recipe: Readonly<Record<string, unknown>>;
    readonly damp: { readonly theorems: readonly string[]; readonly scale: number } | null;
    readonly embedding_scale: number;
  };
  /** THEOREMS rows of the miniF2F-like theorems (source minif2f, split test, no proof: a benchmark gives none). */
  readonly minif2f: ColumnArraysOf<typeof THEOREMS>;
  readonly minif2f_problems: readonly SyntheticProblem[];
}

export function demoSearchScenario(
  params: DemoParams,
  demo: DemoTheorems,
  o: { readonly embed_recipe: Readonly<Record<string, unknown>>; readonly heldout: (name: string) => boolean },
): DemoSearchScenario {
  const own = syntheticProblemsFromDemo(demo);
  // miniF2F-like: proofs of 1–6 tactics (most miniF2F proofs are short), every demo family
  const minif2f = generateSyntheticProblems({ seed: params.seed ^ 0x5f2f, n_theorems: params.n_minif2f, min_length: 1, max_length: 6, name_prefix: "minif2f_demo" });
  const label = params.label_signal_pct / 100;
  const heldout = params.heldout_signal_pct / 100;
  const policies = (["iter_0", "iter_1"] as const).map((it) => ({ model: it, ...DEMO_POLICIES[it], embed_shift: DEMO_POLICIES[it].embed_shift * label }));
  const damped = heldout === 1 ? null : { theorems: own.map((q) => q.name).filter(o.heldout), scale: heldout };
  const lean = demo.theorems.lean_version[0] ?? null;
  return {
    world: { seed: params.seed, p_tactic_error: DEMO_P_TACTIC_ERROR, problems: [...own, ...minif2f] },
    // coordinates of order 1, as a model's normed hidden states have
    server: { policies, seed: params.seed, embedding_dim: params.dim, embed_recipe: o.embed_recipe, damp: damped, embedding_scale: Math.sqrt(params.dim) },
    minif2f: {
      name: minif2f.map((q) => q.name),
      source: minif2f.map(() => "minif2f" as const),
      dataset: minif2f.map(() => "miniF2F-like (DEMO: synthetic)"),
      header: minif2f.map((q) => q.header),
      statement: minif2f.map((q) => q.statement),
      proof: minif2f.map(() => null),
      lean_version: minif2f.map(() => lean),
      split: minif2f.map(() => "test" as const),
    },
    minif2f_problems: minif2f,
  };
}
