/**
 * Why a call to the policy / encoder server failed. Every error names the method and URL, the HTTP
 * status when there was one, the first 200 characters of the server's body, and how many attempts
 * were made, so a failed search names the server that was wrong instead of "fetch failed".
 */

/**
 * - http_status: the server answered a non-2xx status that is not retried (400, 401, 404, ...),
 *   or a retried one (429, 5xx) after the last retry;
 * - connection: connection refused / reset / closed before a full answer, after the last retry;
 * - timeout: no full answer within the per-request timeout_s (not retried: the server may still
 *   be generating, and a retry would double its load);
 * - bad_response: a 2xx answer whose body is not JSON or not the OpenAI shape expected;
 * - no_logprobs: a completions answer without per-token logprobs (the request asked for them);
 * - aborted: the caller's AbortSignal fired (e.g. the search's wall-clock limit).
 */
export type PolicyErrorKind = "http_status" | "connection" | "timeout" | "bad_response" | "no_logprobs" | "aborted";

export interface PolicyErrorInfo {
  readonly kind: PolicyErrorKind;
  readonly method: string;
  readonly url: string;
  /** HTTP status of the last answer; null when none came (connection, timeout, aborted). */
  readonly status: number | null;
  readonly detail: string;
  /** The server's body (kept to its first 200 characters). */
  readonly body?: string;
  /** HTTP attempts made, retries included. */
  readonly attempts: number;
}

export const BODY_EXCERPT_CHARS = 200;

/** The first 200 characters of a body, on one line, with an ellipsis when cut. */
export function bodyExcerpt(body: string): string {
  const one = body.replace(/\s+/g, " ").trim();
  return one.length > BODY_EXCERPT_CHARS ? `${one.slice(0, BODY_EXCERPT_CHARS)}…` : one;
}

export class PolicyError extends Error {
  override name = "PolicyError";
  readonly kind: PolicyErrorKind;
  readonly method: string;
  readonly url: string;
  readonly status: number | null;
  readonly detail: string;
  readonly body_excerpt: string;
  readonly attempts: number;
  readonly #body: string | undefined;

  constructor(info: PolicyErrorInfo, options?: { cause?: unknown }) {
    const excerpt = info.body === undefined ? "" : bodyExcerpt(info.body);
    const status = info.status === null ? "" : ` HTTP ${info.status}`;
    const tries = `${info.attempts} attempt${info.attempts === 1 ? "" : "s"}`;
    super(`${info.method} ${info.url}: ${info.kind}${status}: ${info.detail} (${tries})${excerpt ? `; body: ${excerpt}` : ""}`, options);
    this.kind = info.kind;
    this.method = info.method;
    this.url = info.url;
    this.status = info.status;
    this.detail = info.detail;
    this.body_excerpt = excerpt;
    this.attempts = info.attempts;
    this.#body = info.body?.slice(0, 4 * BODY_EXCERPT_CHARS);
  }

  /** The info this error was built from, for re-throwing with a more specific detail. */
  info(): PolicyErrorInfo {
    return { kind: this.kind, method: this.method, url: this.url, status: this.status, detail: this.detail, body: this.#body, attempts: this.attempts };
  }
}
