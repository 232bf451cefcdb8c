/**
 * Phase 0 stages with their real-profile implementations (plan Tasks 0.1, 0.3–0.6): dataset ingest
 * into the theorems table, tracing through the REPL pool, the Lean version audit and the
 * contrastive pool selection. In the demo profile `data/ingest` and `data/trace` stay the DEMO
 * stand-ins of phase0-data.ts; the audit and the pool are real computations in both profiles.
 *
 * Real-profile settings come from the builder's params, else from the environment:
 *   BURNQED_DATASETS      "format=path,format=path" (default: the catalog folders present in the run)
 *   BURNQED_REPL          REPL command (default "lake env repl")
 *   BURNQED_LEAN_PROJECT  folder the REPL runs in (lean-toolchain, lake-manifest.json)
 *   BURNQED_TRACE_WORKERS, BURNQED_TRACE_TIMEOUT_S, BURNQED_MEM_CAP_MB, BURNQED_MAX_SEED_FAILURE_RATE
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { readTable } from "../artifacts/arrow-table.js";
import { canonicalJson, sha256Text } from "../artifacts/hash.js";
import { writeJson } from "../artifacts/json-file.js";
import { CONTRASTIVE_THEOREMS, TACTIC_PAIRS, THEOREMS } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { RunPaths } from "../config/run-paths.js";
import { DATASET_CATALOG, DATASET_FORMATS, catalogPins, type DatasetFormat } from "../data/dataset-catalog.js";
import { listFiles } from "../data/dataset-files.js";
import { formatInventory, ingestDatasets, ingestReport, type DatasetInput } from "../data/ingest-datasets.js";
import { poolDocument, selectContrastivePool, DEFAULT_POOL, type PoolParams } from "../data/select-contrastive-pool.js";
import { theoremCode, theoremColumns, theoremRowsOf } from "../data/theorem-row.js";
import type { ContrastiveRow } from "../data/data-stats.js";
import { defaultWorkerCount, replCommand } from "../lean/repl-command.js";
import { traceTheorems, tracePaths, pairsColumns, TraceStoppedError } from "../lean/trace-theorems.js";
import type { TraceTheorem } from "../lean/trace-outcome.js";
import { auditVersions, formatAuditTable, readLeanProject } from "../lean/version-audit.js";
import { ingestStage as demoIngestStage, traceStage as demoTraceStage } from "./phase0-data.js";
import { NotAvailableError, type StandInResult } from "./stand-in.js";

/** Run-relative paths of the Phase 0 artifacts that run-paths.ts does not name. */
export function phase0Paths(p: RunPaths) {
  const traced = p.data.traced.dir;
  return {
    ingest_report: "data/ingest_report.json",
    quarantine: "data/quarantine.jsonl",
    version_audit: "data/version_audit.json",
    /** Chunks, worker registry and seed outputs of one tracing configuration live in trace/<key>/. */
    trace_root: `${traced}/trace`,
    trace_dir: (key: string) => `${traced}/trace/${key}`,
    contrastive_pool: `${traced}/contrastive_pool.json`,
  };
}

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

function parseDatasetsEnv(value: string, run: Run): DatasetInput[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const eq = item.indexOf("=");
      const format = item.slice(0, eq) as DatasetFormat;
      if (eq < 0 || !DATASET_FORMATS.includes(format)) throw new Error(`BURNQED_DATASETS: '${item}' is not format=path (formats: ${DATASET_FORMATS.join(", ")})`);
      const p = item.slice(eq + 1);
      return { format, path: isAbsolute(p) ? p : resolve(run.paths.root, p) };
    });
}

/** The datasets a real run ingests: given, from BURNQED_DATASETS, or the catalog folders present. */
export function realIngestParams(run: Run, datasets?: readonly DatasetInput[]): IngestParams {
  const env = process.env["BURNQED_DATASETS"];
  const chosen =
    datasets ?? (env ? parseDatasetsEnv(env, run) : DATASET_CATALOG.filter((c) => existsSync(run.paths.abs(c.run_dir))).map((c) => ({ format: c.format, path: run.paths.abs(c.run_dir) })));
  return { datasets: chosen.map((d) => ({ ...d, fingerprint: existsSync(d.path) ? fingerprint(d.path) : "missing" })) };
}

