/**
 * The synthetic tactic policy: one `/v1/completions` request in, the OpenAI / vLLM answer body
 * out (choices[].text, choices[].logprobs.{tokens, token_logprobs, top_logprobs, text_offset},
 * finish_reason, usage). Pure: the answer is a function of (seed, the request), so the same
 * request gets byte-identical bytes (like vLLM with a fixed per-request seed), in any order and
 * under any concurrency.
 *
 * How the samples are drawn for the state between `[GOAL]` and `[PROOFSTEP]`:
 * 1. the state's decoys: n_decoys distinct plausible tactics from the family's generators
 *    (nextTacticStep's tactic or the family's closer), never a tactic that advances a proof there;
 * 2. on an on-path state, the proof's next tactic joins them with probability p_correct (one
 *    Bernoulli draw per request); off-path states get decoys only;
 * 3. every tactic has a quality q ~ N(0, 1) fixed by (seed, model, state, tactic), the proof
 *    tactic q + correct_logit; the n samples are drawn ∝ exp(q / temperature) (a present proof
 *    tactic takes at least one sample);
 * 4. token log-probs of a sample scatter around a mean that rises with q, so the per-token mean
 *    the search ranks by is informative but noisy.
 */
import { GOAL_TOKEN, PROOFSTEP_TOKEN } from "../../data/sft-format.js";
import { PROBLEM_FAMILIES } from "../problem-family.js";
import { nextTacticStep } from "../tactic-step.js";
import { hash32, Prng } from "../../numeric/prng.js";
import { normalizeTacticWhitespace } from "../../search/filter-candidates.js";
import { parseGoalState } from "./parse-goal-state.js";
import type { SyntheticPolicyParams } from "./synthetic-policy-params.js";
import type { SyntheticProofWorld } from "./synthetic-proof-world.js";
import { toyTokens } from "./toy-tokens.js";

/** The request fields the policy reads (others are ignored, as OpenAI servers do). */
export interface SyntheticCompletionsRequest {
  readonly model: string;
  readonly prompt: string;
  readonly n: number;
  readonly temperature: number;
  readonly max_tokens: number;
  readonly stop: readonly string[];
  /** null / 0: no logprobs in the answer. */
  readonly logprobs: number | null;
}

/** A request the policy refuses (the server answers 400 with the message). */
export class CompletionsRequestError extends Error {
  override name = "CompletionsRequestError";
}

/** Fixed `created` stamp (2026-01-01T00:00:00Z): answers carry no clock. */
export const SYNTHETIC_CREATED_S = 1767225600;
export const MAX_N = 256;
/** Tactics for a prompt that is not a goal state of the world (the policy still answers, as an LLM would). */
const GENERIC_TACTICS = ["linarith", "nlinarith [sq_nonneg (a - b)]", "norm_num", "simp", "omega", "ring_nf", "positivity", "field_simp", "decide", "aesop"];
/** Mean token log-prob = -LP_SCALE · softplus(-q): q = 0 → -0.35, q = 2 → -0.06, q = -2 → -1.06. */
const LP_SCALE = 0.5;
const LP_JITTER = 0.15;

/** The state text of a `[GOAL]{state}[PROOFSTEP]` prompt. Throws CompletionsRequestError otherwise. */
export function promptState(prompt: string): string {
  if (!prompt.startsWith(GOAL_TOKEN) || !prompt.endsWith(PROOFSTEP_TOKEN) || prompt.length < GOAL_TOKEN.length + PROOFSTEP_TOKEN.length) {
    throw new CompletionsRequestError(`prompt is not ${GOAL_TOKEN}{state}${PROOFSTEP_TOKEN}: ${JSON.stringify(prompt.slice(0, 200))}`);
  }
  return prompt.slice(GOAL_TOKEN.length, prompt.length - PROOFSTEP_TOKEN.length);
}

