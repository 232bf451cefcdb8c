/**
 * The synthetic policy server through the project's own clients: CompletionsClient, checkServer
 * and EmbeddingsClient parse every answer; the proof's next tactic shows up at each policy's
 * p_correct (binomial tolerance over hundreds of on-path states) and ranks first more often the
 * larger correct_logit; answers are byte-identical for a seed; the planted embedding shift makes
 * on-path states separable and vanishes at strength 0; the server also runs as a child process.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompletionsClient } from "../../../src/policy/completions-client.js";
import { EmbeddingsClient } from "../../../src/policy/embeddings-client.js";
import { PolicyError } from "../../../src/policy/policy-error.js";
import { policyPrompt } from "../../../src/policy/prompt-format.js";
import { normalizeTacticWhitespace } from "../../../src/search/filter-candidates.js";
import { PROBLEM_FAMILIES } from "../../../src/demo/problem-family.js";
import { nextTacticStep } from "../../../src/demo/tactic-step.js";
import { Prng } from "../../../src/numeric/prng.js";
import { parseGoalState } from "../../../src/demo/synthetic/parse-goal-state.js";
import { plantedDirection } from "../../../src/demo/synthetic/synthetic-embeddings.js";
import { startSyntheticPolicyServer, type SyntheticPolicyServer } from "../../../src/demo/synthetic/synthetic-policy-server.js";
import { spawnSyntheticPolicyServer } from "../../../src/demo/synthetic/synthetic-policy-server-process.js";
import { SyntheticProofWorld } from "../../../src/demo/synthetic/synthetic-proof-world.js";
import { smallProblems, WORLD_SEED, worldFileIn } from "./synthetic-fixtures.js";

const world = new SyntheticProofWorld({ seed: WORLD_SEED, p_tactic_error: 0.5, problems: smallProblems(150) });
const POLICIES = [
  { model: "iter_0", p_correct: 0.3 },
  { model: "iter_1", p_correct: 0.8 },
  { model: "never", p_correct: 0 },
  { model: "flat", p_correct: 0.8, correct_logit: 0 },
  { model: "sharp", p_correct: 0.8, correct_logit: 2.5 },
  { model: "no_shift", p_correct: 0.5, embed_shift: 0 },
];
const servers: SyntheticPolicyServer[] = [];
const clients: { close(): void }[] = [];
const dir = mkdtempSync(join(tmpdir(), "burnqed-synthetic-server-"));
after(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function server(options: Record<string, unknown> = {}): Promise<SyntheticPolicyServer> {
  const s = await startSyntheticPolicyServer(world, { policies: POLICIES, ...options });
  servers.push(s);
  return s;
}
function completions(url: string, model: string, n = 8): CompletionsClient {
  const c = new CompletionsClient({ base_url: url, model, n, max_retries: 0 });
  clients.push(c);
  return c;
}

const onPath = world.problems.flatMap((p) => p.states);

/** Off-path states one or two steps below on-path ones (decoy tactics the world accepted). */
function offPathStates(n: number): string[] {
  const rng = new Prng(17);
  const out: string[] = [];
  for (let i = 0; out.length < n && i < 50 * n; i++) {
    const s = onPath[i % onPath.length]!;
    const r = world.step(s, nextTacticStep(rng, PROBLEM_FAMILIES[world.familyOf(s)], parseGoalState(s), null).tactic);
    if (r.kind === "state" && r.distance === null && !out.includes(r.goals_text)) out.push(r.goals_text);
  }
  return out;
}

/** Per on-path state: the rank of the proof's next tactic by mean token log-prob (-1: absent). */
async function proofTacticRanks(c: CompletionsClient): Promise<number[]> {
  const ranks: number[] = [];
  for (const s of onPath) {
    const r = await c.generate(s);
    const byMean = [...r.candidates].sort((a, b) => b.log_prob_sum / b.n_tokens - a.log_prob_sum / a.n_tokens);
    const want = normalizeTacticWhitespace(world.nextProofTactic(s)!);
    ranks.push(byMean.findIndex((x) => normalizeTacticWhitespace(x.tactic) === want));
  }
  return ranks;
}

