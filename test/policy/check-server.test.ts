/** checkServer: GET /v1/models says which models the server has and whether the wanted one is there. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { checkServer, type CheckServerOptions } from "../../src/policy/check-server.js";
import { CompletionsClient } from "../../src/policy/completions-client.js";
import { PolicyError } from "../../src/policy/policy-error.js";
import { startScriptedPolicyServer } from "../fixtures/policy-server/scripted-policy-server.js";

const server = await startScriptedPolicyServer({ model: "prover-sft" });
after(() => server.close());

test("lists the served models; has_model and a one-line summary for the model asked about", async () => {
  const url = `${server.url}/v1/models`;
  assert.deepEqual(await checkServer({ base_url: server.url, model: "prover-sft" }), { url, models: ["prover-sft"], model: "prover-sft", has_model: true, summary: `${url} serves 'prover-sft'` });
  const miss = await checkServer({ base_url: `${server.url}/v1`, model: "prover-typo" });
  assert.equal(miss.has_model, false);
  assert.equal(miss.summary, `${url} does not serve 'prover-typo'; it serves 'prover-sft'`);
  const any = await checkServer({ base_url: server.url });
  assert.deepEqual([any.model, any.has_model, any.summary], [null, null, `${url} serves 'prover-sft'`]);
  assert.equal(server.requests.at(-1)?.method, "GET");
});

test("through a CompletionsClient: its model; a server that is down is a connection error naming the URL", async () => {
  const c = new CompletionsClient({ base_url: server.url, model: "prover-sft" });
  assert.equal((await c.checkServer()).has_model, true);
  c.close();
  const down = await startScriptedPolicyServer();
  await down.close();
  await assert.rejects(checkServer({ base_url: down.url, max_retries: 0 }), (e: unknown) => e instanceof PolicyError && e.kind === "connection" && e.message.startsWith(`GET ${down.url}/v1/models: connection`));
  await assert.rejects(checkServer({ base_url: server.url, modle: "x" } as CheckServerOptions), /checkServer: unknown option 'modle'/);
});
