/**
 * Parallel, chunked, resumable tracing (plan Tasks 0.4–0.5). Theorems are ordered by a salted hash
 * of their name; the first `seed_fraction` of them form the seed batch, traced first. When the
 * seed batch is done its pairs are written at once (usable for SFT) with its report; if its failure
 * rate is above `max_seed_failure_rate` the run stops with a message saying why. Then the rest.
 *
 * Every finished theorem is appended to a chunk file (trace-chunks.ts). A new run over the same
 * folder first reaps REPL workers a killed run left behind (worker-registry.ts), then reuses every
 * outcome whose theorem text is unchanged: nothing finished is traced again, nothing is duplicated.
 * Except header_error outcomes: a header that failed (say, timed out under a header_timeout_s
 * since raised) is tried again by the next run; it costs one import per pool, not per theorem.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sha256Text } from "../artifacts/hash.js";
import { readJson, writeJson } from "../artifacts/json-file.js";
import { writeTable } from "../artifacts/arrow-table.js";
import { TACTIC_PAIRS } from "../artifacts/schemas.js";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { Source } from "../artifacts/schemas.js";
import { ReplError } from "./repl-errors.js";
import { ReplPool, type ReplPoolOptions, type ReplPoolStats } from "./repl-pool.js";
import { checkHeader, checkWholeProof } from "./proof-check.js";
import { extractPairs } from "./trace-pairs.js";
import { TraceChunkStore } from "./trace-chunks.js";
import type { TraceBatch, TraceFailure, TraceOutcome, TraceTheorem } from "./trace-outcome.js";
import { buildTracingReport, seedPairsNote, seedStopMessage, summarize, type TracingReport } from "./tracing-report.js";
import { WorkerRegistry, type ReapResult } from "./worker-registry.js";

export interface TraceOptions {
  readonly theorems: readonly TraceTheorem[];
  /** Chunks, worker registry, trace_meta.json and the seed outputs live here. */
  readonly out_dir: string;
  readonly pool: Omit<ReplPoolOptions, "registry_dir" | "request_timeout_s">;
  /** Per theorem (plan: 120 s). */
  readonly timeout_s?: number;
  /**
   * Importing a header in a worker (recipe control header_timeout_s; default 600 s). A header that
   * fails or times out is remembered by the pool: its theorems fail at once as header_error with
   * the original reason. The same as pool.header_timeout_s (give one, or both equal).
   */
  readonly header_timeout_s?: number;
  readonly chunk_size?: number;
  readonly seed_fraction?: number;
  readonly max_seed_failure_rate?: number;
  /** Attempts for a theorem whose worker crashed, went over the memory cap or broke protocol. */
  readonly max_attempts?: number;
  /** Salt of the order hash (which theorems form the seed batch). */
  readonly salt?: string;
  /** Trace only theorems whose name hash falls in shard `index` of `count` (multi-host). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Discard earlier chunks in out_dir instead of refusing when their config differs. */
  readonly restart?: boolean;
  readonly on_progress?: (p: TraceProgress) => void;
  readonly log?: (message: string) => void;
}

export interface TraceProgress {
  readonly batch: TraceBatch;
  readonly done: number;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly pairs: number;
  readonly elapsed_s: number;
}

export interface TraceResult {
  /** One per theorem, in trace order (seed first). */
  readonly outcomes: readonly TraceOutcome[];
  readonly report: TracingReport;
  /** Outcomes reused from earlier runs over the same folder. */
  readonly reused: number;
  readonly reaped: ReapResult;
  readonly pool: ReplPoolStats | null;
}

export class TraceStoppedError extends Error {
  override name = "TraceStoppedError";
  constructor(
    message: string,
    readonly report: TracingReport,
    /** The seed batch's pairs file, or null when the seed batch gave no pair (no file was written). */
    readonly seed_pairs: string | null = null,
  ) {
    super(message);
  }
}

export interface TracePaths {
  readonly chunks_dir: string;
  readonly workers_dir: string;
  readonly meta: string;
  readonly seed_pairs: string;
  readonly seed_report: string;
}

export function tracePaths(out_dir: string): TracePaths {
  return {
    chunks_dir: join(out_dir, "chunks"),
    workers_dir: join(out_dir, "workers"),
    meta: join(out_dir, "trace_meta.json"),
    seed_pairs: join(out_dir, "tactic_pairs_seed.arrow"),
    seed_report: join(out_dir, "tracing_report_seed.json"),
  };
}

