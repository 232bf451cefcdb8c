/**
 * What tracing one theorem produced: its pairs, or the category and reason of its failure. One
 * outcome is one line of a chunk file; `key` ties it to the exact header + code traced, so a
 * resumed run reuses it only for the same theorem text.
 */
import type { Source } from "../artifacts/schemas.js";
import type { TracedPair } from "./trace-pairs.js";

/** seed: the first 20 % batch whose failure rate gates the rest; rest: the remainder. */
export type TraceBatch = "seed" | "rest";

/**
 * Failure categories in tracing_report.json:
 * - banned_word / sorry / lean_error / repl_error / no_tactics: the proof was not accepted (proof-check.ts);
 * - no_pairs: accepted, but every traced tactic was dropped (no goals, bullets only);
 * - timeout: over the per-theorem limit (120 s by default);
 * - crash / memory_cap / protocol: the worker died or misbehaved (after the retries);
 * - header_error: the theorem's header (imports/opens) failed to import.
 */
export type TraceFailure =
  | "banned_word"
  | "sorry"
  | "lean_error"
  | "repl_error"
  | "no_tactics"
  | "no_pairs"
  | "timeout"
  | "crash"
  | "memory_cap"
  | "protocol"
  | "header_error";

export const TRACE_FAILURES: readonly TraceFailure[] = [
  "banned_word",
  "sorry",
  "lean_error",
  "repl_error",
  "no_tactics",
  "no_pairs",
  "timeout",
  "crash",
  "memory_cap",
  "protocol",
  "header_error",
];

interface OutcomeBase {
  readonly name: string;
  readonly source: Source;
  readonly batch: TraceBatch;
  /** sha256(header + NUL + code), first 16 hex digits. */
  readonly key: string;
  readonly attempts: number;
  /** Wall time of the last attempt's request, ms. */
  readonly wall_ms: number;
}

export interface TraceOk extends OutcomeBase {
  readonly status: "ok";
  readonly pairs: readonly TracedPair[];
}

export interface TraceFailed extends OutcomeBase {
  readonly status: "failed";
  readonly category: TraceFailure;
  readonly detail: string;
}

export type TraceOutcome = TraceOk | TraceFailed;

/** The theorem as the tracer sees it. */
export interface TraceTheorem {
  readonly name: string;
  readonly source: Source;
  readonly header: string;
  /** Declaration + proof, as sent in one `cmd`. */
  readonly code: string;
  /** The proof text (banned-word check). */
  readonly proof: string;
}

/** Checks a parsed chunk line; returns null for anything that is not a complete outcome. */
export function asOutcome(v: unknown): TraceOutcome | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o["name"] !== "string" || typeof o["key"] !== "string" || (o["batch"] !== "seed" && o["batch"] !== "rest")) return null;
  if (o["status"] === "ok" && Array.isArray(o["pairs"])) return v as TraceOk;
  if (o["status"] === "failed" && typeof o["category"] === "string" && TRACE_FAILURES.includes(o["category"] as TraceFailure)) return v as TraceFailed;
  return null;
}
