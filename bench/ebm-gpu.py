"""GPU bench of the energy-head work (needs CUDA, torch, transformers; no downloads).

1. Embedding throughput on a random-init model of DeepSeek-Prover-V1.5's shape (Llama: hidden 4096,
   30 layers, intermediate 11008, 32 heads, vocab 102400; bfloat16, SDPA attention) through
   burnqed.embed.EmbeddingExtractor: length-grouped batches (the job's schedule) versus plain
   padded batches (input order, fixed batch size, padded to the longest: the plan's encode()) of
   the SAME texts, side by side in one process. Text lengths: real proof states from
   ../shared/data/tactic_states (state_before / state_after / init_state), templated as the recipe
   does, tokens ≈ chars / 3.5, resampled to --n texts; token ids are random (a random model's cost
   does not depend on them). Reports states/s, tokens/s, padding efficiency, peak memory, and how
   close the two schedules' vectors are for the same rows.
2. Head training rows/s at d = 4096: burnqed.train_ebm on planted data, the plan's recipe (batch 256,
   K = 3, AdamW 3e-5), on the GPU.

    python3 bench/ebm-gpu.py --out results.json [--lengths lengths.json] [--n 8192]
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.join(ROOT, "python", "tests")]

from burnqed.embed import DEFAULT_RECIPE, EmbeddingExtractor, length_grouped_batches, plain_batches  # noqa: E402

DEEPSEEK_PROVER_V15 = dict(hidden_size=4096, num_hidden_layers=30, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32, vocab_size=102400, max_position_embeddings=4096, rms_norm_eps=1e-6)
CHARS_PER_TOKEN = 3.5


def state_lengths(path: str | None) -> list[int]:
    """Character lengths of real proof states (from a JSON list, or read from ../shared/data)."""
    if path:
        with open(path) as f:
            return [int(x) for x in json.load(f)]
    out: list[int] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("state_before", "state_after", "init_state") and isinstance(v, str) and v:
                    out.append(len(v))
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for f in glob.glob(os.path.join(ROOT, "..", "shared", "data", "tactic_states", "**", "*.json"), recursive=True):
        with open(f) as fh:
            walk(json.load(fh))
    if not out:
        raise SystemExit("no state lengths: pass --lengths or run beside ../shared/data/tactic_states")
    return out


def token_lengths(chars: list[int], n: int, seed: int) -> np.ndarray:
    """Recipe token counts: BOS + templated text at ~3.5 chars/token, left-truncated to max_length."""
    extra = len(DEFAULT_RECIPE.template) - len("{state}")
    rng = np.random.default_rng(seed)
    sample = rng.choice(np.array(chars), size=n, replace=True)
    return np.minimum(DEFAULT_RECIPE.max_length, 1 + np.ceil((sample + extra) / CHARS_PER_TOKEN)).astype(np.int64)


def embed_schedule(ex: EmbeddingExtractor, ids: list[list[int]], batches: list[np.ndarray]) -> tuple[float, np.ndarray, int]:
    """(seconds, vectors (n, H) float32 in input order, peak bytes)."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    out = np.empty((len(ids), ex.decoder.config.hidden_size), dtype=np.float32)
    t0 = time.perf_counter()
    for idx, vec in ex.embed_all(ids, batches):
        out[idx] = vec
    torch.cuda.synchronize()
    return time.perf_counter() - t0, out, torch.cuda.max_memory_allocated()


