/**
 * A pool of REPL workers (design.md §5). Each worker imports a header (imports / opens /
 * set_option) once and then runs every theorem against that environment (`env` reuse). The pool
 * owns its children: one process group per worker, killed by its own id, never by name.
 *
 * - per-request timeout: the worker's group is killed, the request fails with kind "timeout";
 * - memory cap: a monitor samples each group's RSS from /proc and kills a group over the cap;
 * - recycling: a worker is replaced after `max_uses` requests (the repl keeps every environment and
 *   proof state it ever made, so its memory only grows) and after it dies for any reason;
 * - a dead worker is never handed out: liveness is checked (exit seen, or a zombie in /proc)
 *   before every request; replacements start in the background as soon as a worker is released;
 * - a header that fails to import is remembered for the pool's life and not imported again for
 *   every theorem that uses it: at once when Lean reports errors or the import runs past
 *   `header_timeout_s`; after its second crash (crash / memory cap / protocol: one retry on a
 *   fresh worker, since a crash may be the machine's fault). Its theorems then fail at once with
 *   kind header_failed and the original reason.
 */
import { ReplError } from "./repl-errors.js";
import { ReplProcess, type ReplExitReason } from "./repl-process.js";
import { SORRY_WARNING, type CommandResponse, type ReplRequest, type ReplResponse } from "./repl-protocol.js";
import { defaultMemCapMb, defaultWorkerCount, type ReplCommandSpec } from "./repl-command.js";
import { groupRssMb, processLiveness } from "./process-memory.js";
import { WorkerRegistry } from "./worker-registry.js";

export interface ReplPoolOptions {
  readonly command: ReplCommandSpec;
  /** Default min(16, 0.75 × cores). */
  readonly workers?: number;
  /** Per request (plan: 120 s per theorem). */
  readonly request_timeout_s?: number;
  /** Importing a header (Mathlib takes tens of seconds). Default 600 s. */
  readonly header_timeout_s?: number;
  /** Per worker process group; default 80 % of RAM / workers; null disables the cap. */
  readonly mem_cap_mb?: number | null;
  readonly mem_check_interval_ms?: number;
  /** Replace a worker after this many requests. */
  readonly max_uses?: number;
  /** Folder recording live workers so a later run can reap them if this process is SIGKILLed. */
  readonly registry_dir?: string | null;
  readonly parent_death_signal?: boolean;
  readonly on_event?: (e: ReplPoolEvent) => void;
}

export interface ReplPoolConfig {
  readonly command: ReplCommandSpec;
  readonly workers: number;
  readonly request_timeout_s: number;
  readonly header_timeout_s: number;
  readonly mem_cap_mb: number | null;
  readonly mem_check_interval_ms: number;
  readonly max_uses: number;
  readonly registry_dir: string | null;
  readonly parent_death_signal: boolean;
}

export type ReplPoolEvent =
  | { readonly event: "worker_started"; readonly worker_id: number; readonly pid: number }
  | { readonly event: "worker_stopped"; readonly worker_id: number; readonly pid: number; readonly reason: ReplExitReason; readonly uses: number; readonly rss_mb: number }
  | { readonly event: "header_imported"; readonly worker_id: number; readonly pid: number; readonly wall_ms: number; readonly ok: boolean };

export interface CommandResult {
  readonly response: CommandResponse;
  readonly worker_id: number;
  readonly pid: number;
  /** Request sent → response parsed. */
  readonly wall_ms: number;
  /** Lean's sorry report for the header (a helper lemma with a sorry), or null: see ReplLease. */
  readonly header_sorry: string | null;
}

/** A worker held for several requests (tactic mode: proof states live in one process). */
export interface ReplLease {
  readonly worker_id: number;
  readonly pid: number;
  /** Env id of the lease's header in this worker (null for an empty header). */
  readonly env: number | null;
  /**
   * The header imported, but Lean reported a sorry in it (`declaration uses 'sorry'` or a sorries
   * entry: a helper declaration before the theorem): what and where. Null when clean. Nothing
   * elaborated against this header can count as proved (proof-check.ts, checkHeader).
   */
  readonly header_sorry: string | null;
  request(req: ReplRequest, timeout_s?: number): Promise<ReplResponse>;
}

