/**
 * The demo-world stage: the seeded synthetic world the demo runs against, written under demo/:
 *
 * - demo/world/: what the datasets and tracing would give (the theorems table, with miniF2F-like
 *   test theorems, and the traced tactic pairs) and the joint-training metric stream, at the same
 *   relative paths as a real run, for the stand-in stages that copy them (they need downloads,
 *   Lean or a GPU);
 * - demo/synthetic/: the synthetic Lean (its theorems and tactic semantics) and the synthetic
 *   policy/encoder server's config, which the search, miniF2F and embedding stages talk to through
 *   the real REPL pool and HTTP clients;
 * - demo/planted.json: what the world plants (policy quality per iteration, the embedding shift,
 *   the scenario knobs), so a reader knows what the measured numbers should find.
 */
import { THEOREMS, TACTIC_PAIRS } from "../artifacts/schemas.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { OutputDecl, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { normalizeDemoParams, type DemoParams } from "../demo/demo-params.js";
import { generateDemoTheorems } from "../demo/demo-theorems.js";
import { jointTrainingLog } from "../demo/joint-training-log.js";
import { DEMO_P_TACTIC_ERROR, DEMO_POLICIES, demoSearchScenario } from "../demo/search-scenario.js";
import { WORLD_FILE_FORMAT } from "../demo/synthetic/synthetic-world-file.js";
import { isValTheorem } from "../ebm/contrastive-plan.js";

const MODULE = "src/stages/demo-world.ts";

export function demoParamsOf(run: Run): DemoParams {
  const d = run.config.demo;
  return normalizeDemoParams({ seed: d.seed, n_theorems: d.n_theorems, n_search_theorems: d.n_search_theorems, dim: d.dim, n_minif2f: d.n_minif2f, label_signal_pct: d.label_signal_pct, heldout_signal_pct: d.heldout_signal_pct });
}

function worldOutputs(run: Run): OutputDecl[] {
  const p = run.paths;
  const w = p.demo.world;
  return [
    { path: p.demo.params, kind: "json" },
    { path: p.demo.planted, kind: "json" },
    { path: w(p.data.theorems), kind: "table" },
    { path: w(p.data.traced.tactic_pairs), kind: "table" },
    { path: w(p.iter_1.training_events), kind: "jsonl" },
    { path: p.demo.synthetic_world, kind: "json" },
    { path: p.demo.policy_server, kind: "json" },
  ];
}

export interface DemoWorldSummary {
  readonly seed: number;
  readonly theorems: number;
  readonly minif2f_theorems: number;
  readonly tactic_pairs: number;
  readonly world_problems: number;
  readonly dim: number;
}

export function demoWorldStage(run: Run): StageSpec<DemoWorldSummary> {
  const params = demoParamsOf(run);
  const embed_recipe = run.config.recipes.embed.recipe;
  const plan = run.config.recipes.contrastive_plan.recipe;
  return {
    name: "demo/world",
    description: "generate the seeded synthetic DEMO world: theorems and traced proofs, miniF2F-like test theorems, the synthetic Lean and the synthetic policy/encoder",
    params: { ...params, embed_recipe, heldout_split: plan },
    inputs: [],
    code: { module: MODULE },
    outputs: worldOutputs(run),
    run(ctx) {
      const p = run.paths;
      const demo = generateDemoTheorems(params.seed, params.n_theorems, params.n_search_theorems);
      const scenario = demoSearchScenario(params, demo, { embed_recipe: embed_recipe as unknown as Record<string, unknown>, heldout: (n) => isValTheorem(n, plan) });
      const t = demo.theorems;
      const theorems: ColumnArraysOf<typeof THEOREMS> = {
        name: [...Array.from(t.name), ...scenario.minif2f.name],
        source: [...Array.from(t.source), ...scenario.minif2f.source],
        dataset: [...Array.from(t.dataset), ...scenario.minif2f.dataset],
        header: [...Array.from(t.header), ...scenario.minif2f.header],
        statement: [...Array.from(t.statement), ...scenario.minif2f.statement],
        proof: [...Array.from(t.proof), ...scenario.minif2f.proof],
        lean_version: [...Array.from(t.lean_version), ...scenario.minif2f.lean_version],
        split: [...Array.from(t.split), ...scenario.minif2f.split],
      };
      ctx.writeJson(p.demo.params, { kind: "demo_params", ...params });
      ctx.writeJson(p.demo.planted, {
        kind: "demo_planted",
        demo: true,
        what: "the synthetic world's behaviour; every number in the reports is measured by the pipeline on it, not copied from here",
        world: { p_tactic_error: DEMO_P_TACTIC_ERROR, theorems: demo.problems.length, minif2f_theorems: scenario.minif2f_problems.length },
        policies: DEMO_POLICIES,
        served: scenario.server.policies,
        heldout_damping: scenario.server.damp ? { theorems: scenario.server.damp.theorems.length, scale: scenario.server.damp.scale } : null,
        params,
      });
      ctx.writeTable(p.demo.world(p.data.theorems), THEOREMS, theorems);
      ctx.writeTable(p.demo.world(p.data.traced.tactic_pairs), TACTIC_PAIRS, demo.tactic_pairs);
      ctx.writeJsonl(p.demo.world(p.iter_1.training_events), jointTrainingLog({ seed: params.seed }));
      ctx.writeJson(p.demo.synthetic_world, { format: WORLD_FILE_FORMAT, ...scenario.world });
      ctx.writeJson(p.demo.policy_server, scenario.server);
      return {
        seed: params.seed,
        theorems: demo.theorems.name.length,
        minif2f_theorems: scenario.minif2f_problems.length,
        tactic_pairs: demo.tactic_pairs.theorem_name.length,
        world_problems: scenario.world.problems.length,
        dim: params.dim,
      };
    },
  };
}
