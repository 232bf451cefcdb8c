/**
 * The HTTP machinery every policy-server client shares: JSON over node:http(s) with a keep-alive
 * agent, a cap on requests in flight (Semaphore), a per-attempt timeout (AbortController),
 * retries with exponential backoff and jitter on 429 / 5xx / connection loss (retry-policy.ts),
 * the caller's AbortSignal honoured at every wait, and stats of how busy the server kept us.
 *
 * node:http rather than fetch: its errors carry the plain codes (ECONNREFUSED, ECONNRESET,
 * "socket hang up") that decide retries, where fetch wraps them all as "fetch failed".
 */
import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import type { HttpConfig } from "./http-config.js";
import { PolicyError, type PolicyErrorInfo } from "./policy-error.js";
import { backoffDelay_s, isConnectionLoss, isRetryableStatus, parseRetryAfter_s } from "./retry-policy.js";
import { Semaphore } from "./semaphore.js";

export interface HttpStats {
  /** Calls (one per `request`, whatever its retries). */
  readonly requests: number;
  /** HTTP attempts sent: requests + retries. */
  readonly attempts: number;
  readonly retries: number;
  /** Calls that ended in an error (after their retries). */
  readonly failures: number;
  /** Attempts that hit timeout_s. */
  readonly timeouts: number;
  /** Sum over attempts of send → last byte, seconds (exceeds wall time when attempts overlap). */
  readonly request_s: number;
  /** Wall time with at least one attempt in flight, seconds: busy_s / elapsed is the server's busy share. */
  readonly busy_s: number;
  /** Most attempts in flight at once (never above max_in_flight). */
  readonly max_in_flight_seen: number;
}

/** A 2xx answer whose body parsed as JSON. */
export interface JsonAnswer {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly json: unknown;
  /** The raw body, for error excerpts. */
  readonly text: string;
  readonly attempts: number;
}

type Outcome =
  | { readonly type: "answer"; readonly status: number; readonly text: string; readonly retry_after_s: number | null }
  | { readonly type: "lost"; readonly err: Error } // refused / reset / closed: retried
  | { readonly type: "failed"; readonly err: Error } // any other socket error (DNS, TLS): not retried
  | { readonly type: "timeout" }
  | { readonly type: "aborted" };

export class JsonHttpClient {
  readonly config: HttpConfig;
  readonly #sem: Semaphore;
  readonly #agent: http.Agent;
  readonly #random: () => number;
  readonly #c = { requests: 0, attempts: 0, retries: 0, failures: 0, timeouts: 0, request_ms: 0, busy_ms: 0, max_in_flight_seen: 0 };
  #in_flight = 0;
  #busy_since_ms = 0;

  /** `random` draws the backoff jitter (injectable so a test can pin the schedule). */
  constructor(config: HttpConfig, random: () => number = Math.random) {
    this.config = config;
    this.#sem = new Semaphore(config.max_in_flight);
    this.#agent = config.base_url.startsWith("https:") ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.#random = random;
  }

  /** `base_url` + path, e.g. `/v1/completions`. */
  url(path: string): string {
    return `${this.config.base_url}${path}`;
  }

