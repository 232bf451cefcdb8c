"""GPU bench of burnqed.serve's batched completions against one-request-at-a-time HF generate
(needs CUDA, torch, transformers, tokenizers; no downloads).

Model: random-init LlamaForCausalLM of DeepSeek-Prover-V1.5's shape (hidden 4096, 30 layers,
intermediate 11008, 32 heads, vocab 102400; bfloat16, sdpa), built on the GPU, with the
[GOAL]/[PROOFSTEP] markers added by burnqed.sft_special_tokens as the merged model has them.
Tokenizer: bench_llm.noise_vocab_tokenizer (a byte-level BPE trained on the proof states, padded to
the model's 102400 ids so every sampled id decodes to text). Outputs are noise; the cost is not.

Requests: --requests proof states from ../shared/data/tactic_states (or --states FILE), distinct,
in a seeded order, each sent as exactly the body src/policy/completions-client.ts sends:
{model, prompt: "[GOAL]{state}[PROOFSTEP]", n: 16, temperature: 1.3, max_tokens, stop: ["[GOAL]",
"[PROOFSTEP]"], logprobs: 1} (the plan's search: 16 candidates at temperature 1.3; --max-tokens,
default 64; the client's default is 128). In ONE process, on the same model and the same requests:

  hf_generate   one request at a time: the body parsed by serve_protocol, the prompt tokenised by
                ServeApp.prompt_ids, transformers' generate (do_sample, temperature, top_k 0,
                top_p 1: the full distribution as serve samples it; num_return_sequences n), raw
                logprobs and top-1 from its output_logits, the response built by
                serve_protocol.completion_response: the same body serve answers;
  serve_c{k}    burnqed.serve's ServeApp.complete (parse, tokenise, RequestBatcher, Engine,
                generate_sequences, completion_response) called from k client threads, each with one
                request in flight (the client's max_in_flight; the plan searches with concurrency 10).

Fairness: every sequence generates exactly max_tokens tokens in every mode. A random model would
sample EOS now and then (p ~ 1/102400 per token), ending sequences at random lengths, so: serve's
Engine is built with no EOS ids (a sampled EOS id is an ordinary token), and generate gets
min_new_tokens = max_new_tokens (its EOS logit is masked). The stop strings are sent to serve,
which checks them every step as it must (they never occur in noise); generate gets none by
default (transformers' StopStringCriteria cost 0.6-1.2 s per call on a 2-core CPU over a 102400-token
vocabulary, which would penalise the baseline for something other than batching; the response
cut at a stop string is done for both by completion_response) — pass --baseline-stop-strings to
include it. The check is recorded: completion_tokens == requests x n x max_tokens in each mode.

Reported: generated tokens/s, requests/s, sequences/s, request latency, serve's batches (count,
mean and largest sequences), peak GPU memory, and the ratios to hf_generate.

    python3 bench/serve-gpu.py --states .bench-tmp/shared-states.json --out $OUT/serve-gpu.json
    python3 bench/serve-gpu.py --smoke        # a 2-layer 64-wide model on the CPU, seconds
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_llm import DEEPSEEK_PROVER_V15, SMOKE_SHAPE, Timer, emit_result, environment, noise_vocab_tokenizer, peak_gib, pick_device, random_llama, reset_peak  # noqa: E402
from bench_states import length_stats, load_states, states_digest  # noqa: E402

from burnqed.serve_protocol import GeneratedSequence, completion_response, parse_completion_request  # noqa: E402

SERVED_MODEL = "iter0"
STOP = ["[GOAL]", "[PROOFSTEP]"]  # src/policy/completions-client.ts DEFAULT_COMPLETIONS.stop


def client_body(state: str, n: int, temperature: float, max_tokens: int) -> dict[str, Any]:
    """Exactly CompletionsClient.requestBody(state) (policyPrompt = sftRecord(...).prompt)."""
    return {"model": SERVED_MODEL, "prompt": f"[GOAL]{state}[PROOFSTEP]", "n": n, "temperature": temperature, "max_tokens": max_tokens, "stop": list(STOP), "logprobs": 1}


def build(shape: dict[str, Any], states: Sequence[str], device: torch.device) -> tuple[Any, Any, Any]:
    """(model, tokenizer, ServeApp with its Engine started): serve.build_engine's assembly on an
    in-memory model (build_engine loads from a directory), except eos_ids: none (fixed lengths)."""
    from burnqed.embed import EmbeddingExtractor
    from burnqed.hf_loading import pad_token_id
    from burnqed.serve import Engine, HFStepper, ServeApp, ServeConfig
    from burnqed.sft_special_tokens import add_special_tokens

    model = random_llama(shape, device)
    tokenizer = noise_vocab_tokenizer(states, shape["vocab_size"], n_reserved=2)
    add_special_tokens(model, tokenizer, "trainable_token_rows")  # markers land in rows 102398, 102399 (DeepSeek's rows exceed its tokenizer)
    if len(tokenizer) != model.get_input_embeddings().weight.shape[0]:
        raise RuntimeError(f"tokenizer has {len(tokenizer)} ids, the model {model.get_input_embeddings().weight.shape[0]} rows")
    cfg = ServeConfig(model_dir="(bench: random-init model)", served_model_name=SERVED_MODEL, device=str(device), dtype="bfloat16")
    extractor = EmbeddingExtractor(model, tokenizer, cfg.embed_recipe)

    def decode(ids: Sequence[int]) -> str:
        return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    engine = Engine(HFStepper(model), extractor, decode, threading.Lock(), frozenset(), pad_token_id(tokenizer), cfg)
    app = ServeApp(engine, tokenizer, cfg)
    engine.start()
    return model, tokenizer, app


def hf_generate_request(model: Any, app: Any, body: dict[str, Any], stop_strings: bool) -> dict[str, Any]:
    """One request answered by transformers' generate, in serve's response format."""
    req = parse_completion_request(body, app.cfg.model_name, app.cfg.limits())
    (prompt,) = app.prompt_ids(req.prompts)
    device = next(model.parameters()).device
    ids = torch.tensor([prompt], dtype=torch.long, device=device)
    extra = {"stop_strings": list(req.stop), "tokenizer": app.tokenizer} if stop_strings and req.stop else {}
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=req.temperature, top_k=0, top_p=1.0, num_return_sequences=req.n,
                             max_new_tokens=req.max_tokens, min_new_tokens=req.max_tokens, pad_token_id=app.engine.pad_id, output_logits=True, return_dict_in_generate=True, **extra)
        gen = out.sequences[:, ids.shape[1]:]  # (n, T)
        logp = torch.log_softmax(torch.stack(out.logits, dim=1).float(), dim=-1)  # (n, T, V): the model's own distribution, as serve reports
        token_lp = logp.gather(2, gen[:, :, None]).squeeze(2)
        k = req.logprobs or 0
        top = logp.topk(k, dim=-1) if k > 0 else None
    seqs = []
    gen_l, lp_l = gen.tolist(), token_lp.tolist()
    top_i, top_v = (top.indices.tolist(), top.values.tolist()) if top is not None else (None, None)
    for r in range(gen.shape[0]):
        alts = None
        if top_i is not None and top_v is not None:
            alts = tuple(tuple(list(zip(top_i[r][t], top_v[r][t])) + ([] if gen_l[r][t] in top_i[r][t] else [(gen_l[r][t], lp_l[r][t])])) for t in range(len(gen_l[r])))
        seqs.append(GeneratedSequence(token_ids=tuple(gen_l[r]), token_logprobs=tuple(lp_l[r]), top_logprobs=alts, finish_reason="length"))
    return completion_response(req, [len(prompt)], seqs, app.engine.decode, int(time.time()))


def check_response(body: dict[str, Any], n: int, max_tokens: int) -> int:
    """Asserts the client's shape (completions-response.ts); returns choices that stopped early."""
    assert body["object"] == "text_completion" and len(body["choices"]) == n, body.get("object")
    early = 0
    for i, c in enumerate(body["choices"]):
        lp = c["logprobs"]
        assert c["index"] == i and isinstance(c["text"], str) and c["finish_reason"] in ("stop", "length")
        assert len(lp["tokens"]) == len(lp["token_logprobs"]) and all(isinstance(x, float) for x in lp["token_logprobs"])
        early += c["finish_reason"] == "stop" or len(lp["tokens"]) != max_tokens
    return early


