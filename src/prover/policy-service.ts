/**
 * Where a search stage gets its policy (`/v1/completions`) and its encoder (`/v1/embeddings`):
 *
 * - a server the researcher runs (vLLM or SGLang) for completions: BURNQED_POLICY_URL and
 *   BURNQED_POLICY_MODEL (the served model name);
 * - an encoder the researcher runs: BURNQED_ENCODE_URL, which must be burnqed.serve (it reports
 *   the embedding recipe it applies at GET /health; vLLM's embedding pooling is not the recipe);
 * - otherwise python/burnqed/serve.py on the iteration's merged model, started by the stage as a
 *   job (own process group, readiness event, log in the job folder) and stopped when it is done;
 * - in the demo, the synthetic policy server (src/demo/synthetic), a process on loopback.
 *
 * Whatever serves embeddings, its recipe is checked against the run's before a single state is
 * scored (design pitfall 3), and the error names the field that differs.
 */
import { join } from "node:path";
import { readJson } from "../artifacts/json-file.js";
import { canonicalJson } from "../artifacts/hash.js";
import type { StageContext } from "../artifacts/stage.js";
import type { EmbedRecipe } from "../ebm/embed-recipe.js";
import type { JobResult } from "../jobs/run-job.js";
import { JsonHttpClient } from "../policy/json-http-client.js";
import { normalizeHttpConfig } from "../policy/http-config.js";
import { checkServer } from "../policy/check-server.js";
import { isRecord } from "../policy/json-shape.js";
import type { ServeControls } from "../config/recipes.js";

export interface PolicyEndpoint {
  /** Base URL of /v1/completions. */
  readonly url: string;
  readonly model: string;
  /** Base URL of /v1/embeddings (burnqed.serve or the synthetic encoder). */
  readonly encode_url: string;
  readonly encode_model: string;
  /** One line: what serves it (for the log and the search summary). */
  readonly describe: string;
  stop(): Promise<void>;
}

/** The researcher's own servers, from the environment (null: none given). */
export interface ExternalServers {
  readonly policy_url: string | null;
  readonly policy_model: string | null;
  readonly encode_url: string | null;
  readonly encode_model: string | null;
}

export function externalServers(env: NodeJS.ProcessEnv = process.env): ExternalServers {
  const v = (k: string) => (env[k] ?? "").trim() || null;
  const s = { policy_url: v("BURNQED_POLICY_URL"), policy_model: v("BURNQED_POLICY_MODEL"), encode_url: v("BURNQED_ENCODE_URL"), encode_model: v("BURNQED_ENCODE_MODEL") };
  if (s.policy_url && !s.policy_model) throw new Error("BURNQED_POLICY_URL is set but BURNQED_POLICY_MODEL is not: name the served model (vllm serve ... --served-model-name NAME)");
  if (s.encode_url && !s.encode_model) throw new Error("BURNQED_ENCODE_URL is set but BURNQED_ENCODE_MODEL is not: name the served model (burnqed.serve served_model_name)");
  return s;
}

/** The first field where two recipes differ, or null. */
export function recipeDifference(expected: Readonly<Record<string, unknown>>, got: Readonly<Record<string, unknown>>): string | null {
  for (const k of [...new Set([...Object.keys(expected), ...Object.keys(got)])].sort()) {
    if (canonicalJson(expected[k] ?? null) !== canonicalJson(got[k] ?? null)) return `${k}: the run's recipe has ${JSON.stringify(expected[k] ?? null)}, the encoder ${JSON.stringify(got[k] ?? null)}`;
  }
  return null;
}

/** GET /health of the encoder; throws unless it reports exactly `recipe`. */
export async function checkEncoderRecipe(url: string, recipe: EmbedRecipe): Promise<void> {
  const http = new JsonHttpClient(normalizeHttpConfig("encoder recipe check", { base_url: url, max_retries: 2, timeout_s: 30 }));
  try {
    const a = await http.request("GET", "/health");
    const got = isRecord(a.json) ? a.json["embed_recipe"] : undefined;
    if (!isRecord(got)) throw new Error(`encoder ${url}/health reports no embed_recipe: the encoder must be burnqed.serve (it applies the run's embedding recipe); got ${a.text.slice(0, 200)}`);
    const diff = recipeDifference(recipe as unknown as Record<string, unknown>, got);
    if (diff) throw new Error(`encoder ${url} applies another embedding recipe than the run (design pitfall 3): ${diff}`);
  } finally {
    http.close();
  }
}

