"""GPU bench of SFT throughput (needs CUDA, torch, transformers, peft; no downloads).

A random-init model of DeepSeek-Prover-V1.5's shape (Llama: hidden 4096, 30 layers, intermediate
11008, 32 heads, vocab 102400; bfloat16) with the plan's LoRA (r 32, alpha 64, dropout 0.05 on
q/k/v/o/gate/up/down; float32 adapter weights, as burnqed.sft trains them), trained on a realistic
SFT length mix: example lengths (prompt + tactic + EOS) drawn from the lognormal fitted to p50 199,
p95 539, p99 831 tokens, tactics from a lognormal with median 24 tokens; token ids are random (a
random model's cost does not depend on them). In ONE process, on the same examples in the same
16-example steps, through burnqed.sft's own train_step + AdamW:

  a. plan    the plan's recipe: micro-batch 2 examples right-padded to the longer (dynamic
             padding, a 2-D attention mask), full logits (what SFTTrainer computes), sdpa;
  b. packed  the job's packed mode: rows of <= 4096 tokens, a 4-D block-diagonal mask, sdpa,
             logits only where a completion token is predicted, rows padded to a multiple of 8;
  c. flex    the job's flex mode (torch >= 2.5): the same rows under a flex-attention document
             mask, rows padded to a multiple of 512; every row length is compiled before timing.

Each mode runs for --measure-s seconds after its warm-up; reported: real tokens/s (prompt +
completion tokens of the examples, padding excluded), s/step, steps, padding efficiency, peak
memory; and the ratios. One JSON line on stdout, the same object in --out.

    python3 bench/sft-gpu.py --out bench/results/sft-gpu.json [--measure-s 60] [--modes plan,packed,flex]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from typing import Any

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python")]

from burnqed.sft import bridge_float32_modules, DEFAULT_PAD_MULTIPLE, FLEX_PAD_MULTIPLE, PLAN_LORA_TARGETS, Dist, StepContext, completion_ce_sum, enable_flex, pad_batch, train_step  # noqa: E402
from burnqed.sft_data import IGNORE_INDEX, SftExample  # noqa: E402
from burnqed.sft_packing import collate_packed, plan_steps  # noqa: E402
from burnqed.sft_special_tokens import lora_token_kwargs  # noqa: E402

DEEPSEEK_PROVER_V15 = dict(hidden_size=4096, num_hidden_layers=30, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32, vocab_size=102400, max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=False)
LENGTH_QUANTILES = {0.50: 199, 0.95: 539, 0.99: 831}  # SFT example tokens (the plan's data, measured upstream)
Z = {0.50: 0.0, 0.95: 1.6448536269514722, 0.99: 2.3263478740408408}
SMOKE_SHAPE = dict(hidden_size=64, num_hidden_layers=2, intermediate_size=128, num_attention_heads=4, num_key_value_heads=4, vocab_size=1000, max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=False)
MAX_LENGTH = 2048
MODES = ("plan", "packed", "flex")


def lognormal_fit(quantiles: dict[float, int]) -> tuple[float, float]:
    """(mu, sigma) of a lognormal through the median, sigma by least squares over the other quantiles."""
    mu = math.log(quantiles[0.50])
    others = [(Z[q], math.log(v) - mu) for q, v in quantiles.items() if q != 0.50]
    sigma = sum(z * d for z, d in others) / sum(z * z for z, _ in others)
    return mu, sigma


def length_mix(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(example lengths, completion lengths), int64: lengths in [16, 2048], completions in [2, min(128, length - 8)]."""
    rng = np.random.default_rng(seed)
    mu, sigma = lognormal_fit(LENGTH_QUANTILES)
    lengths = np.clip(np.rint(rng.lognormal(mu, sigma, size=n)), 16, MAX_LENGTH).astype(np.int64)
    completions = np.clip(np.rint(rng.lognormal(math.log(24), 0.6, size=n)), 2, 128).astype(np.int64)
    return lengths, np.minimum(completions, lengths - 8)


