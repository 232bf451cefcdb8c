/**
 * The encoder behind an OpenAI-compatible server: POST /v1/embeddings with `{ model, input }`,
 * answered `{ data: [{ index, embedding }], usage }`. Rows come back as Float32Array in input
 * order, placed by `data[].index` (the OpenAI contract), not by their position in `data`.
 * Long input lists are split into batches sent concurrently under the client's cap.
 *
 * An all-zero row is an error (design pitfall 3: a broken embedding recipe shows up as zeros).
 */
import { checkNumber, HTTP_OPTION_KEYS, normalizeHttpConfig, rejectUnknownKeys, type HttpConfig, type HttpOptions } from "./http-config.js";
import { JsonHttpClient, type HttpStats, type JsonAnswer } from "./json-http-client.js";
import { isRecord, shapeError, usageCount } from "./json-shape.js";

export interface EmbeddingsClientOptions extends HttpOptions {
  readonly model: string;
  /** Inputs per request. */
  readonly batch_size?: number;
}

export interface EmbeddingsConfig extends HttpConfig {
  readonly model: string;
  readonly batch_size: number;
}

export interface EmbeddingsStats extends HttpStats {
  readonly inputs: number;
  readonly prompt_tokens: number;
}

const KEYS: readonly string[] = [...HTTP_OPTION_KEYS, "model", "batch_size"];

export function normalizeEmbeddingsOptions(raw: EmbeddingsClientOptions): EmbeddingsConfig {
  const where = "EmbeddingsClient";
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected an options object, got ${JSON.stringify(raw)}`);
  rejectUnknownKeys(where, raw, KEYS);
  if (typeof raw.model !== "string" || raw.model.length === 0) throw new Error(`${where}: 'model' must be the served model name, got ${JSON.stringify(raw.model)}`);
  return Object.freeze({ ...normalizeHttpConfig(where, raw), model: raw.model, batch_size: checkNumber(where, "batch_size", raw.batch_size ?? 64, "positive_integer") });
}

/**
 * Rows of an embeddings answer for `n_inputs` inputs, placed by `data[].index`. Errors
 * (bad_response) name the field: a missing or repeated index, an index out of range, a row that
 * is not a list of finite numbers (a base64 `encoding_format` answer included), rows of different
 * widths, an all-zero row.
 */
export function parseEmbeddingsResponse(answer: Pick<JsonAnswer, "method" | "url" | "status" | "text" | "attempts" | "json">, inputs: readonly string[]): Float32Array[] {
  const data = isRecord(answer.json) ? answer.json["data"] : undefined;
  if (!Array.isArray(data)) throw shapeError(answer, "expected an object with a 'data' list (OpenAI embeddings shape)");
  if (data.length !== inputs.length) throw shapeError(answer, `${inputs.length} inputs sent but ${data.length} embeddings returned`);
  const rows: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(inputs.length).fill(undefined);
  data.forEach((d: unknown, i) => {
    const at = `data[${i}]`;
    if (!isRecord(d)) throw shapeError(answer, `${at} is not an object`);
    const { index, embedding } = d;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= inputs.length) throw shapeError(answer, `${at}.index is ${JSON.stringify(index)}, expected an integer in [0, ${inputs.length})`);
    if (rows[index] !== undefined) throw shapeError(answer, `${at}.index ${index} appears twice`);
    if (!Array.isArray(embedding) || !embedding.every((x) => typeof x === "number" && Number.isFinite(x))) throw shapeError(answer, `${at}.embedding is not a list of finite numbers (encoding_format must be "float")`);
    const row = Float32Array.from(embedding as number[]);
    if (row.every((x) => x === 0)) throw shapeError(answer, `${at}: all-zero embedding for input ${index} (${JSON.stringify((inputs[index] ?? "").slice(0, 200))}): the encoder's recipe is broken`);
    rows[index] = row;
  });
  const dim = rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r !== undefined && r.length !== dim) throw shapeError(answer, `embedding ${i} has ${r.length} values but embedding 0 has ${dim}`);
  });
  return rows as Float32Array[];
}

export class EmbeddingsClient {
  readonly config: EmbeddingsConfig;
  readonly #http: JsonHttpClient;
  readonly #c = { inputs: 0, prompt_tokens: 0 };

  constructor(options: EmbeddingsClientOptions, random?: () => number) {
    this.config = normalizeEmbeddingsOptions(options);
    this.#http = new JsonHttpClient(this.config, random);
  }

  /** One Float32Array per input, in input order. Throws PolicyError. */
  async embed(inputs: readonly string[], options: { readonly signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const b = this.config.batch_size;
    const batches: string[][] = [];
    for (let i = 0; i < inputs.length; i += b) batches.push(inputs.slice(i, i + b));
    const parts = await Promise.all(batches.map((batch) => this.#embedBatch(batch, options.signal)));
    return parts.flat();
  }

  async #embedBatch(input: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const answer = await this.#http.request("POST", "/v1/embeddings", { model: this.config.model, input }, signal);
    const rows = parseEmbeddingsResponse(answer, input);
    this.#c.inputs += input.length;
    this.#c.prompt_tokens += usageCount(isRecord(answer.json) ? answer.json["usage"] : undefined, "prompt_tokens");
    return rows;
  }

  stats(): EmbeddingsStats {
    return Object.freeze({ ...this.#http.stats(), ...this.#c });
  }

  close(): void {
    this.#http.close();
  }
}
