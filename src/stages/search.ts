/**
 * Phase 1 search stages (plan Tasks 1.3, 1.4, 2.6, 4.3) and trajectory statistics.
 *
 * - `iter_k/search`: best-first search of the contrastive pool with the iteration's policy
 *   (LLM-only, 800 nodes): the trajectories the energy head learns from, the failed tactics, found
 *   proofs as traced tactics and preference pairs.
 * - `iter_k/minif2f`: miniF2F (the ingested statements of the recipe's split), LLM-only.
 * - `ebm-X/minif2f`: the same theorems with the config's energy head in the priority (LLM+EBM).
 *
 * One code path in both profiles: the project's REPL pool in tactic mode (ReplProofEnv), the
 * OpenAI-compatible client, the pure search core and the ONNX scorer. Only what answers differs:
 * Lean + Mathlib and burnqed.serve (or vLLM / SGLang) in the real profile; the synthetic Lean
 * process and the synthetic policy server of the demo world in the demo (src/demo/synthetic).
 * Resumable: each finished theorem is a line in the stage's chunk folder, so a killed stage
 * re-runs only what is missing; `burnqed search-shard` searches one `--shard i/n` of it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readJson } from "../artifacts/json-file.js";
import { readTable } from "../artifacts/arrow-table.js";
import { FAILED_TACTICS, THEOREMS, TRAJECTORIES } from "../artifacts/schemas.js";
import { dataKey, runShardContext, type OutputDecl, type StageContext, type StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { EBM_CONFIGS, type EbmConfigName, type IterName, type RunRel, type SearchRunPaths } from "../config/run-paths.js";
import { isDemo } from "../config/run-config.js";
import type { SearchBudget } from "../config/recipes.js";
import { leanEnvironment } from "../config/lean-environment.js";
import { syntheticReplCommand } from "../demo/synthetic/synthetic-repl-command.js";
import { spawnSyntheticPolicyServer } from "../demo/synthetic/synthetic-policy-server-process.js";
import { EnergyScorer } from "../ebm/energy-scorer.js";
import { replCommand, type ReplCommandSpec } from "../lean/repl-command.js";
import { ReplPool } from "../lean/repl-pool.js";
import { replProofEnv } from "../lean/repl-proof-env.js";
import { createProgress } from "../jobs/progress.js";
import { CompletionsClient } from "../policy/completions-client.js";
import { EmbeddingsClient } from "../policy/embeddings-client.js";
import { EbmScorer } from "../prover/ebm-scorer.js";
import { checkEncoderRecipe, externalEndpoint, externalServers, startServeJob, type ExternalServers, type PolicyEndpoint } from "../prover/policy-service.js";
import { runSearches, type SearchTask } from "../prover/search-runner.js";
import { allPreferencePairs, failedTacticTable, orderedResults, searchSummary, tracedProofs, trajectoryTable, type SearchSummary } from "../prover/search-outputs.js";
import type { Shard } from "../prover/shard.js";
import { normalizeSearchConfig, type SearchConfig } from "../search/search-config.js";
import { trajectoryStats, type TrajectoryStats } from "../search/trajectory-stats.js";
import type { PoolDocument } from "../data/select-contrastive-pool.js";

const MODULE = "src/stages/search.ts";

export function trajectoryStatsStage(run: Run, it: IterName): StageSpec<TrajectoryStats["values"]> {
  const src = run.paths.iter(it).search_trajectories;
  const out = run.paths.iter(it).trajectory_stats;
  return {
    name: `${it}/trajectory-stats`,
    description: "proved/failed counts, labels and depth distribution of the search trajectories (plan target: ≥ 20 % of states at depth ≥ 4)",
    params: {},
    inputs: [src],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const t = readTable(ctx.abs(src), TRAJECTORIES);
      const stats = trajectoryStats(t.columns);
      ctx.writeJson(out, stats);
      return stats.values;
    },
  };
}

type SearchKind = "pool" | "minif2f";

/** Everything a search stage needs to know, also what `burnqed search-shard` rebuilds. */
export interface SearchStageDef {
  readonly name: string;
  readonly kind: SearchKind;
  readonly it: IterName;
  readonly ebm: EbmConfigName | null;
  readonly out: SearchRunPaths;
  readonly budget: SearchBudget;
}