def bench_embedding(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import LlamaConfig, LlamaForCausalLM

    lengths = token_lengths(state_lengths(args.lengths), args.n, seed=0)
    rng = np.random.default_rng(1)
    ids = [rng.integers(3, DEEPSEEK_PROVER_V15["vocab_size"], size=int(L)).tolist() for L in lengths]
    t0 = time.perf_counter()
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(LlamaConfig(**DEEPSEEK_PROVER_V15)).eval()
    torch.set_default_dtype(torch.float32)
    build_s = time.perf_counter() - t0
    tok = SimpleNamespace(pad_token_id=0, eos_token_id=1, bos_token_id=2, padding_side="right")
    ex = EmbeddingExtractor(model, tok)
    budgets = [tuple(int(x) for x in g.split(":")) for g in args.grouped]  # (max_tokens, max_batch)
    schedules = {f"{t}:{b}": length_grouped_batches(lengths, t, b) for t, b in budgets}
    plains = {bs: plain_batches(len(ids), bs) for bs in args.plain_batch}
    # warm-up: kernels for a few shapes of each schedule
    for sched in list(schedules.values()) + [plains[args.plain_batch[0]]]:
        for b in sched[:2] + sched[-2:]:
            ex.embed_ids([ids[i] for i in b])
    grouped_runs: dict[str, Any] = {}
    for key, sched in schedules.items():
        s_, vec_, peak_ = embed_schedule(ex, ids, sched)
        grouped_runs[key] = (sched, s_, vec_, peak_)
    # the job's default budget is the first; every plain run is compared with it
    grouped, g_s, g_vec, g_peak = grouped_runs[args.grouped[0]]
    result: dict[str, Any] = {
        "model": f"random-init LlamaForCausalLM, DeepSeek-Prover-V1.5 shape, bfloat16, attention {getattr(model.config, '_attn_implementation', '?')}",
        "params": sum(p.numel() for p in model.parameters()),
        "build_s": build_s,
        "n_texts": len(ids),
        "tokens": int(lengths.sum()),
        "token_length": {"mean": float(lengths.mean()), "p50": float(np.percentile(lengths, 50)), "p95": float(np.percentile(lengths, 95)), "max": int(lengths.max())},
        "grouped": {
            key: {"max_tokens": int(key.split(":")[0]), "max_batch": int(key.split(":")[1]), "batches": len(sch), "seconds": sec, "states_per_s": len(ids) / sec,
                  "tokens_per_s": int(lengths.sum()) / sec, "padding_efficiency": float(lengths.sum() / sum(len(b) * lengths[b].max() for b in sch)), "peak_gib": peak / 2**30}
            for key, (sch, sec, _, peak) in grouped_runs.items()
        },
        "compared_grouped": args.grouped[0],
        "plain": {},
    }
    for bs, batches in plains.items():
        p_s, p_vec, p_peak = embed_schedule(ex, ids, batches)
        cos = np.sum(g_vec * p_vec, axis=1) / (np.linalg.norm(g_vec, axis=1) * np.linalg.norm(p_vec, axis=1))
        result["plain"][str(bs)] = {"batch_size": bs, "batches": len(batches), "seconds": p_s, "states_per_s": len(ids) / p_s, "peak_gib": p_peak / 2**30,
                                    "padding_efficiency": float(lengths.sum() / sum(len(b) * lengths[b].max() for b in batches)),
                                    "speedup_grouped_over_plain": p_s / g_s,
                                    "same_rows_min_cosine": float(cos.min()), "same_rows_max_abs_diff": float(np.abs(g_vec - p_vec).max()), "vector_abs_max": float(np.abs(g_vec).max())}
        print(f"plain batch {bs}: {len(ids) / p_s:.1f} states/s; grouped {len(ids) / g_s:.1f} states/s → {p_s / g_s:.2f}×", flush=True)
    del model, ex
    torch.cuda.empty_cache()
    return result


def bench_head_training(args: argparse.Namespace) -> dict[str, Any]:
    from burnqed.events import EventWriter
    from burnqed.train_ebm import TrainEbmConfig, train
    from ebm_fixtures import planted_world, train_config

    with tempfile.TemporaryDirectory() as root:
        paths = planted_world(root, d=4096, n_train=360, n_val=40, groups=10, shift=5.0)
        n_rows = int(np.load(paths["goal_index"]).shape[0])
        cfg = train_config(root, paths, hidden_dims=[2048, 1024, 512], epochs=args.head_epochs, batch_size=256, lr=3e-5, log_every_steps=10,
                           temperature_every_steps=50, device="cuda", threads=0, export_onnx=False)
        torch.cuda.reset_peak_memory_stats()
        fd = os.open(os.path.join(root, "events.jsonl"), os.O_WRONLY | os.O_CREAT)
        try:
            s = train(TrainEbmConfig.from_dict(cfg), EventWriter(fd))
        finally:
            os.close(fd)
        export = export_check(cfg["out_pt"], paths, os.path.join(root, "head.onnx"))
    return {"d_model": 4096, "state_rows": n_rows, "anchors": s["train_anchors"], "batch_size": 256, "k_negatives": 3, "rows_per_step": 256 * 4, "steps": s["steps"],
            "train_rows_per_s": s["train_rows_per_s"], "wall_s": s["wall_s"], "peak_gib": torch.cuda.max_memory_allocated() / 2**30, "parameters": s["parameters"],
            "val_rank1": s["val_rank1"], "val_rank1_chance": s["val_rank1_chance"], "onnx_export": export}


def export_check(head_pt: str, paths: dict[str, str], onnx_path: str) -> dict[str, Any]:
    """Export the trained d=4096 head with this torch and compare onnxruntime (CPU) with torch."""
    from burnqed.ebm_head import load_head
    from burnqed.export import export_onnx

    try:
        head = load_head(head_pt)
        t0 = time.perf_counter()
        export_onnx(head, onnx_path)
        out: dict[str, Any] = {"ok": True, "export_s": time.perf_counter() - t0, "bytes": os.path.getsize(onnx_path)}
        import onnxruntime

        x = np.load(paths["states"])[:512].astype(np.float32)
        g = np.load(paths["goals"])[np.load(paths["goal_index"])[:512]].astype(np.float32)
        (e,) = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"]).run(["energy"], {"z_state": x, "z_goal": g})
        with torch.no_grad():
            ref = head.score(torch.from_numpy(x), torch.from_numpy(g)).numpy()
        out["ort_vs_torch_max_abs_diff"] = float(np.abs(e - ref).max())
        out["energy_abs_max"] = float(np.abs(ref).max())
        return out
    except Exception as e:  # noqa: BLE001 - the bench records the failure instead of losing the other numbers
        return {"ok": False, "error": f"{type(e).__name__}: {str(e)[:500]}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--lengths", default=None, help="JSON list of state character lengths (default: read ../shared/data/tactic_states)")
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--grouped", nargs="+", default=["16384:1024", "16384:256", "32768:1024"], help="length-grouped budgets max_tokens:max_batch; the first is compared with plain")
    ap.add_argument("--plain-batch", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--head-epochs", type=int, default=3)
    args = ap.parse_args()
    import transformers

    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "command": " ".join(sys.argv),
    }
    report["embedding"] = bench_embedding(args)
    report["head_training"] = bench_head_training(args)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
