/**
 * Runs one Python job (`python -m burnqed.<job> --config <job_dir>/config.json`) in its own
 * process group, turns its stdout into events, and enforces timeout and abort rules.
 *
 * job_dir receives: config.json (written atomically before the start), events.jsonl (every valid
 * event line, as received), stderr.log. The job runs with cwd = repo root and
 * PYTHONPATH = <repo>/python (+ extras).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../util/repo-root.js";
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import { AbortMonitor } from "./abort-rules.js";
import type { AbortFiring, AbortRule } from "./abort-rules.js";
import { JobProtocolError, parseEventLine } from "./events.js";
import type { ArtifactEvent, JobEvent } from "./events.js";
import { findPython } from "./find-python.js";
import { JobAbortedError, JobError } from "./job-error.js";
import type { JobErrorInfo, JobErrorKind } from "./job-error.js";
import { signalProcessGroup, trackProcessGroup } from "./process-groups.js";
import { createProgress } from "./progress.js";
import type { DisplayMode } from "./progress.js";
import type { ProgressReporter } from "./progress-stats.js";
import { TailBuffer } from "./tail-buffer.js";

export interface JobSpec {
  /** Module under burnqed, e.g. "embedding_spectrum". Also the job's name in messages. */
  readonly job: string;
  /** Full module to run instead of burnqed.<job> (tests, experiments). */
  readonly module?: string;
  /** Written to job_dir/config.json and passed as --config. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly job_dir: string;
  /** Wall-clock limit; none by default. */
  readonly timeout_s?: number;
  readonly abort_rules?: readonly AbortRule[];
  /** Interpreter; default findPython({ modules: python_modules }). */
  readonly python?: string;
  /**
   * A launcher for several processes, run as `<launcher...> -m <module> --config <config>`
   * (e.g. ["torchrun", "--nproc-per-node", "2"]); replaces the interpreter.
   */
  readonly launcher?: readonly string[];
  readonly python_modules?: readonly string[];
  /** Extra PYTHONPATH entries; <repo>/python is always first. */
  readonly pythonpath?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Called for every event, in order. If it throws, the job is stopped (JobError kind "callback"). */
  readonly on_event?: (e: JobEvent) => void;
  readonly display?: DisplayMode;
  /** Seconds between SIGTERM and SIGKILL when stopping the job (default 5). */
  readonly kill_grace_s?: number;
  /**
   * Asks a long-running job (a server) to stop: SIGTERM to its process group, SIGKILL after
   * kill_grace_s. A job that then exits 0 after its done event has succeeded.
   */
  readonly stop_signal?: AbortSignal;
}

export interface JobResult {
  readonly job: string;
  readonly config_path: string;
  readonly events_path: string;
  readonly stderr_path: string;
  readonly wall_s: number;
  readonly exit_code: number;
  /** Last value of each metric. */
  readonly metrics: Record<string, number>;
  readonly metric_history: Record<string, Array<[step: number, value: number]>>;
  readonly artifacts: ArtifactEvent[];
  /** Absolute path of the last artifact of kind "checkpoint". */
  readonly last_checkpoint?: string;
  /** From the `done` event. */
  readonly summary: Record<string, unknown>;
  readonly warnings: string[];
}

export const DEFAULT_KILL_GRACE_S = 5;
/** After the job exits, how long stray holders of its stdio pipes may keep them open. */
const DRAIN_AFTER_EXIT_MS = 3000;

/** The repository root (shared helper; no import.meta, since tslab compiles notebook imports to CommonJS). */
export { repoRoot };


function checkSpec(spec: JobSpec): void {
  const bad = (why: string): never => {
    throw new Error(`runJob ${spec.job}: ${why}`);
  };
  if (!/^[a-z_][a-z0-9_]*$/.test(spec.job)) bad(`job must be a burnqed module name (snake_case), got ${JSON.stringify(spec.job)}`);
  if (spec.module !== undefined && !/^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$/.test(spec.module)) bad(`invalid module ${JSON.stringify(spec.module)}`);
  if (spec.timeout_s !== undefined && !(spec.timeout_s > 0)) bad(`timeout_s must be > 0, got ${spec.timeout_s}`);
  if (spec.kill_grace_s !== undefined && !(spec.kill_grace_s >= 0)) bad(`kill_grace_s must be >= 0, got ${spec.kill_grace_s}`);
  if (!spec.job_dir) bad("job_dir is empty");
}