def run_mode(name: str, call: Any, bodies: Sequence[dict[str, Any]], concurrency: int, device: torch.device, app: Any) -> dict[str, Any]:
    n, max_tokens = bodies[0]["n"], bodies[0]["max_tokens"]
    stats = app.engine.stats
    with app.engine.stats_lock:  # per-mode batch counts: the engine thread updates these under the lock
        batches0, sequences0 = stats.batches, stats.sequences
        stats.largest_batch_sequences = 0
    latencies: list[float] = []

    def timed(body: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        out = call(body)
        latencies.append(time.perf_counter() - t0)
        return out

    reset_peak(device)
    with Timer(device) as t, ThreadPoolExecutor(max_workers=concurrency) as pool:
        answers = list(pool.map(timed, bodies))
    early = sum(check_response(a, n, max_tokens) for a in answers)
    completion_tokens = sum(a["usage"]["completion_tokens"] for a in answers)
    with app.engine.stats_lock:
        batches, sequences, largest = stats.batches - batches0, stats.sequences - sequences0, stats.largest_batch_sequences
    row: dict[str, Any] = {"concurrency": concurrency, "requests": len(bodies), "sequences": len(bodies) * n, "seconds": t.s,
                           "completion_tokens": completion_tokens, "generated_tokens_per_s": completion_tokens / t.s, "requests_per_s": len(bodies) / t.s,
                           "sequences_per_s": len(bodies) * n / t.s, "latency_s": {"mean": float(np.mean(latencies)), "p50": float(np.median(latencies)), "max": float(np.max(latencies))},
                           "choices_ended_early": early, "fixed_tokens_ok": completion_tokens == len(bodies) * n * max_tokens and early == 0, "peak_mem_gib": peak_gib(device)}
    if name.startswith("serve"):
        row.update(serve_batches=batches, mean_batch_sequences=sequences / max(batches, 1), largest_batch_sequences=largest)
    print(f"serve-gpu: {name}: {row['generated_tokens_per_s']:.0f} generated tok/s, {row['requests_per_s']:.2f} req/s, {t.s:.1f} s", file=sys.stderr, flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="also write the JSON line here (atomically)")
    ap.add_argument("--states", default=None, help="JSON from bench/bench_states.py --out (default: read ../shared/data/tactic_states)")
    ap.add_argument("--requests", type=int, default=20, help="requests (proof states) per mode: the same ones in every mode")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=1.3)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--concurrency", default="1,10", help="serve modes: client threads with one request in flight each")
    ap.add_argument("--no-baseline", action="store_true", help="skip hf_generate")
    ap.add_argument("--baseline-stop-strings", action="store_true", help="give generate the stop strings (StopStringCriteria)")
    ap.add_argument("--smoke", action="store_true", help="a 2-layer 64-wide model, 4 requests of 8 tokens: checks the bench runs (CPU allowed)")
    args = ap.parse_args()
    device = pick_device(args.smoke, "bench/serve-gpu.py")
    shape = SMOKE_SHAPE if args.smoke else DEEPSEEK_PROVER_V15
    n_requests, max_tokens = (4, 8) if args.smoke else (args.requests, args.max_tokens)
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    t_start = time.perf_counter()
    states, source = load_states(args.states)
    distinct = sorted(set(states))
    order = np.random.default_rng(0).permutation(len(distinct))
    chosen = [distinct[i] for i in order[:n_requests]]
    bodies = [client_body(s, args.n, args.temperature, max_tokens) for s in chosen]
    with Timer(device) as tb:
        model, tokenizer, app = build(shape, states, device)
    try:
        prompt_lengths = np.array([len(app.prompt_ids([b["prompt"]])[0]) for b in bodies], dtype=np.int64)
        t0 = time.perf_counter()  # warm-up, not timed: one request each way, then one full concurrent round
        if not args.no_baseline:
            hf_generate_request(model, app, bodies[0], args.baseline_stop_strings)
        with ThreadPoolExecutor(max_workers=max(concurrency)) as pool:
            list(pool.map(app.complete, bodies[: max(concurrency)]))
        warmup_s = time.perf_counter() - t0
        runs: dict[str, Any] = {}
        if not args.no_baseline:
            runs["hf_generate"] = run_mode("hf_generate", lambda b: hf_generate_request(model, app, b, args.baseline_stop_strings), bodies, 1, device, app)
        for c in concurrency:
            runs[f"serve_c{c}"] = run_mode(f"serve_c{c}", app.complete, bodies, c, device, app)
    finally:
        app.engine.stop()
    ratios = {f"{k}_over_hf_generate": r["generated_tokens_per_s"] / runs["hf_generate"]["generated_tokens_per_s"] for k, r in runs.items() if k != "hf_generate" and "hf_generate" in runs}
    import transformers

    result = {
        "bench": "serve-gpu",
        "smoke": args.smoke,
        "command": " ".join(sys.argv),
        **environment(device),
        "model": f"random-init LlamaForCausalLM, {'SMOKE shape' if args.smoke else 'DeepSeek-Prover-V1.5 shape'}, bfloat16, attention {getattr(model.config, '_attn_implementation', '?')}; markers added (sft_special_tokens)",
        "shape": shape,
        "params": sum(p.numel() for p in model.parameters()),
        "build_s": tb.s,
        "tokenizer": f"noise_vocab_tokenizer: byte-level BPE trained on the states, padded to {len(tokenizer)} ids",
        "request": {k: v for k, v in bodies[0].items() if k != "prompt"},
        "prompts": {"source": source, "digest": states_digest(chosen), "prompt_tokens": length_stats(prompt_lengths)},
        "fairness": {"eos": "serve Engine eos_ids = {} ; generate min_new_tokens = max_new_tokens: every sequence has max_tokens tokens",
                     "stop_strings": f"sent to serve (checked every step); generate: {'StopStringCriteria' if args.baseline_stop_strings else 'none (cut afterwards by completion_response)'}",
                     "sampling": "full distribution at the request temperature in both (generate: top_k 0, top_p 1)", "transformers": transformers.__version__},
        "warmup_s": warmup_s,
        "runs": runs,
        "ratios": ratios,
        "total_s": time.perf_counter() - t_start,
    }
    emit_result(result, args.out)


if __name__ == "__main__":
    main()