export function realIngestStage(run: Run, params: IngestParams = realIngestParams(run)): StageSpec<IngestResult> {
  const paths = phase0Paths(run.paths);
  return {
    name: "data/ingest",
    description: "dataset ingest (Goedel workbook proofs, Lean Workbook, NuminaMath-LEAN, miniF2F) into the theorems table",
    params,
    inputs: [],
    code: ["src/stages/phase0-real.ts", "src/data", "src/lean/lean-comments.ts"],
    outputs: [
      { path: run.paths.data.theorems, kind: "table" },
      { path: paths.ingest_report, kind: "json" },
      { path: paths.quarantine, kind: "jsonl" },
    ],
    run(ctx) {
      if (params.datasets.length === 0) {
        const dirs = DATASET_CATALOG.map((c) => c.run_dir).join(", ");
        throw new NotAvailableError(`data/ingest: no dataset found under ${run.paths.root} (${dirs}); download them first ('burnqed data download --run ${run.config.run_id}' prints the commands) or set BURNQED_DATASETS=format=path,...`);
      }
      const missing = params.datasets.filter((d) => d.fingerprint === "missing");
      if (missing.length) throw new Error(`data/ingest: dataset path(s) do not exist: ${missing.map((d) => d.path).join(", ")}`);
      const r = ingestDatasets(params.datasets.map(({ fingerprint: _f, ...d }) => d));
      ctx.writeTable(run.paths.data.theorems, THEOREMS, theoremColumns(r.rows));
      ctx.writeJson(paths.ingest_report, ingestReport(r));
      ctx.writeJsonl(paths.quarantine, r.quarantine);
      const inventory = formatInventory(r.datasets);
      ctx.log(`\n${inventory}`);
      if (r.quarantine.length) ctx.log(`${r.quarantine.length} row(s) quarantined (reasons in ${paths.ingest_report}, rows in ${paths.quarantine})`);
      return { theorems: r.rows.length, with_proofs: r.rows.filter((x) => x.proof !== null).length, quarantined: r.quarantine.length, datasets: r.datasets.length, inventory };
    },
  };
}

/** `data/ingest`: the DEMO stand-in in the demo profile, the real ingest otherwise. */
export function ingestStage(run: Run): StageSpec<StandInResult | IngestResult> {
  return run.config.profile === "demo" ? demoIngestStage(run) : realIngestStage(run);
}

// ---------------------------------------------------------------- trace

export interface TraceParams {
  readonly repl_argv: readonly string[];
  readonly lean_project: string | null;
  readonly workers: number;
  readonly timeout_s: number;
  readonly chunk_size: number;
  readonly seed_fraction: number;
  readonly max_seed_failure_rate: number;
  readonly mem_cap_mb: number | null;
  readonly max_uses: number;
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

const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
};

export function realTraceParams(overrides: Partial<TraceParams> = {}): TraceParams {
  const cap = process.env["BURNQED_MEM_CAP_MB"];
  return {
    repl_argv: overrides.repl_argv ?? replCommand(process.env["BURNQED_REPL"] ?? "lake env repl").argv,
    lean_project: overrides.lean_project ?? process.env["BURNQED_LEAN_PROJECT"] ?? null,
    workers: overrides.workers ?? num("BURNQED_TRACE_WORKERS", defaultWorkerCount()),
    timeout_s: overrides.timeout_s ?? num("BURNQED_TRACE_TIMEOUT_S", 120),
    chunk_size: overrides.chunk_size ?? 500,
    seed_fraction: overrides.seed_fraction ?? 0.2,
    max_seed_failure_rate: overrides.max_seed_failure_rate ?? num("BURNQED_MAX_SEED_FAILURE_RATE", 0.2),
    mem_cap_mb: overrides.mem_cap_mb !== undefined ? overrides.mem_cap_mb : cap ? Number(cap) : null,
    max_uses: overrides.max_uses ?? 500,
  };
}

/** Key of the trace folder: what changes results (not workers or memory), so a resume finds its chunks. */
export function traceKey(p: TraceParams): string {
  return sha256Text(canonicalJson({ repl: p.repl_argv, project: p.lean_project, timeout_s: p.timeout_s, seed_fraction: p.seed_fraction })).slice(0, 12);
}

export function traceTheoremsOf(rows: ReturnType<typeof theoremRowsOf>): TraceTheorem[] {
  return rows.filter((r) => r.proof !== null).map((r) => ({ name: r.name, source: r.source, header: r.header, code: theoremCode(r), proof: r.proof! }));
}

