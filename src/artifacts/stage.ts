/**
 * Stages: a unit of expensive work declared by its parameters, inputs, code and outputs (as a DVC
 * stage). Its key is the content hash of those, taken before it runs; an unchanged stage returns
 * its recorded result without running; outputs land atomically and are recorded in the manifest
 * only once all of them exist, so an interrupted stage simply runs again.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import type { AbsPath, RunRel } from "../config/run-paths.js";
import { JobError } from "../jobs/job-error.js";
import { runJob, type JobResult, type JobSpec } from "../jobs/run-job.js";
import { stageCodeFiles, type CodeDecl } from "./code-closure.js";
import { gitVersion, combinedCodeHash } from "./code-version.js";
import { canonicalJson, sha256File, sha256Text } from "./hash.js";
import { verifyArtifact, ArtifactIntegrityError, type ArtifactEntry, type ArtifactKind, type StageRecord } from "./manifest.js";
import { readNpyHeader, writeNpy, type NpyDtype } from "./npy.js";
import { writeTable } from "./arrow-table.js";
import { readJson, writeJson, writeJsonl } from "./json-file.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { ColumnsOf, TableSchema } from "./schema.js";
import type { Run } from "./run.js";

export interface OutputDecl {
  readonly path: RunRel;
  readonly kind: ArtifactKind;
}

export interface StageSpec<R> {
  /** Unique within a run ("demo/world", "iter_0/embedding-spectrum"). */
  readonly name: string;
  readonly description: string;
  /** Canonical JSON parameters: the recipe values the outputs depend on (part of the key). */
  readonly params: unknown;
  /** Run controls (timeouts, threads, workers, device): recorded, never part of the key. */
  readonly controls?: unknown;
  /** Run-relative input artifacts (their sha256 is part of the key). */
  readonly inputs: readonly RunRel[];
  /** The module that builds the stage and the Python jobs it runs: their import closures are part of the key. */
  readonly code: CodeDecl;
  readonly outputs: readonly OutputDecl[];
  run(ctx: StageContext): Promise<R> | R;
}

export interface OutputMeta {
  readonly schema?: string | null;
  readonly rows?: number | null;
}

export interface StageContext {
  readonly run: Run;
  readonly stage: string;
  abs(rel: RunRel): AbsPath;
  /** Progress/log line for this stage (stderr in a terminal; stdout in a notebook, under the cell). */
  log(message: string): void;
  writeTable<S extends TableSchema>(rel: RunRel, schema: S, cols: ColumnsOf<S>): number;
  writeNpy(rel: RunRel, dtype: NpyDtype, shape: readonly number[], data: ArrayLike<number> | BigInt64Array): void;
  writeJson(rel: RunRel, value: unknown, meta?: OutputMeta): void;
  writeJsonl(rel: RunRel, records: Iterable<unknown>): number;
  writeText(rel: RunRel, text: string, meta?: OutputMeta): void;
  /** Describe an output written by someone else (a Python job). */
  describe(rel: RunRel, meta: OutputMeta): void;
  /** Run a Python job the stage declares in `code.jobs` (an undeclared job is an error: its code would miss the key). */
  runJob(spec: JobSpec): Promise<JobResult>;
}

export type StageState = "fresh" | "stale" | "missing";

/** The `.err` file a failed stage leaves (removed when the stage next succeeds). */
export interface StageFailure {
  readonly kind: "stage_failure";
  readonly stage: string;
  readonly failed_at: string;
  readonly message: string;
  readonly params: unknown;
  readonly controls: unknown;
  /** The Python job's command line and the tail of its stderr, when a job failed. */
  readonly command: readonly string[] | null;
  readonly stderr_tail: string | null;
  readonly stderr_path: string | null;
}

export interface StageStatus {
  readonly name: string;
  readonly state: StageState;
  /** Why it is stale or missing ("params changed: seed", "input data/x.arrow changed", ...). */
  readonly reasons: readonly string[];
  readonly key: string | null;
  readonly record: StageRecord | null;
  /** The last failure, when the stage failed after its last success (its `.err` file). */
  readonly failure: { readonly path: RunRel; readonly at: string; readonly message: string } | null;
}

export interface StageOutcome<R> {
  readonly name: string;
  readonly status: "ran" | "cached";
  readonly result: R;
  readonly wall_s: number;
  readonly outputs: readonly ArtifactEntry[];
  /** Why it ran (empty for cached). */
  readonly reasons: readonly string[];
}

export class StageError extends Error {
  override name = "StageError";
  constructor(readonly stage: string, message: string, options?: { cause?: unknown }) {
    super(`stage '${stage}': ${message}`, options);
  }
}

interface KeyParts {
  readonly key: string;
  readonly params_hash: string;
  readonly input_hashes: Record<string, string>;
  readonly code_files: Record<string, string>;
  readonly code_hash: string;
}