const DEFAULTS = { timeout_s: 120, header_timeout_s: 600, chunk_size: 500, seed_fraction: 0.2, max_seed_failure_rate: 0.2, max_attempts: 2, salt: "burnqed-trace" };

export function theoremKey(t: Pick<TraceTheorem, "header" | "code">): string {
  return sha256Text(`${t.header}\u0000${t.code}`).slice(0, 16);
}

/** Trace order: by salted name hash; the first seed_fraction are the seed batch. */
export function planBatches(theorems: readonly TraceTheorem[], seed_fraction: number, salt: string, shard?: { index: number; count: number }): { seed: TraceTheorem[]; rest: TraceTheorem[] } {
  const names = new Set<string>();
  for (const t of theorems) {
    if (names.has(t.name)) throw new Error(`theorem '${t.name}' appears twice in the tracing input`);
    names.add(t.name);
  }
  const ranked = theorems.map((t) => ({ t, h: sha256Text(`${salt}\u0000${t.name}`) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const mine = shard ? ranked.filter((x) => parseInt(x.h.slice(0, 8), 16) % shard.count === shard.index) : ranked;
  const nSeed = seed_fraction > 0 ? Math.min(mine.length, Math.max(1, Math.round(mine.length * seed_fraction))) : 0;
  return { seed: mine.slice(0, nSeed).map((x) => x.t), rest: mine.slice(nSeed).map((x) => x.t) };
}

/** TACTIC_PAIRS columns of the ok outcomes, in the given order. */
export function pairsColumns(outcomes: readonly TraceOutcome[]): ColumnArraysOf<typeof TACTIC_PAIRS> {
  const cols = { theorem_name: [] as string[], source: [] as Source[], state_pp: [] as string[], tactic: [] as string[], depth: [] as number[], num_goals: [] as number[] };
  for (const o of outcomes) {
    if (o.status !== "ok") continue;
    for (const p of o.pairs) {
      cols.theorem_name.push(o.name);
      cols.source.push(o.source);
      cols.state_pp.push(p.state_pp);
      cols.tactic.push(p.tactic);
      cols.depth.push(p.depth);
      cols.num_goals.push(p.num_goals);
    }
  }
  return cols;
}

/**
 * Traces one theorem on the pool: one allTactics command, retried on a worker crash. A banned word
 * in the header (a helper lemma before the theorem) fails it before Lean runs.
 */
export async function traceOne(pool: ReplPool, t: TraceTheorem, batch: TraceBatch, timeout_s: number, max_attempts: number): Promise<TraceOutcome> {
  const key = theoremKey(t);
  const failed = (category: TraceFailure, detail: string, attempts: number, wall_ms: number): TraceOutcome => ({ status: "failed", name: t.name, source: t.source, batch, key, attempts, wall_ms, category, detail: detail.slice(0, 500) });
  const headerText = checkHeader({ text: t.header, lean_sorry: null });
  if (headerText.status === "rejected") return failed(headerText.reason, headerText.detail, 0, 0);
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    let r;
    try {
      r = await pool.runCommand({ header: t.header, cmd: t.code, allTactics: true, timeout_s });
    } catch (e) {
      if (!(e instanceof ReplError) || e.kind === "start_failed" || e.kind === "closed") throw e;
      const wall_ms = performance.now() - t0;
      const retry = (e.kind === "crash" || e.kind === "memory_cap" || e.kind === "protocol") && attempt < max_attempts;
      if (retry) continue;
      const category: TraceFailure = e.kind === "header_failed" ? "header_error" : e.kind;
      return failed(category, `${e.detail}${e.stderr_tail ? ` | stderr: ${e.stderr_tail.slice(-200)}` : ""}`, attempt, wall_ms);
    }
    const verdict = checkWholeProof(r.response, t.proof, { text: t.header, lean_sorry: r.header_sorry });
    if (verdict.status === "rejected") return failed(verdict.reason, verdict.detail, attempt, r.wall_ms);
    const pairs = extractPairs(r.response.tactics, t.code);
    if (pairs.length === 0) return failed("no_pairs", `${r.response.tactics.length} traced tactic(s), none with goals outside a bullet`, attempt, r.wall_ms);
    return { status: "ok", name: t.name, source: t.source, batch, key, attempts: attempt, wall_ms: r.wall_ms, pairs };
  }
}

interface TraceMeta {
  readonly repl_argv: readonly string[];
  readonly repl_cwd: string | null;
  readonly timeout_s: number;
  readonly seed_fraction: number;
  readonly salt: string;
  readonly shard: { index: number; count: number } | null;
}

function checkMeta(path: string, meta: TraceMeta, restart: boolean): void {
  if (existsSync(path) && !restart) {
    const old = readJson<TraceMeta>(path);
    const diff = (Object.keys(meta) as Array<keyof TraceMeta>).filter((k) => JSON.stringify(old[k] ?? null) !== JSON.stringify(meta[k] ?? null));
    if (diff.length) {
      throw new Error(
        `${path}: the chunks in this folder were traced with a different ${diff.join(", ")} ` +
          `(${diff.map((k) => `${k}: ${JSON.stringify(old[k])} → ${JSON.stringify(meta[k])}`).join("; ")}); ` +
          `use a new output folder, or restart to discard them`,
      );
    }
  }
  writeJson(path, meta);
}

/** header_timeout_s from the top-level option or the pool's; both given must agree. */
function headerTimeout(opts: TraceOptions): number {
  const top = opts.header_timeout_s;
  const inPool = opts.pool.header_timeout_s;
  if (top !== undefined && inPool !== undefined && top !== inPool) {
    throw new Error(`traceTheorems: header_timeout_s is ${top} but pool.header_timeout_s is ${inPool}; give one of them`);
  }
  const v = top ?? inPool ?? DEFAULTS.header_timeout_s;
  if (!(typeof v === "number" && v > 0)) throw new Error(`traceTheorems: header_timeout_s must be a positive number of seconds, got ${JSON.stringify(v)}`);
  return v;
}

export async function traceTheorems(opts: TraceOptions): Promise<TraceResult> {
  const timeout_s = opts.timeout_s ?? DEFAULTS.timeout_s;
  const header_timeout_s = headerTimeout(opts);
  const seed_fraction = opts.seed_fraction ?? DEFAULTS.seed_fraction;
  const max_rate = opts.max_seed_failure_rate ?? DEFAULTS.max_seed_failure_rate;
  const max_attempts = opts.max_attempts ?? DEFAULTS.max_attempts;
  const salt = opts.salt ?? DEFAULTS.salt;
  const log = opts.log ?? (() => undefined);
  const paths = tracePaths(opts.out_dir);
  mkdirSync(opts.out_dir, { recursive: true });

  const reaped = new WorkerRegistry(paths.workers_dir).reapOrphans();
  if (reaped.killed.length) log(`killed ${reaped.killed.length} REPL worker group(s) left by an interrupted run: ${reaped.killed.join(", ")}`);
  checkMeta(paths.meta, { repl_argv: opts.pool.command.argv, repl_cwd: opts.pool.command.cwd, timeout_s, seed_fraction, salt, shard: opts.shard ? { ...opts.shard } : null }, opts.restart === true);
  if (opts.restart) rmSync(paths.chunks_dir, { recursive: true, force: true });

  const store = new TraceChunkStore(paths.chunks_dir, opts.chunk_size ?? DEFAULTS.chunk_size);
  const earlier = store.readAll();
  if (earlier.torn_lines) log(`${earlier.torn_lines} torn chunk line(s) from an interrupted run ignored; those theorems are traced again`);
  const { seed, rest } = planBatches(opts.theorems, seed_fraction, salt, opts.shard);
  const byName = new Map<string, TraceOutcome>();
  let reused = 0;
  for (const t of [...seed, ...rest]) {
    const o = earlier.outcomes.get(t.name);
    if (o && o.key === theoremKey(t) && !(o.status === "failed" && o.category === "header_error")) {
      byName.set(t.name, o);
      reused++;
    }
  }
  if (reused) log(`resuming: ${reused} theorem(s) already traced in ${paths.chunks_dir}`);

  const t_start = performance.now();
  const todoSeed = seed.filter((t) => !byName.has(t.name));
  const todoRest = rest.filter((t) => !byName.has(t.name));
  let pool: ReplPool | null = null;
  let t_ready = t_start;
  const runInfo = () => ({
    workers: pool?.config.workers ?? null,
    timeout_s,
    header_timeout_s,
    chunk_size: store.chunk_size,
    seed_fraction,
    reused,
    wall_s: (performance.now() - t_start) / 1000,
    /** Starting the workers and importing the header in each. */
    pool_start_s: (t_ready - t_start) / 1000,
    pool: pool?.stats() ?? null,
    reaped_groups: reaped.killed.length,
  });
  const ordered = () => [...seed, ...rest].flatMap((t) => (byName.has(t.name) ? [byName.get(t.name)!] : []));
  try {
    if (todoSeed.length || todoRest.length) {
      pool = new ReplPool({ ...opts.pool, request_timeout_s: timeout_s, header_timeout_s, registry_dir: paths.workers_dir });
      try {
        await pool.start(mostCommonHeader([...todoSeed, ...todoRest]));
      } catch (e) {
        // A REPL that cannot start stops the run; a header that does not import is reported per theorem
        // (header_error), so the seed batch's failure rate says how many it concerns.
        if (!(e instanceof ReplError) || e.kind !== "header_failed") throw e;
        log(`warning: ${e.message.split("\n")[0]}`);
      }
      t_ready = performance.now();
    }
    await runBatch(pool, "seed", todoSeed, seed.length, byName, store, timeout_s, max_attempts, t_start, opts.on_progress);
    const seedOutcomes = seed.map((t) => byName.get(t.name)!);
    const seedSummary = summarize(seedOutcomes);
    // (An empty Arrow table cannot be written by src/artifacts/arrow-table.ts yet: no pairs, no file.)
    const seedPairs = seedSummary.pairs > 0 ? paths.seed_pairs : null;
    if (seedPairs !== null) writeTable(seedPairs, TACTIC_PAIRS, pairsColumns(seedOutcomes));
    else rmSync(paths.seed_pairs, { force: true }); // a file of an earlier run would not be this seed's
    const stopped = seedSummary.failure_rate !== null && seedSummary.failure_rate > max_rate;
    const seedReport = buildTracingReport(seedOutcomes, { status: stopped ? "stopped_seed_failure_rate" : "seed_complete", max_seed_failure_rate: max_rate, run: runInfo() });
    writeJson(paths.seed_report, seedReport);
    log(`seed batch: ${seedSummary.ok}/${seedSummary.theorems} traced, ${seedSummary.pairs} pairs, failure rate ${((seedSummary.failure_rate ?? 0) * 100).toFixed(1)} %; ${seedPairsNote(seedSummary, seedPairs)}`);
    if (stopped) {
      const report = buildTracingReport(ordered(), { status: "stopped_seed_failure_rate", max_seed_failure_rate: max_rate, run: runInfo() });
      throw new TraceStoppedError(seedStopMessage(seedSummary, max_rate, paths.seed_report, seedPairs), report, seedPairs);
    }
    await runBatch(pool, "rest", todoRest, rest.length, byName, store, timeout_s, max_attempts, t_start, opts.on_progress);
  } finally {
    store.close();
    await pool?.close();
  }
  const outcomes = ordered();
  const report = buildTracingReport(outcomes, { status: "complete", max_seed_failure_rate: max_rate, run: runInfo() });
  return { outcomes, report, reused, reaped, pool: pool?.stats() ?? null };
}

function mostCommonHeader(ts: readonly TraceTheorem[]): string | undefined {
  const n = new Map<string, number>();
  for (const t of ts) n.set(t.header, (n.get(t.header) ?? 0) + 1);
  let best: string | undefined;
  for (const [h, c] of n) if (best === undefined || c > n.get(best)!) best = h;
  return best;
}

async function runBatch(
  pool: ReplPool | null,
  batch: TraceBatch,
  todo: readonly TraceTheorem[],
  total: number,
  byName: Map<string, TraceOutcome>,
  store: TraceChunkStore,
  timeout_s: number,
  max_attempts: number,
  t_start: number,
  on_progress: TraceOptions["on_progress"],
): Promise<void> {
  if (todo.length === 0 || pool === null) return;
  let next = 0;
  let ok = 0;
  let failed = 0;
  let pairs = 0;
  const already = total - todo.length;
  let fatal = false;
  const worker = async () => {
    while (next < todo.length && !fatal) {
      const t = todo[next++]!;
      let o: TraceOutcome;
      try {
        o = await traceOne(pool, t, batch, timeout_s, max_attempts);
      } catch (e) {
        fatal = true; // the REPL cannot start, or the pool closed: stop taking theorems
        throw e;
      }
      store.append(o);
      byName.set(t.name, o);
      if (o.status === "ok") {
        ok++;
        pairs += o.pairs.length;
      } else failed++;
      on_progress?.({ batch, done: already + ok + failed, total, ok, failed, pairs, elapsed_s: (performance.now() - t_start) / 1000 });
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: pool.config.workers }, worker));
  const err = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (err) throw err.reason;
}
