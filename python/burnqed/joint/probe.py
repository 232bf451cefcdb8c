"""The separation probe of joint-training monitoring (plan Task 3.4), on held-out state embeddings.

- ``centroid_l2``: ‖mean(z | positive) − mean(z | negative)‖₂ of the raw embeddings, the
  definition of src/metrics/embedding-metrics.ts (the abort rule's threshold 3.0 is on this scale).
- ``linear_probe_acc``: the plan's ``cross_val_score(LogisticRegression(max_iter=1000), X, y,
  cv=5)``: scikit-learn's objective Σ log(1 + e^{z}) − y·z + ‖w‖²/(2C) (intercept unpenalised),
  minimised by L-BFGS (memory 10, max-gradient tolerance 1e-4) on each of scikit-learn's
  StratifiedKFold(5) folds, mean test accuracy. It is a monitoring estimate with the TS metric's
  objective and folds, not its bit-exact optimiser; the Phase-2/4.3 metrics stay the TS ones.
- ``linear_probe_base_rate``: the majority share (what predicting one class scores).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch


def centroid_l2(z: torch.Tensor, positive: torch.Tensor) -> float:
    """(N, H) embeddings and (N,) bool labels; NaN when a class is empty."""
    pos = positive.bool()
    if not pos.any() or pos.all():
        return float("nan")
    x = z.double()
    return float((x[pos].mean(dim=0) - x[~pos].mean(dim=0)).norm())


def stratified_folds(y: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold of each row, as scikit-learn's StratifiedKFold(n_folds, shuffle=False) assigns them."""
    classes, y_enc = np.unique(y, return_inverse=True)
    y_order = np.sort(y_enc)
    allocation = np.asarray([np.bincount(y_order[i::n_folds], minlength=len(classes)) for i in range(n_folds)])
    folds = np.empty(len(y), dtype=np.int64)
    for k in range(len(classes)):
        folds[y_enc == k] = np.arange(n_folds).repeat(allocation[:, k])
    return folds


def fit_logistic(x: torch.Tensor, y: torch.Tensor, c: float, max_iter: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(w, b) minimising Σ softplus(xw + b) − y(xw + b) + ‖w‖²/(2C); float64 L-BFGS."""
    w = torch.zeros(x.shape[1], dtype=torch.float64, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, device=x.device, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, history_size=10, tolerance_grad=1e-4, tolerance_change=1e-12, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        z = x @ w + b
        loss = (torch.nn.functional.softplus(z) - y * z).sum() + (w @ w) / (2 * c)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach(), b.detach()


@dataclass(frozen=True)
class ProbeResult:
    accuracy: float
    base_rate: float
    n_rows: int
    n_positive: int


def linear_probe(z: torch.Tensor, positive: torch.Tensor, folds: int = 5, c: float = 1.0, max_iter: int = 1000) -> Optional[ProbeResult]:
    """Mean held-out accuracy over stratified folds; None when a class has fewer rows than folds."""
    y_np = positive.bool().cpu().numpy()
    n_pos = int(y_np.sum())
    if n_pos < folds or len(y_np) - n_pos < folds:
        return None
    x = z.double()
    y = positive.to(device=x.device, dtype=torch.float64)
    fold = torch.from_numpy(stratified_folds(y_np.astype(np.int64), folds)).to(x.device)
    correct = []
    for f in range(folds):
        test = fold == f
        w, b = fit_logistic(x[~test], y[~test], c, max_iter)
        pred = (x[test] @ w + b) > 0
        correct.append(float((pred == y[test].bool()).double().mean()))
    share = n_pos / len(y_np)
    return ProbeResult(accuracy=float(np.mean(correct)), base_rate=max(share, 1.0 - share), n_rows=len(y_np), n_positive=n_pos)


def collapse(z: torch.Tensor, factor: float = 1e-3) -> torch.Tensor:
    """debug_force.collapse_centroids: every embedding pulled to ``factor`` of its distance from
    the mean (centroid_l2 shrinks by the same factor)."""
    mean = z.mean(dim=0, keepdim=True)
    return mean + factor * (z - mean)