export function realTraceStage(run: Run, params: TraceParams = realTraceParams()): StageSpec<TraceStageResult> {
  const t = run.paths.data.traced;
  const dir = phase0Paths(run.paths).trace_dir(traceKey(params));
  return {
    name: "data/trace",
    description: "tracing accepted proofs into (state, tactic) pairs through the REPL pool (seed batch first)",
    params,
    inputs: [run.paths.data.theorems],
    code: ["src/stages/phase0-real.ts", "src/lean", "src/data/theorem-row.ts"],
    outputs: [
      { path: t.tactic_pairs, kind: "table" },
      { path: t.tracing_report, kind: "json" },
    ],
    async run(ctx) {
      const rows = theoremRowsOf(readTable(ctx.abs(run.paths.data.theorems), THEOREMS).columns);
      const theorems = traceTheoremsOf(rows);
      ctx.log(`${theorems.length} theorem(s) with a proof of ${rows.length}; ${params.workers} worker(s); chunks in ${dir}`);
      let last = 0;
      try {
        const r = await traceTheorems({
          theorems,
          out_dir: ctx.abs(dir),
          pool: { command: replCommand(params.repl_argv, { cwd: params.lean_project }), workers: params.workers, mem_cap_mb: params.mem_cap_mb, max_uses: params.max_uses },
          timeout_s: params.timeout_s,
          chunk_size: params.chunk_size,
          seed_fraction: params.seed_fraction,
          max_seed_failure_rate: params.max_seed_failure_rate,
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

/** `data/trace`: the DEMO stand-in in the demo profile, the real tracer otherwise. */
export function traceStage(run: Run): StageSpec<StandInResult | TraceStageResult> {
  return run.config.profile === "demo" ? demoTraceStage(run) : realTraceStage(run);
}

/** Where the seed batch's pairs and report land (usable before the remainder finishes). */
export function seedOutputs(run: Run, params: TraceParams = realTraceParams()): { pairs: string; report: string } {
  const p = tracePaths(run.paths.abs(phase0Paths(run.paths).trace_dir(traceKey(params))));
  return { pairs: p.seed_pairs, report: p.seed_report };
}

// ---------------------------------------------------------------- version audit

export interface AuditResult {
  readonly local_lean: string | null;
  readonly decisions: Record<string, string>;
  readonly table: string;
}

export function versionAuditStage(run: Run, project: string | null = process.env["BURNQED_LEAN_PROJECT"] ?? null): StageSpec<AuditResult> {
  const out = phase0Paths(run.paths).version_audit;
  const fp = project && existsSync(join(project, "lean-toolchain")) ? `${statSync(join(project, "lean-toolchain")).mtimeMs}` : "none";
  return {
    name: "lean/audit",
    description: "Lean version audit: local project vs each dataset's toolchain, with the plan's decision",
    params: { project, fingerprint: fp, pins: catalogPins() },
    inputs: [],
    code: ["src/stages/phase0-real.ts", "src/lean/version-audit.ts", "src/data/dataset-catalog.ts"],
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

// ---------------------------------------------------------------- contrastive pool

export interface PoolResult {
  readonly theorems: number;
  readonly by_tier: Record<string, number>;
}

export function contrastivePoolStage(run: Run, params: PoolParams = DEFAULT_POOL): StageSpec<PoolResult> {
  const t = run.paths.data.traced;
  const out = phase0Paths(run.paths).contrastive_pool;
  return {
    name: "data/pool",
    description: "select_contrastive_pool: deep proofs, harder sources first (the search's theorem list)",
    params,
    inputs: [t.contrastive_theorems, run.paths.data.theorems],
    code: ["src/stages/phase0-real.ts", "src/data/select-contrastive-pool.ts"],
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const c = readTable(ctx.abs(t.contrastive_theorems), CONTRASTIVE_THEOREMS).columns;
      const rows: ContrastiveRow[] = Array.from({ length: c["theorem_name"]!.length }, (_, i) => ({
        theorem_name: String(c["theorem_name"]![i]),
        source: String(c["source"]![i]),
        max_depth: Number(c["max_depth"]![i]),
        n_pairs: Number(c["n_pairs"]![i]),
        split: String(c["split"]![i]) as ContrastiveRow["split"],
      }));
      const th = theoremRowsOf(readTable(ctx.abs(run.paths.data.theorems), THEOREMS).columns);
      const statements = new Map(th.map((r) => [r.name, { header: r.header, statement: r.statement }]));
      const pool = selectContrastivePool(rows, params);
      const doc = poolDocument(pool, params, statements);
      ctx.writeJson(out, doc);
      const counts = doc["counts"] as { theorems: number; by_tier: Record<string, number> };
      return { theorems: counts.theorems, by_tier: counts.by_tier };
    },
  };
}