  /** Sends `body` as JSON (GET when undefined); resolves with a 2xx JSON answer or throws PolicyError. */
  async request(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<JsonAnswer> {
    this.#c.requests++;
    try {
      return await this.#withRetries(method, this.url(path), body === undefined ? undefined : JSON.stringify(body), signal);
    } catch (e) {
      this.#c.failures++;
      throw e;
    }
  }

  async #withRetries(method: string, url: string, payload: string | undefined, signal: AbortSignal | undefined): Promise<JsonAnswer> {
    const fail = (info: Omit<PolicyErrorInfo, "method" | "url">, cause?: unknown) => new PolicyError({ method, url, ...info }, { cause });
    const aborted = (attempts: number) => fail({ kind: "aborted", status: null, detail: `aborted by the caller (${String(signal?.reason)})`, attempts });
    for (let attempt = 0; ; attempt++) {
      const attempts = attempt + 1;
      const release = await this.#sem.acquire(signal).catch(() => Promise.reject(aborted(attempt)));
      let o: Outcome;
      try {
        o = await this.#attempt(method, url, payload, signal);
      } finally {
        release();
      }
      let error: PolicyError;
      let retry_after_s: number | null = null;
      if (o.type === "answer" && o.status >= 200 && o.status < 300) {
        try {
          return { method, url, status: o.status, json: JSON.parse(o.text) as unknown, text: o.text, attempts };
        } catch (e) {
          throw fail({ kind: "bad_response", status: o.status, detail: `body is not JSON (${(e as Error).message})`, body: o.text, attempts });
        }
      } else if (o.type === "answer") {
        error = fail({ kind: "http_status", status: o.status, detail: isRetryableStatus(o.status) ? "server busy or failing" : "request rejected", body: o.text, attempts });
        if (!isRetryableStatus(o.status)) throw error;
        retry_after_s = o.retry_after_s;
      } else if (o.type === "lost") {
        error = fail({ kind: "connection", status: null, detail: `connection lost: ${describe(o.err)}`, attempts }, o.err);
      } else if (o.type === "failed") {
        throw fail({ kind: "connection", status: null, detail: describe(o.err), attempts }, o.err);
      } else if (o.type === "timeout") {
        throw fail({ kind: "timeout", status: null, detail: `no complete answer within timeout_s=${this.config.timeout_s}`, attempts });
      } else {
        throw aborted(attempts);
      }
      if (attempt >= this.config.max_retries) throw error;
      this.#c.retries++;
      const delay_s = backoffDelay_s(attempt, this.config.backoff_base_s, this.config.backoff_max_s, this.#random(), retry_after_s);
      await sleep(delay_s * 1000, undefined, { signal }).catch(() => Promise.reject(aborted(attempts)));
    }
  }

  /** One HTTP exchange; never rejects. */
  #attempt(method: string, url: string, payload: string | undefined, signal: AbortSignal | undefined): Promise<Outcome> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), this.config.timeout_s * 1000);
    const both = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
    const headers: Record<string, string | number> = { accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    if (this.config.api_key !== null) headers["authorization"] = `Bearer ${this.config.api_key}`;
    const start_ms = this.#enter();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
      // Which signal fired decides the kind, whatever error the socket reported for it.
      const onError = (err: Error) => settle(timer.signal.aborted ? { type: "timeout" } : signal?.aborted ? { type: "aborted" } : isConnectionLoss(err) ? { type: "lost", err } : { type: "failed", err });
      const lib = url.startsWith("https:") ? https : http;
      const req = lib.request(url, { method, headers, agent: this.#agent, signal: both }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => settle({ type: "answer", status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), retry_after_s: parseRetryAfter_s(res.headers["retry-after"]) }));
        res.on("error", onError);
        res.on("close", () => {
          if (!res.complete) onError(Object.assign(new Error("connection closed before the answer was complete"), { code: "ECONNRESET" }));
        });
      });
      req.on("error", onError);
      req.end(payload);
    }).then((o) => {
      clearTimeout(timeout);
      if (o.type === "timeout") this.#c.timeouts++;
      this.#leave(start_ms);
      return o;
    });
  }

  #enter(): number {
    const now = performance.now();
    this.#c.attempts++;
    if (this.#in_flight++ === 0) this.#busy_since_ms = now;
    this.#c.max_in_flight_seen = Math.max(this.#c.max_in_flight_seen, this.#in_flight);
    return now;
  }

  #leave(start_ms: number): void {
    const now = performance.now();
    this.#c.request_ms += now - start_ms;
    if (--this.#in_flight === 0) this.#c.busy_ms += now - this.#busy_since_ms;
  }

  /** A snapshot; busy time includes the attempts in flight now. */
  stats(): HttpStats {
    const c = this.#c;
    const open_ms = this.#in_flight > 0 ? performance.now() - this.#busy_since_ms : 0;
    return Object.freeze({
      requests: c.requests,
      attempts: c.attempts,
      retries: c.retries,
      failures: c.failures,
      timeouts: c.timeouts,
      request_s: c.request_ms / 1000,
      busy_s: (c.busy_ms + open_ms) / 1000,
      max_in_flight_seen: c.max_in_flight_seen,
    });
  }

  /** Closes idle keep-alive sockets; in-flight requests are cut (and fail as connection loss). */
  close(): void {
    this.#agent.destroy();
  }
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
