/**
 * Barnes–Hut t-SNE to 2-D by scikit-learn (`python -m burnqed.tsne`), as the projection function
 * the plot code takes. The points go to the job as a .npy in its folder and come back as (n, 2).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { readNpy, writeNpy } from "../artifacts/npy.js";
import { runJob, type JobResult, type JobSpec } from "./run-job.js";

export interface TsneJobOptions {
  readonly job_dir: string;
  readonly perplexity: number;
  readonly max_iter: number;
  readonly timeout_s: number;
  /** How to run the job (a stage passes ctx.runJob); default runJob. */
  readonly run?: (spec: JobSpec) => Promise<JobResult>;
}

export function tsneJob(o: TsneJobOptions): (points: Float32Array, n: number, k: number, seed: number) => Promise<Float32Array> {
  return async (points, n, k, seed) => {
    mkdirSync(o.job_dir, { recursive: true });
    const input = join(o.job_dir, "points.npy");
    const output = join(o.job_dir, "tsne.npy");
    writeNpy(input, "float32", [n, k], points);
    await (o.run ?? runJob)({
      job: "tsne",
      job_dir: o.job_dir,
      config: { points: input, out: output, seed, perplexity: o.perplexity, max_iter: o.max_iter },
      python_modules: ["numpy", "sklearn"],
      timeout_s: o.timeout_s,
      display: "none",
    });
    const res = readNpy(output);
    if (res.shape[0] !== n || res.shape[1] !== 2) throw new Error(`${output}: expected shape (${n}, 2), got (${res.shape.join(", ")})`);
    return Float32Array.from(res.data as Float32Array);
  };
}