export function searchStageDef(run: Run, kind: SearchKind, it: IterName, ebm: EbmConfigName | null = null): SearchStageDef {
  if (ebm !== null && EBM_CONFIGS[ebm].iter !== it) throw new Error(`config ${ebm} uses the ${EBM_CONFIGS[ebm].iter} policy, not ${it}'s`);
  const r = run.config.recipes.search.recipe;
  const ip = run.paths.iter(it);
  if (kind === "pool") return { name: `${it}/search`, kind, it, ebm: null, out: ip.search, budget: r.pool };
  if (ebm === null) return { name: `${it}/minif2f`, kind, it, ebm: null, out: ip.minif2f, budget: r.minif2f };
  return { name: `ebm-${ebm}/minif2f`, kind, it, ebm, out: run.paths.ebm(ebm).minif2f, budget: r.minif2f };
}

/** The search core's config of a stage. */
export function stageSearchConfig(run: Run, def: SearchStageDef): SearchConfig {
  return normalizeSearchConfig({ ...def.budget, ebm_weight: def.ebm === null ? 0 : run.config.recipes.search.recipe.ebm_weight });
}

/** What answers the stage's requests, as it enters the key: another Lean or policy is another result. */
function serviceParams(run: Run, it: IterName, needsEncoder: boolean): Record<string, unknown> {
  if (isDemo(run.config)) return { lean: "synthetic (demo/synthetic/world.json)", policy: `synthetic '${it}' (demo/synthetic/policy_server.json)` };
  const s = externalServers();
  return {
    lean: leanEnvironment(),
    policy: s.policy_url ? { url: s.policy_url, model: s.policy_model } : { serve: run.paths.iter(it).merged_model },
    ...(needsEncoder ? { encoder: s.encode_url ? { url: s.encode_url, model: s.encode_model } : { serve: run.paths.iter(it).merged_model } } : {}),
  };
}

function inputsOf(run: Run, def: SearchStageDef): RunRel[] {
  const p = run.paths;
  const inputs: RunRel[] = [p.data.theorems];
  if (def.kind === "pool") inputs.push(p.data.traced.contrastive_pool);
  if (isDemo(run.config)) inputs.push(p.demo.synthetic_world, p.demo.policy_server);
  else if (!externalServers().policy_url || def.ebm !== null) inputs.push(p.iter(def.it).merge_summary);
  if (def.ebm !== null) inputs.push(p.ebm(def.ebm).head_onnx);
  return inputs;
}

export interface SearchStageResult {
  readonly theorems: number;
  readonly proved: number;
  readonly rate: number | null;
  readonly errors: number;
  readonly searched_now: number;
  readonly resumed: number;
  readonly nodes: number;
  readonly policy: string;
  readonly scorer: string | null;
}

export function searchStage(run: Run, kind: SearchKind, it: IterName, ebm: EbmConfigName | null = null): StageSpec<SearchStageResult> {
  const def = searchStageDef(run, kind, it, ebm);
  const cfg = stageSearchConfig(run, def);
  const { recipe, controls } = run.config.recipes.search;
  const outputs: OutputDecl[] = [
    { path: def.out.trajectories, kind: "table" },
    { path: def.out.failed_tactics, kind: "table" },
    { path: def.out.results, kind: "json" },
  ];
  if (def.kind === "pool") outputs.push({ path: run.paths.iter(it).search.traced_proofs, kind: "jsonl" }, { path: run.paths.iter(it).search.preference_pairs, kind: "jsonl" });
  const what = def.kind === "pool" ? "the contrastive pool" : `miniF2F (${recipe.minif2f_split} split)`;
  const params = { search: cfg, max_tokens: recipe.max_tokens, ...(def.kind === "minif2f" ? { split: recipe.minif2f_split } : {}), services: serviceParams(run, it, ebm !== null), ...(ebm ? { embed_recipe: run.config.recipes.embed.recipe } : {}) };
  const spec: StageSpec<SearchStageResult> = {
    name: def.name,
    description: `best-first search of ${what} with the ${it} policy${ebm ? ` and config ${ebm}'s energy head (ebm_weight ${cfg.ebm_weight})` : ", LLM-only"}: ${cfg.max_nodes} nodes, ${cfg.n_candidates} candidates, T ${cfg.temperature}, ${cfg.timeout_s} s`,
    params,
    controls,
    inputs: inputsOf(run, def),
    code: { module: MODULE, jobs: isDemo(run.config) ? [] : ["serve"] },
    outputs,
    // chunks resume only the search that wrote them: another budget, temperature, policy, head or
    // theorem list starts a new folder (the old one stays); a code fix resumes
    run: (ctx) => runSearchStage(ctx, run, def, cfg, dataKey(run, spec)),
  };
  return spec;
}