/** Runs a job to completion. Rejects with JobError (or JobAbortedError when an abort rule fires). */
export async function runJob(spec: JobSpec): Promise<JobResult> {
  checkSpec(spec);
  const root = repoRoot();
  const job_dir = path.resolve(spec.job_dir);
  await mkdir(job_dir, { recursive: true });
  const config_path = path.join(job_dir, "config.json");
  writeFileAtomic(config_path, `${JSON.stringify(spec.config, null, 2)}\n`);
  const module = spec.module ?? `burnqed.${spec.job}`;
  const command = spec.launcher?.length
    ? [...spec.launcher, "-m", module, "--config", config_path]
    : [spec.python ?? (await findPython(spec.python_modules ? { modules: spec.python_modules } : {})), "-m", module, "--config", config_path];
  const inherited = process.env["PYTHONPATH"];
  const pythonpath = [path.join(root, "python"), ...(spec.pythonpath ?? []).map((p) => path.resolve(root, p)), ...(inherited ? [inherited] : [])];
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env, PYTHONPATH: pythonpath.join(path.delimiter), PYTHONUNBUFFERED: "1", BURNQED_PARENT_PID: String(process.pid) };
  return new JobRun(spec, root, job_dir, config_path, command, env).run();
}

interface Failure {
  readonly kind: JobErrorKind;
  readonly detail: string;
  readonly cause?: unknown;
  readonly firing?: AbortFiring;
}

