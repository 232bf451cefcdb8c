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


@dataclass(frozen=True)
class TsneConfig:
    points: str  # .npy, (n, k) float, e.g. PCA-50 scores
    out: str  # .npy, (n, 2) float32
    seed: int = 0
    perplexity: float = 30.0  # lowered to (n - 1) / 3 for tiny n, as t-SNE requires perplexity < n
    n_iter: int = 1000

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "TsneConfig":
        fields = {f.name: f for f in dataclasses.fields(TsneConfig)}
        for key in raw:
            if key not in fields:
                raise ValueError(f"tsne config: unknown key '{key}' (known: {', '.join(fields)})")
        for name, f in fields.items():
            if f.default is dataclasses.MISSING and name not in raw:
                raise ValueError(f"tsne config: missing key '{name}'")
        cfg = TsneConfig(**raw)
        if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed < 2**32:
            raise ValueError(f"tsne config: 'seed' must be an integer in [0, 2^32), got {cfg.seed!r}")
        if not isinstance(cfg.perplexity, (int, float)) or cfg.perplexity <= 0:
            raise ValueError(f"tsne config: 'perplexity' must be positive, got {cfg.perplexity!r}")
        if isinstance(cfg.n_iter, bool) or not isinstance(cfg.n_iter, int) or cfg.n_iter < 250:
            raise ValueError(f"tsne config: 'n_iter' must be an integer >= 250 (scikit-learn's minimum), got {cfg.n_iter!r}")
        return cfg


def tsne_2d(points: np.ndarray, seed: int, perplexity: float = 30.0, n_iter: int = 1000) -> np.ndarray:
    """(n, k) -> (n, 2) float32."""
    from sklearn.manifold import TSNE

    n = points.shape[0]
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {n}")
    tsne = TSNE(
        n_components=2,
        perplexity=min(perplexity, (n - 1) / 3),
        init="pca",
        learning_rate="auto",
        n_iter=n_iter,
        random_state=seed,
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
    out = tsne_2d(points, cfg.seed, cfg.perplexity, cfg.n_iter)
    write_npy_atomic(cfg.out, out)
    events.progress(1, 1, unit="embedding")
    events.artifact(os.path.abspath(cfg.out), "npy", rows=out.shape[0])
    return {"n_points": int(out.shape[0])}


if __name__ == "__main__":
    run_job(main)