/** The stage's theorem list: the contrastive pool, or the ingested miniF2F statements of the split. */
export function searchTasks(run: Run, def: SearchStageDef): SearchTask[] {
  const t = readTable(run.paths.abs(run.paths.data.theorems), THEOREMS).columns;
  const byName = new Map<string, number>();
  for (let i = 0; i < t.name.length; i++) byName.set(t.name[i]!, i);
  const all = Array.from({ length: t.name.length }, (_, i) => i);
  const task = (i: number): SearchTask => ({ name: t.name[i]!, header: t.header[i]!, statement: t.statement[i]! });
  if (def.kind === "pool") {
    const pool = readJson<PoolDocument>(run.paths.abs(run.paths.data.traced.contrastive_pool));
    return pool.theorems.map((p) => {
      const i = byName.get(p.name);
      if (i === undefined) throw new Error(`${run.paths.data.traced.contrastive_pool}: theorem '${p.name}' is not in ${run.paths.data.theorems}`);
      return task(i);
    });
  }
  const split = run.config.recipes.search.recipe.minif2f_split;
  const rows = all.filter((i) => t.source[i] === "minif2f" && t.split[i] === split).sort((a, b) => (t.name[a]! < t.name[b]! ? -1 : 1));
  if (rows.length === 0) {
    const any = all.filter((i) => t.source[i] === "minif2f");
    throw new Error(`${run.paths.data.theorems} has no miniF2F theorem of split '${split}' (${any.length} miniF2F rows in other splits): ingest miniF2F (data/ingest) or set search.minif2f_split`);
  }
  return rows.map(task);
}

interface Services {
  readonly lean: ReplPool;
  readonly endpoint: PolicyEndpoint;
  readonly describe_lean: string;
}

function leanCommand(run: Run): { command: ReplCommandSpec; describe: string } {
  if (isDemo(run.config)) return { command: syntheticReplCommand(run.paths.abs(run.paths.demo.synthetic_world)), describe: "synthetic Lean (src/demo/synthetic, DEMO)" };
  const env = leanEnvironment();
  return { command: replCommand(env.repl_argv, { cwd: env.lean_project }), describe: `${env.repl_argv.join(" ")} in ${env.lean_project ?? "the current folder"}` };
}

async function startEndpoint(ctx: StageContext, run: Run, def: SearchStageDef, external: ExternalServers | null): Promise<PolicyEndpoint> {
  const { recipe } = run.config.recipes.search;
  const embed = run.config.recipes.embed;
  if (isDemo(run.config)) {
    const s = await spawnSyntheticPolicyServer({ world_file: ctx.abs(run.paths.demo.synthetic_world), config_file: ctx.abs(run.paths.demo.policy_server) });
    return { url: s.url, model: def.it, encode_url: s.url, encode_model: def.it, describe: `synthetic policy '${def.it}' (DEMO, on loopback)`, stop: () => s.stop() };
  }
  const serve = () =>
    startServeJob(ctx, {
      model_dir: ctx.abs(run.paths.iter(def.it).merged_model),
      served_model_name: `${run.config.run_id}-${def.it}`,
      job_dir: run.paths.job_dir(`${def.name.replace(/\//g, "-")}-serve`),
      embed_recipe: embed.recipe,
      controls: run.config.recipes.serve.controls,
      embed_max_tokens_per_batch: embed.controls.max_tokens_per_batch,
      embed_max_batch_size: embed.controls.max_batch_size,
      max_n: Math.max(def.budget.n_candidates, 16),
      max_tokens: recipe.max_tokens,
      seed: 0,
    });
  if (external?.policy_url) {
    const encoder = def.ebm !== null && !external.encode_url ? await serve() : null;
    return externalEndpoint(external, embed.recipe, def.ebm !== null, encoder);
  }
  return serve();
}

