/**
 * Phase 0 stages (plan Tasks 0.1, 0.3–0.6): the Lean version audit, dataset ingest into the
 * theorems table, tracing through the REPL pool, the split / SFT format / stats, and the
 * contrastive pool. In the demo profile ingest and trace are DEMO stand-ins (registry.ts); the
 * others run for real in both profiles.
 *
 * Settings come from the run's recipes (`trace.*`, `split_format.*`, `contrastive_pool.*`) and, for
 * the Lean side, from the environment (src/config/lean-environment.ts): BURNQED_DATASETS,
 * BURNQED_REPL, BURNQED_LEAN_PROJECT.
 */
import { existsSync, statSync } from "node:fs";
import { readTable } from "../artifacts/arrow-table.js";
import { canonicalJson, sha256Text } from "../artifacts/hash.js";
import { writeJson } from "../artifacts/json-file.js";
import { CONTRASTIVE_THEOREMS, TACTIC_PAIRS, THEOREMS } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { datasetInputs, leanEnvironment, type LeanEnvironment } from "../config/lean-environment.js";
import type { SplitFormatRecipe, TraceControls, TraceRecipe } from "../config/recipes.js";
import { DATASET_CATALOG, catalogPins } from "../data/dataset-catalog.js";
import { listFiles } from "../data/dataset-files.js";
import { buildDataProducts, contrastiveRowsOf, type DataStats } from "../data/data-stats.js";
import { formatInventory, ingestDatasets, ingestReport, type DatasetInput } from "../data/ingest-datasets.js";
import { poolDocument, selectContrastivePool, type PoolParams } from "../data/select-contrastive-pool.js";
import { theoremCode, theoremColumns, theoremRowsOf, type TheoremRow } from "../data/theorem-row.js";
import { defaultWorkerCount, replCommand } from "../lean/repl-command.js";
import { traceTheorems, tracePaths, pairsColumns, TraceStoppedError } from "../lean/trace-theorems.js";
import type { TraceTheorem } from "../lean/trace-outcome.js";
import { auditVersions, formatAuditTable, readLeanProject } from "../lean/version-audit.js";
import { NotAvailableError } from "./stand-in.js";

const MODULE = "src/stages/phase0.ts";

// ---------------------------------------------------------------- ingest

export interface IngestParams {
  readonly datasets: ReadonlyArray<DatasetInput & { readonly fingerprint: string }>;
}

export interface IngestResult {
  readonly theorems: number;
  readonly with_proofs: number;
  readonly quarantined: number;
  readonly datasets: number;
  readonly inventory: string;
}

/** Cheap identity of a dataset folder: every file's path, size and mtime (part of the stage key). */
function fingerprint(path: string): string {
  const files = listFiles(path, [".json", ".jsonl", ".lean", ".parquet"]);
  return sha256Text(files.map((f) => `${f}\t${statSync(f).size}\t${statSync(f).mtimeMs}`).join("\n")).slice(0, 16);
}

/** The datasets a real run ingests: given, from BURNQED_DATASETS, or the catalog folders present. */
export function realIngestParams(run: Run, datasets: readonly DatasetInput[] = datasetInputs(run)): IngestParams {
  return { datasets: datasets.map((d) => ({ ...d, fingerprint: existsSync(d.path) ? fingerprint(d.path) : "missing" })) };
}

export function realIngestStage(run: Run, params: IngestParams = realIngestParams(run)): StageSpec<IngestResult> {
  const d = run.paths.data;
  return {
    name: "data/ingest",
    description: "dataset ingest (Goedel workbook proofs, Lean Workbook, NuminaMath-LEAN, miniF2F) into the theorems table",
    params,
    inputs: [],
    code: { module: MODULE },
    outputs: [
      { path: d.theorems, kind: "table" },
      { path: d.ingest_report, kind: "json" },
      { path: d.quarantine, kind: "jsonl" },
    ],
    run(ctx) {
      if (params.datasets.length === 0) {
        const dirs = DATASET_CATALOG.map((c) => run.paths.data.downloads[c.format]).join(", ");
        throw new NotAvailableError(`data/ingest: no dataset found under ${run.paths.root} (${dirs}); download them first ('burnqed data download --run ${run.config.run_id}' prints the commands) or set BURNQED_DATASETS=format=path,...`);
      }
      const missing = params.datasets.filter((x) => x.fingerprint === "missing");
      if (missing.length) throw new Error(`data/ingest: dataset path(s) do not exist: ${missing.map((x) => x.path).join(", ")}`);
      const r = ingestDatasets(params.datasets.map(({ fingerprint: _f, ...x }) => x));
      ctx.writeTable(d.theorems, THEOREMS, theoremColumns(r.rows));
      ctx.writeJson(d.ingest_report, ingestReport(r));
      ctx.writeJsonl(d.quarantine, r.quarantine);
      const inventory = formatInventory(r.datasets);
      ctx.log(`\n${inventory}`);
      if (r.quarantine.length) ctx.log(`${r.quarantine.length} row(s) quarantined (reasons in ${d.ingest_report}, rows in ${d.quarantine})`);
      return { theorems: r.rows.length, with_proofs: r.rows.filter((x) => x.proof !== null).length, quarantined: r.quarantine.length, datasets: r.datasets.length, inventory };
    },
  };
}

