/**
 * Parsing /v1/completions answers in the exact OpenAI / vLLM shape (id, object, created, model,
 * choices[].{index,text,logprobs.{text_offset,token_logprobs,tokens,top_logprobs},finish_reason,
 * stop_reason}, usage), and the errors for answers that are not it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCompletionsResponse } from "../../src/policy/completions-response.js";
import { tacticCandidates } from "../../src/policy/tactic-candidates.js";
import { PolicyError } from "../../src/policy/policy-error.js";

const URL_ = "http://127.0.0.1:30000/v1/completions";

/** What vLLM answers for n=3, logprobs=1 (log-probs are powers of two so sums are exact). */
const VLLM_ANSWER = {
  id: "cmpl-8f3b2f0c1a6e4f7d9b5c2a1e0d9c8b7a",
  object: "text_completion",
  created: 1735689600,
  model: "deepseek-prover-v1.5-sft-iter0",
  choices: [
    {
      index: 0,
      text: "norm_num [h₀]\n",
      logprobs: {
        text_offset: [58, 62, 66, 68, 69, 70, 71],
        token_logprobs: [null, -0.5, -0.25, -0.125, -0.0625, -0.03125, -0.5],
        tokens: ["norm", "_num", " [", "h", "₀", "]", "\n"],
        top_logprobs: [null, { _num: -0.5 }, { " [": -0.25 }, { h: -0.125 }, { "₀": -0.0625 }, { "]": -0.03125 }, { "\n": -0.5 }],
      },
      finish_reason: "stop",
      stop_reason: null,
    },
    {
      index: 1,
      text: "simp",
      logprobs: { text_offset: [58], token_logprobs: [-1.5], tokens: ["simp"], top_logprobs: [{ simp: -1.5 }] },
      finish_reason: "stop",
      stop_reason: null,
    },
    {
      index: 2,
      text: "nlinarith [sq_nonneg (x -",
      logprobs: {
        text_offset: [58, 60, 66, 68, 70, 74, 77, 79],
        token_logprobs: [-2, -0.25, -0.5, -1, -0.25, -0.5, -0.75, -1],
        tokens: ["nl", "inarith", " [", "sq", "_non", "neg", " (", "x -"],
        top_logprobs: [{ nl: -2 }, { inarith: -0.25 }, { " [": -0.5 }, { sq: -1 }, { _non: -0.25 }, { neg: -0.5 }, { " (": -0.75 }, { "x -": -1 }],
      },
      finish_reason: "length",
      stop_reason: null,
    },
  ],
  usage: { prompt_tokens: 31, total_tokens: 47, completion_tokens: 16, prompt_tokens_details: null },
};

const answer = (json: unknown, status = 200) => ({ method: "POST", url: URL_, status, json, text: JSON.stringify(json), attempts: 1 });

function expectPolicyError(f: () => unknown, kind: string, pattern: RegExp): PolicyError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof PolicyError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a PolicyError of kind ${kind}`);
}

test("the exact OpenAI shape: choices, tokens, token_logprobs (null first), finish_reason stop/length, usage", () => {
  const r = parseCompletionsResponse(answer(VLLM_ANSWER));
  assert.equal(r.prompt_tokens, 31);
  assert.equal(r.completion_tokens, 16);
  assert.deepEqual(r.choices[0], {
    index: 0,
    text: "norm_num [h₀]\n",
    tokens: ["norm", "_num", " [", "h", "₀", "]", "\n"],
    token_logprobs: [null, -0.5, -0.25, -0.125, -0.0625, -0.03125, -0.5],
    finish_reason: "stop",
  });
  assert.deepEqual(r.choices.map((c) => [c.index, c.finish_reason]), [[0, "stop"], [1, "stop"], [2, "length"]]);
});

test("candidates from that answer: sums exact, the null first logprob skipped in sum and count", () => {
  const set = tacticCandidates(parseCompletionsResponse(answer(VLLM_ANSWER)).choices);
  assert.deepEqual(set.candidates, [
    { tactic: "norm_num [h₀]", log_prob_sum: -1.46875, n_tokens: 6, finish_reason: "stop" },
    { tactic: "simp", log_prob_sum: -1.5, n_tokens: 1, finish_reason: "stop" },
    { tactic: "nlinarith [sq_nonneg (x -", log_prob_sum: -6.25, n_tokens: 8, finish_reason: "length" },
  ]);
  assert.equal(set.null_first_logprobs, 1);
});

test("no logprobs (null, or no token_logprobs) is a no_logprobs error naming URL, status and field", () => {
  const noLp = structuredClone(VLLM_ANSWER) as { choices: Record<string, unknown>[] };
  noLp.choices[1]!["logprobs"] = null;
  const e = expectPolicyError(() => parseCompletionsResponse(answer(noLp)), "no_logprobs", /^POST http:\/\/127\.0\.0\.1:30000\/v1\/completions: no_logprobs HTTP 200: choices\[1\]\.logprobs is missing/);
  assert.match(e.message, /body: \{"id":"cmpl-8f3b/);
  const noTl = structuredClone(VLLM_ANSWER) as { choices: { logprobs: Record<string, unknown> }[] };
  delete noTl.choices[0]!.logprobs["token_logprobs"];
  expectPolicyError(() => parseCompletionsResponse(answer(noTl)), "no_logprobs", /choices\[0\]\.logprobs\.token_logprobs is missing/);
});

test("malformed answers are bad_response errors naming the field", () => {
  expectPolicyError(() => parseCompletionsResponse(answer({ object: "error", message: "x" })), "bad_response", /expected an object with a 'choices' list/);
  const mid = structuredClone(VLLM_ANSWER) as { choices: { logprobs: { token_logprobs: (number | null)[] } }[] };
  mid.choices[1]!.logprobs.token_logprobs = [null];
  mid.choices[2]!.logprobs.token_logprobs[3] = null;
  expectPolicyError(() => parseCompletionsResponse(answer(mid)), "bad_response", /choices\[2\]\.logprobs\.token_logprobs\[3\] is null, expected a finite number \(null is accepted only for the first token\)/);
  const short = structuredClone(VLLM_ANSWER) as { choices: { logprobs: { tokens: string[] } }[] };
  short.choices[0]!.logprobs.tokens.pop();
  expectPolicyError(() => parseCompletionsResponse(answer(short)), "bad_response", /choices\[0\]\.logprobs has 6 tokens but 7 token_logprobs/);
  expectPolicyError(() => parseCompletionsResponse(answer({ choices: [{ index: 0, text: 7, logprobs: null }] })), "bad_response", /choices\[0\]\.text is not a string/);
});
