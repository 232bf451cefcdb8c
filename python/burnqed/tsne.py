"""Barnes-Hut t-SNE of a point set to 2-D (plan Task 2.3 plots), scikit-learn's implementation.

Run: ``python -m burnqed.tsne --config cfg.json`` with ``{"points": "pca50.npy", "out": "tsne.npy",
"seed": 0}``. The TypeScript side samples the rows and reduces them with PCA first; this job only
embeds. tsne-js needs ~31 min for 2K points; scikit-learn's Barnes-Hut does 5K points in ~13 s and
is deterministic for a given random_state.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from burnqed.atomic_io import write_npy_atomic
from burnqed.events import EventWriter, run_job
from burnqed.strict_config import config_from_dict


@dataclass(frozen=True)
class TsneConfig:
    points: str  # .npy, (n, k) float, e.g. PCA-50 scores
    out: str  # .npy, (n, 2) float32
    seed: int = 0
    perplexity: float = 30.0  # lowered to (n - 1) / 3 for tiny n, as t-SNE requires perplexity < n
    max_iter: int = 1000  # scikit-learn's n_iter before 1.5 (removed in 1.7)

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "TsneConfig":
        return config_from_dict(TsneConfig, raw, where="tsne config")

    def validate(self) -> None:
        cfg = self
        if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed < 2**32:
            raise ValueError(f"tsne config: 'seed' must be an integer in [0, 2^32), got {cfg.seed!r}")
        if not isinstance(cfg.perplexity, (int, float)) or cfg.perplexity <= 0:
            raise ValueError(f"tsne config: 'perplexity' must be positive, got {cfg.perplexity!r}")
        if isinstance(cfg.max_iter, bool) or not isinstance(cfg.max_iter, int) or cfg.max_iter < 250:
            raise ValueError(f"tsne config: 'max_iter' must be an integer >= 250 (scikit-learn's minimum), got {cfg.max_iter!r}")


def tsne_2d(points: np.ndarray, seed: int, perplexity: float = 30.0, max_iter: int = 1000) -> np.ndarray:
    """(n, k) -> (n, 2) float32."""
    import inspect

    from sklearn.manifold import TSNE

    n = points.shape[0]
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {n}")
    # scikit-learn renamed n_iter to max_iter in 1.5 and removed n_iter in 1.7
    iters = {"max_iter": max_iter} if "max_iter" in inspect.signature(TSNE.__init__).parameters else {"n_iter": max_iter}
    tsne = TSNE(
        n_components=2,
        perplexity=min(perplexity, (n - 1) / 3),
        init="pca",
        learning_rate="auto",
        random_state=seed,
        **iters,
    )
    return tsne.fit_transform(points.astype(np.float32)).astype(np.float32)  # (n, 2)


def main(raw_config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    cfg = TsneConfig.from_dict(raw_config)
    points = np.load(cfg.points, allow_pickle=False)
    if points.ndim != 2 or points.dtype.kind != "f":
        raise ValueError(f"{cfg.points}: expected a 2-d float array, got {points.dtype} {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"{cfg.points}: non-finite values in rows {np.where(~np.isfinite(points).all(axis=1))[0][:5].tolist()}")
    events.progress(0, 1, unit="embedding", message=f"t-SNE of {points.shape[0]} points in {points.shape[1]}-d")
    out = tsne_2d(points, cfg.seed, cfg.perplexity, cfg.max_iter)
    write_npy_atomic(cfg.out, out)
    events.progress(1, 1, unit="embedding")
    events.artifact(os.path.abspath(cfg.out), "npy", rows=out.shape[0])
    return {"n_points": int(out.shape[0])}


if __name__ == "__main__":
    run_job(main)
