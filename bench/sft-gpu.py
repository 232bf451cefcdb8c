"""GPU bench of SFT throughput (needs CUDA, torch, transformers, peft; no downloads).

A random-init model of DeepSeek-Prover-V1.5's shape (Llama: hidden 4096, 30 layers, intermediate
11008, 32 heads, vocab 102400; bfloat16) with the plan's LoRA (r 32, alpha 64, dropout 0.05 on
q/k/v/o/gate/up/down; float32 adapter weights, as burnqed.sft trains them), trained on a realistic
SFT length mix: example lengths (prompt + tactic + EOS) drawn from the lognormal fitted to p50 199,
p95 539, p99 831 tokens, tactics from a lognormal with median 24 tokens; token ids are random (a
random model's cost does not depend on them). In ONE process, on the same examples in the same
16-example steps, through burnqed.sft's own train_step + AdamW, a list of runs (--runs):

  plan          the plan's recipe: micro-batch 2 examples right-padded to the longer (dynamic
                padding, a 2-D attention mask), full logits (what SFTTrainer computes), sdpa,
                bf16=True as Trainer does it (autocast over the float32 adapter);
  packed        the job's packed mode: rows of <= 4096 tokens, a 4-D block-diagonal mask, sdpa,
                logits only where a completion token is predicted, rows padded to a multiple of 8;
  flex          the job's default (torch >= 2.5): the same rows under a flex-attention document
                mask, rows padded to a multiple of 512; every row length is compiled before timing;
  flex_float32  flex with the LoRA path in float32 (lora_compute=float32: every adapter's input
                cast up), the job's mode before autocast;
  flex_rows8192 flex with rows of <= 8192 tokens (a 16-example step is one row);
  *_compiled    each decoder layer under torch.compile (compile_layers, compile_scope "layer");
  *_compiled_mlp  only each layer's MLP and norms compiled (compile_scope "mlp"), attention eager;
  *_gradient_checkpointing  activation checkpointing (what fits the plan's 40 GB card).

Every run starts from the same weights. Each runs for --measure-s seconds after its warm-up, or,
with --steps N, exactly the same N optimizer steps (the same examples for every run: the fair
ratio when one run is 8x slower than another);
reported: real tokens/s (prompt + completion tokens of the examples, padding excluded), s/step,
steps, padding efficiency, peak memory, the first step's loss (the precisions agree); the ratios
to plan and to flex; --profile RUN adds where the GPU time of 3 steps goes (torch.profiler). One
JSON line on stdout, the same object in --out. A run that fails (a compile error) is recorded
under "failures" and the others go on.

    python3 bench/sft-gpu.py --out bench/results/sft-gpu.json [--measure-s 60] [--runs plan,flex,...] [--profile flex]
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python")]

from burnqed.sft import bridge_float32_modules, compile_decoder_layers, install_autocast, uncompile_decoder_layers, uninstall_autocast, DEFAULT_PAD_MULTIPLE, FLEX_PAD_MULTIPLE, PLAN_LORA_TARGETS, Dist, StepContext, completion_ce_sum, enable_flex, pad_batch, train_step  # noqa: E402
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


def mode_context(mode: str, device: torch.device, max_tokens_per_row: int = 4096) -> StepContext:
    """The plan's layout, or the job's defaults (SftConfig: rows of 4096, one row per micro-batch)."""
    common = dict(dtype=torch.bfloat16, device=device, pad_id=0, max_tokens_per_row=max_tokens_per_row)
    if mode == "plan":
        return StepContext(attention="padding_mask", pad_multiple=1, keep_completion_logits=False, rows_per_micro_batch=2, **common)
    if mode == "packed":
        return StepContext(attention="block_mask", pad_multiple=DEFAULT_PAD_MULTIPLE, keep_completion_logits=True, rows_per_micro_batch=1, **common)
    return StepContext(attention="flex", pad_multiple=FLEX_PAD_MULTIPLE, keep_completion_logits=True, rows_per_micro_batch=1, **common)


def set_lora_compute(model: Any, lora_compute: str, device: torch.device) -> str:
    """Switch the one loaded model between the job's two LoRA precisions."""
    if lora_compute == "autocast":
        install_autocast(model, torch.bfloat16, device.type)
    else:
        uninstall_autocast(model)
    return lora_compute


