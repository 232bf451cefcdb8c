/**
 * Phase 2 stages (plan Tasks 2.1–2.2): state and root-goal embeddings (the GPU embedding job) and
 * the variance spectrum of the embeddings (a CPU Python job). The metrics and plots are in
 * analytics.ts.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { readNpy } from "../artifacts/npy.js";
import { EMBEDDINGS_INDEX, TRAJECTORIES } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { embeddingsIndexColumns, embeddingTexts } from "../ebm/embedding-texts.js";

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
