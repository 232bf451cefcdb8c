/**
 * The synthetic policy and encoder behind an OpenAI-compatible HTTP server on 127.0.0.1, shaped
 * like vLLM's answers so the project's CompletionsClient, EmbeddingsClient and checkServer talk to
 * it unchanged:
 *
 * - GET  /v1/models       → { object: "list", data: [{ id, object: "model", … }] }, one per policy;
 * - POST /v1/completions  → syntheticCompletions (the request's `model` picks the policy);
 * - POST /v1/embeddings   → { object: "list", data: [{ object: "embedding", index, embedding }], model, usage };
 * - GET  /health          → { status, models, embed_recipe } (the recipe the encoder stands for, as burnqed.serve reports its own);
 * - an unknown model is vLLM's 404 body, a malformed request a 400 with an OpenAI error body.
 *
 * The answers are pure functions of (seed, request); this file is only the HTTP shell. In-process
 * for tests (startSyntheticPolicyServer); as a process for the pipeline
 * (synthetic-policy-server-main.ts, started by spawnSyntheticPolicyServer).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CompletionsRequestError, syntheticCompletions, type SyntheticCompletionsRequest } from "./synthetic-completions.js";
import { DEFAULT_EMBEDDING_DIM, embeddedState, plantedDirection, syntheticEmbedding } from "./synthetic-embeddings.js";
import { normalizePolicyParams, type SyntheticPolicyParams } from "./synthetic-policy-params.js";
import type { SyntheticProofWorld } from "./synthetic-proof-world.js";
import { toyTokens } from "./toy-tokens.js";

/** What a server config file holds (besides the world, which comes from its own file). */
export interface SyntheticServerConfig {
  readonly policies: readonly SyntheticPolicyParams[];
  /** Seed of every draw; default: the world's seed. */
  readonly seed: number | null;
  readonly embedding_dim: number;
  /** 0: any free port. */
  readonly port: number;
  /**
   * The embedding recipe this encoder stands for, reported at GET /health as burnqed.serve
   * reports its own, so the search's scorer can check it against the run's; null: none reported.
   */
  readonly embed_recipe: Readonly<Record<string, unknown>> | null;
  /**
   * Scenario knob: the planted shift of proof-path states of these theorems is multiplied by
   * `scale` (the demo's heldout_signal_pct: the energy head's held-out theorems carry less or no
   * signal, so a head can only fit its training theorems). Null: no damping.
   */
  readonly damp: { readonly theorems: readonly string[]; readonly scale: number } | null;
  /**
   * Every embedding is multiplied by this (default 1: norm ≈ 1). A model's final normed hidden
   * states have coordinates of order 1, norm ≈ √dim; the demo serves that scale, which the energy
   * head's initialisation and learning rate are made for.
   */
  readonly embedding_scale: number;
}

export interface SyntheticServerStats {
  readonly completions: number;
  readonly embeddings: number;
  readonly models: number;
  /** 4xx answers. */
  readonly rejected: number;
}

export interface SyntheticPolicyServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly config: SyntheticServerConfig;
  stats(): SyntheticServerStats;
  close(): Promise<void>;
}

const CONFIG_KEYS = ["policies", "seed", "embedding_dim", "port", "embed_recipe", "damp", "embedding_scale"];