def set_compiled(model: Any, on: bool, scope: str = "layer") -> int:
    """torch.compile each decoder layer (burnqed.sft.compile_decoder_layers, ``scope``), or back to eager."""
    if on:
        return compile_decoder_layers(model, scope)
    uncompile_decoder_layers(model)
    return 0


def compile_flex_shapes(model: Any, ctx: StepContext, vocab: int) -> float:
    """One forward/backward per padded row length flex will see (512, 1024, ..., 4096), so no
    compilation lands in the timed window. Returns the seconds it took."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(7)
    for width in range(ctx.pad_multiple, ctx.max_tokens_per_row + 1, ctx.pad_multiple):
        row, left = [], width - 5  # one row that pads to `width`, of examples no longer than the recipe's max_length
        while left > 0:
            n = min(left, MAX_LENGTH)
            ids = rng.integers(3, vocab, size=n).tolist()
            row.append(SftExample("warmup", tuple(ids), tuple([IGNORE_INDEX] * (n - min(4, n - 1)) + ids[n - min(4, n - 1):]), min(4, n - 1)))
            left -= n
        batch = pad_batch(collate_packed([row], ctx.pad_id), ctx.pad_multiple, ctx.pad_id).to(ctx.device)
        completion_ce_sum(model, batch, ctx).backward()
    model.zero_grad(set_to_none=True)
    sync(ctx.device)
    return time.perf_counter() - t0


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class RunSpec:
    """One timed configuration of the one loaded model."""

    name: str
    mode: str  # plan | packed | flex
    lora_compute: str = "autocast"
    max_tokens_per_row: int = 4096
    compile_layers: bool = False
    compile_scope: str = "layer"
    gradient_checkpointing: bool = False


# name: (mode, lora_compute, max_tokens_per_row, compile_layers, gradient_checkpointing)
RUN_SPECS = {spec.name: spec for spec in (
    RunSpec("plan", "plan"),  # the plan's recipe: SFTTrainer with bf16=True (autocast over the float32 adapter)
    RunSpec("plan_float32", "plan", lora_compute="float32"),
    RunSpec("packed", "packed"),
    RunSpec("flex_float32", "flex", lora_compute="float32"),  # the job before lora_compute: every adapter input cast to float32
    RunSpec("flex", "flex"),  # the job's defaults
    RunSpec("flex_rows8192", "flex", max_tokens_per_row=8192),
    RunSpec("flex_compiled", "flex", compile_layers=True),
    RunSpec("flex_rows8192_compiled", "flex", max_tokens_per_row=8192, compile_layers=True),
    RunSpec("flex_rows8192_compiled_mlp", "flex", max_tokens_per_row=8192, compile_layers=True, compile_scope="mlp"),
    RunSpec("flex_compiled_mlp_gradient_checkpointing", "flex", compile_layers=True, compile_scope="mlp", gradient_checkpointing=True),
    RunSpec("flex_gradient_checkpointing", "flex", gradient_checkpointing=True),
    RunSpec("flex_compiled_gradient_checkpointing", "flex", compile_layers=True, gradient_checkpointing=True),
)}
DEFAULT_RUNS = "plan,flex_float32,flex,flex_gradient_checkpointing,flex_rows8192,flex_compiled"


def configure(model: Any, spec: RunSpec, device: torch.device) -> dict[str, Any]:
    base = model.get_base_model()
    if spec.gradient_checkpointing:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        base.gradient_checkpointing_disable()
    return {"lora_compute": set_lora_compute(model, spec.lora_compute, device), "compiled_layers": set_compiled(model, spec.compile_layers, spec.compile_scope),
            "attn_implementation": set_attention(model, "flex_attention" if spec.mode == "flex" else "sdpa")}


def step_loop(model: Any, params: list[torch.nn.Parameter], opt: torch.optim.Optimizer, examples: list[SftExample], lengths: list[int], steps: list[Any], ctx: StepContext, measure_s: float, name: str) -> tuple[int, int, int, float, list[float]]:
    dist = Dist()  # one process: the collectives are no-ops
    tokens = processed = done = 0
    losses: list[float] = []
    t0 = time.perf_counter()
    for step in steps:
        r = train_step(model, params, opt, examples, lengths, step.examples, step.n_completion_tokens, 1.0, ctx, dist)
        opt.step()
        tokens += r.tokens
        processed += r.processed_tokens
        done += 1
        losses.append(r.loss)
        if not math.isfinite(r.loss):
            raise RuntimeError(f"{name}: non-finite loss at step {done}")
        if time.perf_counter() - t0 >= measure_s:
            break
    sync(ctx.device)
    return tokens, processed, done, time.perf_counter() - t0, losses


def run_spec(spec: RunSpec, model: Any, named: list[tuple[str, torch.nn.Parameter]], examples: list[SftExample], steps: list[Any], measure_s: float, vocab: int, device: torch.device, profile: bool = False) -> dict[str, Any]:
    ctx = mode_context(spec.mode, device, spec.max_tokens_per_row)
    setup = configure(model, spec, device)
    params = [p for _, p in named]
    initial = [p.detach().clone() for p in params]  # every run starts from the same weights
    opt = torch.optim.AdamW(params, lr=3e-5)
    lengths = [len(e) for e in examples]
    try:
        t_warm = time.perf_counter()
        compile_s = compile_flex_shapes(model, ctx, vocab) if spec.mode == "flex" or spec.compile_layers else 0.0
        first = step_loop(model, params, opt, examples, lengths, steps[:2], ctx, float("inf"), spec.name)[4]  # warm-up: kernels, allocator; the loss of step 1 checks the precision
        warm_s = time.perf_counter() - t_warm
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        tokens, processed, done, wall, _ = step_loop(model, params, opt, examples, lengths, steps[2:], ctx, measure_s, spec.name)
        out = {
            **dataclasses.asdict(spec), **setup,
            "attention": ctx.attention,
            "rows_per_micro_batch": ctx.rows_per_micro_batch,
            "pad_to_multiple_of": ctx.pad_multiple,
            "completion_logits_only": ctx.keep_completion_logits,
            "first_step_loss": first[0],
            "steps": done,
            "real_tokens": tokens,
            "real_tokens_per_s": tokens / wall,
            "s_per_step": wall / max(done, 1),
            "padding_efficiency": tokens / processed if processed else None,
            "peak_mem_gib": torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None,
            "compile_s": compile_s,
            "warmup_s": warm_s,
            "wall_s": wall,
        }
        if profile:
            out["profile"] = profile_steps(model, params, opt, examples, lengths, steps[2 + done : 2 + done + 3], ctx, spec.name)
        return out
    finally:
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            for p, p0 in zip(params, initial):
                p.copy_(p0)


def profile_steps(model: Any, params: list[torch.nn.Parameter], opt: torch.optim.Optimizer, examples: list[SftExample], lengths: list[int], steps: list[Any], ctx: StepContext, name: str) -> dict[str, Any]:
    """Where a step's GPU time goes: torch.profiler over a few steps, kernels grouped by name."""
    from torch.profiler import ProfilerActivity, profile as torch_profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if ctx.device.type == "cuda" else [])
    with torch_profile(activities=acts) as prof:
        _, _, done, wall, _ = step_loop(model, params, opt, examples, lengths, steps, ctx, float("inf"), name)
    events = [e for e in prof.key_averages() if str(getattr(e, "device_type", "")).endswith("CUDA")]  # kernels, not the CPU ops that launched them
    key = "self_device_time_total" if events and hasattr(events[0], "self_device_time_total") else "self_cuda_time_total"
    rows = sorted(((e.key, getattr(e, key, 0.0), e.count) for e in events), key=lambda r: -r[1])
    total = sum(t for _, t, _ in rows)
    table = [{"name": k[:120], "self_device_ms": t / 1e3, "share": t / total if total else None, "calls": c} for k, t, c in rows[:40]]
    buckets: dict[str, float] = {}
    for k, t, _ in rows:
        low = k.lower()
        b = ("gemm" if any(w in low for w in ("gemm", "matmul", "cutlass", "sm90_xmma", "nvjet", "cublas")) else "attention" if any(w in low for w in ("flex", "attention", "fmha", "flash")) else
             "copy/cast" if any(w in low for w in ("copy", "cast", "to_copy")) else "elementwise/other")
        buckets[b] = buckets.get(b, 0.0) + t / 1e3
    return {"steps": done, "wall_s": wall, "device_ms_total": total / 1e3, "device_ms_by_kind": buckets, "top_kernels": table}


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
    ap.add_argument("--measure-s", type=float, default=60.0, help="timed seconds per run (after its warm-up)")
    ap.add_argument("--steps", type=int, default=None, help="time exactly these many optimizer steps per run, the same ones for every run (instead of --measure-s)")
    ap.add_argument("--runs", default=DEFAULT_RUNS, help=f"comma-separated, from {list(RUN_SPECS)}")
    ap.add_argument("--profile", default="", help="comma-separated run names to profile (torch.profiler, 3 steps after the timed window)")
    ap.add_argument("--n-examples", type=int, default=16 * 400)
    ap.add_argument("--compare-token-modes", action="store_true", help="also run flex with modules_to_save (the plan's embed_tokens + lm_head) instead of trainable token rows")
    ap.add_argument("--smoke", action="store_true", help="a 2-layer 64-wide model for 2 s per run: checks the bench runs (CPU allowed; flex and compile need CUDA)")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.smoke:
        raise SystemExit("bench/sft-gpu.py needs a CUDA GPU (or --smoke)")
    shape = SMOKE_SHAPE if args.smoke else DEEPSEEK_PROVER_V15
    measure_s = 2.0 if args.smoke else args.measure_s
    if args.steps is not None:
        if args.steps < 1:
            raise SystemExit(f"--steps must be >= 1, got {args.steps}")
        measure_s = float("inf")
    names = [m for m in args.runs.split(",") if m]
    unknown = sorted(set(names) - set(RUN_SPECS))
    if unknown:
        raise SystemExit(f"unknown run(s) {unknown}; runs: {list(RUN_SPECS)}")
    specs = [RUN_SPECS[n] for n in names]
    cuda_only = [s.name for s in specs if (s.mode == "flex" or s.compile_layers) and not (flex_ok() and device.type == "cuda")]
    if cuda_only:
        print(f"flex attention and compiled layers need torch >= 2.5 on CUDA: skipped {cuda_only}", file=sys.stderr)
        specs = [s for s in specs if s.name not in cuda_only]
    profiled = {p for p in args.profile.split(",") if p}
    t_start = time.perf_counter()
    lengths, completions = length_mix(args.n_examples, seed=0)
    vocab = shape["vocab_size"]
    examples = synthetic_examples(lengths, completions, vocab, seed=1)
    steps = plan_steps(lengths.tolist(), completions.tolist(), examples_per_step=16, max_tokens_per_row=4096, seed=0)
    if args.steps is not None:
        if len(steps) < 2 + args.steps:
            raise SystemExit(f"--steps {args.steps}: the length mix has {len(steps)} steps (2 are warm-up); raise --n-examples")
        steps = steps[: 2 + args.steps]  # 2 warm-up steps, then the same timed steps for every run
    enable_flex("flex")  # raises dynamo's recompile limits: flex and compiled layers see several row lengths
    t0 = time.perf_counter()
    model, named = build_model(shape, "sdpa", device)
    build_s = time.perf_counter() - t0
    runs: dict[str, Any] = {}
    failures: dict[str, str] = {}
    token_modes = {"trainable_token_rows": {"trainable_parameters": sum(p.numel() for _, p in named)}}
    def assemble(complete: bool) -> dict[str, Any]:
        base_run = "plan" if "plan" in runs else None
        ratios = {f"{k}_over_{base_run}": runs[k]["real_tokens_per_s"] / runs[base_run]["real_tokens_per_s"] for k in runs if base_run and k != base_run}
        if "flex" in runs:
            ratios.update({f"{k}_over_flex": runs[k]["real_tokens_per_s"] / runs["flex"]["real_tokens_per_s"] for k in runs if k not in ("flex", base_run)})
        best = max((k for k in runs if k != base_run), key=lambda k: runs[k]["real_tokens_per_s"], default=None)
        fits_40gb = [k for k in runs if runs[k]["peak_mem_gib"] is not None and runs[k]["peak_mem_gib"] < 36.0]
        import peft
        import transformers

        mu, sigma = lognormal_fit(LENGTH_QUANTILES)
        result = {
            "bench": "sft-gpu",
            "command": " ".join(sys.argv),
            "timing": {"steps_per_run": args.steps} if args.steps is not None else {"measure_s": measure_s},
            "model": f"random-init LlamaForCausalLM, {'SMOKE shape' if args.smoke else 'DeepSeek-Prover-V1.5 shape'}, bfloat16; PEFT LoRA r32 alpha 64 dropout 0.05 on q/k/v/o/gate/up/down (float32 adapter weights; lora_compute per run); [GOAL]/[PROOFSTEP] rows trainable (trainable_token_rows unless a run says modules_to_save)",
            "shape": shape,
            "gpu": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
            "trainable_parameters": token_modes,
            "length_mix": {"lognormal_mu": mu, "lognormal_sigma": sigma, "p50": float(np.percentile(lengths, 50)), "p95": float(np.percentile(lengths, 95)), "p99": float(np.percentile(lengths, 99)),
                           "mean": float(lengths.mean()), "completion_mean": float(completions.mean()), "examples": int(len(lengths))},
            "examples_per_step": 16,
            "build_s": build_s,
            "runs": runs,
            "failures": failures,
            "ratios": ratios,
            "best": best,
            "target": {"real_tokens_per_s": 9000, "over_plan": 8.0,
                       "best_real_tokens_per_s": runs[best]["real_tokens_per_s"] if best else None, "best_over_plan": ratios.get(f"{best}_over_plan") if best else None},
            "fits_40gb_card": {k: runs[k]["real_tokens_per_s"] for k in fits_40gb},
            "total_s": time.perf_counter() - t_start,
            "complete": complete,
        }
        return result

    def write(complete: bool) -> dict[str, Any]:
        """The JSON after every run (complete: false until the end): a killed bench keeps what it measured."""
        result = assemble(complete)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = f"{args.out}.tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(result, sort_keys=True, indent=2) + "\n")
        os.replace(tmp, args.out)
        return result

    for spec in specs:
        try:
            r = runs[spec.name] = run_spec(spec, model, named, examples, steps, measure_s, vocab, device, profile=spec.name in profiled)
        except Exception as e:  # one configuration failing (a compile error) must not lose the others
            failures[spec.name] = f"{type(e).__name__}: {str(e)[:2000]}"
            print(f"bench/sft-gpu: {spec.name}: FAILED {failures[spec.name][:400]}", file=sys.stderr)
            set_compiled(model, False)
            if device.type == "cuda":
                torch.cuda.empty_cache()
            continue
        print(f"bench/sft-gpu: {spec.name}: {r['real_tokens_per_s']:.0f} real tok/s, {r['s_per_step']:.3f} s/step, padding eff {r['padding_efficiency']:.3f}, peak {r['peak_mem_gib']} GiB, "
              f"first loss {r['first_step_loss']:.4f}, warm-up {r['warmup_s']:.1f} s", file=sys.stderr)
        if "profile" in r:
            print(f"bench/sft-gpu: {spec.name} profile: {json.dumps(r['profile']['device_ms_by_kind'])}", file=sys.stderr)
        write(False)
    set_compiled(model, False)
    if args.compare_token_modes and "flex" in runs:
        del model, named
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        model, named = build_model(shape, "sdpa", device, token_mode="modules_to_save")
        r = run_spec(RUN_SPECS["flex"], model, named, examples, steps, measure_s, vocab, device)
        runs["flex_modules_to_save"] = {**r, "name": "flex_modules_to_save", "special_tokens_mode": "modules_to_save"}
        token_modes["modules_to_save"] = {"trainable_parameters": sum(p.numel() for _, p in named)}
        print(f"bench/sft-gpu: flex with modules_to_save: {r['real_tokens_per_s']:.0f} real tok/s, peak {r['peak_mem_gib']} GiB, {token_modes['modules_to_save']['trainable_parameters']:,} trainable", file=sys.stderr)
    print(json.dumps(write(True), sort_keys=True))


if __name__ == "__main__":
    main()
