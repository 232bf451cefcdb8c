/**
 * The tactic policy behind an OpenAI-compatible server (vLLM, SGLang, or the project's serve.py):
 * one POST /v1/completions per proof state with `n` samples and per-token logprobs, turned into
 * scored, deduplicated, sorry-free tactic candidates.
 *
 * Request body, exactly: { model, prompt, n, temperature, max_tokens, stop, logprobs }.
 * `logprobs` is the integer count of top alternatives per position (1: the sampled token's own
 * logprob is what we need); the prompt is policyPrompt(state), byte-identical to the SFT prompt.
 */
import { GOAL_TOKEN, PROOFSTEP_TOKEN } from "../data/sft-format.js";
import { checkNumber, HTTP_OPTION_KEYS, normalizeHttpConfig, rejectUnknownKeys, type HttpConfig, type HttpOptions } from "./http-config.js";
import { checkServerWith, type ServerCheck } from "./check-server.js";
import { parseCompletionsResponse } from "./completions-response.js";
import { JsonHttpClient, type HttpStats, type JsonAnswer } from "./json-http-client.js";
import { PolicyError } from "./policy-error.js";
import { policyPrompt } from "./prompt-format.js";
import { tacticCandidates, type CandidateSet, type TacticCandidate } from "./tactic-candidates.js";

export interface CompletionsClientOptions extends HttpOptions {
  /** The served model name (`--served-model-name`), e.g. the merged iter_0 checkpoint. */
  readonly model: string;
  /** Samples per proof state (plan: --num-candidates 16). */
  readonly n?: number;
  /** Plan: --temperature 1.3. */
  readonly temperature?: number;
  readonly max_tokens?: number;
  /** Generation stops before any of these (the SFT markers: a tactic never contains them). */
  readonly stop?: readonly string[];
  /** Top logprobs per position; >= 1 (SGLang treats 0 as "no logprobs"). */
  readonly logprobs?: number;
}

export interface CompletionsConfig extends HttpConfig {
  readonly model: string;
  readonly n: number;
  readonly temperature: number;
  readonly max_tokens: number;
  readonly stop: readonly string[];
  readonly logprobs: number;
}

export const DEFAULT_COMPLETIONS = Object.freeze({ n: 16, temperature: 1.3, max_tokens: 128, stop: Object.freeze([GOAL_TOKEN, PROOFSTEP_TOKEN]), logprobs: 1 });

const KEYS: readonly string[] = [...HTTP_OPTION_KEYS, "model", "n", "temperature", "max_tokens", "stop", "logprobs"];