/** An input's sha256: the manifest's (checked against the file unless `verify` is false), else the file's. */
function inputHash(run: Run, rel: RunRel, stage: string, verify = true): string {
  const entry = run.manifest().artifacts[rel];
  if (entry) {
    if (!verify) return entry.sha256;
    try {
      verifyArtifact(run.paths.root, entry);
    } catch (e) {
      if (e instanceof ArtifactIntegrityError) throw new StageError(stage, `input ${e.message}; re-run stage '${entry.stage}'`, { cause: e });
      throw e;
    }
    return entry.sha256;
  }
  const abs = run.paths.abs(rel);
  if (!existsSync(abs)) throw new StageError(stage, `input ${rel} does not exist and no stage of run '${run.config.run_id}' has produced it`);
  return sha256File(abs);
}

/**
 * What a stage's outputs depend on, its code excluded: its params and its inputs' hashes. For
 * resumable work that must not resume across another recipe or input, yet should survive a code
 * fix (search chunks).
 */
export function dataKey(run: Run, spec: StageSpec<unknown>): string {
  // the runner verified the inputs just before run(): no second verification and no code hash
  return sha256Text(canonicalJson(dataParts(run, spec, false))).slice(0, 16);
}

function dataParts(run: Run, spec: StageSpec<unknown>, verify: boolean): { params_hash: string; input_hashes: Record<string, string> } {
  const params_hash = sha256Text(canonicalJson(spec.params ?? null));
  const input_hashes: Record<string, string> = {};
  for (const rel of spec.inputs) input_hashes[rel] = inputHash(run, rel, spec.name, verify);
  return { params_hash, input_hashes };
}

export function stageKey(run: Run, spec: StageSpec<unknown>): KeyParts {
  const { params_hash, input_hashes } = dataParts(run, spec, true);
  const code_files = stageCodeFiles(spec.code);
  const code_hash = combinedCodeHash(code_files);
  const key = sha256Text(canonicalJson({ name: spec.name, params_hash, input_hashes, code_hash }));
  return { key, params_hash, input_hashes, code_files, code_hash };
}

/** A job is declared by its name (burnqed.<job>) or, when it runs another module, by that module under burnqed. (`joint.train`). */
function declaresJob(declared: ReadonlySet<string>, job: JobSpec): boolean {
  return job.module !== undefined ? declared.has(job.module.replace(/^burnqed\./, "")) : declared.has(job.job);
}

function errorFile(run: Run, spec: StageSpec<unknown>): RunRel {
  return run.paths.stage_error(spec.name, spec.outputs[0]?.path);
}

function lastFailure(run: Run, spec: StageSpec<unknown>): StageStatus["failure"] {
  const path = errorFile(run, spec);
  if (!existsSync(run.paths.abs(path))) return null;
  try {
    const f = readJson<StageFailure>(run.paths.abs(path));
    return { path, at: f.failed_at, message: f.message.split("\n")[0]!.slice(0, 300) };
  } catch {
    return { path, at: "?", message: "unreadable error file" };
  }
}

/** Fresh, stale (with reasons) or missing — without running anything. */
export function stageStatus(run: Run, spec: StageSpec<unknown>): StageStatus {
  const m = run.manifest();
  const record = m.stages[spec.name] ?? null;
  const failure = lastFailure(run, spec);
  let parts: KeyParts;
  try {
    parts = stageKey(run, spec);
  } catch (e) {
    const reason = e instanceof StageError ? e.message.replace(`stage '${spec.name}': `, "") : (e as Error).message;
    return { name: spec.name, state: record ? "stale" : "missing", reasons: [reason], key: null, record, failure };
  }
  if (!record) return { name: spec.name, state: "missing", reasons: ["never ran"], key: parts.key, record, failure };
  const reasons = staleReasons(run, spec, record, parts);
  return { name: spec.name, state: reasons.length ? "stale" : "fresh", reasons, key: parts.key, record, failure };
}

