"""End-to-end check of burnqed.serve as the stages run it, against the TypeScript clients' requests
and the embed job's vectors (needs torch, transformers, tokenizers; no downloads; CUDA unless --smoke).

1. A tiny random Llama (llm_fixtures.tiny_llama) with a byte-level BPE tokenizer trained on the
   proof states and the [GOAL]/[PROOFSTEP] markers added (sft_special_tokens), saved as a merged
   model directory.
2. The embed job, run as a stage runs it: ``python -m burnqed.embed --config cfg.json`` with
   PYTHONPATH=python, the recipe and batching controls of python/burnqed/recipes.json (plan.embed),
   on the distinct proof states: its float16 .npy is the reference.
3. The server, run as a stage runs it: ``python -m burnqed.serve --config cfg.json`` in its own
   process group (port 0, ready_file, bfloat16), stopped with SIGTERM at the end (exit 0 and a
   ``done`` event are checked). Requests over HTTP, with exactly the bodies of
   src/policy/completions-client.ts ({model, prompt: "[GOAL]{state}[PROOFSTEP]", n 16, temperature
   1.3, max_tokens 128, stop [GOAL]/[PROOFSTEP], logprobs 1}, 10 in flight) and
   src/policy/embeddings-client.ts ({model, input: [<= 64 states]}, 10 in flight, rows placed by
   ``data[].index``), plus one request holding every state.
4. Checks: the completions answer in the OpenAI shape the client parses (completions-response.ts:
   choices[].index/text/finish_reason, logprobs.tokens/token_logprobs of equal length, finite
   logprobs, top_logprobs holding the sampled token with its logprob, stop strings absent, usage);
   /v1/embeddings vectors equal the embed job's: bit-equal for the one-request call (the server
   then groups the same lengths with the same budget as the job), and within the bf16 tolerance
   below for the client's 64-state requests (other batch shapes, other bf16 kernels):

       |served - job| <= TOL_REL * max|job|   elementwise, with TOL_REL = 2**-6 (2 bf16 ulps at the
       largest magnitude), and cosine(served, job) >= 0.999 for every row.

One JSON line on stdout (and --out); the exit code is 1 when a check fails.

    python3 bench/serve-e2e-check.py --states .bench-tmp/shared-states.json --out $OUT/serve-e2e-check.json
    python3 bench/serve-e2e-check.py --smoke
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, Sequence

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)

from bench_llm import emit_result, environment, pick_device, stdout_to_stderr  # noqa: E402
from bench_states import load_states, states_digest  # noqa: E402

SERVED_MODEL = "iter0"
STOP = ["[GOAL]", "[PROOFSTEP]"]
CLIENT_BATCH, CLIENT_IN_FLIGHT = 64, 10  # embeddings-client.ts batch_size; http-config.ts max_in_flight
TOL_REL, MIN_COSINE = 2.0**-6, 0.999
RECIPES_JSON = os.path.join(REPO, "python", "burnqed", "recipes.json")


def completion_body(state: str) -> dict[str, Any]:
    """CompletionsClient.requestBody(state) with DEFAULT_COMPLETIONS."""
    return {"model": SERVED_MODEL, "prompt": f"[GOAL]{state}[PROOFSTEP]", "n": 16, "temperature": 1.3, "max_tokens": 128, "stop": list(STOP), "logprobs": 1}


def job_env() -> dict[str, str]:
    """As src/jobs/run-job.ts starts a job."""
    inherited = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(REPO, "python")] + ([inherited] if inherited else [])), "PYTHONUNBUFFERED": "1", "BURNQED_PARENT_PID": str(os.getpid())}


def write_json(path: str, value: Any) -> str:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=2)
    return path


def make_model(root: str, states: Sequence[str]) -> str:
    from llm_fixtures import bpe_tokenizer, tiny_llama

    from burnqed.sft_special_tokens import add_special_tokens

    with stdout_to_stderr():
        tok = bpe_tokenizer(list(states) * 3)
    model = tiny_llama(len(tok), seed=3)
    add_special_tokens(model, tok, "trainable_token_rows")
    model_dir = os.path.join(root, "merged")
    model.save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    return model_dir


def run_embed_job(root: str, model_dir: str, states: Sequence[str], timeout_s: float) -> tuple[np.ndarray, dict[str, Any]]:
    with open(RECIPES_JSON, encoding="utf-8") as f:
        embed = json.load(f)["plan"]["embed"]
    texts = os.path.join(root, "states.jsonl")
    with open(texts, "w", encoding="utf-8") as f:
        for s in states:
            f.write(json.dumps({"text": s}, ensure_ascii=False) + "\n")
    out = os.path.join(root, "states.npy")
    cfg = {"model_dir": model_dir, "sets": [{"name": "states", "texts": texts, "out": out, "flags_out": os.path.join(root, "flags.npy")}], "meta_out": os.path.join(root, "meta.json"),
           "work_dir": os.path.join(root, "embed_work"), "recipe": embed["recipe"], **{k: embed["controls"][k] for k in ("max_tokens_per_batch", "max_batch_size", "chunk_rows")}}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "burnqed.embed", "--config", write_json(os.path.join(root, "embed.json"), cfg)], cwd=REPO, env=job_env(),
                          capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"burnqed.embed exited {proc.returncode}; stderr tail:\n{proc.stderr[-3000:]}")
    done = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()][-1]
    return np.load(out).astype(np.float32), {"wall_s": time.perf_counter() - t0, "controls": {k: cfg[k] for k in ("max_tokens_per_batch", "max_batch_size", "chunk_rows")},
                                             "batches": done["summary"]["sets"]["states"]["batches"], "flags": done["summary"]["sets"]["states"]["flags"]}


class ServeProcess:
    """``python -m burnqed.serve`` in its own process group; stop() sends SIGTERM to it (by pid)."""

    def __init__(self, root: str, model_dir: str, device: str) -> None:
        self.ready_file = os.path.join(root, "ready.json")
        cfg = {"model_dir": model_dir, "served_model_name": SERVED_MODEL, "port": 0, "ready_file": self.ready_file, "device": device, "dtype": "bfloat16"}
        self.stdout_path, self.stderr_path = os.path.join(root, "serve.events.jsonl"), os.path.join(root, "serve.stderr")
        self._out, self._err = open(self.stdout_path, "w"), open(self.stderr_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "burnqed.serve", "--config", write_json(os.path.join(root, "serve.json"), cfg)], cwd=REPO, env=job_env(),
                                     stdout=self._out, stderr=self._err, start_new_session=True)
        self.url = ""

    def stderr_tail(self) -> str:
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-3000:]

    def wait_ready(self, timeout_s: float) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"burnqed.serve exited {self.proc.returncode} before it was ready; stderr tail:\n{self.stderr_tail()}")
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as f:
                    self.url = json.load(f)["url"]
                return time.perf_counter() - t0
            time.sleep(0.1)
        raise RuntimeError(f"burnqed.serve not ready after {timeout_s} s; stderr tail:\n{self.stderr_tail()}")

    def stop(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """SIGTERM, wait; returns {returncode, done summary}. SIGKILL (same pid) only if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._out.close()
        self._err.close()
        with open(self.stdout_path, encoding="utf-8") as f:
            events = [json.loads(line) for line in f if line.strip()]
        done = next((e for e in reversed(events) if e.get("event") == "done"), None)
        return {"returncode": self.proc.returncode, "done": done["summary"] if done else None, "ready_event": any(e.get("event") == "progress" and e.get("unit") == "ready" and e.get("step") == 1 for e in events)}


