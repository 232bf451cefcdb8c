"""The joint objective (plan Tasks 3.3, 3.4): SFT cross-entropy + λ · InfoNCE.

loss of a step = (summed completion CE of the step's SFT examples) / (their completion tokens)
               + λ · mean over the step's groups of −log softmax(−E)[positive]

The InfoNCE is burnqed.losses.info_nce_loss, the decoupled trainer's, with NO temperature (plan
Gotcha 1): E comes from GoalConditionedEnergyHead.score, which already divides by the head's own
learnable temperature, once.

Grad routing (plan Task 3.4, the VRAM optimisation): of a group's K negatives (hard ones first, as
contrastive_plan.sample_negatives orders them), the first ``n_grad_negatives`` (1: one hard
negative) are encoded with the positive, with grad; the others and the goal are encoded under
torch.no_grad() and detached (one call each), so the backbone receives gradient only through the
positive and the hard negative. The head receives gradient from every energy.

With micro-batches, each one's share is back-propagated at once: its summed CE / the step's
completion tokens, and λ · its mean InfoNCE · (its groups / the step's groups), so the accumulated
gradient is the gradient of the step's loss.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch

from burnqed.joint.dataset import GroupTokens
from burnqed.joint.model import JointProver
from burnqed.losses import info_nce_loss


Encode = Callable[[Sequence[Sequence[int]]], torch.Tensor]  # token-id sequences -> (N, H) recipe embeddings


def unique_goals(tokens: GroupTokens) -> tuple[list[list[int]], list[int]]:
    """The distinct goals of the groups (by goal row, first occurrence) and each group's index into them."""
    rows = [int(r) for r in tokens.goal_rows.tolist()]
    first: dict[int, int] = {}
    for i, r in enumerate(rows):
        first.setdefault(r, i)
    order = {r: u for u, r in enumerate(first)}
    return [tokens.goals[i] for i in first.values()], [order[r] for r in rows]


@dataclass(frozen=True)
class EnergyLayout:
    """What a group batch sends through the encoder: ``with_grad`` (the positives, then the first
    ``n_grad`` negatives of each group, then the distinct goals when ``goal_grad``) and ``without``
    (the other negatives, then the distinct goals otherwise)."""

    with_grad: list[list[int]]
    without: list[list[int]]
    g: int
    k: int
    n_grad: int
    goal_grad: bool
    goal_of: list[int]  # (G,): each group's index into the distinct goals

    @property
    def n_easy(self) -> int:
        return self.g * (self.k - self.n_grad)


def energy_layout(tokens: GroupTokens, n_grad_negatives: int, goal_grad: bool) -> EnergyLayout:
    g = len(tokens)
    k = len(tokens.negatives[0]) if g else 0
    if g == 0 or k == 0 or any(len(n) != k for n in tokens.negatives):
        raise ValueError(f"group_energies: need >= 1 group with the same K >= 1 negatives each, got {g} groups with {[len(n) for n in tokens.negatives][:8]} negatives")
    if not 0 <= n_grad_negatives <= k:
        raise ValueError(f"group_energies: n_grad_negatives {n_grad_negatives} outside [0, K={k}]")
    goals, goal_of = unique_goals(tokens)
    grad_ids = list(tokens.positives) + [neg[j] for neg in tokens.negatives for j in range(n_grad_negatives)]
    easy_ids = [neg[j] for neg in tokens.negatives for j in range(n_grad_negatives, k)]
    with_grad, without = (grad_ids + goals, easy_ids) if goal_grad else (grad_ids, easy_ids + goals)
    return EnergyLayout(with_grad, without, g, k, n_grad_negatives, goal_grad, goal_of)


def layout_energies(prover: JointProver, layout: EnergyLayout, z_grad: torch.Tensor, z_free: torch.Tensor) -> torch.Tensor:
    """(G, 1 + K) energies from the embeddings of ``layout.with_grad`` and ``layout.without``
    (``z_free`` already detached)."""
    g, k, n_grad = layout.g, layout.k, layout.n_grad
    h = z_grad.shape[1]
    n_grad_rows = g * (1 + n_grad)
    z_goals = z_grad[n_grad_rows:] if layout.goal_grad else z_free[layout.n_easy :]  # (U, H)
    parts = [z_grad[:g, None], z_grad[g:n_grad_rows].view(g, n_grad, h)]  # (G, 1, H), (G, n_grad, H)
    if layout.n_easy:
        parts.append(z_free[: layout.n_easy].view(g, k - n_grad, h))
    states = torch.cat(parts, dim=1).reshape(g * (1 + k), h)  # (G·(1+K), H)
    goal_rows = z_goals[torch.tensor(layout.goal_of, device=z_goals.device)]  # (G, H)
    return prover.head.score(states, goal_rows.repeat_interleave(1 + k, dim=0)).view(g, 1 + k)  # every row against its anchor's goal


def group_energies(prover: JointProver, tokens: GroupTokens, n_grad_negatives: int, goal_grad: bool = False, encode: Optional[Encode] = None) -> torch.Tensor:
    """(G, 1 + K) energies: column 0 the positive, then the K negatives, each against its group's goal.

    Two encoder calls (:func:`energy_layout`): the positives and the first ``n_grad_negatives``
    negatives of each group (and the goals when ``goal_grad``) with grad as the caller allows; the
    other negatives (and the goals otherwise) under no_grad. Each distinct goal is encoded once.
    ``encode``: the encoder (default ``prover.encode``; the job passes ``prover.encode_packed``)."""
    layout = energy_layout(tokens, n_grad_negatives, goal_grad)
    enc = encode if encode is not None else prover.encode
    z_grad = enc(layout.with_grad)  # grad as the caller allows
    z_free = z_grad.new_zeros((0, z_grad.shape[1]))
    if layout.without:
        with torch.no_grad():
            z_free = enc(layout.without).detach()
    return layout_energies(prover, layout, z_grad, z_free)


def group_infonce(energies: torch.Tensor) -> torch.Tensor:
    """Mean InfoNCE of (G, 1 + K) energies, positive in column 0 (no temperature: the head's)."""
    return info_nce_loss(energies[:, 0], energies[:, 1:])


def joint_loss(sft_loss: float, infonce_loss: float, lambda_ebm: float) -> float:
    """The step's objective as reported (the gradients are accumulated per micro-batch)."""
    return sft_loss + lambda_ebm * infonce_loss