async function runSearchStage(ctx: StageContext, run: Run, def: SearchStageDef, cfg: SearchConfig, key: string, shard?: Shard): Promise<SearchStageResult> {
  const tasks = searchTasks(run, def);
  const { recipe, controls } = run.config.recipes.search;
  const services = await startServices(ctx, run, def);
  let scorerInfo: string | null = null;
  const completions = new CompletionsClient({ base_url: services.endpoint.url, model: services.endpoint.model, n: cfg.n_candidates, temperature: cfg.temperature, max_tokens: recipe.max_tokens, max_in_flight: controls.policy_max_in_flight, timeout_s: controls.http_timeout_s });
  let head: EnergyScorer | null = null;
  let embeddings: EmbeddingsClient | null = null;
  try {
    let scorer: EbmScorer | undefined;
    if (def.ebm !== null) {
      await checkEncoderRecipe(services.endpoint.encode_url, run.config.recipes.embed.recipe);
      const onnx = run.paths.ebm(def.ebm).head_onnx;
      head = await EnergyScorer.load(ctx.abs(onnx), { threads: 1 });
      embeddings = new EmbeddingsClient({ base_url: services.endpoint.encode_url, model: services.endpoint.encode_model, batch_size: 64, max_in_flight: controls.policy_max_in_flight, timeout_s: controls.http_timeout_s });
      scorer = new EbmScorer(embeddings, head);
      scorerInfo = `config ${def.ebm} head ${onnx} (d=${head.d_model}) on ${services.endpoint.encode_model} embeddings`;
    }
    ctx.log(`${tasks.length} theorems; Lean: ${services.describe_lean}; policy: ${services.endpoint.describe}${scorerInfo ? `; scorer: ${scorerInfo}` : ""}`);
    const progress = createProgress(def.name);
    const summary = await runSearches({
      tasks,
      config: cfg,
      concurrency: controls.concurrency,
      chunks_dir: join(ctx.abs(def.out.chunks_dir), key),
      chunk_size: controls.chunk_size,
      ...(shard ? { shard } : {}),
      policy: completions,
      ...(scorer ? { scorer } : {}),
      openEnv: (task) => replProofEnv(services.lean, task),
      max_consecutive_errors: controls.max_consecutive_errors,
      log: (m) => ctx.log(m),
      onProgress: (p) => {
        const t = p.elapsed_s;
        progress.onEvent({ event: "progress", t, step: p.done, total: p.total, unit: "theorems" });
        if (p.last) {
          progress.onEvent({ event: "metric", t, step: p.done, name: "proved", value: p.proved });
          progress.onEvent({ event: "metric", t, step: p.done, name: "nodes_per_s", value: p.nodes / Math.max(p.elapsed_s, 1e-3) });
        }
      },
    }).catch((e: unknown) => {
      progress.finish({ ok: false, message: e instanceof Error ? e.message : String(e) });
      throw e;
    });
    progress.finish({ ok: true });
    if (shard) return shardResult(summary.results.size, summary, services.endpoint.describe, scorerInfo);
    const results = orderedResults(tasks.map((t) => t.name), summary.results);
    const errors = results.filter((r) => r.status === "error").length;
    if (errors > controls.max_error_rate * results.length) {
      throw new Error(`${errors} of ${results.length} theorems ended in error (max_error_rate ${controls.max_error_rate}), e.g. ${results.filter((r) => r.status === "error").slice(0, 3).map((r) => `${r.theorem_name}: ${r.reason}`).join(" | ")}; their searches are run again on the next attempt`);
    }
    const run_id = `${run.config.run_id}/${def.name}`;
    ctx.writeTable(def.out.trajectories, TRAJECTORIES, trajectoryTable(results, run_id));
    ctx.writeTable(def.out.failed_tactics, FAILED_TACTICS, failedTacticTable(results, run_id));
    const s: SearchSummary = searchSummary(results, {
      config: def.ebm === null ? "llm_only" : "llm_ebm",
      benchmark: def.kind === "pool" ? "contrastive pool" : `miniF2F ${recipe.minif2f_split}${isDemo(run.config) ? " (DEMO: synthetic miniF2F-like theorems)" : ""}`,
      search: cfg,
      policy: services.endpoint.describe,
      scorer: scorerInfo,
      provenance: `best-first search (src/search) by stage ${def.name}: Lean ${services.describe_lean}; policy ${services.endpoint.describe}`,
    });
    ctx.writeJson(def.out.results, s);
    if (def.kind === "pool") {
      const ip = run.paths.iter(def.it);
      ctx.writeJsonl(ip.search.traced_proofs, tracedProofs(results));
      ctx.writeJsonl(ip.search.preference_pairs, allPreferencePairs(results));
    }
    const proved = results.filter((r) => r.status === "proved").length;
    ctx.log(`${proved}/${results.length} proved (${((100 * proved) / Math.max(results.length, 1)).toFixed(1)} %), ${errors} errors; ${summary.searched_now} searched now, ${summary.resumed} resumed from chunks, in ${summary.wall_s.toFixed(1)} s`);
    return { theorems: results.length, proved, rate: results.length ? proved / results.length : null, errors, searched_now: summary.searched_now, resumed: summary.resumed, nodes: results.reduce((n, r) => n + r.nodes_created, 0), policy: services.endpoint.describe, scorer: scorerInfo };
  } finally {
    completions.close();
    embeddings?.close();
    await head?.release();
    await services.lean.close();
    await services.endpoint.stop();
  }
}

