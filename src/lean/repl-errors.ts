/**
 * Why a REPL request did not produce a response. Every error names the worker, the request (first
 * 200 characters) and, when the process died, its exit status and the tail of its stderr.
 */

/**
 * - timeout: no response within the request's limit; the worker's process group was killed.
 * - crash: the process exited (or was killed by someone else) while the request was in flight.
 * - memory_cap: the worker's process group went over the memory cap; the pool killed it.
 * - protocol: the process printed something that is not a repl response; the worker was killed.
 * - start_failed: the REPL command could not be started (missing binary, bad cwd).
 * - header_failed: importing the header (imports/opens) gave Lean errors; the worker is fine.
 * - closed: the pool or process was closed while the request waited or ran.
 */
export type ReplErrorKind = "timeout" | "crash" | "memory_cap" | "protocol" | "start_failed" | "header_failed" | "closed";

export interface ReplErrorInfo {
  readonly kind: ReplErrorKind;
  readonly worker_id: number | null;
  readonly pid: number | null;
  readonly request: string;
  readonly detail: string;
  readonly stderr_tail?: string;
}

export class ReplError extends Error {
  override name = "ReplError";
  readonly kind: ReplErrorKind;
  readonly worker_id: number | null;
  readonly pid: number | null;
  readonly request: string;
  readonly detail: string;
  readonly stderr_tail: string;

  constructor(info: ReplErrorInfo, options?: { cause?: unknown }) {
    const where = info.worker_id === null ? "repl" : `repl worker ${info.worker_id}${info.pid ? ` (pid ${info.pid})` : ""}`;
    const tail = info.stderr_tail ? `\n--- stderr (tail) ---\n${info.stderr_tail}` : "";
    super(`${where}: ${info.kind}: ${info.detail}; request: ${info.request.slice(0, 200)}${tail}`, options);
    this.kind = info.kind;
    this.worker_id = info.worker_id;
    this.pid = info.pid;
    this.request = info.request.slice(0, 200);
    this.detail = info.detail;
    this.stderr_tail = info.stderr_tail ?? "";
  }
}
