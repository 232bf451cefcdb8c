/** EmbeddingsClient: exact body, rows placed by data[].index, batching, shared retries, shape errors. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { EmbeddingsClient, normalizeEmbeddingsOptions, parseEmbeddingsResponse, type EmbeddingsClientOptions } from "../../src/policy/embeddings-client.js";
import { PolicyError } from "../../src/policy/policy-error.js";
import { startScriptedPolicyServer, type ScriptedPolicyServer, type ScriptedServerOptions } from "../fixtures/policy-server/scripted-policy-server.js";

const servers: ScriptedPolicyServer[] = [];
const clients: EmbeddingsClient[] = [];
after(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(server: ScriptedServerOptions = {}, client: Partial<EmbeddingsClientOptions> = {}) {
  const s = await startScriptedPolicyServer({ model: "encoder", ...server });
  servers.push(s);
  const c = new EmbeddingsClient({ base_url: `${s.url}/v1`, model: "encoder", backoff_base_s: 0.001, backoff_max_s: 0.002, ...client }, () => 0);
  clients.push(c);
  return { s, c };
}

const f32 = (...xs: number[]) => Float32Array.from(xs);

test("body is exactly { model, input }; rows come back in input order although data is reversed", async () => {
  const { s, c } = await setup();
  const rows = await c.embed(["a", "bcd", "ef"]);
  // the server answers [length, first code unit, last code unit] with data in reversed order
  assert.deepEqual(rows, [f32(1, 97, 97), f32(3, 98, 100), f32(2, 101, 102)]);
  assert.ok(rows.every((r) => r instanceof Float32Array));
  const req = s.requests[0]!;
  assert.equal(req.path, "/v1/embeddings");
  assert.deepEqual(req.body, { model: "encoder", input: ["a", "bcd", "ef"] });
  assert.deepEqual([c.stats().inputs, c.stats().prompt_tokens, c.stats().requests], [3, 6, 1]);
});

test("batches of batch_size go out concurrently and are joined in input order; empty input sends nothing", async () => {
  const { s, c } = await setup({ latency_ms: 10 }, { batch_size: 2 });
  const rows = await c.embed(["ab", "c", "def", "g", "hi"]);
  assert.deepEqual(rows.map((r) => r[0]), [2, 1, 3, 1, 2]);
  assert.deepEqual(s.requests.map((r) => (r.body as { input: string[] }).input), [["ab", "c"], ["def", "g"], ["hi"]]);
  assert.deepEqual(await c.embed([]), []);
  assert.equal(s.requests.length, 3);
});

test("the same retry machinery: a 500 and a dropped connection, then the rows", async () => {
  const { s, c } = await setup({ status_sequence: [500, "drop"] }, { max_retries: 2 });
  assert.deepEqual(await c.embed(["x"]), [f32(1, 120, 120)]);
  assert.equal(s.requests.length, 3);
  assert.equal(c.stats().retries, 2);
});

test("a wrong model: the server's 404 body in the error, one attempt", async () => {
  const { s, c } = await setup({}, { model: "other" });
  await assert.rejects(c.embed(["x"]), (e: unknown) => e instanceof PolicyError && e.status === 404 && e.attempts === 1 && e.message.startsWith(`POST ${s.url}/v1/embeddings: http_status HTTP 404`) && /The model `other` does not exist/.test(e.message));
});

test("shape errors name the field: count, repeated or out-of-range index, widths, base64, all-zero rows", () => {
  const ans = (data: unknown) => ({ method: "POST", url: "http://h:1/v1/embeddings", status: 200, json: { object: "list", data }, text: JSON.stringify({ data }), attempts: 1 });
  const row = (index: number, embedding: unknown) => ({ object: "embedding", index, embedding });
  const bad = (data: unknown, inputs: string[], re: RegExp) =>
    assert.throws(() => parseEmbeddingsResponse(ans(data), inputs), (e: unknown) => e instanceof PolicyError && e.kind === "bad_response" && re.test(e.message));
  assert.deepEqual(parseEmbeddingsResponse(ans([row(1, [0.5, 1]), row(0, [2, 0])]), ["p", "q"]), [f32(2, 0), f32(0.5, 1)]);
  bad([row(0, [1])], ["p", "q"], /2 inputs sent but 1 embeddings returned/);
  bad([row(0, [1]), row(0, [2])], ["p", "q"], /data\[1\]\.index 0 appears twice/);
  bad([row(0, [1]), row(2, [2])], ["p", "q"], /data\[1\]\.index is 2, expected an integer in \[0, 2\)/);
  bad([row(0, [1]), row(1, [2, 3])], ["p", "q"], /embedding 1 has 2 values but embedding 0 has 1/);
  bad([row(0, "AACAPw==")], ["p"], /data\[0\]\.embedding is not a list of finite numbers \(encoding_format must be "float"\)/);
  bad([row(0, [1]), row(1, [0])], ["p", "⊢ q"], /data\[1\]: all-zero embedding for input 1 \("⊢ q"\): the encoder's recipe is broken/);
});

test("options: unknown keys named, batch_size checked, base_url with /v1 normalised", () => {
  assert.equal(normalizeEmbeddingsOptions({ base_url: "http://h:1/v1", model: "e" }).base_url, "http://h:1");
  assert.equal(normalizeEmbeddingsOptions({ base_url: "http://h:1", model: "e" }).batch_size, 64);
  assert.throws(() => normalizeEmbeddingsOptions({ base_url: "http://h:1", model: "e", dims: 4 } as EmbeddingsClientOptions), /EmbeddingsClient: unknown option 'dims'/);
  assert.throws(() => normalizeEmbeddingsOptions({ base_url: "http://h:1", model: "e", batch_size: 0 }), /'batch_size' must be a positive integer number, got 0/);
});
