/**
 * The demo-world stage: generate the seeded synthetic world (src/demo) and write it under
 * demo/world/ with the same relative layout as a real run, plus the planted values next to it.
 * GPU/Lean stages of the demo profile copy their outputs from there (stand-in.ts).
 */
import { EMBEDDINGS_INDEX, TACTIC_PAIRS, THEOREMS, TRAJECTORIES } from "../artifacts/schemas.js";
import type { OutputDecl, StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { ITERS, type IterName } from "../config/run-paths.js";
import { generateDemoWorld, normalizeDemoParams, type DemoParams, type DemoWorld } from "../demo/index.js";

const MODULE = "src/stages/demo-world.ts";

export function demoParamsOf(run: Run): DemoParams {
  const d = run.config.demo;
  return normalizeDemoParams({ seed: d.seed, n_theorems: d.n_theorems, n_search_theorems: d.n_search_theorems, dim: d.dim, n_minif2f: d.n_minif2f, label_signal_pct: d.label_signal_pct, heldout_signal_pct: d.heldout_signal_pct });
}

function worldOutputs(run: Run): OutputDecl[] {
  const p = run.paths;
  const w = p.demo.world;
  const out: OutputDecl[] = [
    { path: p.demo.params, kind: "json" },
    { path: p.demo.planted, kind: "json" },
    { path: w(p.data.theorems), kind: "table" },
    { path: w(p.data.traced.tactic_pairs), kind: "table" },
    { path: w(p.iter_1.training_events), kind: "jsonl" },
  ];
  for (const it of ITERS) {
    const ip = p.iter(it);
    out.push(
      { path: w(ip.search_trajectories), kind: "table" },
      { path: w(ip.embeddings.states), kind: "npy" },
      { path: w(ip.embeddings.goals), kind: "npy" },
      { path: w(ip.embeddings.goal_index), kind: "npy" },
      { path: w(ip.embeddings.index), kind: "table" },
      { path: w(ip.baselines.search_results), kind: "json" },
    );
  }
  return out;
}

export interface DemoWorldSummary {
  readonly seed: number;
  readonly theorems: number;
  readonly tactic_pairs: number;
  readonly trajectory_rows: Readonly<Record<IterName, number>>;
  readonly dim: number;
}

export function demoWorldStage(run: Run): StageSpec<DemoWorldSummary> {
  const params = demoParamsOf(run);
  return {
    name: "demo/world",
    description: "generate the seeded synthetic DEMO world (theorems, traces, search trees, embeddings with planted structure)",
    params,
    inputs: [],
    code: { module: MODULE },
    outputs: worldOutputs(run),
    run(ctx) {
      const world = generateDemoWorld(params);
      writeWorld(ctx, run, world, params);
      return {
        seed: params.seed,
        theorems: world.theorems.name.length,
        tactic_pairs: world.tactic_pairs.theorem_name.length,
        trajectory_rows: { iter_0: world.iter_0.trajectories.theorem_name.length, iter_1: world.iter_1.trajectories.theorem_name.length },
        dim: params.dim,
      };
    },
  };
}

function writeWorld(ctx: StageContext, run: Run, world: DemoWorld, params: DemoParams): void {
  const p = run.paths;
  const w = p.demo.world;
  ctx.writeJson(p.demo.params, { kind: "demo_params", ...params });
  ctx.writeJson(p.demo.planted, { kind: "demo_planted", ...world.planted });
  ctx.writeTable(w(p.data.theorems), THEOREMS, world.theorems);
  ctx.writeTable(w(p.data.traced.tactic_pairs), TACTIC_PAIRS, world.tactic_pairs);
  ctx.writeJsonl(w(p.iter_1.training_events), world.joint_training_log);
  for (const it of ITERS) {
    const ip = p.iter(it);
    const iw = world[it];
    const n = iw.trajectories.theorem_name.length;
    ctx.writeTable(w(ip.search_trajectories), TRAJECTORIES, iw.trajectories);
    ctx.writeNpy(w(ip.embeddings.states), "float32", [n, params.dim], iw.state_embeddings);
    ctx.writeNpy(w(ip.embeddings.goals), "float32", [iw.goal_embeddings.length / params.dim, params.dim], iw.goal_embeddings);
    ctx.writeNpy(w(ip.embeddings.goal_index), "int32", [n], iw.goal_index);
    ctx.writeTable(w(ip.embeddings.index), EMBEDDINGS_INDEX, iw.embeddings_index);
    const tag = it === "iter_0" ? "iter0" : "iter1";
    ctx.writeJson(w(ip.baselines.search_results), searchResults(world, `${tag}_llm`, `${tag}_llm_ebm`));
  }
}

/**
 * The miniF2F summary a real search run writes: proved / total / rate per configuration, and the
 * per-theorem outcomes (same theorems in every configuration and iteration) for paired tests.
 */
function searchResults(world: DemoWorld, llm: string, llmEbm: string): Record<string, unknown> {
  const values: Record<string, number> = {};
  const proved: Record<string, boolean[]> = {};
  const configs = { llm_only: llm, llm_ebm: llmEbm } as const;
  let theorems: readonly string[] = [];
  for (const [key, name] of Object.entries(configs)) {
    const r = (world.search_results as Record<string, { name: readonly string[]; proved: readonly boolean[] }>)[name];
    if (!r) throw new Error(`demo world has no search results '${name}'`);
    const k = r.proved.filter(Boolean).length;
    values[`${key}.proved`] = k;
    values[`${key}.total`] = r.proved.length;
    values[`${key}.rate`] = k / r.proved.length;
    proved[key] = [...r.proved];
    theorems = r.name;
  }
  return { kind: "search_results", benchmark: "miniF2F v2s test (DEMO stand-in)", values, not_computed: {}, details: { theorems, proved } };
}
