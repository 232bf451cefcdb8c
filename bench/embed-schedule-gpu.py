"""GPU bench of the embed job's batch schedule (needs CUDA, torch, transformers; no downloads).

A random-init model of DeepSeek-Prover-V1.5's shape (Llama: hidden 4096, 30 layers, intermediate
11008, 32 heads, vocab 102400; bfloat16, sdpa), built on the GPU. Two state mixes of --n states each:

  lognormal  upstream's measured states: lognormal, median 170 tokens, p95 ~506, cut at 512 (mean ~201);
  shared     the real proof states of ../shared/data/tactic_states (or --states FILE), resampled
             (seed 0), tokens = BOS + 2 markers + chars / 3.5 (no DeepSeek tokenizer here), cut at 512.

Token ids are random (a random model's cost does not depend on them). The states are in random
order. In ONE process, on the same ids, every schedule runs the embed job's own pooling,
burnqed.embed.EmbeddingExtractor.embed_all (right padding, decoder last_hidden_state at the last
content token, vectors copied to the host each batch and stored as the recipe's float16):

  padded_64   plain_batches(n, 64): input (random) order, 64 rows, padded to the batch's longest
              (the baseline; upstream measured 69 states/s on the lognormal mix);
  sorted_64   length_grouped_batches(lengths, 64 x max_length, 64): length-sorted, 64 rows (136);
  budget_32k  length_grouped_batches(lengths, 32768, job max_batch_size): upstream's 32K budget (168);
  job         length_grouped_batches(lengths, max_tokens_per_batch, max_batch_size) with the job's
              defaults read from python/burnqed/recipes.json (plan.embed.controls): what the job runs.

Each schedule's distinct batch shapes are warmed up (first and last two batches) before any is
timed. Reported per mix and schedule: states/s, real tokens/s (padding excluded), padding
efficiency, batches, peak GPU memory, the ratio to padded_64 (target >= 3x), and how close each
schedule's vectors are to the job's for the same rows (bf16 kernels differ with the batch shape).

--serve adds the /v1/embeddings path of burnqed.serve in-process: its Engine (batcher + _embed,
which groups by length only WITHIN the requests one batch window collects) fed the way
src/policy/embeddings-client.ts sends: requests of 64 states, at most 10 in flight (DEFAULT_HTTP
max_in_flight). HTTP, JSON encoding and tokenisation are not included (the ids are given).

    python3 bench/embed-schedule-gpu.py --states .bench-tmp/shared-states.json --serve --out $OUT/embed-schedule-gpu.json
    python3 bench/embed-schedule-gpu.py --smoke        # a 2-layer 64-wide model on the CPU, seconds
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, Optional, Sequence

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_llm import DEEPSEEK_PROVER_V15, EOS_ID, SMOKE_SHAPE, Timer, emit_result, environment, peak_gib, pick_device, random_llama, reset_peak  # noqa: E402
from bench_states import estimated_token_lengths, length_stats, load_states, lognormal_sigma, lognormal_token_lengths, states_digest  # noqa: E402

from burnqed.embed import EmbeddingExtractor, EmbedJobConfig, EmbedRecipe, length_grouped_batches, plain_batches  # noqa: E402

RECIPES_JSON = os.path.join(os.path.dirname(HERE), "python", "burnqed", "recipes.json")
SCHEDULES = ("padded_64", "sorted_64", "budget_32k", "job")
BASELINE = "padded_64"
CLIENT_BATCH, CLIENT_IN_FLIGHT = 64, 10  # src/policy/embeddings-client.ts batch_size, http-config.ts max_in_flight


def job_embed_settings() -> tuple[EmbedRecipe, dict[str, int]]:
    """The embed job's recipe and batching controls as the stages pass them (recipes.json, plan)."""
    with open(RECIPES_JSON, encoding="utf-8") as f:
        embed = json.load(f)["plan"]["embed"]
    recipe = EmbedRecipe.from_dict(embed["recipe"])
    controls = {k: int(embed["controls"][k]) for k in ("max_tokens_per_batch", "max_batch_size")}
    return recipe, controls


