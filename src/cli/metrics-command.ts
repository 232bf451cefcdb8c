/**
 * `burnqed metrics embeddings|ebm` and `burnqed plots`: the analytics on any table + vectors /
 * energies, outside a run (scripts, checking by hand). Row i of the vectors or energies file
 * belongs to row i of the table (Arrow IPC or JSON Lines with theorem_name, state_id,
 * parent_state_id, depth_from_root, label, state_pp).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import { writeJson } from "../artifacts/json-file.js";
import { writeNpy } from "../artifacts/npy.js";
import { ebmMetrics } from "../metrics/ebm-metrics.js";
import { embeddingMetrics } from "../metrics/embedding-metrics.js";
import { embeddingPlotSpecs, projectSample } from "../metrics/embedding-plots.js";
import { readMetricsTable } from "../artifacts/metrics-table-file.js";
import { readTable } from "../artifacts/arrow-table.js";
import { EMBEDDINGS_INDEX } from "../artifacts/schemas.js";
import type { MetricsTable } from "../metrics/metrics-table.js";
import { npyVectorSource, readRowScores } from "../artifacts/npy-vectors.js";
import { PLAN_RECIPES } from "../config/recipes.js";
import { tsneJob } from "../jobs/tsne-job.js";
import { renderSvg } from "../viz/render-svg.js";

export const METRICS_HELP = `burnqed metrics embeddings --table T --vectors V.npy --out embedding_metrics.json [--seed N] [--index IX.arrow]
burnqed metrics ebm --table T --energies E.npy --out ebm_metrics.json [--seed N]
burnqed plots --table T --vectors V.npy [--energies E.npy] --out-dir DIR [--seed N] [--max-points 5000]

  T: Arrow IPC or JSON Lines with theorem_name, state_id, parent_state_id, depth_from_root, label,
  state_pp (optional run_id); row i of V.npy (n × dim) / E.npy (n,) belongs to row i of T.
  IX: the embeddings index of the run (EMBEDDINGS_INDEX); its excluded rows (terminal, empty text)
  are left out as the run's metrics stage leaves them out.
`;

class UsageError extends Error {
  override name = "UsageError";
}

/** --name value pairs; every flag takes a value. Unknown flags are errors. */
function parseFlags(argv: readonly string[], allowed: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name} (allowed: ${allowed.map((f) => `--${f}`).join(", ")})`);
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

function required(flags: Map<string, string>, name: string): string {
  const v = flags.get(name);
  if (v === undefined) throw new UsageError(`missing --${name}`);
  return v;
}

function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name} must be a non-negative integer, got '${raw}'`);
  return v;
}

function say(message: string): void {
  process.stderr.write(`[burnqed] ${message}\n`);
}

/** Row exclusions from an embeddings index (EMBEDDINGS_INDEX), checked against the table row by row. */
function indexExclusions(path: string, table: MetricsTable): boolean[] {
  const ix = readTable(path, EMBEDDINGS_INDEX);
  if (ix.n_rows !== table.n_rows) throw new Error(`row-count mismatch: index ${path} has ${ix.n_rows} rows, table ${table.origin} has ${table.n_rows}`);
  return Array.from(ix.columns.excluded, (x) => x === true);
}

async function embeddingsCommand(argv: readonly string[]): Promise<void> {
  const f = parseFlags(argv, ["table", "vectors", "out", "seed", "index"]);
  const table = readMetricsTable(required(f, "table"));
  const out = required(f, "out");
  const ix = f.get("index");
  const index_excluded = ix === undefined ? undefined : indexExclusions(ix, table);
  const res = await embeddingMetrics({ table, vectors: npyVectorSource(required(f, "vectors")), ...(index_excluded ? { index_excluded } : {}), params: { seed: intFlag(f, "seed", 0) }, log: (m) => say(m) });
  writeJson(out, res.file);
  report(out, res.file.values, res.file.not_computed);
}

