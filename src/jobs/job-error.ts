/** Errors of a Python job run. Each names the job, its config file and what went wrong. */
import type { AbortRule } from "./abort-rules.js";

export type JobErrorKind =
  | "spawn" //        the interpreter could not be started
  | "timeout" //      ran past timeout_s; its process group was stopped
  | "protocol" //     a stdout line was not a protocol event; stopped
  | "abort_rule" //   an abort rule fired on a metric; stopped (JobAbortedError)
  | "job_abort" //    the job emitted an `abort` event (it stopped itself)
  | "callback" //     the caller's on_event threw; stopped (the thrown error is `cause`)
  | "interrupted" //  this Node process got SIGINT/SIGTERM or exited while the job ran
  | "crashed"; //     non-zero exit or death by signal, or exit 0 without a `done` event

export interface JobErrorInfo {
  readonly kind: JobErrorKind;
  readonly job: string;
  readonly job_dir: string;
  readonly config_path: string;
  readonly events_path: string;
  readonly stderr_path: string;
  /** The command line, interpreter first. */
  readonly command: readonly string[];
  readonly exit_code: number | null;
  readonly signal: string | null;
  /** Last lines of stderr (at most ~40 lines / 4 KB). */
  readonly stderr_tail: string;
  readonly wall_s: number;
}

export class JobError extends Error {
  override readonly name: string = "JobError";
  readonly kind: JobErrorKind;
  readonly job: string;
  readonly job_dir: string;
  readonly config_path: string;
  readonly events_path: string;
  readonly stderr_path: string;
  readonly command: readonly string[];
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly stderr_tail: string;
  readonly wall_s: number;

  constructor(message: string, info: JobErrorInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = info.kind;
    this.job = info.job;
    this.job_dir = info.job_dir;
    this.config_path = info.config_path;
    this.events_path = info.events_path;
    this.stderr_path = info.stderr_path;
    this.command = info.command;
    this.exit_code = info.exit_code;
    this.signal = info.signal;
    this.stderr_tail = info.stderr_tail;
    this.wall_s = info.wall_s;
  }
}

export interface JobAbortInfo {
  readonly rule: AbortRule;
  readonly metric: string;
  readonly step: number;
  readonly value: number;
  /** Path of the last `artifact` event of kind "checkpoint" (left on disk), if any. */
  readonly last_checkpoint?: string;
}

/** An abort rule fired: the job was stopped. The message names rule id, step and remedy. */
export class JobAbortedError extends JobError {
  override readonly name: string = "JobAbortedError";
  readonly rule: AbortRule;
  readonly metric: string;
  readonly step: number;
  readonly value: number;
  readonly last_checkpoint?: string;

  constructor(message: string, info: JobErrorInfo, abort: JobAbortInfo) {
    super(message, info);
    this.rule = abort.rule;
    this.metric = abort.metric;
    this.step = abort.step;
    this.value = abort.value;
    if (abort.last_checkpoint !== undefined) this.last_checkpoint = abort.last_checkpoint;
  }
}
