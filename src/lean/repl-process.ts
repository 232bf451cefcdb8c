/**
 * One REPL worker process. It runs in its own process group (pgid = its pid), so one signal to
 * -pgid reaches it and everything it started (`lake env repl` → repl) and nothing else. One
 * request at a time; a response is the next blank-line-terminated frame on stdout.
 *
 * Lifecycle: spawn → ready ⇄ busy → dead. A worker dies when its process exits (crash, EOF) or
 * when it is killed (timeout, memory cap, recycling, close); a dead worker rejects every request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { signalProcessGroup, trackProcessGroup } from "../jobs/process-groups.js";
import { TailBuffer } from "../jobs/tail-buffer.js";
import { ReplError, type ReplErrorKind } from "./repl-errors.js";
import { encodeReplRequest, parseReplResponse, ReplFrameReader, ReplProtocolError, type ReplRequest, type ReplResponse } from "./repl-protocol.js";
import { parentDeathWrapper, type ReplCommandSpec } from "./repl-command.js";
import type { WorkerRegistry } from "./worker-registry.js";

export interface ReplProcessOptions {
  readonly command: ReplCommandSpec;
  readonly worker_id: number;
  /** Wrap the command in `setpriv --pdeathsig SIGKILL` when available (default true). */
  readonly parent_death_signal?: boolean;
  /** Record the worker so a later run can reap it if this process is SIGKILLed. */
  readonly registry?: WorkerRegistry | null;
}

/** Why a worker stopped (the first reason wins). */
export type ReplExitReason = "crash" | "timeout" | "memory_cap" | "protocol" | "recycled" | "closed" | "eof";

interface Pending {
  readonly request: string;
  readonly resolve: (r: ReplResponse) => void;
  readonly reject: (e: ReplError) => void;
  timer: NodeJS.Timeout | null;
}

const EXIT_DRAIN_MS = 500;

export class ReplProcess {
  readonly worker_id: number;
  readonly pid: number;
  readonly started_ms = performance.now();
  /** Requests answered (the pool recycles after N). */
  uses = 0;
  /** Header text → env id of that header imported in this process. */
  readonly envs = new Map<string, number>();
  /** Last RSS sample of the whole group, MB (set by the pool's monitor). */
  rss_mb = 0;
  peak_rss_mb = 0;
  private readonly child: ChildProcess;
  private readonly frames = new ReplFrameReader();
  private readonly stderr = new TailBuffer(40, 4000);
  private pending: Pending | null = null;
  private exit_reason: ReplExitReason | null = null;
  private exit_detail = "";
  private dead = false;
  private readonly untrack: () => void;
  readonly exited: Promise<{ code: number | null; signal: string | null; reason: ReplExitReason }>;

