/**
 * Which failures are retried, and how long to wait before the next attempt. Pure functions, so the
 * schedule is tested exactly.
 *
 * Retried: 429 (the server's queue is full), 5xx (a restarting or overloaded server; vLLM answers
 * 500 when a request dies in the engine), and losing the connection (refused while the server
 * starts, reset or closed mid-answer). Not retried: any other 4xx (a wrong model name, a bad
 * request: asking again gives the same answer) and timeouts (see PolicyErrorKind).
 */

/** Status codes worth asking again for. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Error codes of a lost connection, as node:http reports them. */
const CONNECTION_LOSS_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** A connection refused, reset or closed before the answer was complete ("socket hang up"). */
export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_LOSS_CODES.has(code)) || /socket hang up/i.test(err.message);
}

/**
 * Seconds to wait after failed attempt `attempt` (0 for the first): exponential, capped, with
 * "equal jitter" (half fixed, half uniform) so clients that failed together do not retry together
 * yet every client still waits at least half the step. `u` is a uniform draw in [0, 1).
 * A server's Retry-After (seconds) is honoured up to the cap.
 */
export function backoffDelay_s(attempt: number, base_s: number, max_s: number, u: number, retry_after_s: number | null = null): number {
  const step_s = Math.min(max_s, base_s * 2 ** attempt);
  const jittered_s = step_s / 2 + (u * step_s) / 2;
  return retry_after_s === null ? jittered_s : Math.max(jittered_s, Math.min(max_s, retry_after_s));
}

/** Retry-After in seconds (the delta-seconds form; an HTTP date is ignored), or null. */
export function parseRetryAfter_s(header: string | string[] | undefined): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(v)) return null;
  return Number(v);
}