/** State of one running job. */
class JobRun {
  private readonly events_path: string;
  private readonly stderr_path: string;
  private readonly tail = new TailBuffer();
  private readonly monitor: AbortMonitor | null;
  private readonly progress: ProgressReporter;
  private readonly metrics: Record<string, number> = {};
  private readonly metric_history: Record<string, Array<[number, number]>> = {};
  private readonly artifacts: ArtifactEvent[] = [];
  private readonly warnings: string[] = [];
  private summary: Record<string, unknown> | undefined;
  private job_abort_reason: string | undefined;
  private last_checkpoint: string | undefined;
  private failure: Failure | undefined;
  private line_no = 0;
  private started_ms = 0;
  private pgid = 0;
  private exited = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly spec: JobSpec,
    private readonly root: string,
    private readonly job_dir: string,
    private readonly config_path: string,
    private readonly command: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.events_path = path.join(job_dir, "events.jsonl");
    this.stderr_path = path.join(job_dir, "stderr.log");
    this.monitor = spec.abort_rules?.length ? new AbortMonitor(spec.abort_rules) : null;
    this.progress = createProgress(spec.job, spec.display ?? "auto");
  }

  async run(): Promise<JobResult> {
    const eventsFile = createWriteStream(this.events_path, { flags: "w" });
    const stderrFile = createWriteStream(this.stderr_path, { flags: "w" });
    this.started_ms = performance.now();
    const [exe, ...args] = this.command;
    const child = spawn(exe ?? "python3", args, { cwd: this.root, env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let untrack: (() => void) | undefined;
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawn_error?: Error }>((resolve) => {
      child.once("error", (err) => {
        // spawn failure (ENOENT...): no 'exit' follows; streams may still emit 'close'
        if (this.pgid === 0) resolve({ code: null, signal: null, spawn_error: err });
      });
      if (child.pid === undefined) return; // 'error' follows
      this.pgid = child.pid;
      untrack = trackProcessGroup(this.pgid, (why) => this.fail("interrupted", `this Node process got ${why}; killed the job's process group`));
      this.pipeStderr(child, stderrFile);
      const linesDone = this.pipeEvents(child, eventsFile);
      this.startTimeout();
      this.watchStop();
      child.once("exit", () => this.onExit(child));
      child.once("close", (code, signal) => void linesDone.then(() => resolve({ code, signal })));
    });
    untrack?.();
    this.clearTimers();
    await Promise.all([endStream(eventsFile), endStream(stderrFile)]);
    return this.settle(outcome.code, outcome.signal, outcome.spawn_error);
  }

  private pipeStderr(child: ChildProcess, file: WriteStream): void {
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      file.write(chunk);
      this.tail.push(chunk);
    });
  }

  /** Resolves when the last stdout line has been handled. */
  private pipeEvents(child: ChildProcess, file: WriteStream): Promise<void> {
    if (!child.stdout) return Promise.resolve();
    const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on("line", (line) => this.onLine(line, file));
    return new Promise((resolve) => rl.once("close", resolve));
  }

  private onLine(line: string, file: WriteStream): void {
    this.line_no += 1;
    if (line.trim() === "" || this.failure?.kind === "protocol") return;
    let e: JobEvent;
    try {
      e = parseEventLine(line, { job: this.spec.job, line_no: this.line_no });
    } catch (err) {
      if (!(err instanceof JobProtocolError)) throw err;
      this.fail("protocol", err.message, err);
      return;
    }
    file.write(`${line}\n`);
    this.record(e);
    this.progress.onEvent(e);
    if (e.event === "metric" && this.monitor && !this.failure) {
      const firing = this.monitor.observe(e);
      if (firing) this.fail("abort_rule", firing.message, undefined, firing);
    }
    if (this.spec.on_event) {
      try {
        this.spec.on_event(e);
      } catch (err) {
        this.fail("callback", `on_event threw on ${e.event} event: ${err instanceof Error ? err.message : String(err)}`, err);
      }
    }
  }

  private record(e: JobEvent): void {
    switch (e.event) {
      case "metric":
        this.metrics[e.name] = e.value;
        (this.metric_history[e.name] ??= []).push([e.step, e.value]);
        break;
      case "artifact":
        this.artifacts.push(e);
        if (e.kind === "checkpoint") this.last_checkpoint = path.resolve(this.root, e.path);
        break;
      case "warning":
        this.warnings.push(e.message);
        break;
      case "abort":
        this.job_abort_reason = e.reason;
        break;
      case "done":
        this.summary = e.summary;
        break;
      case "progress":
        break;
    }
  }

  private startTimeout(): void {
    const timeout_s = this.spec.timeout_s;
    if (timeout_s === undefined) return;
    this.timers.push(setTimeout(() => this.fail("timeout", `timed out after ${timeout_s} s`), timeout_s * 1000));
  }

  private watchStop(): void {
    const sig = this.spec.stop_signal;
    if (!sig) return;
    const stop = () => {
      if (this.exited || this.pgid === 0) return;
      signalProcessGroup(this.pgid, "SIGTERM");
      const grace_s = this.spec.kill_grace_s ?? DEFAULT_KILL_GRACE_S;
      this.timers.push(setTimeout(() => signalProcessGroup(this.pgid, "SIGKILL"), grace_s * 1000));
    };
    if (sig.aborted) stop();
    else sig.addEventListener("abort", stop, { once: true });
  }

  /** Records the first failure and stops the process group: SIGTERM now, SIGKILL after the grace period. */
  private fail(kind: JobErrorKind, detail: string, cause?: unknown, firing?: AbortFiring): void {
    if (this.failure) return;
    this.failure = { kind, detail, ...(cause !== undefined && { cause }), ...(firing && { firing }) };
    if (this.exited || this.pgid === 0 || kind === "interrupted") return; // interrupted: the registry kills
    signalProcessGroup(this.pgid, "SIGTERM");
    const grace_s = this.spec.kill_grace_s ?? DEFAULT_KILL_GRACE_S;
    this.timers.push(setTimeout(() => signalProcessGroup(this.pgid, "SIGKILL"), grace_s * 1000));
  }

  /** The job's main process exited: kill what it left in its group, bound the wait for its pipes. */
  private onExit(child: ChildProcess): void {
    this.exited = true;
    this.clearTimers();
    signalProcessGroup(this.pgid, "SIGKILL");
    const drain = setTimeout(() => {
      // a process outside the group (e.g. it called setsid) still holds our pipes
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, DRAIN_AFTER_EXIT_MS);
    drain.unref();
    this.timers.push(drain);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private errorInfo(kind: JobErrorKind, code: number | null, signal: string | null, wall_s: number): JobErrorInfo {
    return {
      kind,
      job: this.spec.job,
      job_dir: this.job_dir,
      config_path: this.config_path,
      events_path: this.events_path,
      stderr_path: this.stderr_path,
      command: this.command,
      exit_code: code,
      signal,
      stderr_tail: this.tail.text(),
      wall_s,
    };
  }

  private settle(code: number | null, signal: NodeJS.Signals | null, spawn_error?: Error): JobResult {
    const wall_s = (performance.now() - this.started_ms) / 1000;
    const failure = this.classify(code, signal, spawn_error);
    if (failure) {
      this.progress.finish({ ok: false, message: failure.detail.split("\n")[0] ?? failure.kind });
      throw this.makeError(failure, code, signal, wall_s);
    }
    this.progress.finish({ ok: true });
    return {
      job: this.spec.job,
      config_path: this.config_path,
      events_path: this.events_path,
      stderr_path: this.stderr_path,
      wall_s,
      exit_code: code ?? 0,
      metrics: this.metrics,
      metric_history: this.metric_history,
      artifacts: this.artifacts,
      ...(this.last_checkpoint !== undefined && { last_checkpoint: this.last_checkpoint }),
      summary: this.summary ?? {},
      warnings: this.warnings,
    };
  }

  /** Why the run failed, or undefined for success. A failure the runner caused takes precedence. */
  private classify(code: number | null, signal: NodeJS.Signals | null, spawn_error?: Error): Failure | undefined {
    if (this.failure) return this.failure;
    if (spawn_error) return { kind: "spawn", detail: `could not start ${this.command[0]}: ${spawn_error.message}`, cause: spawn_error };
    if (this.job_abort_reason !== undefined) return { kind: "job_abort", detail: `aborted itself: ${this.job_abort_reason}` };
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (signal || code !== 0) return { kind: "crashed", detail: `crashed (${how})${this.summary ? " after its done event" : ""}` };
    if (!this.summary) return { kind: "crashed", detail: "exited with code 0 without a done event" };
    return undefined;
  }

  private makeError(f: Failure, code: number | null, signal: string | null, wall_s: number): JobError {
    const info = this.errorInfo(f.kind, code, signal, wall_s);
    const exit = signal ? `signal ${signal}` : `exit code ${code}`;
    const tail = info.stderr_tail ? `\n--- stderr tail (${this.stderr_path}) ---\n${info.stderr_tail}` : `\n(stderr empty: ${this.stderr_path})`;
    const head = `job ${this.spec.job} (config ${this.config_path})`;
    const cmd = `\ncommand: ${this.command.join(" ")}`;
    if (f.kind === "abort_rule" && f.firing) {
      const ckpt = this.last_checkpoint ? `\nlast checkpoint: ${this.last_checkpoint}` : "\nno checkpoint was reported";
      const message = `${head} stopped: ${f.detail}${ckpt}${cmd}${tail}`;
      const { rule, metric, step, value } = f.firing;
      return new JobAbortedError(message, info, { rule, metric, step, value, ...(this.last_checkpoint !== undefined && { last_checkpoint: this.last_checkpoint }) });
    }
    const stopped = ["timeout", "protocol", "callback", "interrupted"].includes(f.kind) ? `; stopped its process group (${exit})` : ` (${exit})`;
    const detail = f.kind === "crashed" || f.kind === "spawn" || f.kind === "job_abort" ? f.detail : `${f.detail}${stopped}`;
    return new JobError(`${head} ${detail}${cmd}${tail}`, info, f.cause !== undefined ? { cause: f.cause } : undefined);
  }
}

function endStream(s: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.end(() => resolve());
  });
}
