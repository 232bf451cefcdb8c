/**
 * Parsing a `/v1/completions` answer in the OpenAI shape that vLLM and SGLang serve:
 *
 *   { id, object: "text_completion", created, model,
 *     choices: [{ index, text, finish_reason, logprobs: { tokens, token_logprobs, top_logprobs, text_offset } }],
 *     usage: { prompt_tokens, completion_tokens, total_tokens } }
 *
 * Only the fields the policy needs are read; anything else (id, stop_reason, top_logprobs, ...) is
 * ignored. Pure: the answer in, choices out, or a PolicyError naming the URL, the status, the
 * field and the start of the body.
 */
import { isRecord, shapeError, usageCount, type AnswerContext } from "./json-shape.js";

export interface CompletionChoice {
  readonly index: number;
  readonly text: string;
  readonly tokens: readonly string[];
  /** Per token; only position 0 may be null (see parseCompletionsResponse). */
  readonly token_logprobs: readonly (number | null)[];
  /** "stop" (EOS or a stop string), "length" (max_tokens reached), or what the server said. */
  readonly finish_reason: string | null;
}

export interface CompletionsResponse {
  /** In the server's order (by `index` for vLLM and SGLang). */
  readonly choices: readonly CompletionChoice[];
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

/**
 * Checks and reads the answer. Errors (PolicyError):
 * - no_logprobs: a choice has no `logprobs`, or `logprobs.token_logprobs` is missing / null
 *   (a server or proxy that ignores the request's `logprobs`);
 * - bad_response: no `choices` list, a choice without string `text` or integer `index`, tokens and
 *   token_logprobs of different lengths, or a null logprob past the first token.
 *
 * A null logprob at position 0 is accepted: vLLM's OpenAI layer writes null for a position whose
 * logprobs it does not have, and the position that happens for is the first (the first prompt
 * token under `echo`, which has no context to condition on). How it is scored: tacticCandidates.
 * Past position 0 a null means the server's logprobs are broken, and a silently wrong score would
 * steer the search, so it is an error.
 */
export function parseCompletionsResponse(answer: AnswerContext & { readonly json: unknown }): CompletionsResponse {
  const body = answer.json;
  if (!isRecord(body) || !Array.isArray(body["choices"])) throw shapeError(answer, "expected an object with a 'choices' list (OpenAI completions shape)");
  const choices = (body["choices"] as readonly unknown[]).map((c, i) => parseChoice(answer, c, i));
  return { choices, prompt_tokens: usageCount(body["usage"], "prompt_tokens"), completion_tokens: usageCount(body["usage"], "completion_tokens") };
}

function parseChoice(answer: AnswerContext, c: unknown, i: number): CompletionChoice {
  const at = `choices[${i}]`;
  if (!isRecord(c)) throw shapeError(answer, `${at} is not an object`);
  const { text, index, finish_reason, logprobs } = c;
  if (typeof text !== "string") throw shapeError(answer, `${at}.text is not a string`);
  if (typeof index !== "number" || !Number.isInteger(index)) throw shapeError(answer, `${at}.index is not an integer`);
  if (finish_reason !== null && finish_reason !== undefined && typeof finish_reason !== "string") throw shapeError(answer, `${at}.finish_reason is not a string`);
  if (!isRecord(logprobs) || logprobs["token_logprobs"] === null || logprobs["token_logprobs"] === undefined) {
    throw shapeError(answer, `${at}.logprobs${isRecord(logprobs) ? ".token_logprobs" : ""} is missing: the server returned no per-token logprobs although the request asked for them (logprobs >= 1); a proxy or server version that drops them cannot score candidates`, "no_logprobs");
  }
  const tokens = logprobs["tokens"];
  const lps = logprobs["token_logprobs"];
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw shapeError(answer, `${at}.logprobs.tokens is not a list of strings`);
  if (!Array.isArray(lps)) throw shapeError(answer, `${at}.logprobs.token_logprobs is not a list`);
  if (lps.length !== tokens.length) throw shapeError(answer, `${at}.logprobs has ${tokens.length} tokens but ${lps.length} token_logprobs`);
  lps.forEach((lp: unknown, k) => {
    if (lp === null && k === 0) return;
    if (typeof lp !== "number" || !Number.isFinite(lp)) throw shapeError(answer, `${at}.logprobs.token_logprobs[${k}] is ${JSON.stringify(lp)}, expected a finite number${lp === null ? " (null is accepted only for the first token)" : ""}`);
  });
  return { index, text, tokens: tokens as string[], token_logprobs: lps as (number | null)[], finish_reason: (finish_reason as string | null | undefined) ?? null };
}
