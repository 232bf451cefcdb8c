"""The SFT job's schedule, pure: learning rate per optimizer step, steps per epoch, where a global
step lies, and how a step's examples are shared between ranks and cut into micro-batches.

Every function here is a function of integers and lists, so the job (``burnqed.sft``), its tests
and the GPU bench compute the same schedule, and a resumed run recomputes exactly the layout the
interrupted one would have used.

Learning rate (plan Task 1.1: lr 3e-5, warmup 5 %): ``warmup = ceil(ratio x total)`` optimizer
steps ramp linearly to the peak, then the rate decays (linearly to 0 by default, as Hugging Face's
Trainer does when ``--lr_scheduler_type`` is not given). One deviation from Hugging Face, on
purpose: its first step runs at lr 0 (the scheduler is read before it is stepped); here step ``s``
(0-based) of the warmup runs at ``peak x (s + 1) / warmup``, so no step is wasted.

Ranks: a step's examples go to the rank with the fewest tokens so far, longest example first
(LPT), then each rank packs its share into rows (first-fit decreasing, sft_packing) or, in the
padded layout, keeps one example per row. World size 1 gives exactly plan_steps' rows.
"""
from __future__ import annotations

import math
from typing import Sequence

from burnqed.sft_packing import first_fit_decreasing

LR_SCHEDULES = (
    "linear",  # warmup, then linear decay towards 0 (Hugging Face Trainer's default)
    "cosine",  # warmup, then half a cosine towards 0
    "constant",  # warmup, then the peak
)


def warmup_steps(total_steps: int, warmup_ratio: float) -> int:
    """Optimizer steps of linear warmup: ceil(ratio x total), as Hugging Face's get_warmup_steps."""
    if total_steps < 1 or not 0.0 <= warmup_ratio < 1.0:
        raise ValueError(f"need total_steps >= 1 and 0 <= warmup_ratio < 1, got {total_steps}, {warmup_ratio}")
    return math.ceil(total_steps * warmup_ratio)


def lr_at(step: int, total_steps: int, n_warmup: int, peak_lr: float, schedule: str = "linear") -> float:
    """Learning rate of optimizer step ``step`` (0-based, < total_steps)."""
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"lr schedule must be one of {LR_SCHEDULES}, got {schedule!r}")
    if not 0 <= step < total_steps:
        raise ValueError(f"step {step} outside the run's {total_steps} steps")
    if step < n_warmup:
        return peak_lr * (step + 1) / n_warmup
    if schedule == "constant":
        return peak_lr
    decay_steps = total_steps - n_warmup  # >= 1 since step >= n_warmup and step < total_steps
    done = step - n_warmup  # 0 at the first decay step: the peak
    if schedule == "linear":
        return peak_lr * (decay_steps - done) / decay_steps
    return peak_lr * 0.5 * (1.0 + math.cos(math.pi * done / decay_steps))


def steps_per_epoch(n_examples: int, examples_per_step: int, drop_last: bool = False) -> int:
    """Optimizer steps of one epoch of sft_packing.unpacked_schedule (0 when drop_last drops the only step)."""
    if n_examples < 1 or examples_per_step < 1:
        raise ValueError(f"need at least one example and one example per step, got {n_examples}, {examples_per_step}")
    full, rest = divmod(n_examples, examples_per_step)
    return full if drop_last else full + (1 if rest else 0)


def locate(global_step: int, n_steps_per_epoch: int) -> tuple[int, int]:
    """(epoch, step within the epoch) of the step that follows ``global_step`` completed steps."""
    if global_step < 0 or n_steps_per_epoch < 1:
        raise ValueError(f"need global_step >= 0 and steps per epoch >= 1, got {global_step}, {n_steps_per_epoch}")
    return divmod(global_step, n_steps_per_epoch)


def epoch_seed(seed: int, epoch: int) -> int:
    """The permutation seed of an epoch (sft_packing: a different seed per epoch)."""
    return seed + epoch


def split_for_ranks(examples: Sequence[int], lengths: Sequence[int], world_size: int) -> list[tuple[int, ...]]:
    """Each rank's examples of one step: longest first to the rank with the fewest tokens (ties:
    the lowest rank); within a rank, the step's order is kept. A rank may get none."""
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    position = {e: i for i, e in enumerate(examples)}
    shares: list[list[int]] = [[] for _ in range(world_size)]
    load = [0] * world_size
    for e in sorted(examples, key=lambda e: (-int(lengths[e]), position[e])):
        r = min(range(world_size), key=lambda r: (load[r], r))
        shares[r].append(e)
        load[r] += int(lengths[e])
    return [tuple(sorted(s, key=position.__getitem__)) for s in shares]


def rank_rows(examples: Sequence[int], lengths: Sequence[int], world_size: int, rank: int, max_tokens_per_row: int, packed: bool) -> list[tuple[int, ...]]:
    """The rows this rank runs for a step: its share packed first-fit decreasing into rows of at
    most ``max_tokens_per_row`` tokens, or (``packed`` False) one example per row in step order."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} outside world size {world_size}")
    share = split_for_ranks(examples, lengths, world_size)[rank]
    if not share:
        return []
    if not packed:
        return [(e,) for e in share]
    return first_fit_decreasing(share, lengths, max_tokens_per_row)


def micro_batches(rows: Sequence[tuple[int, ...]], rows_per_micro_batch: int) -> list[list[tuple[int, ...]]]:
    """Consecutive groups of rows, each one forward/backward pass."""
    if rows_per_micro_batch < 1:
        raise ValueError(f"rows_per_micro_batch must be >= 1, got {rows_per_micro_batch}")
    return [list(rows[i : i + rows_per_micro_batch]) for i in range(0, len(rows), rows_per_micro_batch)]


def round_up(n: int, multiple: int) -> int:
    """``n`` rounded up to a multiple of ``multiple`` (1: unchanged)."""
    if multiple < 1:
        raise ValueError(f"multiple must be >= 1, got {multiple}")
    return -(-n // multiple) * multiple