// ---------------------------------------------------------------- trace

export interface TraceParams {
  readonly lean: LeanEnvironment;
  readonly recipe: TraceRecipe;
}

export interface TraceStageResult {
  readonly theorems: number;
  readonly traced_ok: number;
  readonly failed: number;
  readonly pairs: number;
  readonly seed_failure_rate: number | null;
  readonly reused: number;
  readonly trace_dir: string;
}

/** Key of the trace folder: what changes results (not workers or memory), so a resume finds its chunks. */
export function traceKey(p: TraceParams): string {
  return sha256Text(canonicalJson({ repl: p.lean.repl_argv, project: p.lean.lean_project, timeout_s: p.recipe.timeout_s, seed_fraction: p.recipe.seed_fraction })).slice(0, 12);
}

export function traceTheoremsOf(rows: readonly TheoremRow[]): TraceTheorem[] {
  return rows.flatMap((r) => (r.proof === null ? [] : [{ name: r.name, source: r.source, header: r.header, code: theoremCode(r), proof: r.proof }]));
}

export interface TraceOverrides {
  readonly lean?: Partial<LeanEnvironment>;
  readonly controls?: Partial<TraceControls>;
}

export function realTraceStage(run: Run, o: TraceOverrides = {}): StageSpec<TraceStageResult> {
  const t = run.paths.data.traced;
  const params: TraceParams = { lean: { ...leanEnvironment(), ...o.lean }, recipe: run.config.recipes.trace.recipe };
  const controls: TraceControls = { ...run.config.recipes.trace.controls, ...o.controls };
  const workers = controls.workers > 0 ? controls.workers : defaultWorkerCount();
  const dir = t.trace_dir(traceKey(params));
  return {
    name: "data/trace",
    description: "tracing accepted proofs into (state, tactic) pairs through the REPL pool (seed batch first)",
    params,
    controls: { ...controls, workers },
    inputs: [run.paths.data.theorems],
    code: { module: MODULE },
    outputs: [
      { path: t.tactic_pairs, kind: "table" },
      { path: t.tracing_report, kind: "json" },
    ],
    async run(ctx) {
      const rows = theoremRowsOf(readTable(ctx.abs(run.paths.data.theorems), THEOREMS).columns);
      const theorems = traceTheoremsOf(rows);
      ctx.log(`${theorems.length} theorem(s) with a proof of ${rows.length}; ${workers} worker(s); chunks in ${dir}`);
      let last = 0;
      try {
        const r = await traceTheorems({
          theorems,
          out_dir: ctx.abs(dir),
          pool: {
            command: replCommand(params.lean.repl_argv, { cwd: params.lean.lean_project }),
            workers,
            mem_cap_mb: controls.mem_cap_mb,
            max_uses: controls.max_uses,
            header_timeout_s: controls.header_timeout_s,
          },
          timeout_s: params.recipe.timeout_s,
          chunk_size: controls.chunk_size,
          seed_fraction: params.recipe.seed_fraction,
          max_seed_failure_rate: controls.max_seed_failure_rate,
          log: (m) => ctx.log(m),
          on_progress: (p) => {
            const now = performance.now();
            if (now - last < 5000 && p.done !== p.total) return;
            last = now;
            ctx.log(`${p.batch}: ${p.done}/${p.total} (${p.ok} ok, ${p.failed} failed, ${p.pairs} pairs) ${p.elapsed_s.toFixed(0)} s`);
          },
        });
        ctx.writeJson(t.tracing_report, r.report);
        if (!r.report.values["pairs"]) throw new Error(`data/trace: no theorem gave a pair (${r.report.values["failed"] ?? 0} failed); see ${t.tracing_report}`);
        ctx.writeTable(t.tactic_pairs, TACTIC_PAIRS, pairsColumns(r.outcomes));
        const v = r.report.values;
        return { theorems: v["theorems"] ?? 0, traced_ok: v["traced_ok"] ?? 0, failed: v["failed"] ?? 0, pairs: v["pairs"] ?? 0, seed_failure_rate: v["seed_failure_rate"] ?? null, reused: r.reused, trace_dir: dir };
      } catch (e) {
        if (e instanceof TraceStoppedError) writeJson(ctx.abs(t.tracing_report), e.report); // readable even though the stage failed
        throw e;
      }
    },
  };
}