def http(method: str, url: str, body: Optional[Any] = None, timeout_s: float = 300.0) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def completion_problems(body: Any, n: int, max_tokens: int) -> list[str]:
    """What the client (completions-response.ts) or the OpenAI shape would reject; [] when none."""
    bad: list[str] = []
    if not isinstance(body, dict) or body.get("object") != "text_completion" or not isinstance(body.get("choices"), list):
        return [f"not a text_completion with choices: {str(body)[:200]}"]
    for key in ("id", "created", "model", "usage"):
        if key not in body:
            bad.append(f"no '{key}'")
    usage = body.get("usage", {})
    if not all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens", "total_tokens")):
        bad.append(f"usage {usage}")
    if [c.get("index") for c in body["choices"]] != list(range(n)):
        bad.append(f"choice indices {[c.get('index') for c in body['choices']]}")
    for i, c in enumerate(body["choices"]):
        at, lp = f"choices[{i}]", c.get("logprobs")
        if not isinstance(c.get("text"), str) or c.get("finish_reason") not in ("stop", "length"):
            bad.append(f"{at}: text {type(c.get('text')).__name__}, finish_reason {c.get('finish_reason')!r}")
            continue
        if not isinstance(lp, dict) or not isinstance(lp.get("tokens"), list) or not isinstance(lp.get("token_logprobs"), list):
            bad.append(f"{at}: logprobs {str(lp)[:200]}")
            continue
        tokens, lps, top = lp["tokens"], lp["token_logprobs"], lp.get("top_logprobs")
        if len(tokens) != len(lps) or not all(isinstance(t, str) for t in tokens):
            bad.append(f"{at}: {len(tokens)} tokens, {len(lps)} token_logprobs")
        if not all(isinstance(x, (int, float)) and math.isfinite(x) and x <= 0 for x in lps):
            bad.append(f"{at}: token_logprobs not finite and <= 0: {lps[:5]}")
        # the sampled token is listed with its logprob; its key is decode([id]), which differs from
        # tokens[k] (the text the token adds) where a token splits a character (counted, not an error)
        if not isinstance(top, list) or len(top) != len(tokens) or not all(isinstance(d, dict) and any(abs(v - x) < 1e-6 for v in d.values()) for d, x in zip(top, lps)):
            bad.append(f"{at}: top_logprobs do not list each sampled token's logprob")
        if not "".join(tokens).startswith(c["text"]):
            bad.append(f"{at}: the tokens do not cover the text")
        if any(s in c["text"] for s in STOP):
            bad.append(f"{at}: a stop string is in the text")
        if len(tokens) > max_tokens or (c["finish_reason"] == "length" and len(tokens) != max_tokens):
            bad.append(f"{at}: {len(tokens)} tokens with finish_reason {c['finish_reason']} (max_tokens {max_tokens})")
    return bad


