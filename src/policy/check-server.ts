/**
 * GET /v1/models: which models an OpenAI-compatible server serves, and whether the one a run
 * needs is among them, before a search spends its first request on a 404.
 */
import { HTTP_OPTION_KEYS, normalizeHttpConfig, rejectUnknownKeys, type HttpOptions } from "./http-config.js";
import { JsonHttpClient } from "./json-http-client.js";
import { isRecord, shapeError } from "./json-shape.js";

export interface ServerCheck {
  /** The /v1/models URL asked. */
  readonly url: string;
  /** Model ids the server lists (`data[].id`), in its order. */
  readonly models: readonly string[];
  /** The model asked about, or null. */
  readonly model: string | null;
  /** Whether `model` is listed; null when no model was asked about. */
  readonly has_model: boolean | null;
  /** One line for a notebook or log. */
  readonly summary: string;
}

export interface CheckServerOptions extends HttpOptions {
  readonly model?: string;
}

/** Throws PolicyError when the server cannot be reached or answers a body that is not a model list. */
export async function checkServer(options: CheckServerOptions): Promise<ServerCheck> {
  rejectUnknownKeys("checkServer", options, [...HTTP_OPTION_KEYS, "model"]);
  const http = new JsonHttpClient(normalizeHttpConfig("checkServer", options));
  try {
    return await checkServerWith(http, options.model ?? null);
  } finally {
    http.close();
  }
}

/** checkServer over an existing client (shares its agent, cap and retries). */
export async function checkServerWith(http: JsonHttpClient, model: string | null, signal?: AbortSignal): Promise<ServerCheck> {
  const answer = await http.request("GET", "/v1/models", undefined, signal);
  const data = isRecord(answer.json) ? answer.json["data"] : undefined;
  if (!Array.isArray(data)) throw shapeError(answer, "expected { data: [{ id }] } (OpenAI model list)");
  const models = data.map((m: unknown, i) => {
    if (!isRecord(m) || typeof m["id"] !== "string") throw shapeError(answer, `data[${i}].id is not a string`);
    return m["id"];
  });
  const has_model = model === null ? null : models.includes(model);
  const listed = models.length ? models.map((m) => `'${m}'`).join(", ") : "no models";
  const summary =
    model === null ? `${answer.url} serves ${listed}` : has_model ? `${answer.url} serves '${model}'` : `${answer.url} does not serve '${model}'; it serves ${listed}`;
  return Object.freeze({ url: answer.url, models: Object.freeze(models), model, has_model, summary });
}
