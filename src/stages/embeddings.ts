/**
 * Phase 2 stages (plan Tasks 2.1–2.2): state and root-goal embeddings (the GPU embedding job) and
 * the variance spectrum of the embeddings (a CPU Python job). The metrics and plots are in
 * analytics.ts.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { readNpy } from "../artifacts/npy.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES } from "../artifacts/schemas.js";
import type { StageContext, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName, RunRel } from "../config/run-paths.js";
import { embeddingsIndexColumns, embeddingTexts } from "../ebm/embedding-texts.js";
import { spawnSyntheticPolicyServer } from "../demo/synthetic/synthetic-policy-server-process.js";
import { EmbeddingsClient } from "../policy/embeddings-client.js";
import { checkEncoderRecipe } from "../prover/policy-service.js";

const MODULE = "src/stages/embeddings.ts";

/**
 * The real embedding stage (plan Task 2.1): state embeddings of every trajectory row and one
 * root-goal embedding per theorem with the one recipe (python/burnqed/embed.py), the goal index
 * and the embeddings index (terminal, empty text, non-finite, all-zero rows excluded). Needs a GPU
 * Python with transformers and <run>/<it>/model/merged. Resumable: completed chunks are kept.
 */
export function embeddingJobStage(run: Run, it: IterName): StageSpec<Record<string, unknown>> {
  const ip = run.paths.iter(it);
  const emb = ip.embeddings;
  const { recipe, controls } = run.config.recipes.embed;
  const traj = ip.search_trajectories;
  return {
    name: `${it}/embed`,
    description: `state and root-goal embeddings of every ${it} trajectory row (${recipe.template}, last content token, max_length ${recipe.max_length})`,
    params: { recipe, model: ip.merged_model },
    controls,
    inputs: [traj],
    code: { module: MODULE, jobs: ["embed"] },
    outputs: [
      { path: emb.states, kind: "npy" },
      { path: emb.goals, kind: "npy" },
      { path: emb.goal_index, kind: "npy" },
      { path: emb.index, kind: "table" },
      { path: emb.state_texts, kind: "jsonl" },
      { path: emb.goal_texts, kind: "jsonl" },
      { path: emb.state_flags, kind: "npy" },
      { path: emb.goal_flags, kind: "npy" },
      { path: emb.meta, kind: "json" },
    ],
    async run(ctx) {
      const t = readTable(ctx.abs(traj), TRAJECTORIES);
      const texts = embeddingTexts(t.columns, traj);
      ctx.writeJsonl(emb.state_texts, texts.state_texts.map((text) => ({ text })));
      ctx.writeJsonl(emb.goal_texts, texts.goal_texts.map((text, g) => ({ text, theorem_name: texts.goal_theorems[g] })));
      ctx.writeNpy(emb.goal_index, "int32", [texts.goal_index.length], texts.goal_index);
      const result = await ctx.runJob({
        job: "embed",
        job_dir: run.paths.job_dir(`${it}-embed`),
        config: {
          model_dir: ctx.abs(ip.merged_model),
          sets: [
            { name: "states", texts: ctx.abs(emb.state_texts), out: ctx.abs(emb.states), flags_out: ctx.abs(emb.state_flags) },
            { name: "goals", texts: ctx.abs(emb.goal_texts), out: ctx.abs(emb.goals), flags_out: ctx.abs(emb.goal_flags) },
          ],
          meta_out: ctx.abs(emb.meta),
          work_dir: ctx.abs(emb.work_dir),
          recipe,
          max_tokens_per_batch: controls.max_tokens_per_batch,
          max_batch_size: controls.max_batch_size,
          chunk_rows: controls.chunk_rows,
        },
        python_modules: ["numpy", "torch", "transformers"],
        timeout_s: controls.timeout_s,
      });
      for (const w of result.warnings) ctx.log(`warning: ${w}`);
      const flags = (rel: typeof emb.state_flags) => Array.from(readNpy(ctx.abs(rel)).data as ArrayLike<number>, Number);
      ctx.writeTable(emb.index, EMBEDDINGS_INDEX, embeddingsIndexColumns(t.columns, texts.goal_index, flags(emb.state_flags), flags(emb.goal_flags)));
      return result.summary;
    },
  };
}

/** Where synthetic embeddings of a trajectory table go. */
export interface EmbeddingOutputPaths {
  readonly states: RunRel;
  readonly goals: RunRel;
  readonly goal_index: RunRel;
  readonly index: RunRel;
  readonly meta: RunRel;
}

/**
 * The vectors of a trajectory table from the synthetic encoder `model`'s `/v1/embeddings` (DEMO:
 * the encoder the demo's LLM+EBM searches score with, so training and search see one encoder),
 * through the project's EmbeddingsClient, with the real stage's texts, goal index and embeddings
 * index. Each distinct text is embedded once.
 */