export function normalizeCompletionsOptions(raw: CompletionsClientOptions): CompletionsConfig {
  const where = "CompletionsClient";
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected an options object, got ${JSON.stringify(raw)}`);
  rejectUnknownKeys(where, raw, KEYS);
  if (typeof raw.model !== "string" || raw.model.length === 0) throw new Error(`${where}: 'model' must be the served model name, got ${JSON.stringify(raw.model)}`);
  const stop = raw.stop ?? DEFAULT_COMPLETIONS.stop;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s.length > 0)) throw new Error(`${where}: 'stop' must be a list of non-empty strings, got ${JSON.stringify(stop)}`);
  return Object.freeze({
    ...normalizeHttpConfig(where, raw),
    model: raw.model,
    n: checkNumber(where, "n", raw.n ?? DEFAULT_COMPLETIONS.n, "positive_integer"),
    temperature: checkNumber(where, "temperature", raw.temperature ?? DEFAULT_COMPLETIONS.temperature, "non_negative"),
    max_tokens: checkNumber(where, "max_tokens", raw.max_tokens ?? DEFAULT_COMPLETIONS.max_tokens, "positive_integer"),
    stop: Object.freeze([...stop]),
    logprobs: checkNumber(where, "logprobs", raw.logprobs ?? DEFAULT_COMPLETIONS.logprobs, "positive_integer"),
  });
}

export interface GenerateOptions {
  /** Overrides the config's n for this call. */
  readonly n?: number;
  /** Overrides the config's temperature for this call. */
  readonly temperature?: number;
  /**
   * Budget of the whole call in ms (waiting for a slot, attempts, backoff): what is left of the
   * theorem's wall-clock limit (pitfall 10). Past it the call fails with kind "timeout".
   */
  readonly deadline_ms?: number;
  /** Cancels the wait for a slot, the request and the backoff; the call fails with kind "aborted". */
  readonly signal?: AbortSignal;
  /** Names the theorem in the error for a state that would break the prompt. */
  readonly theorem_name?: string;
}

export interface GenerateResult extends CandidateSet {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  /** HTTP attempts this call took (1 + retries). */
  readonly attempts: number;
}

export interface CompletionsStats extends HttpStats {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly choices: number;
  readonly candidates: number;
  readonly dropped_empty: number;
  readonly dropped_banned: number;
  readonly dropped_duplicates: number;
  readonly dropped_unscored: number;
  readonly null_first_logprobs: number;
}

/** The exact JSON body sent to /v1/completions. */
export interface CompletionsRequestBody {
  readonly model: string;
  readonly prompt: string;
  readonly n: number;
  readonly temperature: number;
  readonly max_tokens: number;
  readonly stop: readonly string[];
  readonly logprobs: number;
}

export class CompletionsClient {
  readonly config: CompletionsConfig;
  readonly #http: JsonHttpClient;
  readonly #c = { prompt_tokens: 0, completion_tokens: 0, choices: 0, candidates: 0, dropped_empty: 0, dropped_banned: 0, dropped_duplicates: 0, dropped_unscored: 0, null_first_logprobs: 0 };

  /** `random` draws the retry jitter (tests pin it). */
  constructor(options: CompletionsClientOptions, random?: () => number) {
    this.config = normalizeCompletionsOptions(options);
    this.#http = new JsonHttpClient(this.config, random);
  }

  /** The body generate() sends for a state. */
  requestBody(state_pp: string, options: Pick<GenerateOptions, "n" | "temperature" | "theorem_name"> = {}): CompletionsRequestBody {
    const c = this.config;
    const where = "CompletionsClient.generate";
    const n = options.n === undefined ? c.n : checkNumber(where, "n", options.n, "positive_integer");
    const temperature = options.temperature === undefined ? c.temperature : checkNumber(where, "temperature", options.temperature, "non_negative");
    return { model: c.model, prompt: policyPrompt(state_pp, options.theorem_name), n, temperature, max_tokens: c.max_tokens, stop: c.stop, logprobs: c.logprobs };
  }

  /** Candidate tactics for one proof state, best first. Throws PolicyError. */
  async generate(state_pp: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const body = this.requestBody(state_pp, options);
    const deadline = options.deadline_ms === undefined ? undefined : AbortSignal.timeout(Math.ceil(Math.max(0, checkNumber("CompletionsClient.generate", "deadline_ms", options.deadline_ms, "non_negative"))));
    const signals = [options.signal, deadline].filter((x): x is AbortSignal => x !== undefined);
    let answer: JsonAnswer;
    try {
      answer = await this.#http.request("POST", "/v1/completions", body, signals.length > 1 ? AbortSignal.any(signals) : signals[0]);
    } catch (e) {
      throw this.#explainRejection(this.#explainDeadline(e, deadline, options));
    }
    const parsed = parseCompletionsResponse(answer);
    const set = tacticCandidates(parsed.choices);
    const c = this.#c;
    c.prompt_tokens += parsed.prompt_tokens;
    c.completion_tokens += parsed.completion_tokens;
    c.choices += set.n_choices;
    c.candidates += set.candidates.length;
    c.dropped_empty += set.dropped_empty;
    c.dropped_banned += set.dropped_banned;
    c.dropped_duplicates += set.dropped_duplicates;
    c.dropped_unscored += set.dropped_unscored;
    c.null_first_logprobs += set.null_first_logprobs;
    return { ...set, prompt_tokens: parsed.prompt_tokens, completion_tokens: parsed.completion_tokens, attempts: answer.attempts };
  }

  /** An abort that came from the call's deadline (not the caller's signal) is a timeout. */
  #explainDeadline(e: unknown, deadline: AbortSignal | undefined, options: GenerateOptions): unknown {
    if (!(e instanceof PolicyError) || e.kind !== "aborted" || !deadline?.aborted || options.signal?.aborted) return e;
    return new PolicyError({ ...e.info(), kind: "timeout", detail: `the call's deadline_ms=${options.deadline_ms} passed (waiting for a slot, in a request or in backoff)` }, { cause: e });
  }

  /**
   * The search's Policy interface (src/search/policy.ts): `propose(state, { n, temperature,
   * deadline_ms })` → candidates best first, each with tactic, log_prob_sum and n_tokens ≥ 1.
   */
  async propose(state_pp: string, opts: { readonly n: number; readonly temperature: number; readonly deadline_ms: number }): Promise<TacticCandidate[]> {
    return [...(await this.generate(state_pp, opts)).candidates];
  }

  /** 400 / 404 are how vLLM and SGLang answer a wrong model name: say which model was asked for. */
  #explainRejection(e: unknown): unknown {
    if (!(e instanceof PolicyError) || e.kind !== "http_status" || (e.status !== 400 && e.status !== 404)) return e;
    const info = e.info();
    return new PolicyError({ ...info, detail: `${info.detail}; model '${this.config.model}' was requested (checkServer lists the models ${this.config.base_url} serves)` }, { cause: e });
  }

  /** GET /v1/models through this client's connection and retry settings; has_model for config.model. */
  checkServer(signal?: AbortSignal): Promise<ServerCheck> {
    return checkServerWith(this.#http, this.config.model, signal);
  }

  stats(): CompletionsStats {
    return Object.freeze({ ...this.#http.stats(), ...this.#c });
  }

  close(): void {
    this.#http.close();
  }
}
