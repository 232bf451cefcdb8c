/**
 * UMAP and t-SNE of 5K points with 4096-d input (plan Task 2.3 plots), as the plots stage does it:
 * a balanced seeded sample read from the bench embedding file, PCA to 50 dimensions (onnxruntime
 * Gram + subspace iteration), UMAP by umap-js in process, Barnes–Hut t-SNE by scikit-learn as a
 * Python job. Target: each under 60 s on 2 cores. Appends to bench/results/metrics-projections.md.
 *
 *   node --import tsx bench/metrics-projections.ts [--points 5000] [--data .bench-tmp/metrics-50000x4096]
 */
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { projectSample } from "../src/metrics/embedding-plots.js";
import { readMetricsTable } from "../src/artifacts/metrics-table-file.js";
import { npyVectorSource } from "../src/artifacts/npy-vectors.js";
import { tsneJob } from "../src/jobs/tsne-job.js";
import { generateBenchData } from "./metrics-data.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const points = Number(arg("points", "5000"));
const dir = arg("data", ".bench-tmp/metrics-50000x4096");
if (!existsSync(join(dir, "vectors.npy"))) await generateBenchData({ n_rows: 50000, dim: 4096, seed: 1, out_dir: dir });
const table = readMetricsTable(join(dir, "table.jsonl"));
const source = npyVectorSource(join(dir, "vectors.npy"));
const t0 = performance.now();
const tsne = tsneJob({ job_dir: resolve(dir, "tsne-job"), perplexity: 30, max_iter: 1000, timeout_s: 1800 });
const p = await projectSample(table, source, { max_points: points, pca_dims: 50, seed: 0, tsne, log: (m) => process.stderr.write(`${m}\n`) });
const total = (performance.now() - t0) / 1000;
const t = p.timings_s;
const umapTotal = (t["sample"] ?? 0) + (t["pca"] ?? 0) + (t["umap"] ?? 0);
const tsneTotal = (t["sample"] ?? 0) + (t["pca"] ?? 0) + (t["tsne"] ?? 0);
const lines = [
  `\n## ${p.sample.rows.length} points × ${source.dim}-d input — ${new Date().toISOString()}`,
  "",
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}; shared with other engineers' jobs.`,
  "",
  `- sample (read ${p.sample.rows.length} rows) ${t["sample"]?.toFixed(1)} s, PCA to ${p.pca_dims} ${t["pca"]?.toFixed(1)} s`,
  `- UMAP (umap-js) ${t["umap"]?.toFixed(1)} s → **UMAP from 4096-d input: ${umapTotal.toFixed(1)} s** (target < 60 s)`,
  `- t-SNE (scikit-learn Barnes–Hut, Python job incl. interpreter start) ${t["tsne"]?.toFixed(1)} s → **t-SNE from 4096-d input: ${tsneTotal.toFixed(1)} s** (target < 60 s)`,
  `- everything: ${total.toFixed(1)} s`,
  "",
];
console.log(lines.join("\n"));
appendFileSync("bench/results/metrics-projections.md", lines.join("\n"));
writeFileSync(join(dir, "projections.json"), JSON.stringify({ rows: Array.from(p.sample.rows), umap: Array.from(p.umap), tsne: Array.from(p.tsne) }));
