"""The SFT loss, normalised in one place.

loss of an optimizer step = (sum of the cross-entropy of every completion token in the step)
                            / (number of completion tokens in the step)

so it does not depend on how the step's examples are cut into rows or micro-batches: every tactic
token weighs the same. (Hugging Face's default, a mean per micro-batch averaged over accumulation
steps, weighs a token of a micro-batch with few completion tokens more.)

With gradient accumulation, back-propagate :func:`micro_batch_loss` of each micro-batch with the
step's token count; the accumulated gradient is then the gradient of :func:`step_loss`. Under DDP
the count must be the global one (all-reduced over ranks) and the loss multiplied by the world size,
since DDP averages gradients over ranks.

Labels follow the Hugging Face convention: aligned with input_ids (IGNORE_INDEX where no loss), the
logits at position t predict the label at t + 1.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from burnqed.sft_data import IGNORE_INDEX


def completion_token_count(labels: torch.Tensor) -> int:
    """Tokens that carry loss in a (B, T) label tensor, after the causal shift."""
    return int((labels[..., 1:] != IGNORE_INDEX).sum())


def summed_completion_ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of the cross-entropy over the completion tokens; logits (B, T, V), labels (B, T).
    Computed in float32 at least (bf16 logits are upcast)."""
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match labels {tuple(labels.shape)}")
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()
    shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1])  # (B*(T-1), V)
    shift_labels = labels[:, 1:].reshape(-1)
    return F.cross_entropy(shift_logits, shift_labels, ignore_index=IGNORE_INDEX, reduction="sum")


def _per_token(total: torch.Tensor, n_completion_tokens: int) -> torch.Tensor:
    if n_completion_tokens < 1:
        raise ValueError(f"the step has {n_completion_tokens} completion tokens: nothing to learn (a masking bug upstream?)")
    return total / n_completion_tokens


def micro_batch_loss(logits: torch.Tensor, labels: torch.Tensor, n_step_completion_tokens: int) -> torch.Tensor:
    """This micro-batch's share of the step loss: its summed completion CE / the step's token count."""
    return _per_token(summed_completion_ce(logits, labels), n_step_completion_tokens)


def step_loss(logits_list: Sequence[torch.Tensor], labels_list: Sequence[torch.Tensor]) -> torch.Tensor:
    """Loss of a step given all its micro-batches: summed completion CE over all of them / their
    completion tokens."""
    if len(logits_list) != len(labels_list) or not logits_list:
        raise ValueError(f"need one labels tensor per logits tensor (got {len(logits_list)} and {len(labels_list)})")
    n = sum(completion_token_count(labels) for labels in labels_list)
    total = sum(summed_completion_ce(logits, labels) for logits, labels in zip(logits_list, labels_list))
    return _per_token(total, n)