/** Where the seed batch's pairs and report land (usable before the remainder finishes). */
export function seedOutputs(run: Run, o: TraceOverrides = {}): { pairs: string; report: string } {
  const params: TraceParams = { lean: { ...leanEnvironment(), ...o.lean }, recipe: run.config.recipes.trace.recipe };
  const p = tracePaths(run.paths.abs(run.paths.data.traced.trace_dir(traceKey(params))));
  return { pairs: p.seed_pairs, report: p.seed_report };
}

// ---------------------------------------------------------------- version audit

export interface AuditResult {
  readonly local_lean: string | null;
  readonly decisions: Record<string, string>;
  readonly table: string;
}

export function versionAuditStage(run: Run, project: string | null = leanEnvironment().lean_project): StageSpec<AuditResult> {
  const out = run.paths.data.version_audit;
  const toolchain = project ? `${project}/lean-toolchain` : null;
  const fp = toolchain && existsSync(toolchain) ? `${statSync(toolchain).mtimeMs}` : "none";
  return {
    name: "lean/audit",
    description: "Lean version audit: local project vs each dataset's toolchain, with the plan's decision",
    params: { project, fingerprint: fp, pins: catalogPins() },
    inputs: [],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const local = project ? readLeanProject(project) : null;
      const rows = auditVersions(local, catalogPins());
      const table = formatAuditTable(local, rows);
      ctx.writeJson(out, { kind: "version_audit", local, rows });
      ctx.log(`\n${table}`);
      return { local_lean: local?.lean.raw ?? null, decisions: Object.fromEntries(rows.map((r) => [r.dataset, r.decision])), table };
    },
  };
}

// ---------------------------------------------------------------- split / format / stats

export function splitFormatStage(run: Run, params: SplitFormatRecipe = run.config.recipes.split_format.recipe): StageSpec<DataStats["values"]> {
  const t = run.paths.data.traced;
  return {
    name: "data/split-format",
    description: "split by theorem (95/5, stratified by source), SFT records, contrastive pool, stats; the evaluated miniF2F split never becomes training data",
    params: { ...params, benchmark_split: run.config.recipes.search.recipe.minif2f_split },
    inputs: [t.tactic_pairs, run.paths.data.theorems],
    code: { module: MODULE },
    outputs: [
      { path: t.sft_train, kind: "jsonl" },
      { path: t.sft_val, kind: "jsonl" },
      { path: t.contrastive_theorems, kind: "table" },
      { path: t.stats, kind: "json" },
    ],
    run(ctx) {
      const pairs = readTable(ctx.abs(t.tactic_pairs), TACTIC_PAIRS);
      const th = readTable(ctx.abs(run.paths.data.theorems), THEOREMS).columns;
      const split = run.config.recipes.search.recipe.minif2f_split;
      const benchmark = new Set(Array.from(th.name).filter((_, i) => th.source[i] === "minif2f" && th.split[i] === split));
      const p = buildDataProducts(pairs.columns, params.split, params.min_depth, benchmark);
      if (p.stats.values.benchmark_pairs_excluded > 0) ctx.log(`${p.stats.values.benchmark_pairs_excluded} traced pairs of ${p.stats.values.benchmark_theorems_excluded} miniF2F ${split} theorems left out of SFT and the pool (the benchmark)`);
      ctx.writeJsonl(t.sft_train, p.sft_train);
      ctx.writeJsonl(t.sft_val, p.sft_val);
      ctx.writeTable(t.contrastive_theorems, CONTRASTIVE_THEOREMS, {
        theorem_name: p.contrastive.map((r) => r.theorem_name),
        source: p.contrastive.map((r) => r.source),
        max_depth: p.contrastive.map((r) => r.max_depth),
        n_pairs: p.contrastive.map((r) => r.n_pairs),
        split: p.contrastive.map((r) => r.split),
      });
      ctx.writeJson(t.stats, p.stats);
      return p.stats.values;
    },
  };
}

// ---------------------------------------------------------------- contrastive pool

export interface PoolResult {
  readonly theorems: number;
  readonly by_tier: Record<string, number>;
}

export function contrastivePoolStage(run: Run, params: PoolParams = run.config.recipes.contrastive_pool.recipe): StageSpec<PoolResult> {
  const t = run.paths.data.traced;
  const out = t.contrastive_pool;
  return {
    name: "data/pool",
    description: "select_contrastive_pool: deep proofs, harder sources first (the search's theorem list)",
    params,
    inputs: [t.contrastive_theorems, run.paths.data.theorems],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const c = readTable(ctx.abs(t.contrastive_theorems), CONTRASTIVE_THEOREMS).columns;
      const rows = contrastiveRowsOf(c);
      const th = theoremRowsOf(readTable(ctx.abs(run.paths.data.theorems), THEOREMS).columns);
      const statements = new Map(th.map((r) => [r.name, { header: r.header, statement: r.statement }]));
      const pool = selectContrastivePool(rows, params);
      const doc = poolDocument(pool, params, statements);
      ctx.writeJson(out, doc);
      return { theorems: doc.counts.theorems, by_tier: doc.counts.by_tier };
    },
  };
}