function staleReasons(run: Run, spec: StageSpec<unknown>, record: StageRecord, parts: KeyParts): string[] {
  const reasons: string[] = [];
  if (record.params_hash !== parts.params_hash) reasons.push(`params changed: ${diffParams(record.params, spec.params)}`);
  for (const [rel, h] of Object.entries(parts.input_hashes)) {
    const old = record.input_hashes[rel];
    if (old === undefined) reasons.push(`new input ${rel}`);
    else if (old !== h) reasons.push(`input ${rel} changed`);
  }
  for (const rel of Object.keys(record.input_hashes)) if (!(rel in parts.input_hashes)) reasons.push(`input ${rel} no longer used`);
  if (record.code_hash !== parts.code_hash) {
    const changed = Object.keys({ ...record.code_files, ...parts.code_files }).filter((f) => record.code_files[f] !== parts.code_files[f]);
    reasons.push(`code changed: ${changed.slice(0, 5).join(", ")}${changed.length > 5 ? ` (+${changed.length - 5} more)` : ""}`);
  }
  const m = run.manifest();
  for (const out of spec.outputs) {
    const entry = m.artifacts[out.path];
    if (!entry || entry.stage !== spec.name) {
      reasons.push(`output ${out.path} not recorded`);
      continue;
    }
    try {
      verifyArtifact(run.paths.root, entry);
    } catch (e) {
      if (e instanceof ArtifactIntegrityError) reasons.push(`output ${out.path} ${e.problem}`);
      else throw e;
    }
  }
  return reasons;
}

/** The changed keys, as dotted paths into nested objects ("recipe.lr 0.001 → 0.0001"). */
function diffParams(a: unknown, b: unknown): string {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    if (obj(x) && obj(y)) {
      for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        if (canonicalJson(x[k] ?? null) !== canonicalJson(y[k] ?? null)) walk(x[k], y[k], path ? `${path}.${k}` : k);
      }
      return;
    }
    out.push(`${path || "params"} ${short(x)} → ${short(y)}`);
  };
  walk(a, b, "");
  return out.slice(0, 4).join("; ") + (out.length > 4 ? ` (+${out.length - 4} more)` : "");
}

