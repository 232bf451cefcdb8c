"""Where the joint step's time goes at the 7B shape (needs CUDA, torch, transformers, peft).

The joint smoke job's model and synthetic realistic-mix step (burnqed.joint.smoke: random-init
DeepSeek-Prover-V1.5 shape, LoRA r64 under autocast, 16 SFT examples, groups of a positive, K = 3
negatives and a goal), timed in phases with a device sync around each: the SFT half
(train.sft_backward), the energy path's encoder calls with grad and without, the rest of the
energy half (head, InfoNCE, backward), and clipping + AdamW; for an SFT-only step and joint steps
of 1, 2 and 16 groups, in one process, medians of --rounds. Then torch.profiler over one SFT-only
step and one 1-group joint step: the ops that take the most device and host time.

    python3 bench/joint-step-breakdown.py --out bench/results/joint-step-breakdown.json [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable, Optional

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python")]

from burnqed.atomic_io import write_json_atomic  # noqa: E402
from burnqed.joint import smoke  # noqa: E402
from burnqed.joint.train import clip, contrastive_backward, energy_encoder, make_optimizer, sft_backward, step_context  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--groups", default="1,2,16")
    ap.add_argument("--groups-per-micro-batch", type=int, default=None, help="default: the joint config's")
    ap.add_argument("--smoke", action="store_true", help="a 2-layer 64-wide model on the CPU: checks the bench runs")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type != "cuda" and not args.smoke:
        raise SystemExit("bench/joint-step-breakdown.py needs CUDA (or --smoke)")
    raw: dict[str, Any] = {"random_init": "deepseek_prover_v1_5", "lengths": "realistic", "sft_prompt_tokens": 1984, "sft_completion_tokens": 64, "state_tokens": 512, "goal_tokens": 512, "groups": 16, "device": str(device)}
    if args.smoke:
        raw.update(random_init_overrides={"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 1000},
                   joint={"dtype": "float32", "embed_recipe": {"compute_dtype": "float32"}, "hidden_dims": [32, 16, 8], "lora_r": 8, "lora_alpha": 16}, sft_prompt_tokens=120, state_tokens=64, goal_tokens=64)
    cfg = smoke.SmokeConfig.from_dict(raw)
    joint, build, attention, build_s = smoke.build_smoke_prover(cfg, device)
    prover = build.prover.train()
    gpm = args.groups_per_micro_batch or joint.groups_per_micro_batch
    lm_params, head_params = [p for _, p in prover.lm_named()], [p for _, p in prover.head_named()]
    opt = make_optimizer(joint, lm_params, head_params)
    ctx = step_context(joint, build, attention, device)
    vocab = min(len(build.tokenizer), int(prover.lm.get_input_embeddings().weight.shape[0]))
    examples, tokens = smoke.synthetic_inputs(cfg, joint.k_negatives, vocab, getattr(build.tokenizer, "bos_token_id", None), int(build.tokenizer.eos_token_id), cfg.seed)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def timed_encoder(phases: dict[str, float]) -> Callable[[Any], torch.Tensor]:
        inner = energy_encoder(prover, joint.energy_encode, ctx)
        assert inner is not None

        def encode(ids: Any) -> torch.Tensor:
            sync()
            t0 = time.perf_counter()
            z = inner(ids)
            sync()
            key = "encode_with_grad_s" if torch.is_grad_enabled() else "encode_no_grad_s"
            phases[key] = phases.get(key, 0.0) + time.perf_counter() - t0
            return z

        return encode

    def step(groups: Optional[int]) -> dict[str, float]:
        phases: dict[str, float] = {}
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        sft_backward(prover, examples, ctx)
        sync()
        t1 = time.perf_counter()
        phases["sft_half_s"] = t1 - t0
        if groups is not None:
            contrastive_backward(prover, tokens.take(slice(0, groups)), joint.lambda_ebm, gpm, joint.n_grad_negatives, joint.goal_grad, timed_encoder(phases))
            sync()
            t2 = time.perf_counter()
            phases["energy_half_s"] = t2 - t1
            phases["head_loss_backward_s"] = phases["energy_half_s"] - phases.get("encode_with_grad_s", 0.0) - phases.get("encode_no_grad_s", 0.0)
        t2 = time.perf_counter()
        clip(lm_params, joint.grad_clip_norm_lora)
        clip(head_params, joint.grad_clip_norm_head)
        opt.step()
        sync()
        phases["clip_and_adamw_s"] = time.perf_counter() - t2
        phases["step_s"] = time.perf_counter() - t0
        return phases

    counts = [int(g) for g in args.groups.split(",") if g]
    step(max(counts))  # warm-up: the optimizer state and the largest shapes
    step(None)
    rows: dict[str, list[dict[str, float]]] = {"sft_only": [], **{f"groups_{g}": [] for g in counts}}
    for _ in range(args.rounds):
        rows["sft_only"].append(step(None))
        for g in counts:
            rows[f"groups_{g}"].append(step(g))
    medians = {name: {k: float(np.median([r.get(k, 0.0) for r in rs])) for k in rs[0]} for name, rs in rows.items()}
    sft_s = medians["sft_only"]["step_s"]
    for name, m in medians.items():
        m["over_sft_only"] = m["step_s"] / sft_s
        print(f"joint-step-breakdown: {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()), file=sys.stderr, flush=True)

    profiles: dict[str, Any] = {}
    if device.type == "cuda":
        from torch.profiler import ProfilerActivity, profile

        for name, groups in (("sft_only", None), ("groups_1", 1)):
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                step(groups)
            avg = prof.key_averages()
            profiles[name] = {"by_device_time": avg.table(sort_by="self_cuda_time_total", row_limit=12), "by_host_time": avg.table(sort_by="self_cpu_time_total", row_limit=12)}
            print(f"--- {name}: by device time\n{profiles[name]['by_device_time']}\n--- {name}: by host time\n{profiles[name]['by_host_time']}", file=sys.stderr, flush=True)
    result = {"bench": "joint-step-breakdown", "command": " ".join(sys.argv), "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", "torch": torch.__version__,
              "build_s": build_s, "attention": attention, "energy_encode": joint.energy_encode, "groups_per_micro_batch": gpm, "rounds": args.rounds,
              "sft_tokens": sum(len(e) for e in examples), "encode_tokens": {f"groups_{g}": tokens.take(slice(0, g)).n_tokens() for g in counts}, "medians": medians, "profiles": profiles}
    print(json.dumps({k: v for k, v in result.items() if k != "profiles"}))
    if args.out:
        write_json_atomic(args.out, result)


if __name__ == "__main__":
    main()
