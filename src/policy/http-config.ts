/**
 * Options shared by every client of an OpenAI-compatible server (completions, embeddings, models),
 * normalised once into a frozen config. Unknown keys are errors naming the key.
 */

export interface HttpOptions {
  /** `http://host:port` or `http://host:port/v1` (both accepted; `/v1/...` is appended once). */
  readonly base_url: string;
  /** Sent as `Authorization: Bearer ...` (vLLM / SGLang `--api-key`); null: no header. */
  readonly api_key?: string | null;
  /** Per HTTP attempt, from sending the request to the last byte of the answer. */
  readonly timeout_s?: number;
  /** At most this many requests in flight from this client (waiting for a slot is not timed). */
  readonly max_in_flight?: number;
  /** Retries after the first attempt, on 429 / 5xx / connection loss. */
  readonly max_retries?: number;
  /** Backoff before retry k (0-based) is min(backoff_max_s, backoff_base_s × 2^k), jittered. */
  readonly backoff_base_s?: number;
  readonly backoff_max_s?: number;
}

export interface HttpConfig {
  /** Normalised: no trailing slash, no trailing `/v1`. */
  readonly base_url: string;
  readonly api_key: string | null;
  readonly timeout_s: number;
  readonly max_in_flight: number;
  readonly max_retries: number;
  readonly backoff_base_s: number;
  readonly backoff_max_s: number;
}

export const HTTP_OPTION_KEYS: readonly (keyof HttpOptions)[] = ["base_url", "api_key", "timeout_s", "max_in_flight", "max_retries", "backoff_base_s", "backoff_max_s"];

export const DEFAULT_HTTP = Object.freeze({
  timeout_s: 120,
  // The plan searches with --concurrency 10 (one expansion request in flight per theorem).
  max_in_flight: 10,
  max_retries: 4,
  backoff_base_s: 0.5,
  backoff_max_s: 8,
});

/** Throws naming the first key of `raw` that is not in `allowed`. */
export function rejectUnknownKeys(where: string, raw: object, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown option '${key}' (allowed: ${allowed.join(", ")})`);
  }
}

/** A number check that names the option and the value it got. */
export function checkNumber(where: string, key: string, v: unknown, rule: "positive" | "non_negative" | "positive_integer" | "non_negative_integer"): number {
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    (rule === "positive" ? v > 0 : rule === "non_negative" ? v >= 0 : Number.isInteger(v) && (rule === "positive_integer" ? v >= 1 : v >= 0));
  if (!ok) throw new Error(`${where}: '${key}' must be a ${rule.replace(/_/g, " ")} number, got ${JSON.stringify(v)}`);
  return v as number;
}

/** `http(s)://host[:port][/prefix]` with no trailing slash and no trailing `/v1`. */
export function normalizeBaseUrl(where: string, raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0) throw new Error(`${where}: 'base_url' must be a URL string such as http://127.0.0.1:8000, got ${JSON.stringify(raw)}`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${where}: 'base_url' is not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${where}: 'base_url' must be http or https, got ${JSON.stringify(raw)}`);
  if (u.search || u.hash) throw new Error(`${where}: 'base_url' must not carry a query or fragment: ${JSON.stringify(raw)}`);
  const path = u.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${u.protocol}//${u.host}${path}`;
}

/** Picks the shared keys out of `raw` (already checked for unknown keys by the caller). */
export function normalizeHttpConfig(where: string, raw: HttpOptions): HttpConfig {
  const c: HttpConfig = {
    base_url: normalizeBaseUrl(where, raw.base_url),
    api_key: raw.api_key ?? null,
    timeout_s: checkNumber(where, "timeout_s", raw.timeout_s ?? DEFAULT_HTTP.timeout_s, "positive"),
    max_in_flight: checkNumber(where, "max_in_flight", raw.max_in_flight ?? DEFAULT_HTTP.max_in_flight, "positive_integer"),
    max_retries: checkNumber(where, "max_retries", raw.max_retries ?? DEFAULT_HTTP.max_retries, "non_negative_integer"),
    backoff_base_s: checkNumber(where, "backoff_base_s", raw.backoff_base_s ?? DEFAULT_HTTP.backoff_base_s, "non_negative"),
    backoff_max_s: checkNumber(where, "backoff_max_s", raw.backoff_max_s ?? DEFAULT_HTTP.backoff_max_s, "non_negative"),
  };
  if (c.api_key !== null && typeof c.api_key !== "string") throw new Error(`${where}: 'api_key' must be a string or null`);
  return Object.freeze(c);
}
