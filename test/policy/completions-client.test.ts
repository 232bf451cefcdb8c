/**
 * CompletionsClient against the scripted server: the exact request body, candidates end to end,
 * retries on 429 / 500 / dropped connections then success, no retry on 400, errors naming URL,
 * status and body, missing logprobs, the concurrency cap, the per-request timeout, the caller's
 * abort, and the stats.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { CompletionsClient, normalizeCompletionsOptions, type CompletionsClientOptions } from "../../src/policy/completions-client.js";
import { PolicyError } from "../../src/policy/policy-error.js";
import { sftRecord } from "../../src/data/sft-format.js";
import { scriptedChoice, startScriptedPolicyServer, type ScriptedPolicyServer, type ScriptedServerOptions } from "../fixtures/policy-server/scripted-policy-server.js";

const G1 = "x : ℕ\nh₀ : x = 2\n⊢ x + 0 = 2";
const G2 = "a b : ℝ\nh : a < b\n⊢ a ≤ b";
const SCRIPT = {
  [G1]: [
    scriptedChoice(["norm", "_num", " [", "h₀", "]"], [null, -0.5, -0.25, -0.125, -0.125]), // -1
    scriptedChoice(["simp", "\n"], [-0.5, -0.25]), // -0.75
    scriptedChoice(["norm", "_num", "  [", "h₀", "]", "\n"], [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5]), // -3, duplicate of choice 0
    scriptedChoice(["sorry"], [-0.0625]), // banned
    scriptedChoice(["omega"], [-4], "length"),
  ],
  [G2]: [scriptedChoice(["linarith"], [-0.5])],
};

const servers: ScriptedPolicyServer[] = [];
const clients: CompletionsClient[] = [];
after(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(server: ScriptedServerOptions = {}, client: Partial<CompletionsClientOptions> = {}) {
  const s = await startScriptedPolicyServer({ script: SCRIPT, model: "prover-sft", ...server });
  servers.push(s);
  // random 0: the shortest jittered backoff, so retry tests are quick and deterministic
  const c = new CompletionsClient({ base_url: s.url, model: "prover-sft", n: 5, backoff_base_s: 0.002, backoff_max_s: 0.01, ...client }, () => 0);
  clients.push(c);
  return { s, c };
}

async function expectPolicyError(p: Promise<unknown>, kind: string): Promise<PolicyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PolicyError, String(e));
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected a PolicyError of kind ${kind}`);
}

const posts = (s: ScriptedPolicyServer) => s.requests.filter((r) => r.method === "POST");

test("request body: exactly model, prompt (byte-identical to SFT), n, temperature, max_tokens, stop, logprobs", async () => {
  const { s, c } = await setup({}, { n: 4, temperature: 1.3, max_tokens: 64, logprobs: 1 });
  await c.generate(G1);
  const [req] = posts(s);
  assert.ok(req);
  assert.equal(req.path, "/v1/completions");
  assert.equal(req.headers["content-type"], "application/json");
  const body = req.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["model", "prompt", "n", "temperature", "max_tokens", "stop", "logprobs"]);
  assert.deepEqual(body, { model: "prover-sft", prompt: `[GOAL]${G1}[PROOFSTEP]`, n: 4, temperature: 1.3, max_tokens: 64, stop: ["[GOAL]", "[PROOFSTEP]"], logprobs: 1 });
  const sft = sftRecord({ theorem_name: "t", source: "s", state_pp: G1, tactic: "norm_num", depth: 0 });
  assert.ok(Buffer.from(body["prompt"] as string, "utf8").equals(Buffer.from(sft.prompt, "utf8")));
  // and on the wire: the UTF-8 of the prompt appears verbatim in the raw body
  assert.ok(req.raw.includes(JSON.stringify(sft.prompt)));
  assert.equal(typeof body["logprobs"], "number");
});

test("generate: candidates deduplicated (best log-prob kept), banned dropped, best first; per-call n", async () => {
  const { c } = await setup();
  const r = await c.generate(G1);
  assert.deepEqual(r.candidates, [
    { tactic: "simp", log_prob_sum: -0.75, n_tokens: 2, finish_reason: "stop" },
    { tactic: "norm_num [h₀]", log_prob_sum: -1, n_tokens: 4, finish_reason: "stop" },
    { tactic: "omega", log_prob_sum: -4, n_tokens: 1, finish_reason: "length" },
  ]);
  assert.deepEqual([r.n_choices, r.dropped_duplicates, r.dropped_banned, r.dropped_empty, r.null_first_logprobs, r.attempts], [5, 1, 1, 0, 1, 1]);
  assert.equal(r.completion_tokens, 15);
  assert.equal(r.prompt_tokens, `[GOAL]${G1}[PROOFSTEP]`.length);
  const two = await c.generate(G1, { n: 2 });
  assert.equal(two.n_choices, 2);
  const st = c.stats();
  assert.deepEqual([st.requests, st.attempts, st.retries, st.failures, st.choices, st.candidates, st.dropped_banned, st.dropped_duplicates], [2, 2, 0, 0, 7, 5, 1, 1]);
  assert.equal(st.completion_tokens, 15 + 7);
});

test("retries on 429, 500 and a dropped connection, then succeeds", async () => {
  const { s, c } = await setup({ status_sequence: [429, 500, "drop"] }, { max_retries: 3 });
  const r = await c.generate(G2);
  assert.deepEqual(r.candidates.map((x) => x.tactic), ["linarith"]);
  assert.equal(r.attempts, 4);
  assert.equal(posts(s).length, 4);
  const st = c.stats();
  assert.deepEqual([st.requests, st.attempts, st.retries, st.failures], [1, 4, 3, 0]);
});

test("fail_first_n dropped connections (socket hang up) are retried", async () => {
  const { s, c } = await setup({ fail_first_n: 2 }, { max_retries: 2 });
  assert.equal((await c.generate(G2)).attempts, 3);
  assert.equal(posts(s).length, 3);
});

test("retries exhausted: the last status, URL, body excerpt and attempt count in the error", async () => {
  const { s, c } = await setup({ status_sequence: [503, 503, 503] }, { max_retries: 2 });
  const e = await expectPolicyError(c.generate(G2), "http_status");
  assert.equal(e.status, 503);
  assert.equal(e.attempts, 3);
  assert.equal(e.url, `${s.url}/v1/completions`);
  assert.match(e.message, new RegExp(`^POST ${s.url}/v1/completions: http_status HTTP 503: server busy or failing \\(3 attempts\\); body: \\{"object":"error","message":"scripted status 503"`));
});

test("no retry on 400: one attempt, the error names URL, status and the server's body", async () => {
  const { s, c } = await setup({ status_sequence: [400] }, { max_retries: 4 });
  const e = await expectPolicyError(c.generate(G2), "http_status");
  assert.equal(posts(s).length, 1);
  assert.deepEqual([e.status, e.attempts], [400, 1]);
  assert.ok(e.message.startsWith(`POST ${s.url}/v1/completions: http_status HTTP 400: request rejected`), e.message);
  assert.match(e.message, /body: \{"object":"error","message":"scripted status 400","type":"BadRequestError"/);
});

test("a wrong model name: the server's 404 body and the model asked for, no retry", async () => {
  const { s, c } = await setup({}, { model: "prover-typo" });
  const e = await expectPolicyError(c.generate(G2), "http_status");
  assert.equal(e.status, 404);
  assert.equal(posts(s).length, 1);
  assert.match(e.message, /model 'prover-typo' was requested \(checkServer lists the models http:\/\/127\.0\.0\.1:\d+ serves\)/);
  assert.match(e.message, /The model `prover-typo` does not exist\./);
});

test("connection refused: retried, then a connection error naming the URL and ECONNREFUSED", async () => {
  const s = await startScriptedPolicyServer();
  const url = s.url;
  await s.close();
  const c = new CompletionsClient({ base_url: url, model: "m", max_retries: 2, backoff_base_s: 0.001, backoff_max_s: 0.002 }, () => 0);
  clients.push(c);
  const e = await expectPolicyError(c.generate(G2), "connection");
  assert.equal(e.attempts, 3);
  assert.equal(e.status, null);
  assert.match(e.message, new RegExp(`^POST ${url}/v1/completions: connection: connection lost: .*ECONNREFUSED`));
});

test("missing logprobs: a clear no_logprobs error naming the URL and status", async () => {
  const { s, c } = await setup({ omit_logprobs: true });
  const e = await expectPolicyError(c.generate(G2), "no_logprobs");
  assert.ok(e.message.startsWith(`POST ${s.url}/v1/completions: no_logprobs HTTP 200: choices[0].logprobs is missing`), e.message);
});

test("a malformed 200 body: bad_response with the first 200 characters of the body", async () => {
  const html = `<html><body>${"proxy error ".repeat(40)}</body></html>`;
  const { s, c } = await setup({ raw_body: html });
  const e = await expectPolicyError(c.generate(G2), "bad_response");
  assert.equal(e.body_excerpt, `${html.slice(0, 200)}…`);
  assert.ok(e.message.startsWith(`POST ${s.url}/v1/completions: bad_response HTTP 200: body is not JSON`), e.message);
  const { c: c2 } = await setup({ raw_body: '{"choices": "none"}' });
  const e2 = await expectPolicyError(c2.generate(G2), "bad_response");
  assert.match(e2.message, /expected an object with a 'choices' list.*body: \{"choices": "none"\}$/);
});

test("concurrency cap: 12 concurrent calls never put more than max_in_flight=3 on the server", async () => {
  const { s, c } = await setup({ latency_ms: 30 }, { max_in_flight: 3 });
  const rs = await Promise.all(Array.from({ length: 12 }, () => c.generate(G2)));
  assert.equal(rs.length, 12);
  assert.equal(s.max_in_flight, 3);
  assert.equal(c.stats().max_in_flight_seen, 3);
});

test("per-request timeout fires, is not retried, and is counted", async () => {
  const { s, c } = await setup({ latency_ms: 1000 }, { timeout_s: 0.05, max_retries: 3 });
  const t0 = performance.now();
  const e = await expectPolicyError(c.generate(G2), "timeout");
  assert.ok(performance.now() - t0 < 500, `took ${performance.now() - t0} ms`);
  assert.match(e.message, new RegExp(`^POST ${s.url}/v1/completions: timeout: no complete answer within timeout_s=0\\.05 \\(1 attempt\\)$`));
  assert.equal(posts(s).length, 1);
  assert.deepEqual([c.stats().timeouts, c.stats().failures], [1, 1]);
});

test("the caller's AbortSignal cancels a request in flight and one waiting for a slot", async () => {
  const { c } = await setup({ latency_ms: 1000 }, { max_in_flight: 1 });
  const ac = new AbortController();
  const inFlight = c.generate(G2, { signal: ac.signal });
  const waiting = c.generate(G2, { signal: ac.signal });
  setTimeout(() => ac.abort(new Error("wall-clock limit")), 20);
  const [e1, e2] = await Promise.all([expectPolicyError(inFlight, "aborted"), expectPolicyError(waiting, "aborted")]);
  assert.match(e1.message, /aborted by the caller \(Error: wall-clock limit\) \(1 attempt\)/);
  assert.equal(e2.attempts, 0);
});

test("deadline_ms bounds the whole call (a slow request, or waiting for a slot): kind timeout", async () => {
  const { s, c } = await setup({ latency_ms: 1000 }, { max_in_flight: 1, timeout_s: 30 });
  const t0 = performance.now();
  const e1 = await expectPolicyError(c.generate(G2, { deadline_ms: 40 }), "timeout");
  assert.match(e1.message, /: timeout: the call's deadline_ms=40 passed \(waiting for a slot, in a request or in backoff\) \(1 attempt\)$/);
  const ac = new AbortController();
  const holder = expectPolicyError(c.generate(G2, { signal: ac.signal }), "aborted");
  const e2 = await expectPolicyError(c.generate(G2, { deadline_ms: 40 }), "timeout");
  assert.equal(e2.attempts, 0); // it never got the one slot
  ac.abort();
  await holder;
  assert.ok(performance.now() - t0 < 500);
  assert.equal(posts(s).length, 2);
});

test("a fractional deadline_ms (the search passes performance.now() differences) is accepted, not a RangeError", async () => {
  const { c } = await setup();
  const out = await c.generate(G1, { deadline_ms: 4999.37 });
  assert.ok(out.candidates.length > 0);
});

test("propose (the search's Policy shape): per-call n and temperature are sent; candidates have n_tokens >= 1", async () => {
  const { s, c } = await setup();
  const cands = await c.propose(G1, { n: 3, temperature: 0.7, deadline_ms: 5000 });
  const body = posts(s)[0]!.body as Record<string, unknown>;
  assert.deepEqual([body["n"], body["temperature"]], [3, 0.7]);
  assert.deepEqual(cands.map((x) => [x.tactic, x.log_prob_sum, x.n_tokens]), [["simp", -0.75, 2], ["norm_num [h₀]", -1, 4]]);
});

test("stats: busy_s is the wall time with a request in flight; request_s sums overlapping requests", async () => {
  const { c } = await setup({ latency_ms: 60 }, { max_in_flight: 4 });
  const t0 = performance.now();
  await Promise.all([c.generate(G2), c.generate(G2), c.generate(G2), c.generate(G2)]);
  const wall_s = (performance.now() - t0) / 1000;
  const st = c.stats();
  assert.ok(st.busy_s >= 0.055 && st.busy_s <= wall_s, `busy_s ${st.busy_s}, wall ${wall_s}`);
  assert.ok(st.request_s >= 4 * 0.055 && st.request_s > 2 * st.busy_s, `request_s ${st.request_s}, busy_s ${st.busy_s}`);
});

test("options: defaults, frozen, unknown keys and bad values named", () => {
  const cfg = normalizeCompletionsOptions({ base_url: "http://127.0.0.1:30000/v1/", model: "m" });
  assert.deepEqual(cfg, {
    base_url: "http://127.0.0.1:30000",
    api_key: null,
    timeout_s: 120,
    max_in_flight: 10,
    max_retries: 4,
    backoff_base_s: 0.5,
    backoff_max_s: 8,
    model: "m",
    n: 16,
    temperature: 1.3,
    max_tokens: 128,
    stop: ["[GOAL]", "[PROOFSTEP]"],
    logprobs: 1,
  });
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.stop));
  assert.throws(() => normalizeCompletionsOptions({ base_url: "http://h:1", model: "m", num_candidates: 16 } as CompletionsClientOptions), /CompletionsClient: unknown option 'num_candidates' \(allowed: base_url, /);
  assert.throws(() => normalizeCompletionsOptions({ base_url: "http://h:1", model: "m", logprobs: 0 }), /'logprobs' must be a positive integer number, got 0/);
  assert.throws(() => normalizeCompletionsOptions({ base_url: "h:1", model: "m" }), /'base_url' must be http or https, got "h:1"/);
  assert.throws(() => normalizeCompletionsOptions({ base_url: "http://h:1", model: "" }), /'model' must be the served model name/);
});
