/**
 * Phase 2 stages (plan Tasks 2.1–2.2): embeddings and the variance spectrum (a Python job). The
 * metrics and plots are in analytics.ts.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { EMBEDDINGS_INDEX } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { runJob } from "../jobs/run-job.js";
import { standInStage, type StandInResult } from "./stand-in.js";

export function embedStage(run: Run, it: IterName): StageSpec<StandInResult> {
  const e = run.paths[it].embeddings;
  return standInStage(run, {
    name: `${it}/embed`,
    description: `state and root-goal embeddings of every ${it} trajectory row (last content token, max_length 512)`,
    needs: "a GPU and the merged model",
    outputs: [
      { path: e.states, kind: "npy" },
      { path: e.goals, kind: "npy" },
      { path: e.goal_index, kind: "npy" },
      { path: e.index, kind: "table" },
    ],
    real_status: "the embedding job is the energy-head issue, not built yet",
  });
}

export interface SpectrumParams {
  readonly chunk_rows: number;
}

export function spectrumStage(run: Run, it: IterName, params: SpectrumParams = { chunk_rows: 8192 }): StageSpec<Record<string, number>> {
  const e = run.paths[it].embeddings;
  const b = run.paths[it].baselines;
  const rowsFile = e.usable_rows;
  return {
    name: `${it}/embedding-spectrum`,
    description: "covariance eigenvalues of the usable state embeddings (Python job, streamed over row chunks)",
    params,
    inputs: [e.states, e.index],
    code: ["src/stages/phase2-embeddings.ts", "python/burnqed/embedding_spectrum.py", "python/burnqed/events.py", "python/burnqed/atomic_io.py"],
    outputs: [
      { path: rowsFile, kind: "npy" },
      { path: b.spectrum_eigenvalues, kind: "npy" },
      { path: b.spectrum_metrics, kind: "json" },
    ],
    async run(ctx) {
      // Rows the index marks excluded (terminal nodes, empty text, non-finite, all-zero) are left out.
      const index = readTable(ctx.abs(e.index), EMBEDDINGS_INDEX);
      const excluded = index.columns["excluded"]!;
      const usable: number[] = [];
      for (let i = 0; i < index.n_rows; i++) if (excluded[i] !== true) usable.push(i);
      ctx.writeNpy(rowsFile, "int64", [usable.length], usable);
      ctx.log(`${usable.length} of ${index.n_rows} rows usable (${index.n_rows - usable.length} excluded by the embeddings index)`);
      const result = await runJob({
        job: "embedding_spectrum",
        job_dir: run.paths.job_dir(`${it}-embedding-spectrum`),
        config: {
          vectors: ctx.abs(e.states),
          rows: ctx.abs(rowsFile),
          out_eigenvalues: ctx.abs(b.spectrum_eigenvalues),
          out_metrics: ctx.abs(b.spectrum_metrics),
          chunk_rows: params.chunk_rows,
        },
        python_modules: ["numpy"],
        timeout_s: 3600,
      });
      return result.metrics;
    },
  };
}