  private constructor(child: ChildProcess, private readonly opts: ReplProcessOptions) {
    this.child = child;
    this.worker_id = opts.worker_id;
    this.pid = child.pid!;
    this.untrack = trackProcessGroup(this.pid);
    opts.registry?.record(this.pid, opts.command.argv);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => this.stderr.push(chunk));
    child.stdin!.on("error", () => undefined); // EPIPE after a crash: the exit handler reports it
    const stdoutClosed = new Promise<void>((r) => child.stdout!.once("close", () => r()));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.dead = true;
        // Kill whatever the worker left in its group (the repl under `lake env`), then settle.
        signalProcessGroup(this.pid, "SIGKILL");
        const drained = Promise.race([stdoutClosed, new Promise<void>((r) => setTimeout(r, EXIT_DRAIN_MS).unref())]);
        void drained.then(() => {
          this.untrack();
          this.opts.registry?.remove(this.pid);
          const reason = this.exit_reason ?? (code === 0 && signal === null ? "eof" : "crash");
          this.exit_reason = reason;
          const how = signal ? `killed by ${signal}` : `exit code ${code}`;
          this.failPending(reason === "eof" ? "crash" : kindOf(reason), this.exit_detail || `the REPL process exited (${how}) while the request ran`);
          resolve({ code, signal, reason });
        });
      });
    });
  }

  /** Starts the process; rejects with ReplError(start_failed) when the command cannot run. */
  static start(opts: ReplProcessOptions): Promise<ReplProcess> {
    const wrap = opts.parent_death_signal === false ? null : parentDeathWrapper();
    const argv = [...(wrap ?? []), ...opts.command.argv];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.command.cwd ?? undefined,
      env: { ...process.env, ...opts.command.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new Promise((resolve, reject) => {
      child.once("error", (err) => {
        if (child.pid === undefined) {
          reject(new ReplError({ kind: "start_failed", worker_id: opts.worker_id, pid: null, request: "", detail: `cannot start ${JSON.stringify(opts.command.argv.join(" "))} in ${opts.command.cwd ?? process.cwd()}: ${err.message}` }));
        }
      });
      child.once("spawn", () => resolve(new ReplProcess(child, opts)));
    });
  }

  get alive(): boolean {
    return !this.dead && this.exit_reason === null;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  get reason(): ReplExitReason | null {
    return this.exit_reason;
  }

  stderrTail(): string {
    return this.stderr.text();
  }

  /** Sends one request; resolves with its response or rejects with a ReplError. */
  request(req: ReplRequest, timeout_s: number): Promise<ReplResponse> {
    const text = encodeReplRequest(req);
    if (!this.alive) return Promise.reject(this.error("crash", `worker is ${this.exit_reason ?? "dead"}`, text));
    if (this.pending) return Promise.reject(this.error("protocol", "a request is already in flight on this worker", text));
    return new Promise<ReplResponse>((resolve, reject) => {
      const p: Pending = { request: text, resolve, reject, timer: null };
      this.pending = p;
      p.timer = setTimeout(() => {
        void this.kill("timeout", `no response within ${timeout_s} s`);
      }, timeout_s * 1000);
      this.child.stdin!.write(text);
    });
  }

  /** Kills the worker's process group (first reason wins) and waits for it to exit. */
  async kill(reason: ReplExitReason, detail = ""): Promise<void> {
    if (this.exit_reason === null && !this.dead) {
      this.exit_reason = reason;
      this.exit_detail = detail;
      signalProcessGroup(this.pid, "SIGKILL");
    }
    await this.exited;
  }

  /** Closes stdin (the repl exits at EOF); kills the group if it has not exited after grace_ms. */
  async close(grace_ms = 1000): Promise<void> {
    if (this.dead) return void (await this.exited);
    if (this.exit_reason === null) {
      this.exit_reason = "closed";
      this.exit_detail = "the worker was closed";
    }
    this.child.stdin!.end();
    const t = setTimeout(() => signalProcessGroup(this.pid, "SIGKILL"), grace_ms);
    await this.exited;
    clearTimeout(t);
  }

  private onStdout(chunk: string): void {
    for (const frame of this.frames.push(chunk)) {
      const p = this.pending;
      if (!p) {
        void this.kill("protocol", `unexpected output with no request in flight: ${JSON.stringify(frame.slice(0, 200))}`);
        return;
      }
      let response: ReplResponse;
      try {
        response = parseReplResponse(frame);
      } catch (e) {
        void this.kill("protocol", e instanceof ReplProtocolError ? e.message : String(e));
        return;
      }
      this.pending = null;
      if (p.timer) clearTimeout(p.timer);
      this.uses++;
      p.resolve(response);
    }
  }

  private failPending(kind: ReplErrorKind, detail: string): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.timer) clearTimeout(p.timer);
    const pend = this.frames.pending().trim();
    p.reject(this.error(kind, pend ? `${detail}; unfinished output: ${JSON.stringify(pend.slice(0, 200))}` : detail, p.request));
  }

  private error(kind: ReplErrorKind, detail: string, request: string): ReplError {
    return new ReplError({ kind, worker_id: this.worker_id, pid: this.pid, request: request.trim(), detail, stderr_tail: this.stderr.text() });
  }
}

function kindOf(reason: ReplExitReason): ReplErrorKind {
  switch (reason) {
    case "timeout":
      return "timeout";
    case "memory_cap":
      return "memory_cap";
    case "protocol":
      return "protocol";
    case "recycled":
    case "closed":
      return "closed";
    case "crash":
    case "eof":
      return "crash";
  }
}
