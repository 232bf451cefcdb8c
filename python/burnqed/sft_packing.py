"""Packing SFT examples into rows without changing what an optimizer step learns.

The unpacked schedule (:func:`unpacked_schedule`) is the reference: a seeded permutation of the
examples cut into steps of ``examples_per_step`` (the plan's batch 2 x grad-accumulation 8 = 16).
:func:`plan_steps` keeps exactly those examples in each step, in that order, and only decides how
they are laid out: packed into rows of at most ``max_tokens_per_row`` tokens, first-fit decreasing
within the step. Packing never moves an example to another step, so the step's loss (the mean
cross-entropy over the step's completion tokens, :mod:`burnqed.sft_loss`) and its gradient are the
unpacked ones, up to float rounding.

:func:`collate_packed` lays rows out as tensors: positions restart at 0 for every example, and the
document boundaries (``cu_seqlens`` per row) give :func:`block_causal_mask`, a 4-D additive mask
under which no token attends across examples.

A causal-LM label shift never crosses an example: the token after an example's EOS is the next
example's first token, whose label is always IGNORE_INDEX (it is prompt).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import torch

from burnqed.sft_data import IGNORE_INDEX, SftExample


@dataclass(frozen=True)
class PackedStep:
    step: int
    examples: tuple[int, ...]  # the unpacked schedule's examples of this step, in its order
    rows: tuple[tuple[int, ...], ...]  # a partition of `examples` into packed rows (within a row: schedule order)
    row_tokens: tuple[int, ...]  # tokens in each row (<= max_tokens_per_row)
    n_completion_tokens: int  # the step's loss denominator


def unpacked_schedule(n_examples: int, examples_per_step: int, seed: int, drop_last: bool = False) -> list[tuple[int, ...]]:
    """One epoch: a seeded permutation of range(n_examples) cut into consecutive steps (the last one
    shorter unless ``drop_last``). Use a different seed per epoch (e.g. seed + epoch)."""
    if examples_per_step < 1:
        raise ValueError(f"examples_per_step must be >= 1, got {examples_per_step}")
    order = np.random.default_rng(seed).permutation(n_examples).tolist()
    steps = [tuple(order[i : i + examples_per_step]) for i in range(0, n_examples, examples_per_step)]
    if drop_last and steps and len(steps[-1]) < examples_per_step:
        steps.pop()
    return steps


def first_fit_decreasing(examples: Sequence[int], lengths: Sequence[int], max_tokens_per_row: int) -> list[tuple[int, ...]]:
    """Rows of ``examples`` (longest first into the first row with room); within a row the examples
    keep their order in ``examples``. Rows come out longest-first-created."""
    position = {e: i for i, e in enumerate(examples)}
    by_length = sorted(examples, key=lambda e: (-int(lengths[e]), position[e]))
    rows: list[list[int]] = []
    room: list[int] = []
    for e in by_length:
        n = int(lengths[e])
        if n > max_tokens_per_row:
            raise ValueError(f"example {e} has {n} tokens, more than max_tokens_per_row {max_tokens_per_row}")
        for r, free in enumerate(room):
            if n <= free:
                rows[r].append(e)
                room[r] -= n
                break
        else:
            rows.append([e])
            room.append(max_tokens_per_row - n)
    return [tuple(sorted(row, key=position.__getitem__)) for row in rows]


def plan_steps(
    lengths: Sequence[int],
    completion_counts: Sequence[int],
    *,
    examples_per_step: int = 16,
    max_tokens_per_row: int,
    seed: int,
    drop_last: bool = False,
) -> list[PackedStep]:
    """The packed layout of one epoch of the unpacked schedule (same examples per step, same order)."""
    if len(lengths) != len(completion_counts):
        raise ValueError(f"{len(lengths)} lengths but {len(completion_counts)} completion counts")
    for i, (n, c) in enumerate(zip(lengths, completion_counts)):
        if not 0 < int(c) < int(n):  # at least one prompt token before a labelled one
            raise ValueError(f"example {i}: {c} completion tokens in {n} tokens (need 0 < completion < length)")
    steps: list[PackedStep] = []
    for s, examples in enumerate(unpacked_schedule(len(lengths), examples_per_step, seed, drop_last)):
        rows = first_fit_decreasing(examples, lengths, max_tokens_per_row)
        steps.append(
            PackedStep(
                step=s,
                examples=examples,
                rows=tuple(rows),
                row_tokens=tuple(sum(int(lengths[e]) for e in row) for row in rows),
                n_completion_tokens=sum(int(completion_counts[e]) for e in examples),
            )
        )
    return steps


# ---------------------------------------------------------------------------------------------
# tensors


@dataclass(frozen=True)
class PackedBatch:
    input_ids: torch.Tensor  # (B, T) int64, right-padded with pad_id
    labels: torch.Tensor  # (B, T) int64, IGNORE_INDEX on prompts and padding
    position_ids: torch.Tensor  # (B, T) int64, 0.. per example; padding 0..
    cu_seqlens: tuple[tuple[int, ...], ...]  # per row: 0, end of example 1, end of example 2, ..., row length

    @property
    def n_completion_tokens(self) -> int:
        """Labelled tokens a causal LM predicts (labels shifted by one)."""
        return int((self.labels[:, 1:] != IGNORE_INDEX).sum())

    def attention_mask_4d(self, dtype: torch.dtype = torch.float32, fill_value: Optional[float] = None) -> torch.Tensor:
        return block_causal_mask(self.cu_seqlens, int(self.input_ids.shape[1]), dtype=dtype, fill_value=fill_value, device=self.input_ids.device)

    def model_kwargs(self, attention: str, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
        """Inputs for a Hugging Face causal LM (labels left out: the loss is :mod:`burnqed.sft_loss`'s).

        ``attention``: "block_mask" passes :meth:`attention_mask_4d` (``dtype`` = the model's dtype);
        "position_ids" passes no mask and lets transformers 5 find the examples from the restarting
        positions (no (T, T) mask in memory). ``use_cache=False`` is not optional: with a cache
        (the config default) transformers 5.17 skips that detection and silently lets the examples
        of a row attend to each other (measured, tests/test_sft_packing.py).
        """
        kwargs: dict[str, Any] = {"input_ids": self.input_ids, "position_ids": self.position_ids, "use_cache": False}
        if attention == "block_mask":
            kwargs["attention_mask"] = self.attention_mask_4d(dtype)
        elif attention != "position_ids":
            raise ValueError(f"attention must be 'block_mask' or 'position_ids', got {attention!r}")
        return kwargs

    def to(self, device: Any) -> "PackedBatch":
        return dataclasses.replace(self, input_ids=self.input_ids.to(device), labels=self.labels.to(device), position_ids=self.position_ids.to(device))


def collate_packed(rows: Sequence[Sequence[SftExample]], pad_id: int = 0) -> PackedBatch:
    """Rows of examples, concatenated per row and right-padded to the longest row."""
    if not rows or any(not row for row in rows):
        raise ValueError("collate_packed needs at least one row and no empty row")
    width = max(sum(len(e) for e in row) for row in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    position_ids = torch.zeros((len(rows), width), dtype=torch.long)
    cu: list[tuple[int, ...]] = []
    for r, row in enumerate(rows):
        bounds = [0]
        for e in row:
            if len(e.labels) != len(e.input_ids) or e.labels[0] != IGNORE_INDEX:
                raise ValueError(f"example {e.row}: labels must match input_ids in length and start with IGNORE_INDEX (prompt)")
            a, b = bounds[-1], bounds[-1] + len(e)
            input_ids[r, a:b] = torch.tensor(e.input_ids, dtype=torch.long)
            labels[r, a:b] = torch.tensor(e.labels, dtype=torch.long)
            position_ids[r, a:b] = torch.arange(len(e))
            bounds.append(b)
        position_ids[r, bounds[-1] :] = torch.arange(width - bounds[-1])
        cu.append(tuple(bounds))
    return PackedBatch(input_ids=input_ids, labels=labels, position_ids=position_ids, cu_seqlens=tuple(cu))


def document_ids(cu_seqlens: Sequence[Sequence[int]], seq_len: int) -> torch.Tensor:
    """(B, T) int64: example number of each position; padding gets -1 (a block of its own)."""
    doc = torch.full((len(cu_seqlens), seq_len), -1, dtype=torch.long)
    for r, bounds in enumerate(cu_seqlens):
        if bounds[-1] > seq_len:
            raise ValueError(f"row {r}: cu_seqlens end at {bounds[-1]} > seq_len {seq_len}")
        for d in range(len(bounds) - 1):
            doc[r, bounds[d] : bounds[d + 1]] = d
    return doc


def block_causal_mask(cu_seqlens: Sequence[Sequence[int]], seq_len: int, dtype: torch.dtype = torch.float32, fill_value: Optional[float] = None, device: Optional[torch.device] = None) -> torch.Tensor:
    """(B, 1, T, T) additive mask: 0 where query t may attend key s (same example and s <= t), else
    ``fill_value`` (default -inf; pass torch.finfo(dtype).min for half-precision kernels). Padding
    attends causally within the padding, so no query row is fully masked (no NaN)."""
    doc = document_ids(cu_seqlens, seq_len)
    causal = torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
    allowed = (doc[:, :, None] == doc[:, None, :]) & causal  # (B, T, T)
    fill = float("-inf") if fill_value is None else fill_value
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, fill)
    return mask[:, None].to(device) if device is not None else mask[:, None]
