/**
 * Small checks for the JSON a server sent back. A body that is not the expected shape is a
 * PolicyError (bad_response) naming the URL, the status, the field that was wrong and the start of
 * the body.
 */
import type { JsonAnswer } from "./json-http-client.js";
import { PolicyError, type PolicyErrorKind } from "./policy-error.js";

export type JsonRecord = Readonly<Record<string, unknown>>;

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The answer a shape check failed on (the fields of a JsonAnswer that errors need). */
export type AnswerContext = Pick<JsonAnswer, "method" | "url" | "status" | "text" | "attempts">;

export function shapeError(answer: AnswerContext, detail: string, kind: PolicyErrorKind = "bad_response"): PolicyError {
  return new PolicyError({ kind, method: answer.method, url: answer.url, status: answer.status, detail, body: answer.text, attempts: answer.attempts });
}

/** A count from `usage`, or 0 when the server left it out. */
export function usageCount(usage: unknown, key: string): number {
  if (!isRecord(usage)) return 0;
  const v = usage[key];
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
