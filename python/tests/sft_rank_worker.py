"""One rank of the two-process CPU (gloo) run in tests/test_sft.py: trains the tiny model on the toy
data with burnqed.sft.train under torchrun's environment variables and saves its final parameters.

    RANK=r WORLD_SIZE=n MASTER_ADDR=127.0.0.1 MASTER_PORT=p python sft_rank_worker.py <root> <world>
"""
from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import torch  # noqa: E402

from burnqed.sft import Dist, NullEvents, SftConfig, StepContext, train  # noqa: E402
from sft_tiny import TinyKwargsLM, toy_examples  # noqa: E402


def config(root: str) -> SftConfig:
    return SftConfig.from_dict({
        "model_dir": "tiny", "train_jsonl": "toy", "val_jsonl": "toy", "out_dir": os.path.join(root, "out"), "out_summary": os.path.join(root, "summary.json"),
        "checkpoint_path": os.path.join(root, "ckpt.pt"), "lr": 1e-2, "epochs": 2, "examples_per_step": 8, "max_length": 16, "max_tokens_per_row": 40,
        "eval_every_steps": 3, "checkpoint_every_steps": 100, "log_every_steps": 2, "warmup_ratio": 0.1,
    })


def run(root: str, world: int) -> None:
    dist = Dist.from_env("cpu")
    model = TinyKwargsLM(dropout=0.0)  # dropout masks differ per rank by design; this run checks the gradient sum
    ctx = StepContext(attention="block_mask", dtype=torch.float64, device=torch.device("cpu"), pad_id=0, pad_multiple=1, keep_completion_logits=True, max_tokens_per_row=40, rows_per_micro_batch=1)
    cfg = config(os.path.join(root, f"w{world}"))
    os.makedirs(os.path.dirname(cfg.checkpoint_path), exist_ok=True)
    outcome = train(cfg, model, list(model.named_parameters()), toy_examples(44, seed=1), toy_examples(10, seed=2), ctx, "fp", dist, NullEvents())
    torch.save({n: p.detach().clone() for n, p in model.named_parameters()}, os.path.join(root, f"w{world}", f"params_rank{dist.rank}.pt"))
    with open(os.path.join(root, f"w{world}", f"outcome_rank{dist.rank}.json"), "w") as f:
        json.dump({"steps": outcome.position.global_step, "val": outcome.final_val_loss, "tokens": outcome.position.train_tokens}, f)
    dist.close()


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]))