function short(v: unknown): string {
  const s = v === undefined ? "(unset)" : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

/**
 * Runs `fn` with a context of `spec` that records nothing: for work that feeds a stage without
 * being it (one `--shard i/n` of a search writes only the stage's chunk files). Writing a declared
 * output from here is an error: outputs come from the stage itself.
 */
export async function runShardContext<R>(run: Run, spec: StageSpec<unknown>, fn: (ctx: StageContext) => Promise<R>): Promise<R> {
  const declaredJobs = new Set(spec.code.jobs ?? []);
  const refuse = (rel: RunRel): never => {
    throw new StageError(spec.name, `a shard run writes only chunk files, not ${rel} (run the stage itself to merge)`);
  };
  const ctx: StageContext = {
    run,
    stage: spec.name,
    abs: (rel) => run.paths.abs(rel),
    log: (message) => process.stderr.write(`[burnqed] ${spec.name}: ${message}\n`),
    writeTable: (rel) => refuse(rel),
    writeNpy: (rel) => refuse(rel),
    writeJson: (rel) => refuse(rel),
    writeJsonl: (rel) => refuse(rel),
    writeText: (rel) => refuse(rel),
    describe: () => undefined,
    runJob: (job) => {
      if (!declaresJob(declaredJobs, job)) throw new StageError(spec.name, `runs Python job '${job.job}' but does not declare it in code.jobs`);
      return runJob(job);
    },
  };
  return fn(ctx);
}

export interface RunStageOptions {
  readonly force?: boolean;
  readonly quiet?: boolean;
}

/** Run a stage unless it is fresh. */
export async function runStage<R>(run: Run, spec: StageSpec<R>, opts: RunStageOptions = {}): Promise<StageOutcome<R>> {
  const force = opts.force === true || run.config.force.includes(spec.name) || run.config.force.includes("all");
  const say = (msg: string) => {
    // in a notebook, stdout: Jupyter paints stderr red, and a stage's progress is not an error
    if (!opts.quiet) (process.env["BURNQED_DISPLAY"] === "notebook" ? process.stdout : process.stderr).write(`[burnqed] ${msg}\n`);
  };
  const status = stageStatus(run, spec);
  if (status.state === "fresh" && status.record && !force) {
    const m = run.manifest();
    const outputs = spec.outputs.map((o) => m.artifacts[o.path]!);
    say(`${spec.name}: fresh, not run (recorded ${status.record.finished_at}, took ${status.record.wall_s.toFixed(2)} s)`);
    run.logStage({ stage: spec.name, status: "cached" });
    return { name: spec.name, status: "cached", result: status.record.result as R, wall_s: 0, outputs, reasons: [] };
  }
  const reasons = force ? ["forced"] : status.reasons;
  if (run.readonly) throw new StageError(spec.name, `would run (${reasons.join("; ")}), but run '${run.config.run_id}' is an archive and read-only (${run.paths.root})`);
  say(`${spec.name}: running (${reasons.join("; ")})`);
  run.logStage({ stage: spec.name, status: "running" });
  const parts = stageKey(run, spec);
  const meta = new Map<string, OutputMeta>();
  const t0 = performance.now();
  const declaredJobs = new Set(spec.code.jobs ?? []);
  const ctx: StageContext = {
    run,
    stage: spec.name,
    abs: (rel) => run.paths.abs(rel),
    runJob: (job) => {
      if (!declaresJob(declaredJobs, job)) throw new StageError(spec.name, `runs Python job '${job.job}' but does not declare it in code.jobs (its code would miss the cache key)`);
      return runJob(job);
    },
    log: (message) => say(`${spec.name}: ${message}`),
    writeTable: (rel, schema, cols) => {
      const rows = writeTable(run.paths.abs(rel), schema, cols);
      meta.set(rel, { schema: schema.name, rows });
      return rows;
    },
    writeNpy: (rel, dtype, shape, data) => {
      writeNpy(run.paths.abs(rel), dtype, shape, data);
      meta.set(rel, { schema: `${dtype}[${shape.join(",")}]`, rows: shape[0] ?? 1 });
    },
    writeJson: (rel, value, m) => {
      writeJson(run.paths.abs(rel), value);
      meta.set(rel, m ?? { schema: schemaOfJson(value) });
    },
    writeJsonl: (rel, records) => {
      const n = writeJsonl(run.paths.abs(rel), records);
      meta.set(rel, { rows: n });
      return n;
    },
    writeText: (rel, text, m) => {
      writeFileAtomic(run.paths.abs(rel), text);
      meta.set(rel, m ?? {});
    },
    describe: (rel, m) => meta.set(rel, m),
  };
  let result: R;
  const errPath = errorFile(run, spec);
  try {
    result = await spec.run(ctx);
  } catch (e) {
    const failure = stageFailure(spec, e);
    writeJson(run.paths.abs(errPath), failure);
    run.logStage({ stage: spec.name, status: "failed", error: failure.message.split("\n")[0]!.slice(0, 300), error_file: errPath });
    if (e instanceof StageError) throw e;
    throw new StageError(spec.name, `${(e as Error).message}\n(details: ${run.paths.abs(errPath)})`, { cause: e });
  }
  const wall_s = (performance.now() - t0) / 1000;
  const git = gitVersion();
  const now = new Date().toISOString();
  const entries: ArtifactEntry[] = [];
  for (const out of spec.outputs) {
    const abs = run.paths.abs(out.path);
    if (!existsSync(abs)) throw new StageError(spec.name, `finished without writing its declared output ${out.path}`);
    const st = statSync(abs);
    const m = meta.get(out.path) ?? {};
    let schema = m.schema ?? null;
    let rows = m.rows ?? null;
    if (out.kind === "npy" && schema === null) {
      const h = readNpyHeader(abs);
      schema = `${h.dtype}[${h.shape.join(",")}]`;
      rows = h.n_rows;
    }
    entries.push({
      path: out.path,
      kind: out.kind,
      schema,
      rows,
      bytes: st.size,
      sha256: sha256File(abs),
      mtime_ms: st.mtimeMs,
      stage: spec.name,
      params_hash: parts.params_hash,
      input_hashes: parts.input_hashes,
      code: { ...git, code_hash: parts.code_hash },
      wall_s,
      created_at: now,
    });
  }
  const record: StageRecord = {
    name: spec.name,
    key: parts.key,
    params: spec.params ?? null,
    controls: spec.controls ?? null,
    params_hash: parts.params_hash,
    input_hashes: parts.input_hashes,
    code_files: parts.code_files,
    code_hash: parts.code_hash,
    git,
    outputs: spec.outputs.map((o) => o.path),
    result: result ?? null,
    wall_s,
    finished_at: now,
  };
  run.update((m) => ({
    ...m,
    artifacts: { ...m.artifacts, ...Object.fromEntries(entries.map((e) => [e.path, e])) },
    stages: { ...m.stages, [spec.name]: record },
  }));
  run.logStage({ stage: spec.name, status: "ran", wall_s });
  rmSync(run.paths.abs(errPath), { force: true });
  say(`${spec.name}: done in ${wall_s.toFixed(2)} s`);
  return { name: spec.name, status: "ran", result, wall_s, outputs: entries, reasons };
}

function schemaOfJson(v: unknown): string | null {
  if (v && typeof v === "object" && "kind" in v && typeof (v as { kind: unknown }).kind === "string") return (v as { kind: string }).kind;
  return null;
}

function stageFailure(spec: StageSpec<unknown>, e: unknown): StageFailure {
  const job = findJobError(e);
  return {
    kind: "stage_failure",
    stage: spec.name,
    failed_at: new Date().toISOString(),
    message: e instanceof Error ? e.message : String(e),
    params: spec.params ?? null,
    controls: spec.controls ?? null,
    command: job ? [...job.command] : null,
    stderr_tail: job ? job.stderr_tail : null,
    stderr_path: job ? job.stderr_path : null,
  };
}

function findJobError(e: unknown): JobError | null {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) if (x instanceof JobError) return x;
  return null;
}