test("checkServer and CompletionsClient talk to it without errors; the answer has vLLM's shape", async () => {
  const s = await server();
  const c = completions(s.url, "iter_1");
  const check = await c.checkServer();
  assert.deepEqual(check.models, POLICIES.map((p) => p.model));
  assert.equal(check.has_model, true);
  const r = await c.generate(onPath[0]!);
  assert.ok(r.candidates.length >= 1 && r.n_choices === 8 && r.completion_tokens > 0 && r.prompt_tokens > 0);
  assert.ok(r.candidates.every((x) => x.n_tokens >= 1 && x.log_prob_sum < 0 && x.finish_reason === "stop"));
  const st = c.stats();
  assert.equal(st.failures + st.dropped_unscored + st.dropped_banned + st.null_first_logprobs, 0);
  // the raw body
  const raw = (await (await fetch(`${s.url}/v1/completions`, { method: "POST", body: JSON.stringify(c.requestBody(onPath[0]!)) })).json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(raw), ["id", "object", "created", "model", "choices", "usage"]);
  const choice = (raw["choices"] as Record<string, unknown>[])[0]!;
  assert.deepEqual(Object.keys(choice), ["index", "text", "logprobs", "finish_reason", "stop_reason"]);
  assert.deepEqual(Object.keys(choice["logprobs"] as object), ["text_offset", "token_logprobs", "tokens", "top_logprobs"]);
  assert.equal((choice["logprobs"] as { tokens: string[] }).tokens.join(""), choice["text"]);
  // max_tokens cuts a long tactic and says so
  const short = new CompletionsClient({ base_url: s.url, model: "iter_1", n: 4, max_tokens: 2 });
  clients.push(short);
  const cut = await short.generate(onPath[0]!);
  assert.ok(cut.candidates.every((x) => x.n_tokens <= 2) && cut.candidates.some((x) => x.finish_reason === "length"));
});

test("the proof's next tactic shows up at each policy's p_correct (within 4 binomial σ over all on-path states)", async (t) => {
  const s = await server();
  const rate = async (model: string) => (await proofTacticRanks(completions(s.url, model))).filter((r) => r >= 0).length / onPath.length;
  assert.ok(onPath.length >= 400, `${onPath.length} on-path states`);
  const measured: Record<string, number> = {};
  for (const p of POLICIES.slice(0, 3)) {
    const got = await rate(p.model);
    measured[p.model] = got;
    const tol = p.p_correct === 0 ? 0 : 4 * Math.sqrt((p.p_correct * (1 - p.p_correct)) / onPath.length);
    assert.ok(Math.abs(got - p.p_correct) <= tol, `${p.model}: measured ${got.toFixed(3)}, stated ${p.p_correct} ± ${tol.toFixed(3)}`);
  }
  t.diagnostic(`measured rates over ${onPath.length} on-path states: ${JSON.stringify(measured)}`);
  assert.ok(measured["iter_1"]! > measured["iter_0"]! + 0.3);
});

test("log-probs rank the proof tactic first more often the larger correct_logit, and never always (noisy)", async (t) => {
  const s = await server();
  const firstGivenPresent = async (model: string) => {
    const ranks = (await proofTacticRanks(completions(s.url, model))).filter((r) => r >= 0);
    return ranks.filter((r) => r === 0).length / ranks.length;
  };
  const flat = await firstGivenPresent("flat");
  const sharp = await firstGivenPresent("sharp");
  t.diagnostic(`first by mean log-prob when present: correct_logit 0 → ${flat.toFixed(3)}, 2.5 → ${sharp.toFixed(3)}`);
  assert.ok(flat < 0.3, `correct_logit 0: first in ${flat.toFixed(2)} of the requests that include it`);
  assert.ok(sharp > 0.6 && sharp < 0.95, `correct_logit 2.5: first in ${sharp.toFixed(2)}`);
});

test("off-path states get decoys only: the proof tactics never appear for p_correct 0, and no candidate there leads back to a proof", async () => {
  const s = await server();
  const never = await proofTacticRanks(completions(s.url, "never"));
  assert.ok(never.every((r) => r === -1));
  const c = completions(s.url, "iter_1");
  for (const state of offPathStates(60)) {
    const r = await c.generate(state);
    assert.ok(r.candidates.length > 0);
    for (const cand of r.candidates) {
      const out = world.step(state, cand.tactic);
      assert.ok(out.kind === "error" || (out.kind === "state" && out.distance === null), `${cand.tactic} on an off-path state: ${JSON.stringify(out).slice(0, 200)}`);
    }
  }
});

test("same seed → byte-identical answers (across servers and repeats); another seed → other answers", async () => {
  const [a, b, other] = [await server(), await server(), await server({ seed: 1 })];
  const body = JSON.stringify(completions(a.url, "iter_0").requestBody(onPath[3]!));
  const post = async (url: string, path: string, payload: string) => (await fetch(`${url}${path}`, { method: "POST", body: payload, headers: { "content-type": "application/json" } })).text();
  const first = await post(a.url, "/v1/completions", body);
  assert.equal(await post(a.url, "/v1/completions", body), first);
  assert.equal(await post(b.url, "/v1/completions", body), first);
  assert.notEqual(await post(other.url, "/v1/completions", body), first);
  const emb = JSON.stringify({ model: "iter_0", input: onPath.slice(0, 5) });
  assert.equal(await post(b.url, "/v1/embeddings", emb), await post(a.url, "/v1/embeddings", emb));
  assert.notEqual(await post(other.url, "/v1/embeddings", emb), await post(a.url, "/v1/embeddings", emb));
});