def schedules(lengths: np.ndarray, recipe: EmbedRecipe, controls: dict[str, int]) -> dict[str, list[np.ndarray]]:
    return {
        "padded_64": plain_batches(len(lengths), 64),
        "sorted_64": length_grouped_batches(lengths, 64 * recipe.max_length, 64),
        "budget_32k": length_grouped_batches(lengths, 32768, controls["max_batch_size"]),
        "job": length_grouped_batches(lengths, controls["max_tokens_per_batch"], controls["max_batch_size"]),
    }


def padded_tokens(lengths: np.ndarray, batches: Sequence[np.ndarray]) -> int:
    return int(sum(len(b) * int(lengths[b].max()) for b in batches))


class RecordingExtractor(EmbeddingExtractor):
    """The job's extractor, recording the batches it is handed (serve's schedule is internal to it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_lengths: list[list[int]] = []
        self._lock = threading.Lock()

    def embed_all(self, token_ids: Sequence[Sequence[int]], batches: Sequence[np.ndarray]) -> Any:
        with self._lock:
            self.batch_lengths.extend([[len(token_ids[i]) for i in b] for b in batches])
        return super().embed_all(token_ids, batches)


def run_schedule(ex: EmbeddingExtractor, ids: list[list[int]], lengths: np.ndarray, batches: list[np.ndarray], storage: str, device: torch.device) -> tuple[dict[str, Any], np.ndarray]:
    """Time one schedule; (row, vectors (n, H) in the storage dtype, input order)."""
    out: Optional[np.ndarray] = None
    reset_peak(device)
    with Timer(device) as t:
        for idx, vec in ex.embed_all(ids, batches):
            if out is None:
                out = np.zeros((len(ids), vec.shape[1]), dtype=storage)
            out[idx] = vec.astype(storage)
    assert out is not None
    tokens, padded = int(lengths.sum()), padded_tokens(lengths, batches)
    return {"batches": len(batches), "largest_batch_rows": max(len(b) for b in batches), "seconds": t.s, "states_per_s": len(ids) / t.s, "real_tokens_per_s": tokens / t.s,
            "padded_tokens": padded, "padding_efficiency": tokens / padded, "peak_mem_gib": peak_gib(device)}, out


def agreement(ref: np.ndarray, got: np.ndarray) -> dict[str, float]:
    a, b = ref.astype(np.float32), got.astype(np.float32)
    cos = np.sum(a * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
    return {"min_cosine": float(cos.min()), "max_abs_diff": float(np.abs(a - b).max()), "ref_abs_max": float(np.abs(a).max())}


def serve_schedule(model: Any, ids: list[list[int]], lengths: np.ndarray, storage: str, device: torch.device) -> tuple[dict[str, Any], np.ndarray]:
    """burnqed.serve's Engine embedding /v1/embeddings requests of CLIENT_BATCH ids, CLIENT_IN_FLIGHT at a time."""
    from burnqed.serve import EmbeddingJob, Engine, HFStepper, ServeConfig
    from burnqed.serve_batcher import WorkItem

    cfg = ServeConfig(model_dir="(bench: random-init model)", device=str(device))
    tok = SimpleNamespace(pad_token_id=EOS_ID, eos_token_id=EOS_ID, bos_token_id=0, padding_side="right")
    ex = RecordingExtractor(model, tok, cfg.embed_recipe)
    engine = Engine(HFStepper(model), ex, lambda x: "", threading.Lock(), frozenset({EOS_ID}), EOS_ID, cfg)
    engine.start()
    requests = [list(range(i, min(i + CLIENT_BATCH, len(ids)))) for i in range(0, len(ids), CLIENT_BATCH)]

    def call(rows: list[int]) -> tuple[list[int], dict[str, Any]]:
        item = WorkItem("embedding", EmbeddingJob(cfg.model_name, tuple(tuple(ids[i]) for i in rows)))
        return rows, engine.submit(item).result(timeout=cfg.request_timeout_s)

    try:
        call(requests[0])  # warm-up: the thread and a first batch
        ex.batch_lengths.clear()
        out = np.zeros((len(ids), model.config.hidden_size), dtype=storage)
        reset_peak(device)
        with Timer(device) as t, ThreadPoolExecutor(max_workers=CLIENT_IN_FLIGHT) as pool:
            for rows, body in pool.map(call, requests):
                for d in body["data"]:  # placed by index, as the client does
                    out[rows[d["index"]]] = np.asarray(d["embedding"], dtype=np.float32).astype(storage)
    finally:
        engine.stop()
    tokens = int(lengths.sum())
    padded = int(sum(len(b) * max(b) for b in ex.batch_lengths))
    row = {"batches": len(ex.batch_lengths), "largest_batch_rows": max(len(b) for b in ex.batch_lengths),
           "requests": len(requests), "request_states": CLIENT_BATCH, "in_flight": CLIENT_IN_FLIGHT, "seconds": t.s, "states_per_s": len(ids) / t.s, "real_tokens_per_s": tokens / t.s,
           "padded_tokens": padded, "padding_efficiency": tokens / padded, "peak_mem_gib": peak_gib(device),
           "schedule": f"length-grouped (embed_max_tokens_per_batch {cfg.embed_max_tokens_per_batch}, embed_max_batch_size {cfg.embed_max_batch_size}) within the requests one batch window "
                       f"({cfg.batch_window_ms} ms) collects, not over the whole set as the embed job does; vectors rounded to {cfg.embed_recipe.storage_dtype}; response bodies built (.tolist()), no HTTP/JSON"}
    return row, out