async function ebmCommand(argv: readonly string[]): Promise<void> {
  const f = parseFlags(argv, ["table", "energies", "out", "seed"]);
  const table = readMetricsTable(required(f, "table"));
  const energiesPath = required(f, "energies");
  const out = required(f, "out");
  const file = ebmMetrics({ table, energies: readRowScores(energiesPath), energies_origin: energiesPath, params: { seed: intFlag(f, "seed", 0) } });
  for (const n of ((file.details ?? {}) as { notes?: string[] }).notes ?? []) say(n);
  writeJson(out, file);
  report(out, file.values, file.not_computed);
}

function report(out: string, values: Readonly<Record<string, number>>, notComputed: Readonly<Record<string, string>>): void {
  const lines = [...Object.entries(values).map(([k, v]) => `  ${k.padEnd(24)} ${Number.isInteger(v) ? v : v.toPrecision(6)}`), ...Object.entries(notComputed).map(([k, why]) => `  ${k.padEnd(24)} not computed — ${why}`)];
  process.stdout.write(`wrote ${out}\n${lines.join("\n")}\n`);
}

/** `burnqed metrics <embeddings|ebm> ...`; argv excludes the word "metrics". */
export async function metricsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === "embeddings") await embeddingsCommand(rest);
    else if (sub === "ebm") await ebmCommand(rest);
    else throw new UsageError(sub === undefined ? "missing subcommand (embeddings | ebm)" : `unknown subcommand '${sub}' (embeddings | ebm)`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}

/** `burnqed plots ...`; argv excludes the word "plots". */
export async function plotsCommand(argv: string[]): Promise<number> {
  try {
    const f = parseFlags(argv, ["table", "vectors", "energies", "out-dir", "seed", "max-points"]);
    const table = readMetricsTable(required(f, "table"));
    const vectorsPath = required(f, "vectors");
    const dir = required(f, "out-dir");
    const seed = intFlag(f, "seed", 0);
    mkdirSync(dir, { recursive: true });
    const vectors = npyVectorSource(vectorsPath);
    const energiesPath = f.get("energies");
    const energies = energiesPath === undefined ? undefined : readRowScores(energiesPath);
    if (energies && energies.length !== table.n_rows) throw new Error(`row-count mismatch: table ${table.origin} has ${table.n_rows} rows, ${energiesPath} has ${energies.length} energies`);
    // the spectrum here is the top eigenvalues only (the run's spectrum stage computes all of them)
    const top_k = Math.min(64, vectors.dim);
    const parts = await embeddingMetrics({ table, vectors, parts: ["centroid", "spectrum", "siblings"], params: { seed, spectrum_top_k: top_k }, log: (m) => say(m) });
    const pr = PLAN_RECIPES.plots;
    const tsne = tsneJob({ job_dir: join(dir, ".tsne-job"), perplexity: pr.recipe.tsne_perplexity, max_iter: pr.recipe.tsne_max_iter, timeout_s: pr.controls.timeout_s });
    const projections = await projectSample(table, vectors, { max_points: intFlag(f, "max-points", pr.recipe.max_points), pca_dims: pr.recipe.pca_dims, seed, tsne, log: (m) => say(m) });
    const specs = embeddingPlotSpecs({
      title_prefix: "",
      table,
      projections,
      sibling_l2: parts.sibling_l2,
      collision_threshold: 1.0,
      centroid_by_depth: parts.centroid_by_depth,
      eigenvalues: parts.top_eigenvalues,
      spectrum_notes: [`top ${parts.top_eigenvalues.length} of ${vectors.dim} eigenvalues`],
      ...(energies ? { energies } : {}),
    });
    const written: string[] = [];
    for (const [name, spec] of Object.entries(specs)) {
      const path = join(dir, `${name}.svg`);
      writeFileAtomic(path, renderSvg(spec));
      written.push(path);
    }
    writeJson(join(dir, "plot_specs.json"), specs);
    writeNpy(join(dir, "projection_rows.npy"), "int64", [projections.sample.rows.length], projections.sample.rows);
    process.stdout.write(`wrote ${written.length} plots to ${dir}:\n${written.map((p) => `  ${p}`).join("\n")}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}

function fail(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`burnqed: ${e.message}\n\n${METRICS_HELP}`);
    return 2;
  }
  process.stderr.write(`burnqed: ${(e as Error).message}\n`);
  return 1;
}
