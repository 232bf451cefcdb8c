"""Losses of the energy head.

InfoNCE is the training loss. It has NO temperature (plan Gotcha 1): the head divides its energies
by its own learnable temperature, and a second one here would double-dip. The margin ranking terms
are for metrics only (plan Task 2.5 ``active_ratio``), never for training.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce_loss(pos_energy: torch.Tensor, neg_energies: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of −log softmax(−E)[positive] with the positive in column 0.

    pos_energy: (B,) or (B, 1); neg_energies: (B, K). Lower energy = more likely.
    """
    if pos_energy.dim() == 1:
        pos_energy = pos_energy.unsqueeze(1)  # (B, 1)
    if pos_energy.dim() != 2 or pos_energy.shape[1] != 1 or neg_energies.dim() != 2 or neg_energies.shape[0] != pos_energy.shape[0]:
        raise ValueError(f"info_nce_loss: pos_energy {tuple(pos_energy.shape)} must be (B,) or (B, 1) and neg_energies {tuple(neg_energies.shape)} (B, K)")
    logits = torch.cat([-pos_energy, -neg_energies], dim=1)  # (B, 1 + K)
    labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, labels)


def margin_ranking_terms(pos_energy: torch.Tensor, neg_energy: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """max(0, margin − (E_neg − E_pos)) per (positive, negative) pair. Metrics only."""
    return torch.clamp(margin - (neg_energy - pos_energy), min=0.0)


def active_ratio(pos_energy: torch.Tensor, neg_energy: torch.Tensor, margin: float = 1.0) -> float:
    """Share of pairs whose margin term is non-zero (E_neg − E_pos < margin): plan Task 2.5."""
    if pos_energy.numel() == 0:
        raise ValueError("active_ratio: no pairs")
    return float((margin_ranking_terms(pos_energy, neg_energy, margin) > 0).float().mean())