function shardResult(n: number, s: { searched_now: number; resumed: number; results: ReadonlyMap<string, { status: string; nodes_created: number }> }, policy: string, scorer: string | null): SearchStageResult {
  const rs = [...s.results.values()];
  const proved = rs.filter((r) => r.status === "proved").length;
  return { theorems: n, proved, rate: n ? proved / n : null, errors: rs.filter((r) => r.status === "error").length, searched_now: s.searched_now, resumed: s.resumed, nodes: rs.reduce((k, r) => k + r.nodes_created, 0), policy, scorer };
}

async function startServices(ctx: StageContext, run: Run, def: SearchStageDef): Promise<Services> {
  const controls = run.config.recipes.search.controls;
  const { command, describe } = leanCommand(run);
  const external = isDemo(run.config) ? null : externalServers();
  if (!isDemo(run.config) && !external?.policy_url && !existsSync(ctx.abs(run.paths.iter(def.it).merged_model))) {
    throw new Error(`no policy: ${run.paths.iter(def.it).merged_model} does not exist (run the merge stage) and BURNQED_POLICY_URL is not set (a vLLM / SGLang server)`);
  }
  const endpoint = await startEndpoint(ctx, run, def, external);
  try {
    const lean = new ReplPool({
      command,
      ...(controls.lean_workers > 0 ? { workers: controls.lean_workers } : {}),
      mem_cap_mb: controls.mem_cap_mb,
      header_timeout_s: controls.header_timeout_s,
      request_timeout_s: Math.max(def.budget.tactic_timeout_s, def.budget.timeout_s),
    });
    return { lean, endpoint, describe_lean: describe };
  } catch (e) {
    await endpoint.stop();
    throw e;
  }
}

/**
 * One shard of a search stage, outside the stage cache (`burnqed search-shard`): searches the
 * shard's theorems into the stage's chunk folder and returns. Running the stage itself afterwards
 * (on the host holding every shard's chunk files) searches nothing that is there and merges.
 */
export async function runSearchShard(run: Run, spec: StageSpec<unknown>, def: SearchStageDef, shard: Shard): Promise<SearchStageResult> {
  return runShardContext(run, spec, (ctx) => runSearchStage(ctx, run, def, stageSearchConfig(run, def), dataKey(run, spec), shard));
}