def synthetic_examples(lengths: np.ndarray, completions: np.ndarray, vocab: int, seed: int) -> list[SftExample]:
    rng = np.random.default_rng(seed)
    out = []
    for i, (n, c) in enumerate(zip(lengths.tolist(), completions.tolist())):
        ids = rng.integers(3, vocab, size=n).tolist()
        out.append(SftExample(row=f"synthetic{i}", input_ids=tuple(ids), labels=tuple([IGNORE_INDEX] * (n - c) + ids[n - c :]), n_completion_tokens=c))
    return out


def build_model(shape: dict[str, Any], attn: str, device: torch.device, token_mode: str = "trainable_token_rows") -> tuple[Any, list[tuple[str, torch.nn.Parameter]]]:
    """The 7B shape with the plan's LoRA and the two markers trainable as the job makes them
    (ids in the last two of the embedding's padded rows, as DeepSeek's 100k vocabulary in 102,400
    rows places them): only those rows (trainable_token_rows) or the whole embed_tokens and lm_head
    (modules_to_save, the plan's Gotcha 14)."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with device:
        base = LlamaForCausalLM._from_config(LlamaConfig(**shape), attn_implementation=attn)
    torch.set_default_dtype(torch.float32)
    base.config.use_cache = False
    new_ids = [shape["vocab_size"] - 2, shape["vocab_size"] - 1]
    token_kwargs = lora_token_kwargs(token_mode, new_ids, tied=bool(shape.get("tie_word_embeddings", False)))
    model = get_peft_model(base, LoraConfig(r=32, lora_alpha=64, lora_dropout=0.05, target_modules=list(PLAN_LORA_TARGETS), bias="none", task_type="CAUSAL_LM", **token_kwargs))
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    for _, p in named:
        p.data = p.data.float()
    if token_mode == "modules_to_save":
        bridge_float32_modules(model, torch.bfloat16)  # what burnqed.sft does in that mode
    model.train()
    return model, named


def set_attention(model: Any, attn: str) -> str:
    """Switch the attention implementation of the loaded model (one 7B model serves all modes)."""
    base = model.get_base_model()
    if hasattr(base, "set_attn_implementation"):
        base.set_attn_implementation(attn)
    else:  # older transformers read config._attn_implementation at every forward
        base.config._attn_implementation = attn
    return getattr(base.config, "_attn_implementation", attn)


def mode_context(mode: str, device: torch.device) -> StepContext:
    """The plan's layout, or the job's defaults (SftConfig: rows of 4096, one row per micro-batch)."""
    common = dict(dtype=torch.bfloat16, device=device, pad_id=0, max_tokens_per_row=4096)
    if mode == "plan":
        return StepContext(attention="padding_mask", pad_multiple=1, keep_completion_logits=False, rows_per_micro_batch=2, **common)
    if mode == "packed":
        return StepContext(attention="block_mask", pad_multiple=DEFAULT_PAD_MULTIPLE, keep_completion_logits=True, rows_per_micro_batch=1, **common)
    return StepContext(attention="flex", pad_multiple=FLEX_PAD_MULTIPLE, keep_completion_logits=True, rows_per_micro_batch=1, **common)


def compile_flex_shapes(model: Any, ctx: StepContext, vocab: int) -> float:
    """One forward/backward per padded row length flex will see (512, 1024, ..., 4096), so no
    compilation lands in the timed window. Returns the seconds it took."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(7)
    for width in range(ctx.pad_multiple, ctx.max_tokens_per_row + 1, ctx.pad_multiple):
        n = width - 5  # one example that pads to `width`
        ids = rng.integers(3, vocab, size=n).tolist()
        ex = SftExample("warmup", tuple(ids), tuple([IGNORE_INDEX] * (n - 4) + ids[-4:]), 4)
        batch = pad_batch(collate_packed([[ex]], ctx.pad_id), ctx.pad_multiple, ctx.pad_id).to(ctx.device)
        completion_ce_sum(model, batch, ctx).backward()
    model.zero_grad(set_to_none=True)
    sync(ctx.device)
    return time.perf_counter() - t0


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_mode(mode: str, model: Any, named: list[tuple[str, torch.nn.Parameter]], examples: list[SftExample], steps: list[Any], measure_s: float, vocab: int, device: torch.device) -> dict[str, Any]:
    ctx = mode_context(mode, device)
    impl = set_attention(model, "flex_attention" if mode == "flex" else "sdpa")
    params = [p for _, p in named]
    opt = torch.optim.AdamW(params, lr=3e-5)
    lengths = [len(e) for e in examples]
    dist = Dist()  # one process: the collectives are no-ops
    compile_s = compile_flex_shapes(model, ctx, vocab) if mode == "flex" else 0.0
    for step in steps[:2]:  # warm-up: kernels, allocator
        train_step(model, params, opt, examples, lengths, step.examples, step.n_completion_tokens, 1.0, ctx, dist)
        opt.step()
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    tokens = processed = done = 0
    t0 = time.perf_counter()
    for step in steps[2:]:
        r = train_step(model, params, opt, examples, lengths, step.examples, step.n_completion_tokens, 1.0, ctx, dist)
        opt.step()
        tokens += r.tokens
        processed += r.processed_tokens
        done += 1
        if not math.isfinite(r.loss):
            raise RuntimeError(f"{mode}: non-finite loss at step {done}")
        if time.perf_counter() - t0 >= measure_s:
            break
    sync(device)
    wall = time.perf_counter() - t0
    opt.zero_grad(set_to_none=True)
    return {
        "mode": mode,
        "attention": ctx.attention,
        "attn_implementation": impl,
        "rows_per_micro_batch": ctx.rows_per_micro_batch,
        "pad_to_multiple_of": ctx.pad_multiple,
        "completion_logits_only": ctx.keep_completion_logits,
        "steps": done,
        "real_tokens": tokens,
        "real_tokens_per_s": tokens / wall,
        "s_per_step": wall / max(done, 1),
        "padding_efficiency": tokens / processed if processed else None,
        "peak_mem_gib": torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None,
        "compile_s": compile_s,
        "wall_s": wall,
    }


