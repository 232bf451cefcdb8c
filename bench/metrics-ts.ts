/**
 * The TypeScript metrics suite on files, as bench/metrics-suite.ts times it: embedding metrics
 * (plan Task 2.2) and EBM metrics (Task 2.5), writing one JSON with values and timings.
 *
 *   node --import tsx bench/metrics-ts.ts --table T.jsonl --vectors V.npy --energies E.npy --out F.json
 */
import { writeFileSync } from "node:fs";
import { readMetricsTable } from "../src/artifacts/metrics-table-file.js";
import { npyVectorSource, readRowScores } from "../src/artifacts/npy-vectors.js";
import { ebmMetrics, embeddingMetrics } from "../src/metrics/index.js";

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`missing --${name}`);
  return v;
}

const t0 = performance.now();
const table = readMetricsTable(arg("table"));
const tTable = (performance.now() - t0) / 1000;
const emb = await embeddingMetrics({ table, vectors: npyVectorSource(arg("vectors")), params: { seed: 0 }, log: (m) => process.stderr.write(`[ts] ${m}\n`) });
const t1 = performance.now();
const ebm = ebmMetrics({ table, energies: readRowScores(arg("energies")) });
const tEbm = (performance.now() - t1) / 1000;
const total = (performance.now() - t0) / 1000;
writeFileSync(
  arg("out"),
  JSON.stringify({ embedding: emb.file.values, not_computed: emb.file.not_computed, ebm: ebm.values, details: { ...emb.file.details, timings_s: emb.timings_s }, timings_s: { table: tTable, ebm: tEbm, total }, max_rss_mb: process.resourceUsage().maxRSS / 1024 }, null, 1),
);