/** The state's decoys: distinct, none of them a tactic that advances a proof at this state. */
export function decoyTactics(world: SyntheticProofWorld, seed: number, state: string, n_decoys: number): string[] {
  const advancing = new Set(world.proofPositions(state).map((p) => normalizeTacticWhitespace(world.problem(p.theorem).tactics[p.index]!)));
  const rng = new Prng(hash32(`${seed}/decoys/${state}`));
  let draw: () => string;
  try {
    const family = PROBLEM_FAMILIES[world.familyOf(state)];
    const gs = parseGoalState(state);
    draw = () => (rng.bool(0.35) ? family.closer(rng, gs) : nextTacticStep(rng, family, gs, null).tactic);
  } catch {
    draw = () => rng.pick(GENERIC_TACTICS);
  }
  const out: string[] = [];
  const seen = new Set(advancing);
  for (let tries = 0; tries < 8 * n_decoys && out.length < n_decoys; tries++) {
    const t = draw();
    const key = normalizeTacticWhitespace(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}

interface Sample {
  readonly tactic: string;
  readonly q: number;
}

/** The OpenAI answer body for one request. */
export function syntheticCompletions(world: SyntheticProofWorld, policy: SyntheticPolicyParams, seed: number, req: SyntheticCompletionsRequest): Record<string, unknown> {
  if (!Number.isInteger(req.n) || req.n < 1 || req.n > MAX_N) throw new CompletionsRequestError(`n must be an integer in [1, ${MAX_N}], got ${JSON.stringify(req.n)}`);
  if (typeof req.temperature !== "number" || !(req.temperature >= 0)) throw new CompletionsRequestError(`temperature must be ≥ 0, got ${JSON.stringify(req.temperature)}`);
  if (!Number.isInteger(req.max_tokens) || req.max_tokens < 1) throw new CompletionsRequestError(`max_tokens must be a positive integer, got ${JSON.stringify(req.max_tokens)}`);
  const state = promptState(req.prompt);
  const key = `${seed}/${policy.model}/${req.n}/${req.temperature}/${req.max_tokens}/${req.prompt}`;
  const rng = new Prng(hash32(`${key}/sample`));
  const correct = world.nextProofTactic(state);
  const include = correct !== null && rng.bool(policy.p_correct);
  const quality = (tactic: string, bonus: number): Sample => ({ tactic, q: new Prng(hash32(`${seed}/quality/${policy.model}/${state}\u0000${tactic}`)).normal() + bonus });
  const pool = [...(include ? [quality(correct, policy.correct_logit)] : []), ...decoyTactics(world, seed, state, policy.n_decoys).map((t) => quality(t, 0))];
  if (pool.length === 0) throw new CompletionsRequestError(`no tactic to sample for state ${JSON.stringify(state.slice(0, 200))}`);
  const temperature = Math.max(req.temperature, 0.05);
  const top = Math.max(...pool.map((s) => s.q));
  const weights = pool.map((s) => Math.exp((s.q - top) / temperature));
  const picks = Array.from({ length: req.n }, () => rng.weighted(weights));
  if (include && !picks.includes(0)) picks[rng.int(0, req.n - 1)] = 0;
  const choices = picks.map((i, index) => choice(seed, policy.model, state, req, pool[i]!, index));
  const completion_tokens = choices.reduce((s, c) => s + c.n_tokens, 0);
  const prompt_tokens = toyTokens(req.prompt).length;
  return {
    id: `cmpl-synthetic-${hash32(key).toString(16).padStart(8, "0")}`,
    object: "text_completion",
    created: SYNTHETIC_CREATED_S,
    model: policy.model,
    choices: choices.map((c) => c.body),
    usage: { prompt_tokens, total_tokens: prompt_tokens + completion_tokens, completion_tokens },
  };
}

/** One choice: the tactic's tokens cut at a stop string or max_tokens, with its log-probs. */
function choice(seed: number, model: string, state: string, req: SyntheticCompletionsRequest, s: Sample, index: number): { body: Record<string, unknown>; n_tokens: number } {
  let text = s.tactic;
  let finish_reason = "stop";
  for (const stop of req.stop) {
    const at = stop === "" ? -1 : text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  let tokens = toyTokens(text);
  if (tokens.length > req.max_tokens) {
    tokens = tokens.slice(0, req.max_tokens);
    finish_reason = "length";
  }
  const rng = new Prng(hash32(`${seed}/tokens/${model}/${state}\u0000${s.tactic}`));
  const mean = -LP_SCALE * Math.log1p(Math.exp(-s.q));
  const token_logprobs = tokens.map(() => round(Math.min(-1e-4, mean + LP_JITTER * rng.normal())));
  const text_offset: number[] = [];
  let offset = req.prompt.length;
  for (const t of tokens) {
    text_offset.push(offset);
    offset += t.length;
  }
  const logprobs = req.logprobs ? { text_offset, token_logprobs, tokens, top_logprobs: tokens.map((t, k) => ({ [t]: token_logprobs[k] })) } : null;
  return { body: { index, text: tokens.join(""), logprobs, finish_reason, stop_reason: null }, n_tokens: tokens.length };
}

const round = (x: number): number => Math.round(x * 1e5) / 1e5;