export async function writeSyntheticEmbeddings(ctx: StageContext, run: Run, traj: RunRel, model: string, out: EmbeddingOutputPaths): Promise<Record<string, unknown>> {
  const recipe = run.config.recipes.embed.recipe;
  const t = readTable(ctx.abs(traj), TRAJECTORIES);
  const texts = embeddingTexts(t.columns, traj);
  const server = await spawnSyntheticPolicyServer({ world_file: ctx.abs(run.paths.demo.synthetic_world), config_file: ctx.abs(run.paths.demo.policy_server) });
  const client = new EmbeddingsClient({ base_url: server.url, model, batch_size: 256, max_in_flight: 4 });
  const t0 = performance.now();
  try {
    await checkEncoderRecipe(server.url, recipe);
    const distinct = [...new Set([...texts.state_texts.filter((x) => x !== ""), ...texts.goal_texts])];
    const rows = await client.embed(distinct);
    const dim = rows[0]?.length ?? 0;
    const at = new Map(distinct.map((x, i) => [x, rows[i]!]));
    const fill = (list: readonly string[]) => {
      const vectors = new Float32Array(list.length * dim);
      const flags = new Int32Array(list.length);
      list.forEach((x, i) => {
        if (x === "") flags[i] = 1;
        else vectors.set(at.get(x)!, i * dim);
      });
      return { vectors, flags };
    };
    const st = fill(texts.state_texts);
    const gl = fill(texts.goal_texts);
    ctx.writeNpy(out.states, "float32", [texts.state_texts.length, dim], st.vectors);
    ctx.writeNpy(out.goals, "float32", [texts.goal_texts.length, dim], gl.vectors);
    ctx.writeNpy(out.goal_index, "int32", [texts.goal_index.length], texts.goal_index);
    ctx.writeTable(out.index, EMBEDDINGS_INDEX, embeddingsIndexColumns(t.columns, texts.goal_index, st.flags, gl.flags));
    const meta = { kind: "embedding_meta", encoder: `synthetic '${model}' (DEMO)`, trajectories: traj, recipe, dim, states: texts.state_texts.length, goals: texts.goal_texts.length, distinct_texts: distinct.length, wall_s: (performance.now() - t0) / 1000 };
    ctx.writeJson(out.meta, meta);
    return meta;
  } finally {
    client.close();
    await server.stop();
  }
}

/** The demo's embedding stage: writeSyntheticEmbeddings with the iteration's encoder. */
export function syntheticEmbedStage(run: Run, it: IterName): StageSpec<Record<string, unknown>> {
  const emb = run.paths.iter(it).embeddings;
  const traj = run.paths.iter(it).search_trajectories;
  return {
    name: `${it}/embed`,
    description: `state and root-goal embeddings of every ${it} trajectory row from the synthetic encoder '${it}' (DEMO: stands in for the merged model's last-token states)`,
    params: { recipe: run.config.recipes.embed.recipe, encoder: `synthetic '${it}'` },
    inputs: [traj, run.paths.demo.synthetic_world, run.paths.demo.policy_server],
    code: { module: MODULE },
    outputs: [
      { path: emb.states, kind: "npy" },
      { path: emb.goals, kind: "npy" },
      { path: emb.goal_index, kind: "npy" },
      { path: emb.index, kind: "table" },
      { path: emb.meta, kind: "json" },
    ],
    run: (ctx) => writeSyntheticEmbeddings(ctx, run, traj, it, emb),
  };
}

export function spectrumStage(run: Run, it: IterName): StageSpec<Record<string, number>> {
  const e = run.paths.iter(it).embeddings;
  const b = run.paths.iter(it).baselines;
  const { recipe, controls } = run.config.recipes.spectrum;
  return {
    name: `${it}/embedding-spectrum`,
    description: "covariance eigenvalues of the usable state embeddings (Python job, streamed over row chunks)",
    params: recipe,
    controls,
    inputs: [e.states, e.index],
    code: { module: MODULE, jobs: ["embedding_spectrum"] },
    outputs: [
      { path: e.usable_rows, kind: "npy" },
      { path: b.spectrum_eigenvalues, kind: "npy" },
      { path: b.spectrum_metrics, kind: "json" },
    ],
    async run(ctx) {
      // Rows the index marks excluded (terminal nodes, empty text, non-finite, all-zero) are left out.
      const index = readTable(ctx.abs(e.index), EMBEDDINGS_INDEX);
      const usable: number[] = [];
      for (let i = 0; i < index.n_rows; i++) if (index.columns.excluded[i] !== true) usable.push(i);
      ctx.writeNpy(e.usable_rows, "int64", [usable.length], usable);
      ctx.log(`${usable.length} of ${index.n_rows} rows usable (${index.n_rows - usable.length} excluded by the embeddings index)`);
      const result = await ctx.runJob({
        job: "embedding_spectrum",
        job_dir: run.paths.job_dir(`${it}-embedding-spectrum`),
        config: {
          vectors: ctx.abs(e.states),
          rows: ctx.abs(e.usable_rows),
          out_eigenvalues: ctx.abs(b.spectrum_eigenvalues),
          out_metrics: ctx.abs(b.spectrum_metrics),
          chunk_rows: recipe.chunk_rows,
        },
        python_modules: ["numpy"],
        timeout_s: controls.timeout_s,
      });
      return result.metrics;
    },
  };
}