/** A lease held until `release()` (a theorem's whole search); see ReplPool.lease. */
export interface HeldReplLease extends ReplLease {
  /** False once released, or once its worker died (its proof states are gone with it). */
  readonly alive: boolean;
  /** Hands the worker back (a dead one is replaced in the background). Idempotent. */
  release(): void;
}

export interface ReplPoolStats {
  readonly workers: number;
  readonly requests: number;
  readonly header_imports: number;
  /** Headers remembered as failed (not imported again). */
  readonly failed_headers: number;
  readonly workers_started: number;
  /** Worker stops by reason (crash, timeout, memory_cap, recycled, ...). */
  readonly stops: Readonly<Record<string, number>>;
  /** Per worker slot: ms spent running requests (header imports included). */
  readonly busy_ms: readonly number[];
  /** Of which importing headers, all workers together. */
  readonly header_busy_ms: number;
  readonly age_ms: number;
  readonly peak_rss_mb: number;
}

interface Slot {
  readonly id: number;
  proc: ReplProcess | null;
  busy: boolean;
  replacing: Promise<void> | null;
  busy_ms: number;
}

const DEFAULTS = { request_timeout_s: 120, header_timeout_s: 600, mem_check_interval_ms: 1000, max_uses: 500 };
/** Crashes (crash / memory cap / protocol) while importing one header before it is remembered as failed. */
const HEADER_MAX_CRASHES = 2;

