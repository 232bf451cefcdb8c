"""The joint objective (plan Tasks 3.3, 3.4): SFT cross-entropy + λ · InfoNCE.

loss of a step = (summed completion CE of the step's SFT examples) / (their completion tokens)
               + λ · mean over the step's groups of −log softmax(−E)[positive]

The InfoNCE is burnqed.losses.info_nce_loss, the decoupled trainer's, with NO temperature (plan
Gotcha 1): E comes from GoalConditionedEnergyHead.score, which already divides by the head's own
learnable temperature, once.

Grad routing (plan Task 3.4, the VRAM optimisation): of a group's K negatives (hard ones first, as
contrastive_plan.sample_negatives orders them), the first ``n_grad_negatives`` (1: one hard
negative) are encoded with the positive, with grad; the others and the goal are encoded under
torch.no_grad() and detached, so the backbone receives gradient only through the positive and the
hard negative. The head receives gradient from every energy.

With micro-batches, each one's share is back-propagated at once: its summed CE / the step's
completion tokens, and λ · its mean InfoNCE · (its groups / the step's groups), so the accumulated
gradient is the gradient of the step's loss.
"""
from __future__ import annotations

import torch

from burnqed.joint.dataset import GroupTokens
from burnqed.joint.model import JointProver
from burnqed.losses import info_nce_loss


def encode_goals(prover: JointProver, tokens: GroupTokens, with_grad: bool) -> torch.Tensor:
    """(G, H) goal embeddings, each distinct goal row encoded once."""
    rows = tokens.goal_rows.tolist()
    first: dict[int, int] = {}
    for i, r in enumerate(rows):
        first.setdefault(int(r), i)
    unique = list(first)
    with torch.set_grad_enabled(with_grad and torch.is_grad_enabled()):
        z = prover.encode([tokens.goals[first[r]] for r in unique])  # (U, H)
    if not with_grad:
        z = z.detach()
    where = torch.tensor([unique.index(int(r)) for r in rows], device=z.device)
    return z[where]


def group_energies(prover: JointProver, tokens: GroupTokens, n_grad_negatives: int, goal_grad: bool = False) -> torch.Tensor:
    """(G, 1 + K) energies: column 0 the positive, then the K negatives, each against its group's goal."""
    g = len(tokens)
    k = len(tokens.negatives[0]) if g else 0
    if g == 0 or k == 0 or any(len(n) != k for n in tokens.negatives):
        raise ValueError(f"group_energies: need >= 1 group with the same K >= 1 negatives each, got {g} groups with {[len(n) for n in tokens.negatives][:8]} negatives")
    if not 0 <= n_grad_negatives <= k:
        raise ValueError(f"group_energies: n_grad_negatives {n_grad_negatives} outside [0, K={k}]")
    grad_ids = list(tokens.positives) + [neg[j] for neg in tokens.negatives for j in range(n_grad_negatives)]
    z_grad = prover.encode(grad_ids)  # (G·(1+n_grad), H), grad as the caller allows
    h = z_grad.shape[1]
    z_pos = z_grad[:g]  # (G, H)
    parts = [z_grad[g:].view(g, n_grad_negatives, h)]  # (G, n_grad, H)
    if n_grad_negatives < k:
        with torch.no_grad():
            z_easy = prover.encode([neg[j] for neg in tokens.negatives for j in range(n_grad_negatives, k)])
        parts.append(z_easy.detach().view(g, k - n_grad_negatives, h))
    z_goal = encode_goals(prover, tokens, goal_grad)  # (G, H)
    states = torch.cat([z_pos[:, None], *parts], dim=1).reshape(g * (1 + k), h)  # (G·(1+K), H)
    goals = z_goal.repeat_interleave(1 + k, dim=0)  # (G·(1+K), H): every row against its anchor's goal
    return prover.head.score(states, goals).view(g, 1 + k)


def group_infonce(energies: torch.Tensor) -> torch.Tensor:
    """Mean InfoNCE of (G, 1 + K) energies, positive in column 0 (no temperature: the head's)."""
    return info_nce_loss(energies[:, 0], energies[:, 1:])


def joint_loss(sft_loss: float, infonce_loss: float, lambda_ebm: float) -> float:
    """The step's objective as reported (the gradients are accumulated per micro-batch)."""
    return sft_loss + lambda_ebm * infonce_loss