def flex_ok() -> bool:
    major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
    if (major, minor) < (2, 5):
        return False
    try:
        from torch.nn.attention import flex_attention  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "sft-gpu.json"))
    ap.add_argument("--measure-s", type=float, default=60.0, help="timed seconds per mode (after warm-up)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--n-examples", type=int, default=16 * 400)
    ap.add_argument("--gradient-checkpointing", action="store_true", help="also run the best mode with activation checkpointing (what fits a 40 GB card)")
    ap.add_argument("--compare-token-modes", action="store_true", help="also run the best mode with modules_to_save (the plan's embed_tokens + lm_head) instead of trainable token rows")
    ap.add_argument("--smoke", action="store_true", help="a 2-layer 64-wide model for 2 s per mode: checks the bench runs (CPU allowed, flex needs CUDA)")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.smoke:
        raise SystemExit("bench/sft-gpu.py needs a CUDA GPU (or --smoke)")
    shape = SMOKE_SHAPE if args.smoke else DEEPSEEK_PROVER_V15
    measure_s = 2.0 if args.smoke else args.measure_s
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise SystemExit(f"unknown mode(s) {unknown}; modes: {list(MODES)}")
    if "flex" in modes and not (flex_ok() and device.type == "cuda"):
        print("flex attention needs torch >= 2.5 on CUDA: mode flex skipped", file=sys.stderr)
        modes.remove("flex")
    t_start = time.perf_counter()
    lengths, completions = length_mix(args.n_examples, seed=0)
    vocab = shape["vocab_size"]
    examples = synthetic_examples(lengths, completions, vocab, seed=1)
    steps = plan_steps(lengths.tolist(), completions.tolist(), examples_per_step=16, max_tokens_per_row=4096, seed=0)
    if "flex" in modes:
        enable_flex("flex")
    t0 = time.perf_counter()
    model, named = build_model(shape, "sdpa", device)
    build_s = time.perf_counter() - t0
    runs: dict[str, Any] = {}
    for mode in modes:
        runs[mode] = run_mode(mode, model, named, examples, steps, measure_s, vocab, device)
        print(f"bench/sft-gpu: {mode}: {runs[mode]['real_tokens_per_s']:.0f} real tok/s, {runs[mode]['s_per_step']:.3f} s/step, peak {runs[mode]['peak_mem_gib']} GiB", file=sys.stderr)
    best = "flex" if "flex" in runs else "packed" if "packed" in runs else None
    if best and args.gradient_checkpointing:
        # the same best mode with activation checkpointing: what fits the plan's 40 GB card
        model.get_base_model().gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        r = run_mode(best, model, named, examples, steps, measure_s, vocab, device)
        model.get_base_model().gradient_checkpointing_disable()
        runs[f"{best}_gradient_checkpointing"] = {**r, "gradient_checkpointing": True}
        print(f"bench/sft-gpu: {best} + gradient checkpointing: {r['real_tokens_per_s']:.0f} real tok/s, peak {r['peak_mem_gib']} GiB", file=sys.stderr)
    token_modes = {"trainable_token_rows": {"trainable_parameters": sum(p.numel() for _, p in named)}}
    if best and args.compare_token_modes:
        del model, named
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        model, named = build_model(shape, "sdpa", device, token_mode="modules_to_save")
        r = run_mode(best, model, named, examples, steps, measure_s, vocab, device)
        runs[f"{best}_modules_to_save"] = {**r, "special_tokens_mode": "modules_to_save"}
        token_modes["modules_to_save"] = {"trainable_parameters": sum(p.numel() for _, p in named)}
        print(f"bench/sft-gpu: {best} with modules_to_save: {r['real_tokens_per_s']:.0f} real tok/s, peak {r['peak_mem_gib']} GiB, {token_modes['modules_to_save']['trainable_parameters']:,} trainable", file=sys.stderr)
    ratios = {f"{a}_over_{b}": runs[a]["real_tokens_per_s"] / runs[b]["real_tokens_per_s"] for a, b in (("packed", "plan"), ("flex", "plan"), ("flex", "packed")) if a in runs and b in runs}
    for k in list(runs):
        if k.endswith("_modules_to_save") or k.endswith("_gradient_checkpointing"):
            ratios[f"{k}_over_{best}"] = runs[k]["real_tokens_per_s"] / runs[best]["real_tokens_per_s"]
    import peft
    import transformers

    mu, sigma = lognormal_fit(LENGTH_QUANTILES)
    result = {
        "bench": "sft-gpu",
        "model": f"random-init LlamaForCausalLM, {'SMOKE shape' if args.smoke else 'DeepSeek-Prover-V1.5 shape'}, bfloat16; PEFT LoRA r32 alpha 64 dropout 0.05 on q/k/v/o/gate/up/down (float32 adapter); [GOAL]/[PROOFSTEP] rows trainable (trainable_token_rows unless a run says modules_to_save)",
        "shape": shape,
        "gpu": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "trainable_parameters": token_modes,
        "length_mix": {"lognormal_mu": mu, "lognormal_sigma": sigma, "p50": float(np.percentile(lengths, 50)), "p95": float(np.percentile(lengths, 95)), "p99": float(np.percentile(lengths, 99)),
                       "mean": float(lengths.mean()), "completion_mean": float(completions.mean()), "examples": int(len(lengths))},
        "examples_per_step": 16,
        "build_s": build_s,
        "runs": runs,
        "ratios": ratios,
        "total_s": time.perf_counter() - t_start,
    }
    line = json.dumps(result, sort_keys=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(json.dumps(result, sort_keys=True, indent=2) + "\n")
    print(line)


if __name__ == "__main__":
    main()
