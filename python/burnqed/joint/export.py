"""Export of joint training (plan Task 4.2), with the decoupled trainer's and the SFT job's code:

- the head: goal_conditioned_head.pt written as train_ebm writes it (ebm_head.head_checkpoint: format
  ``burnqed.goal_conditioned_head/1``, head_config, state_dict, train_config, fingerprint, steps),
  so ebm_head.load_head reads it, and goal_conditioned_head.onnx by burnqed.export.export_onnx (the
  folded eval-mode head: inputs z_state, z_goal (N, d) float32, output energy (N,)), which the
  TypeScript energies stage (src/stages/ebm.ts scoreEnergiesStage, onnxruntime-node) scores for
  config C exactly as for A and B;
- the LM: the adapter folder by sft.save_adapter (LoRA, token rows, tokenizer, burnqed_sft.json),
  then merged by merge_lora.main — its own check (merged logits vs base + LoRA in float32, the
  saved bfloat16 folder's KL) included — into the merged model folder the iter_1 embed and search
  stages load;
- a check that closes the loop: a few held-out states and their goals are embedded by the live
  model (eval mode) before the merge and by embed.EmbeddingExtractor on the merged folder after it,
  and scored by the live head and by the folded head (the ONNX graph's math). The differences and
  the share of state pairs the two orderings agree on are recorded (``export_check`` in the summary).
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import numpy as np
import torch

from burnqed.atomic_io import write_bytes_atomic
from burnqed.ebm_head import GoalConditionedEnergyHead, head_checkpoint
from burnqed.joint.model import storage_round

PAIR_AGREEMENT_WARN = 0.95


def write_head(head: GoalConditionedEnergyHead, pt_path: str, onnx_path: Optional[str], extra: Mapping[str, Any], events: Any) -> None:
    """goal_conditioned_head.pt (and .onnx) as train_ebm.finish writes them."""
    head = head.cpu().eval()
    buf = io.BytesIO()
    torch.save(head_checkpoint(head, dict(extra)), buf)
    write_bytes_atomic(pt_path, buf.getvalue())
    events.artifact(pt_path, "model")
    if onnx_path is not None:
        from burnqed.export import export_onnx

        export_onnx(head, onnx_path)
        events.artifact(onnx_path, "model")


def merge_config(cfg: Any) -> dict[str, Any]:
    """merge_lora's config for the joint adapter (its defaults otherwise: float32 merge, bfloat16 save)."""
    return {
        "base_model_dir": cfg.model_dir,
        "adapter_dir": cfg.out_adapter_dir,
        "out_dir": cfg.out_merged_dir,
        "out_summary": cfg.out_merge_summary,
        "device": cfg.device,
        "check_jsonl": cfg.val_jsonl,
    }


def merge_adapter(cfg: Any, events: Any) -> dict[str, Any]:
    """merge_lora.main on the joint adapter (raises JobAbort when its logit check fails)."""
    from burnqed.merge_lora import main as merge_main

    return dict(merge_main(merge_config(cfg), events))


@dataclass
class LiveReference:
    """Embeddings and energies of a few held-out states from the live (eval-mode) model."""

    state_ids: list[list[int]]
    goal_ids: list[list[int]]
    z_state: torch.Tensor  # (n, H) float32, storage-rounded, CPU
    z_goal: torch.Tensor  # (n, H)
    energies: torch.Tensor  # (n,) head.score in eval mode


def pair_agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    """Share of pairs (i < j) with a strict order in ``a`` that ``b`` orders the same way."""
    da = a[:, None] - a[None, :]
    db = b[:, None] - b[None, :]
    upper = torch.triu(torch.ones_like(da, dtype=torch.bool), diagonal=1) & (da != 0)
    if not upper.any():
        return float("nan")
    return float(((da > 0) == (db > 0))[upper].double().mean())


def export_check(cfg: Any, live: LiveReference, head: GoalConditionedEnergyHead, device: torch.device) -> dict[str, Any]:
    """Re-embed ``live``'s states with the merged folder (EmbeddingExtractor, the embed job's code)
    and score them with the folded head (what the ONNX file computes)."""
    from burnqed.embed import EmbeddingExtractor
    from burnqed.export import fold_head
    from burnqed.hf_loading import load_causal_lm, load_tokenizer

    t0 = time.monotonic()
    model = load_causal_lm(cfg.out_merged_dir, cfg.embed_recipe.compute_dtype, cfg.attn_implementation, device=device).eval()
    extractor = EmbeddingExtractor(model, load_tokenizer(cfg.out_merged_dir), cfg.embed_recipe)
    z_state = storage_round(extractor.embed_ids(live.state_ids), cfg.embed_recipe.storage_dtype).cpu()
    z_goal = storage_round(extractor.embed_ids(live.goal_ids), cfg.embed_recipe.storage_dtype).cpu()
    del model, extractor
    with torch.no_grad():
        energies = fold_head(head)(z_state, z_goal)
    scale = float(live.energies.std()) if live.energies.numel() > 1 else float("nan")
    return {
        "rows": int(z_state.shape[0]),
        "max_abs_embedding_diff": float((z_state - live.z_state).abs().max()),
        "embedding_scale": float(live.z_state.abs().mean()),
        "max_abs_energy_diff": float((energies - live.energies).abs().max()),
        "energy_std": scale,
        "pair_order_agreement": pair_agreement(live.energies.double(), energies.double()),
        "wall_s": time.monotonic() - t0,
    }


def live_reference(prover: Any, state_ids: list[list[int]], goal_ids: list[list[int]]) -> LiveReference:
    was = prover.training
    prover.eval()
    try:
        with torch.no_grad():
            z_state = prover.encode(state_ids)
            z_goal = prover.encode(goal_ids)
            energies = prover.head.score(z_state, z_goal)
    finally:
        prover.train(was)
    return LiveReference(state_ids, goal_ids, z_state.cpu(), z_goal.cpu(), energies.float().cpu())


def check_rows(group_rows: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` held-out group rows (both labels are among them)."""
    return np.asarray(group_rows[:n], dtype=np.int64)