def bench_mix(name: str, lengths: np.ndarray, model: Any, recipe: EmbedRecipe, controls: dict[str, int], device: torch.device, vocab: int, serve: bool, compiled_mlp: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    ids = [rng.integers(3, vocab, size=int(n)).tolist() for n in lengths]
    ex = EmbeddingExtractor(model, SimpleNamespace(pad_token_id=EOS_ID, eos_token_id=EOS_ID, bos_token_id=0, padding_side="right"), recipe)
    plans = schedules(lengths, recipe, controls)
    t0 = time.perf_counter()
    for batches in plans.values():  # warm-up: each schedule's longest and shortest shapes
        for b in batches[:2] + batches[-2:]:
            ex.embed_ids([ids[i] for i in b])
    warmup_s = time.perf_counter() - t0
    runs: dict[str, Any] = {}
    vectors: dict[str, np.ndarray] = {}
    for key, batches in plans.items():
        runs[key], vectors[key] = run_schedule(ex, ids, lengths, batches, recipe.storage_dtype, device)
        print(f"embed-schedule: {name}/{key}: {runs[key]['states_per_s']:.1f} states/s, padding efficiency {runs[key]['padding_efficiency']:.2f}, {runs[key]['seconds']:.1f} s", file=sys.stderr, flush=True)
    if serve:
        runs["serve"], vectors["serve"] = serve_schedule(model, ids, lengths, recipe.storage_dtype, device)
        print(f"embed-schedule: {name}/serve: {runs['serve']['states_per_s']:.1f} states/s, padding efficiency {runs['serve']['padding_efficiency']:.2f}", file=sys.stderr, flush=True)
    if compiled_mlp:  # the job's schedule with the MLP and norms compiled (sft.compile_decoder_layers scope "mlp"), after a full warm-up pass
        from burnqed.sft import compile_decoder_layers, uncompile_decoder_layers

        compile_decoder_layers(model, "mlp")
        try:
            t1 = time.perf_counter()
            run_schedule(ex, ids, lengths, plans["job"], recipe.storage_dtype, device)  # compiles (dynamic shapes after the second)
            compile_s = time.perf_counter() - t1
            runs["job_compiled_mlp"], vectors["job_compiled_mlp"] = run_schedule(ex, ids, lengths, plans["job"], recipe.storage_dtype, device)
            runs["job_compiled_mlp"]["warmup_pass_s"] = compile_s
        finally:
            uncompile_decoder_layers(model)
        print(f"embed-schedule: {name}/job_compiled_mlp: {runs['job_compiled_mlp']['states_per_s']:.1f} states/s (warm-up pass {compile_s:.1f} s)", file=sys.stderr, flush=True)
    for key in runs:
        runs[key]["vs_job_vectors"] = agreement(vectors["job"], vectors[key])
    base = runs[BASELINE]["states_per_s"]
    return {"lengths": length_stats(lengths), "warmup_s": warmup_s, "runs": runs,
            "ratio_vs_padded_64": {k: r["states_per_s"] / base for k, r in runs.items() if k != BASELINE},
            "meets_3x_vs_padded_64": {k: r["states_per_s"] / base >= 3.0 for k, r in runs.items() if k != BASELINE}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="also write the JSON line here (atomically)")
    ap.add_argument("--n", type=int, default=2000, help="states per mix (each schedule embeds all of them)")
    ap.add_argument("--mixes", default="lognormal,shared")
    ap.add_argument("--states", default=None, help="JSON from bench/bench_states.py --out (default: read ../shared/data/tactic_states)")
    ap.add_argument("--serve", action="store_true", help="also measure burnqed.serve's /v1/embeddings schedule in-process")
    ap.add_argument("--compiled-mlp", action="store_true", help="also the job's schedule with the MLP and norms compiled (the SFT job's default compile scope)")
    ap.add_argument("--smoke", action="store_true", help="a 2-layer 64-wide model, 256 states per mix: checks the bench runs (CPU allowed)")
    args = ap.parse_args()
    device = pick_device(args.smoke, "bench/embed-schedule-gpu.py")
    shape = SMOKE_SHAPE if args.smoke else DEEPSEEK_PROVER_V15
    n = 256 if args.smoke else args.n
    mixes = [m for m in args.mixes.split(",") if m]
    if set(mixes) - {"lognormal", "shared"}:
        raise SystemExit(f"unknown mix(es) {sorted(set(mixes) - {'lognormal', 'shared'})}; mixes: lognormal, shared")
    t_start = time.perf_counter()
    recipe, controls = job_embed_settings()
    job_defaults = {"max_tokens_per_batch": EmbedJobConfig.__dataclass_fields__["max_tokens_per_batch"].default, "max_batch_size": EmbedJobConfig.__dataclass_fields__["max_batch_size"].default}
    lengths: dict[str, np.ndarray] = {}
    shared_info: dict[str, Any] = {}
    if "lognormal" in mixes:
        lengths["lognormal"] = lognormal_token_lengths(n, seed=0, max_length=recipe.max_length)
    if "shared" in mixes:
        states, source = load_states(args.states)
        sample = np.random.default_rng(0).choice(len(states), size=n, replace=True)
        lengths["shared"] = estimated_token_lengths([states[i] for i in sample], recipe.max_length)
        shared_info = {"source": source, "states": len(states), "distinct": len(set(states)), "digest": states_digest(states), "token_estimate": "3 + ceil(chars / 3.5), cut at max_length"}
    with Timer(device) as tb:
        model = random_llama(shape, device, getattr(torch, recipe.compute_dtype))
    results = {name: bench_mix(name, L, model, recipe, controls, device, shape["vocab_size"], args.serve, args.compiled_mlp) for name, L in lengths.items()}
    result = {
        "bench": "embed-schedule-gpu",
        "smoke": args.smoke,
        "command": " ".join(sys.argv),
        **environment(device),
        "model": f"random-init LlamaForCausalLM, {'SMOKE shape' if args.smoke else 'DeepSeek-Prover-V1.5 shape'}, {recipe.compute_dtype}, attention {getattr(model.config, '_attn_implementation', '?')}",
        "shape": shape,
        "params": sum(p.numel() for p in model.parameters()),
        "build_s": tb.s,
        "recipe": {"max_length": recipe.max_length, "compute_dtype": recipe.compute_dtype, "storage_dtype": recipe.storage_dtype, "position": recipe.position},
        "job_controls": {"recipes_json": controls, "embed_job_config_defaults": job_defaults},
        "lognormal_mix": {"median": 170, "p95": 506, "sigma": lognormal_sigma(), "cut": recipe.max_length},
        "shared_mix": shared_info,
        "mixes": results,
        "upstream_states_per_s": {"padded_64": 69, "sorted_64": 136, "budget_32k": 168, "note": "upstream's lognormal-mix numbers, for comparison (not measured here)"},
        "total_s": time.perf_counter() - t_start,
    }
    emit_result(result, args.out)


if __name__ == "__main__":
    main()