export function normalizeSyntheticServerConfig(raw: unknown): SyntheticServerConfig {
  const where = "synthetic policy server";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected an options object, got ${JSON.stringify(raw)?.slice(0, 100)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!CONFIG_KEYS.includes(k)) throw new Error(`${where}: unknown option '${k}' (allowed: ${CONFIG_KEYS.join(", ")})`);
  if (!Array.isArray(o["policies"]) || o["policies"].length === 0) throw new Error(`${where}: 'policies' must be a non-empty list of { model, p_correct, … }`);
  const policies = (o["policies"] as unknown[]).map((p, i) => normalizePolicyParams(p, `${where}: policies[${i}]`));
  const models = new Set<string>();
  for (const p of policies) {
    if (models.has(p.model)) throw new Error(`${where}: model '${p.model}' is listed twice`);
    models.add(p.model);
  }
  const int = (k: string, dflt: number | null, lo: number, hi: number): number | null => {
    const v = o[k] ?? dflt;
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`${where}: '${k}' must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const recipe = o["embed_recipe"] ?? null;
  if (recipe !== null && (typeof recipe !== "object" || Array.isArray(recipe))) throw new Error(`${where}: 'embed_recipe' must be an object or null, got ${JSON.stringify(recipe)?.slice(0, 100)}`);
  const damp = o["damp"] ?? null;
  if (damp !== null) {
    const d = damp as { theorems?: unknown; scale?: unknown };
    if (typeof damp !== "object" || !Array.isArray(d.theorems) || !d.theorems.every((t) => typeof t === "string") || typeof d.scale !== "number" || !(d.scale >= 0 && d.scale <= 1)) {
      throw new Error(`${where}: 'damp' must be { theorems: [names], scale: number in [0, 1] } or null, got ${JSON.stringify(damp)?.slice(0, 100)}`);
    }
  }
  const embedding_scale = o["embedding_scale"] ?? 1;
  if (typeof embedding_scale !== "number" || !(embedding_scale > 0) || !Number.isFinite(embedding_scale)) throw new Error(`${where}: 'embedding_scale' must be a positive number, got ${JSON.stringify(embedding_scale)}`);
  return Object.freeze({
    embedding_scale,
    policies: Object.freeze(policies),
    seed: int("seed", null, 0, 0xffffffff),
    embedding_dim: int("embedding_dim", DEFAULT_EMBEDDING_DIM, 2, 8192)!,
    port: int("port", 0, 0, 65535)!,
    embed_recipe: recipe === null ? null : Object.freeze({ ...(recipe as Record<string, unknown>) }),
    damp: damp === null ? null : Object.freeze({ theorems: Object.freeze([...(damp as { theorems: string[] }).theorems]), scale: (damp as { scale: number }).scale }),
  });
}

type Answer = { readonly status: number; readonly body: unknown };

const openAiError = (status: number, message: string, type: string): Answer => ({ status, body: { object: "error", message, type, param: null, code: status } });

/** Routes one request (pure but for the counters). */
class Router {
  readonly counts = { completions: 0, embeddings: 0, models: 0, rejected: 0 };
  readonly #seed: number;
  readonly #direction: Float64Array;
  readonly #damped: ReadonlySet<string> | null;

  constructor(
    private readonly world: SyntheticProofWorld,
    readonly config: SyntheticServerConfig,
  ) {
    this.#seed = config.seed ?? world.spec.seed;
    this.#direction = plantedDirection(this.#seed, config.embedding_dim);
    this.#damped = config.damp ? new Set(config.damp.theorems) : null;
  }

  answer(method: string, path: string, raw: string): Answer {
    const a = this.#route(method, path, raw);
    if (a.status >= 400) this.counts.rejected++;
    return a;
  }

  #route(method: string, path: string, raw: string): Answer {
    if (method === "GET" && path === "/health") {
      return { status: 200, body: { status: "ok", models: this.config.policies.map((p) => p.model), embed_recipe: this.config.embed_recipe } };
    }
    if (method === "GET" && path === "/v1/models") {
      this.counts.models++;
      const data = this.config.policies.map((p) => ({ id: p.model, object: "model", created: 1767225600, owned_by: "burnqed-synthetic", root: p.model, parent: null, max_model_len: 4096 }));
      return { status: 200, body: { object: "list", data } };
    }
    if (method !== "POST" || (path !== "/v1/completions" && path !== "/v1/embeddings")) return openAiError(404, `no route ${method} ${path}`, "NotFoundError");
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (e) {
      return openAiError(400, `body is not JSON (${(e as Error).message}): ${raw.slice(0, 200)}`, "BadRequestError");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return openAiError(400, "body must be a JSON object", "BadRequestError");
    const b = body as Record<string, unknown>;
    const policy = this.config.policies.find((p) => p.model === b["model"]);
    if (!policy) return openAiError(404, `The model \`${String(b["model"])}\` does not exist.`, "NotFoundError");
    try {
      return path === "/v1/completions" ? this.#completions(policy, b) : this.#embeddings(policy, b);
    } catch (e) {
      if (e instanceof CompletionsRequestError) return openAiError(400, e.message, "BadRequestError");
      throw e;
    }
  }

  #completions(policy: SyntheticPolicyParams, b: Record<string, unknown>): Answer {
    const prompt = b["prompt"];
    if (typeof prompt !== "string") throw new CompletionsRequestError(`prompt must be one string, got ${JSON.stringify(prompt)?.slice(0, 100)}`);
    const stop = b["stop"] ?? [];
    if (!(typeof stop === "string" || (Array.isArray(stop) && stop.every((s) => typeof s === "string")))) throw new CompletionsRequestError(`stop must be a string or a list of strings, got ${JSON.stringify(stop)}`);
    const logprobs = b["logprobs"] ?? null;
    if (logprobs !== null && (typeof logprobs !== "number" || !Number.isInteger(logprobs) || logprobs < 0 || logprobs > 20)) throw new CompletionsRequestError(`logprobs must be an integer in [0, 20] or null, got ${JSON.stringify(logprobs)}`);
    const req: SyntheticCompletionsRequest = {
      model: policy.model,
      prompt,
      n: (b["n"] ?? 1) as number,
      temperature: (b["temperature"] ?? 1) as number,
      max_tokens: (b["max_tokens"] ?? 16) as number,
      stop: typeof stop === "string" ? [stop] : (stop as string[]),
      logprobs: logprobs as number | null,
    };
    const body = syntheticCompletions(this.world, policy, this.#seed, req);
    this.counts.completions++;
    return { status: 200, body };
  }

  #embeddings(policy: SyntheticPolicyParams, b: Record<string, unknown>): Answer {
    const raw = b["input"];
    const input = typeof raw === "string" ? [raw] : raw;
    if (!Array.isArray(input) || input.length === 0 || !input.every((s) => typeof s === "string")) throw new CompletionsRequestError("input must be a string or a non-empty list of strings");
    if (b["encoding_format"] !== undefined && b["encoding_format"] !== "float") throw new CompletionsRequestError(`only encoding_format "float" is served, got ${JSON.stringify(b["encoding_format"])}`);
    const enc = { seed: this.#seed, model: policy.model, dim: this.config.embedding_dim, embed_shift: policy.embed_shift };
    const damped = this.#damped;
    const data = (input as string[]).map((s, index) => {
      const scale = damped && this.world.proofPositions(embeddedState(s)).some((p) => damped.has(p.theorem)) ? this.config.damp!.scale : 1;
      const v = syntheticEmbedding(this.world, scale === 1 ? enc : { ...enc, embed_shift: enc.embed_shift * scale }, s, this.#direction);
      const k = this.config.embedding_scale;
      return { object: "embedding", index, embedding: k === 1 ? v : v.map((x) => Math.fround(x * k)) };
    });
    const prompt_tokens = (input as string[]).reduce((n, s) => n + toyTokens(s).length, 0);
    this.counts.embeddings++;
    return { status: 200, body: { object: "list", data, model: policy.model, usage: { prompt_tokens, total_tokens: prompt_tokens } } };
  }
}

/** Starts the server in this process on 127.0.0.1 (port 0 unless the config says otherwise). */
export async function startSyntheticPolicyServer(world: SyntheticProofWorld, options: unknown): Promise<SyntheticPolicyServer> {
  const config = normalizeSyntheticServerConfig(options);
  const router = new Router(world, config);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let a: Answer;
      try {
        a = router.answer(req.method ?? "", (req.url ?? "").replace(/\?.*$/, ""), Buffer.concat(chunks).toString("utf8"));
      } catch (e) {
        a = openAiError(500, `synthetic policy server: internal error: ${(e as Error).message}`, "InternalServerError");
      }
      const text = JSON.stringify(a.body);
      if (res.destroyed) return;
      res.writeHead(a.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    stats: () => Object.freeze({ ...router.counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