test("a wrong model is vLLM's 404 and a bad prompt a 400, both surfacing as PolicyErrors that name them", async () => {
  const s = await server();
  await assert.rejects(completions(s.url, "iter_9").generate(onPath[0]!), (e: unknown) => e instanceof PolicyError && e.status === 404 && /model 'iter_9' was requested/.test(e.message));
  const r = await fetch(`${s.url}/v1/completions`, { method: "POST", body: JSON.stringify({ model: "iter_0", prompt: "no markers", n: 2 }) });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /prompt is not \[GOAL\]\{state\}\[PROOFSTEP\]: \\"no markers\\"/);
  assert.ok(s.stats().rejected >= 1);
});

/** Euclidean distance between the two groups' centroids, and accuracy of the best threshold on the planted direction. */
function separation(on: Float32Array[], off: Float32Array[], u: Float64Array): { centroid_l2: number; accuracy: number } {
  const mean = (rows: Float32Array[]) => Array.from({ length: u.length }, (_, i) => rows.reduce((s, r) => s + r[i]!, 0) / rows.length);
  const [ca, cb] = [mean(on), mean(off)];
  const centroid_l2 = Math.hypot(...ca.map((x, i) => x - cb[i]!));
  const proj = (r: Float32Array) => r.reduce((s, x, i) => s + x * u[i]!, 0);
  const mid = (on.map(proj).reduce((s, x) => s + x, 0) / on.length + off.map(proj).reduce((s, x) => s + x, 0) / off.length) / 2;
  const accuracy = (on.filter((r) => proj(r) > mid).length + off.filter((r) => proj(r) <= mid).length) / (on.length + off.length);
  return { centroid_l2, accuracy };
}

test("embeddings: the planted shift separates on-path states (centroid distance, a linear threshold) and vanishes at strength 0", async (t) => {
  const s = await server();
  const off = offPathStates(300);
  const on = onPath.slice(0, 300);
  assert.ok(off.length >= 150, `${off.length} off-path states`);
  const u = plantedDirection(WORLD_SEED, 64);
  const embed = async (model: string, texts: string[]) => {
    const c = new EmbeddingsClient({ base_url: s.url, model, batch_size: 64 });
    clients.push(c);
    return c.embed(texts);
  };
  const shifted = separation(await embed("iter_1", on), await embed("iter_1", off), u);
  const none = separation(await embed("no_shift", on), await embed("no_shift", off), u);
  t.diagnostic(`${on.length} on- vs ${off.length} off-path: embed_shift 1 ${JSON.stringify(shifted)}; embed_shift 0 ${JSON.stringify(none)}`);
  assert.ok(shifted.centroid_l2 > 0.5 && shifted.accuracy > 0.95, `embed_shift 1: ${JSON.stringify(shifted)}`);
  // with no shift the centroid distance is pure sampling noise: E ≈ sqrt(1/n_on + 1/n_off) for rows of norm ≈ 1
  const noise = Math.sqrt(1 / on.length + 1 / off.length);
  assert.ok(none.centroid_l2 < 1.5 * noise && none.accuracy < 0.65, `embed_shift 0: ${JSON.stringify(none)} (noise level ${noise.toFixed(3)})`);
  const [raw, templated] = [(await embed("iter_1", [on[0]!]))[0]!, (await embed("iter_1", [policyPrompt(on[0]!)]))[0]!];
  assert.equal(raw.length, 64);
  assert.notDeepEqual(raw, templated, "the whole input seeds the vector: a recipe change shows");
  const p = (r: Float32Array) => r.reduce((sum, x, i) => sum + x * u[i]!, 0);
  assert.ok(p(templated) > 0.4 && p(raw) > 0.4, "the template's state is recognised as on-path");
});

test("as a child process: prints its URL, serves the clients, stops on request and leaves nothing running", async () => {
  const worldFile = worldFileIn(dir, world);
  const configFile = join(dir, "server.json");
  writeFileSync(configFile, JSON.stringify({ policies: POLICIES.slice(0, 2), embedding_dim: 16 }));
  const proc = await spawnSyntheticPolicyServer({ world_file: worldFile, config_file: configFile });
  try {
    const c = completions(proc.url, "iter_0");
    assert.equal((await c.checkServer()).has_model, true);
    const inProcess = await server();
    const here = await completions(inProcess.url, "iter_0").generate(onPath[1]!);
    assert.deepEqual((await c.generate(onPath[1]!)).candidates, here.candidates, "the process answers as the in-process server does");
    const e = new EmbeddingsClient({ base_url: proc.url, model: "iter_1" });
    clients.push(e);
    assert.equal((await e.embed(["x"]))[0]!.length, 16);
  } finally {
    await proc.stop();
  }
  assert.throws(() => process.kill(proc.pid, 0), /ESRCH/);
  const badConfig = join(dir, "bad.json");
  writeFileSync(badConfig, JSON.stringify({ policies: [{ model: "m", p_correct: 2 }] }));
  await assert.rejects(spawnSyntheticPolicyServer({ world_file: worldFile, config_file: badConfig }), /exited \(code 2\) before it listened; stderr: synthetic-policy-server: synthetic policy server: policies\[0\] 'm': 'p_correct' must be a number in \[0, 1\], got 2/);
});