export interface ServeJobOptions {
  readonly model_dir: string;
  readonly served_model_name: string;
  readonly job_dir: string;
  readonly embed_recipe: EmbedRecipe;
  readonly controls: ServeControls;
  readonly embed_max_tokens_per_batch: number;
  readonly embed_max_batch_size: number;
  readonly max_n: number;
  readonly max_tokens: number;
  readonly seed: number;
}

/** burnqed.serve as a job of the stage: resolves once it is ready; stop() ends it and waits. */
export function startServeJob(ctx: StageContext, o: ServeJobOptions): Promise<PolicyEndpoint> {
  const ready_file = join(o.job_dir, "ready.json");
  const stopper = new AbortController();
  let job: Promise<JobResult> | null = null;
  return new Promise<PolicyEndpoint>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      if (ready) return;
      stopper.abort();
      reject(new Error(`burnqed.serve on ${o.model_dir} was not ready within ${o.controls.startup_timeout_s} s (log: ${o.job_dir}/stderr.log)`));
    }, o.controls.startup_timeout_s * 1000);
    job = ctx.runJob({
      job: "serve",
      job_dir: o.job_dir,
      config: {
        model_dir: o.model_dir,
        served_model_name: o.served_model_name,
        host: "127.0.0.1",
        port: 0,
        device: o.controls.device,
        dtype: o.controls.dtype,
        max_model_len: o.controls.max_model_len,
        batch_window_ms: o.controls.batch_window_ms,
        max_batch_tokens: o.controls.max_batch_tokens,
        max_batch_sequences: o.controls.max_batch_sequences,
        max_n: o.max_n,
        max_tokens_limit: o.max_tokens,
        seed: o.seed,
        embed_recipe: o.embed_recipe,
        embed_max_tokens_per_batch: o.embed_max_tokens_per_batch,
        embed_max_batch_size: o.embed_max_batch_size,
        ready_file,
      },
      python_modules: ["numpy", "torch", "transformers"],
      stop_signal: stopper.signal,
      kill_grace_s: 30,
      on_event: (e) => {
        if (ready || e.event !== "progress" || e.unit !== "ready" || e.step < 1) return;
        ready = true;
        clearTimeout(timer);
        const info = readJson<{ url: string }>(ready_file);
        resolve({
          url: info.url,
          model: o.served_model_name,
          encode_url: info.url,
          encode_model: o.served_model_name,
          describe: `burnqed.serve on ${o.model_dir} (started by the stage; log ${o.job_dir})`,
          stop: async () => {
            stopper.abort();
            await job!.catch(() => undefined);
          },
        });
      },
    });
    job.then(
      () => {
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`burnqed.serve on ${o.model_dir} exited before it was ready (log: ${o.job_dir}/stderr.log)`));
        }
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!ready) reject(e);
      },
    );
  });
}

/**
 * An endpoint someone else runs: checked for the model (and, when the search scores states, the
 * encoder's recipe), never stopped. `fallbackEncoder`: a burnqed.serve the stage started for
 * the embeddings (stopped with the endpoint).
 */
export async function externalEndpoint(s: ExternalServers, recipe: EmbedRecipe, needsEncoder: boolean, fallbackEncoder: PolicyEndpoint | null): Promise<PolicyEndpoint> {
  const url = s.policy_url!;
  const check = await checkServer({ base_url: url, model: s.policy_model!, max_retries: 2 });
  if (!check.has_model) throw new Error(`${check.summary}: BURNQED_POLICY_MODEL=${s.policy_model} is not served at ${url}`);
  const encode_url = s.encode_url ?? fallbackEncoder?.encode_url ?? null;
  const encode_model = s.encode_model ?? fallbackEncoder?.encode_model ?? null;
  if (needsEncoder) {
    if (encode_url === null || encode_model === null) throw new Error("no encoder: set BURNQED_ENCODE_URL / BURNQED_ENCODE_MODEL (burnqed.serve) or let the stage start burnqed.serve");
    await checkEncoderRecipe(encode_url, recipe);
  }
  return {
    url,
    model: s.policy_model!,
    encode_url: encode_url ?? "",
    encode_model: encode_model ?? "",
    describe: `policy ${s.policy_model} at ${url} (BURNQED_POLICY_URL)${needsEncoder ? `; encoder ${encode_model} at ${encode_url}` : ""}`,
    stop: async () => {
      await fallbackEncoder?.stop();
    },
  };
}