export function normalizePoolOptions(o: ReplPoolOptions): ReplPoolConfig {
  const workers = o.workers ?? defaultWorkerCount();
  const bad = (what: string, v: unknown): never => {
    throw new Error(`ReplPool: ${what} must be a positive number, got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(workers) || workers < 1) bad("workers", workers);
  const c: ReplPoolConfig = {
    command: o.command,
    workers,
    request_timeout_s: o.request_timeout_s ?? DEFAULTS.request_timeout_s,
    header_timeout_s: o.header_timeout_s ?? DEFAULTS.header_timeout_s,
    mem_cap_mb: o.mem_cap_mb === undefined ? defaultMemCapMb(workers) : o.mem_cap_mb,
    mem_check_interval_ms: o.mem_check_interval_ms ?? DEFAULTS.mem_check_interval_ms,
    max_uses: o.max_uses ?? DEFAULTS.max_uses,
    registry_dir: o.registry_dir ?? null,
    parent_death_signal: o.parent_death_signal ?? true,
  };
  if (!(c.request_timeout_s > 0)) bad("request_timeout_s", c.request_timeout_s);
  if (!(c.header_timeout_s > 0)) bad("header_timeout_s", c.header_timeout_s);
  if (c.mem_cap_mb !== null && !(c.mem_cap_mb > 0)) bad("mem_cap_mb", c.mem_cap_mb);
  if (!(c.mem_check_interval_ms > 0)) bad("mem_check_interval_ms", c.mem_check_interval_ms);
  if (!Number.isInteger(c.max_uses) || c.max_uses < 1) bad("max_uses", c.max_uses);
  return Object.freeze(c);
}

/**
 * Alive, not a zombie and not about to die (SIGKILL pending): a worker killed a moment ago is
 * caught before the pool sees its exit event.
 */
function processAlive(p: ReplProcess): boolean {
  if (!p.alive) return false;
  const l = processLiveness(p.pid);
  if (l !== null) return l === "alive";
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class ReplPool {
  readonly config: ReplPoolConfig;
  private readonly slots: Slot[];
  private readonly waiters: Array<() => void> = [];
  /** Header text → why it failed (remembered: never imported again by this pool). */
  private readonly failed_headers = new Map<string, string>();
  /** Header text → crashes while importing it so far (below HEADER_MAX_CRASHES). */
  private readonly header_crashes = new Map<string, number>();
  /** Header text → Lean's sorry report for it (it imported, with a sorry). */
  private readonly header_sorries = new Map<string, string>();
  private readonly registry: WorkerRegistry | null;
  private readonly monitor: NodeJS.Timeout;
  private readonly created_ms = performance.now();
  private closed = false;
  private n_requests = 0;
  private n_header_imports = 0;
  private n_started = 0;
  private header_busy_ms = 0;
  private peak_rss_mb = 0;
  private readonly stops: Record<string, number> = {};
  private readonly on_event: ((e: ReplPoolEvent) => void) | undefined;

  constructor(options: ReplPoolOptions) {
    this.config = normalizePoolOptions(options);
    this.on_event = options.on_event;
    this.registry = this.config.registry_dir ? new WorkerRegistry(this.config.registry_dir) : null;
    this.slots = Array.from({ length: this.config.workers }, (_, id) => ({ id, proc: null, busy: false, replacing: null, busy_ms: 0 }));
    this.monitor = setInterval(() => this.checkMemory(), this.config.mem_check_interval_ms);
    this.monitor.unref();
  }

  /** Starts every worker now (and imports `warm_header` in each) instead of on first use. */
  async start(warm_header?: string): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.busy = true;
        try {
          await this.ensureProcess(slot);
          if (warm_header !== undefined) await this.ensureHeader(slot, warm_header);
        } finally {
          this.release(slot);
        }
      }),
    );
  }

  /** Runs `cmd` against `header`'s environment on some worker. */
  async runCommand(req: { readonly header: string; readonly cmd: string; readonly allTactics?: boolean; readonly timeout_s?: number }): Promise<CommandResult> {
    return this.withWorker(req.header, async (lease) => {
      const t0 = performance.now();
      const r = lease.env === null ? { cmd: req.cmd, allTactics: req.allTactics ?? false } : { cmd: req.cmd, env: lease.env, allTactics: req.allTactics ?? false };
      const response = await lease.request(r, req.timeout_s);
      const wall_ms = performance.now() - t0;
      if (response.kind !== "command") {
        const slot = this.slots[lease.worker_id]!;
        void slot.proc?.kill("protocol", `expected a command response, got ${JSON.stringify(response.raw).slice(0, 200)}`);
        throw new ReplError({ kind: "protocol", worker_id: lease.worker_id, pid: lease.pid, request: req.cmd, detail: `expected a command response, got ${response.kind}: ${JSON.stringify(response.raw).slice(0, 200)}` });
      }
      return { response, worker_id: lease.worker_id, pid: lease.pid, wall_ms, header_sorry: lease.header_sorry };
    });
  }

  /** Holds one worker (with `header` imported) for the duration of `fn`. */
  async withWorker<T>(header: string, fn: (lease: ReplLease) => Promise<T>): Promise<T> {
    const lease = await this.lease(header);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  /**
   * Holds one worker with `header` imported until `release()`: tactic mode, where a theorem's proof
   * states live in one process across many requests. Rejects with header_failed at once for a
   * header remembered as failed. The caller must release it (also after its worker died).
   */
  async lease(header: string): Promise<HeldReplLease> {
    const known = this.failed_headers.get(header);
    if (known !== undefined) throw new ReplError({ kind: "header_failed", worker_id: null, pid: null, request: header, detail: known });
    const slot = await this.acquire(header);
    let released = false;
    let proc: ReplProcess;
    let env: number | null;
    try {
      proc = await this.ensureProcess(slot);
      env = await this.ensureHeader(slot, header);
    } catch (e) {
      this.release(slot);
      throw e;
    }
    const header_sorry = this.header_sorries.get(header) ?? null;
    return {
      worker_id: slot.id,
      pid: proc.pid,
      env,
      header_sorry,
      get alive() {
        return !released && proc.alive;
      },
      release: () => {
        if (released) return;
        released = true;
        this.release(slot);
      },
      request: async (req, timeout_s) => {
        if (released) throw new ReplError({ kind: "closed", worker_id: slot.id, pid: proc.pid, request: JSON.stringify(req).slice(0, 200), detail: "the lease was released" });
        const t0 = performance.now();
        try {
          this.n_requests++;
          return await proc.request(req, timeout_s ?? this.config.request_timeout_s);
        } finally {
          slot.busy_ms += performance.now() - t0;
        }
      },
    };
  }

  stats(): ReplPoolStats {
    return {
      workers: this.config.workers,
      requests: this.n_requests,
      header_imports: this.n_header_imports,
      failed_headers: this.failed_headers.size,
      workers_started: this.n_started,
      stops: { ...this.stops },
      busy_ms: this.slots.map((s) => s.busy_ms),
      header_busy_ms: this.header_busy_ms,
      age_ms: performance.now() - this.created_ms,
      peak_rss_mb: this.peak_rss_mb,
    };
  }

  /** Pids (= process group ids) of the workers alive now. */
  livePids(): number[] {
    return this.slots.flatMap((s) => (s.proc && s.proc.alive ? [s.proc.pid] : []));
  }

  /** Closes every worker (EOF, then SIGKILL of its group after a grace period) and waits for them. */
  async close(grace_ms = 1000): Promise<void> {
    this.closed = true;
    clearInterval(this.monitor);
    for (const w of this.waiters.splice(0)) w();
    // Close what runs now (this also ends a replacement's header import), then whatever a
    // replacement started before it saw `closed`.
    await Promise.all(this.slots.map((s) => s.proc?.close(grace_ms)));
    await Promise.all(this.slots.map((s) => s.replacing));
    await Promise.all(this.slots.map((s) => s.proc?.close(grace_ms)));
  }

  private async acquire(header: string): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new ReplError({ kind: "closed", worker_id: null, pid: null, request: header, detail: "the pool is closed" });
      const free = this.slots.filter((s) => !s.busy && s.replacing === null);
      const slot = free.find((s) => s.proc?.alive && s.proc.envs.has(header)) ?? free.find((s) => s.proc?.alive) ?? free[0];
      if (slot) {
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    const p = slot.proc;
    if (!this.closed && p && (!p.alive || p.uses >= this.config.max_uses)) {
      slot.replacing = this.replace(slot, p.alive ? "recycled" : null).finally(() => {
        slot.replacing = null;
        this.wake();
      });
      return;
    }
    this.wake();
  }

  private wake(): void {
    this.waiters.shift()?.();
  }

  /** Kills the old process (when it still runs) and starts a new one; start errors surface on next use. */
  private async replace(slot: Slot, reason: ReplExitReason | null): Promise<void> {
    const old = slot.proc;
    const headers = old ? [...old.envs.keys()] : [];
    if (old && reason) await old.kill(reason, `replaced after ${old.uses} uses`);
    slot.proc = null;
    if (this.closed) return;
    try {
      await this.ensureProcess(slot);
      // Warm the header the old worker used, so the next theorem does not pay for the import.
      if (headers.length === 1 && !this.closed) await this.ensureHeader(slot, headers[0]!).catch(() => undefined);
    } catch {
      slot.proc = null; // the next acquire retries and reports the start error to its caller
    }
  }

  private async ensureProcess(slot: Slot): Promise<ReplProcess> {
    const cur = slot.proc;
    if (cur && processAlive(cur) && cur.uses < this.config.max_uses) return cur;
    if (cur) await cur.kill(cur.alive ? "recycled" : "crash", "replaced before use");
    slot.proc = null;
    const p = await ReplProcess.start({ command: this.config.command, worker_id: slot.id, parent_death_signal: this.config.parent_death_signal, registry: this.registry });
    this.n_started++;
    if (this.closed) {
      await p.close(0);
      throw new ReplError({ kind: "closed", worker_id: slot.id, pid: p.pid, request: "", detail: "the pool closed while the worker started" });
    }
    slot.proc = p;
    this.emit({ event: "worker_started", worker_id: slot.id, pid: p.pid });
    void p.exited.then((x) => {
      this.stops[x.reason] = (this.stops[x.reason] ?? 0) + 1;
      this.emit({ event: "worker_stopped", worker_id: slot.id, pid: p.pid, reason: x.reason, uses: p.uses, rss_mb: p.peak_rss_mb });
      if (slot.proc === p && !slot.busy && slot.replacing === null && !this.closed) {
        slot.replacing = this.replace(slot, null).finally(() => {
          slot.replacing = null;
          this.wake();
        });
      }
    });
    return p;
  }

  /** Env id of `header` in the slot's process, importing it on first use. Null for an empty header. */
  private async ensureHeader(slot: Slot, header: string): Promise<number | null> {
    if (header.trim() === "") return null;
    const proc = slot.proc!;
    const have = proc.envs.get(header);
    if (have !== undefined) return have;
    // Another worker may have found it bad while this caller waited for a slot.
    const known = this.failed_headers.get(header);
    if (known !== undefined) throw new ReplError({ kind: "header_failed", worker_id: slot.id, pid: proc.pid, request: header, detail: known });
    const t0 = performance.now();
    let r: ReplResponse;
    try {
      this.n_header_imports++;
      r = await proc.request({ cmd: header }, this.config.header_timeout_s);
    } catch (e) {
      if (!(e instanceof ReplError)) throw e;
      const detail = this.rememberHeaderError(header, slot.id, e);
      throw new ReplError({ kind: "header_failed", worker_id: slot.id, pid: proc.pid, request: header, detail, stderr_tail: e.stderr_tail }, { cause: e });
    } finally {
      slot.busy_ms += performance.now() - t0;
      this.header_busy_ms += performance.now() - t0;
    }
    const errors = r.kind === "command" ? r.messages.filter((m) => m.severity === "error") : [];
    const ok = r.kind === "command" && r.env !== null && errors.length === 0;
    this.emit({ event: "header_imported", worker_id: slot.id, pid: proc.pid, wall_ms: performance.now() - t0, ok });
    if (!ok) {
      const detail =
        r.kind === "error" ? `the repl answered: ${r.message}` : errors.length ? `Lean errors in the header: ${errors.map((m) => m.data).join(" | ").slice(0, 400)}` : "the header's response has no env";
      this.failed_headers.set(header, detail);
      throw new ReplError({ kind: "header_failed", worker_id: slot.id, pid: proc.pid, request: header, detail });
    }
    const sorry = headerSorry(r as CommandResponse);
    if (sorry !== null) this.header_sorries.set(header, sorry);
    proc.envs.set(header, (r as CommandResponse).env!);
    return (r as CommandResponse).env!;
  }

  /**
   * Why importing `header` failed, remembering it when it will fail again: a timeout at once (each
   * retry would cost header_timeout_s again), a crash / memory cap / protocol error at the
   * HEADER_MAX_CRASHES-th time. A pool closing under the import is not the header's fault.
   */
  private rememberHeaderError(header: string, worker_id: number, e: ReplError): string {
    const what = e.kind === "timeout" ? `timed out (header_timeout_s ${this.config.header_timeout_s} s)` : `failed (${e.kind})`;
    const detail = `importing the header ${what} on worker ${worker_id}: ${e.detail}`;
    if (e.kind === "closed" || e.kind === "start_failed") return detail;
    const crashes = (this.header_crashes.get(header) ?? 0) + 1;
    this.header_crashes.set(header, crashes);
    if (e.kind === "timeout" || crashes >= HEADER_MAX_CRASHES) {
      this.failed_headers.set(header, `${detail} (remembered: this pool does not import it again)`);
      return `${detail} (remembered: this pool does not import it again)`;
    }
    return `${detail} (will be tried once more)`;
  }

  private checkMemory(): void {
    if (this.config.mem_cap_mb === null) return;
    const procs = this.slots.flatMap((s) => (s.proc && s.proc.alive ? [s.proc] : []));
    if (procs.length === 0) return;
    const rss = groupRssMb(new Set(procs.map((p) => p.pid)));
    for (const p of procs) {
      const mb = rss.get(p.pid) ?? 0;
      p.rss_mb = mb;
      p.peak_rss_mb = Math.max(p.peak_rss_mb, mb);
      this.peak_rss_mb = Math.max(this.peak_rss_mb, mb);
      const cap = this.config.mem_cap_mb;
      if (cap !== null && mb > cap) void p.kill("memory_cap", `its process group used ${mb.toFixed(0)} MB, over the cap of ${cap} MB`);
    }
  }

  private emit(e: ReplPoolEvent): void {
    try {
      this.on_event?.(e);
    } catch {
      // a listener's failure must not break the pool
    }
  }
}

/** Lean's sorry report for an imported header (warning or sorries entry), or null. */
function headerSorry(r: CommandResponse): string | null {
  const warning = r.messages.find((m) => SORRY_WARNING.test(m.data));
  if (warning) return `${warning.data} (header line ${warning.pos.line})`;
  const first = r.sorries[0];
  if (first) return `${r.sorries.length} sorry in the header${first.pos ? ` (line ${first.pos.line})` : ""}`;
  return null;
}