def embedding_rows(body: Any, n: int) -> np.ndarray:
    """Rows placed by data[].index (parseEmbeddingsResponse), with its checks."""
    assert isinstance(body, dict) and body.get("object") == "list" and isinstance(body.get("data"), list) and len(body["data"]) == n, str(body)[:300]
    assert isinstance(body.get("usage", {}).get("prompt_tokens"), int), body.get("usage")
    rows: list[Optional[np.ndarray]] = [None] * n
    for d in body["data"]:
        i = d["index"]
        assert d.get("object") == "embedding" and isinstance(i, int) and 0 <= i < n and rows[i] is None, str(d)[:200]
        v = np.asarray(d["embedding"], dtype=np.float32)
        assert np.isfinite(v).all() and np.any(v != 0), f"row {i}: non-finite or all-zero"
        rows[i] = v
    return np.stack(rows)  # type: ignore[arg-type]


def compare(job: np.ndarray, served: np.ndarray) -> dict[str, Any]:
    cos = np.sum(job * served, axis=1) / np.maximum(np.linalg.norm(job, axis=1) * np.linalg.norm(served, axis=1), 1e-30)
    diff = float(np.abs(job - served).max())
    scale = float(np.abs(job).max())
    return {"max_abs_diff": diff, "job_abs_max": scale, "max_diff_over_abs_max": diff / scale, "min_cosine": float(cos.min()), "bit_equal": bool(np.array_equal(job, served)),
            "within_tolerance": diff <= TOL_REL * scale and float(cos.min()) >= MIN_COSINE}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None)
    ap.add_argument("--states", default=None, help="JSON from bench/bench_states.py --out (default: read ../shared/data/tactic_states)")
    ap.add_argument("--completion-requests", type=int, default=20)
    ap.add_argument("--timeout-s", type=float, default=300.0, help="for each subprocess step")
    ap.add_argument("--smoke", action="store_true", help="CPU allowed, 4 completion requests, 100 states")
    args = ap.parse_args()
    device = pick_device(args.smoke, "bench/serve-e2e-check.py")
    t_start = time.perf_counter()
    states_all, source = load_states(args.states)
    distinct = sorted(set(states_all))
    order = np.random.default_rng(0).permutation(len(distinct))
    states = [distinct[i] for i in order[: 100 if args.smoke else len(distinct)]]
    n_completions = 4 if args.smoke else args.completion_requests
    checks: dict[str, bool] = {}
    result: dict[str, Any] = {"bench": "serve-e2e-check", "smoke": args.smoke, "command": " ".join(sys.argv), **environment(device),
                              "states": {"source": source, "embedded": len(states), "digest": states_digest(states)},
                              "tolerance": {"elementwise": "|served - job| <= 2**-6 * max|job|", "tol_rel": TOL_REL, "min_cosine": MIN_COSINE}}
    with tempfile.TemporaryDirectory(prefix="serve-e2e-") as root:
        model_dir = make_model(root, distinct)
        job_vectors, result["embed_job"] = run_embed_job(root, model_dir, states, args.timeout_s)
        server = ServeProcess(root, model_dir, "auto")
        try:
            result["serve_ready_s"] = server.wait_ready(args.timeout_s)
            status, models = http("GET", server.url + "/v1/models")
            checks["models_lists_served_name"] = status == 200 and any(m.get("id") == SERVED_MODEL for m in models.get("data", []))
            bodies = [completion_body(s) for s in states[:n_completions]]
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=CLIENT_IN_FLIGHT) as pool:
                answers = list(pool.map(lambda b: http("POST", server.url + "/v1/completions", b, args.timeout_s), bodies))
            problems: list[str] = []
            for i, (st, body) in enumerate(answers):
                problems.extend([f"request {i}: status {st}: {str(body)[:200]}"] if st != 200 else [f"request {i}: {p}" for p in completion_problems(body, 16, 128)])
            checks["completions_openai_shape"] = not problems
            ok_bodies = [b for st, b in answers if st == 200]
            positions = [(t, d) for b in ok_bodies for c in b["choices"] for t, d in zip(c["logprobs"]["tokens"], c["logprobs"]["top_logprobs"] or [])]
            result["completions"] = {"requests": len(bodies), "seconds": time.perf_counter() - t0, "problems": problems[:20],
                                     "positions": len(positions), "positions_token_not_a_top_logprobs_key": sum(t not in d for t, d in positions),
                                     "finish_reasons": {r: sum(c["finish_reason"] == r for b in ok_bodies for c in b["choices"]) for r in ("stop", "length")},
                                     "example_choice": ok_bodies[0]["choices"][0] if ok_bodies else None, "request_body": {**bodies[0], "prompt": bodies[0]["prompt"][:80] + "…"}}
            t0 = time.perf_counter()
            chunks = [list(range(i, min(i + CLIENT_BATCH, len(states)))) for i in range(0, len(states), CLIENT_BATCH)]
            with ThreadPoolExecutor(max_workers=CLIENT_IN_FLIGHT) as pool:
                parts = list(pool.map(lambda rows: (rows, http("POST", server.url + "/v1/embeddings", {"model": SERVED_MODEL, "input": [states[i] for i in rows]}, args.timeout_s)), chunks))
            client_vectors = np.zeros_like(job_vectors)
            for rows, (st, body) in parts:
                assert st == 200, f"/v1/embeddings {st}: {str(body)[:300]}"
                client_vectors[rows] = embedding_rows(body, len(rows))
            st, body = http("POST", server.url + "/v1/embeddings", {"model": SERVED_MODEL, "input": states}, args.timeout_s)
            assert st == 200, f"/v1/embeddings {st}: {str(body)[:300]}"
            one_vectors = embedding_rows(body, len(states))
            result["embeddings"] = {"seconds": time.perf_counter() - t0, "dim": int(job_vectors.shape[1]),
                                    "client_batches_of_64": {"requests": len(chunks), **compare(job_vectors, client_vectors)},
                                    "one_request": compare(job_vectors, one_vectors)}
            checks["embeddings_client_batches_within_tolerance"] = result["embeddings"]["client_batches_of_64"]["within_tolerance"]
            checks["embeddings_one_request_within_tolerance"] = result["embeddings"]["one_request"]["within_tolerance"]
        finally:
            stopped = server.stop()
            result["serve_stderr_tail"] = server.stderr_tail()[-600:]
        result["serve_exit"] = stopped
        checks["serve_ready_event"] = stopped["ready_event"]
        checks["serve_sigterm_exit_0_with_done"] = stopped["returncode"] == 0 and stopped["done"] is not None
    result["checks"] = checks
    result["ok"] = all(checks.values())
    result["total_s"] = time.perf_counter() - t_start
    emit_result(result, args.out)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
