"""Variance spectrum of an embedding matrix: covariance eigenvalues and their concentration.

Run: ``python -m burnqed.embedding_spectrum --config cfg.json`` with
``{"vectors": "emb.npy", "out_eigenvalues": "eig.npy", "out_metrics": "spectrum.json", "chunk_rows": 8192}``.

The (n, d) matrix is memory-mapped and streamed in row chunks, so n may exceed RAM; only d x d
float64 accumulators are held. Rows with any non-finite value are skipped and counted.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from burnqed.atomic_io import write_json_atomic, write_npy_atomic
from burnqed.events import EventWriter, run_job
from burnqed.strict_config import config_from_dict

N_TOP = 10


@dataclass(frozen=True)
class EmbeddingSpectrumConfig:
    vectors: str  # .npy, float16/float32/float64, shape (n, d)
    out_eigenvalues: str  # .npy, float64, shape (d,), sorted descending (not clipped)
    out_metrics: str  # .json, see `spectrum_metrics`
    chunk_rows: int = 8192
    rows: str | None = None  # optional .npy of int row indices to use (e.g. non-excluded rows); all rows when absent

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "EmbeddingSpectrumConfig":
        return config_from_dict(EmbeddingSpectrumConfig, raw, where="embedding_spectrum config")

    def validate(self) -> None:
        cfg = self
        if cfg.rows is not None and (not isinstance(cfg.rows, str) or not cfg.rows):
            raise ValueError(f"embedding_spectrum config: 'rows' must be a path or null, got {cfg.rows!r}")
        for name in ("vectors", "out_eigenvalues", "out_metrics"):
            if not isinstance(getattr(cfg, name), str) or not getattr(cfg, name):
                raise ValueError(f"embedding_spectrum config: '{name}' must be a non-empty path, got {getattr(cfg, name)!r}")
        if isinstance(cfg.chunk_rows, bool) or not isinstance(cfg.chunk_rows, int) or cfg.chunk_rows < 1:
            raise ValueError(f"embedding_spectrum config: 'chunk_rows' must be a positive integer, got {cfg.chunk_rows!r}")


def open_vectors(path: str) -> np.ndarray:
    """Memory-map the (n, d) float matrix at ``path``; errors name the file."""
    x = np.load(path, mmap_mode="r", allow_pickle=False)
    if x.ndim != 2:
        raise ValueError(f"{path}: expected a 2-d (n, d) array, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise ValueError(f"{path}: expected a float16/float32/float64 array, got dtype {x.dtype}")
    return x


def streaming_covariance(
    x: np.ndarray, chunk_rows: int, events: EventWriter | None = None, rows: np.ndarray | None = None
) -> tuple[np.ndarray, int, int]:
    """Covariance of the finite rows of ``x`` (ddof=1, as ``np.cov(x.T)``), one pass over row chunks.

    Returns (cov (d, d) float64, n_rows_used, n_rows_nonfinite). Accumulates the sum and X^T X of
    rows shifted by the first chunk's mean: covariance is shift-invariant, and the shift avoids the
    cancellation of the naive E[xx^T] - mu mu^T when the mean is large (anisotropic embeddings).
    """
    d = x.shape[1]
    n = x.shape[0] if rows is None else len(rows)
    shift: np.ndarray | None = None
    total = np.zeros(d, dtype=np.float64)  # (d,) sum of shifted rows
    gram = np.zeros((d, d), dtype=np.float64)  # (d, d) sum of shifted outer products
    n_used = 0
    n_nonfinite = 0
    for start in range(0, n, chunk_rows):
        block = x[start:start + chunk_rows] if rows is None else x[rows[start:start + chunk_rows]]
        chunk = np.asarray(block, dtype=np.float64)  # (c, d)
        finite = np.isfinite(chunk).all(axis=1)
        n_nonfinite += int((~finite).sum())
        chunk = chunk[finite]
        if len(chunk) > 0:
            if shift is None:
                shift = chunk.mean(axis=0)
            centred = chunk - shift
            total += centred.sum(axis=0)
            gram += centred.T @ centred
            n_used += len(chunk)
        if events is not None:
            events.progress(min(start + chunk_rows, n), n, unit="rows")
    if n_used < 2:
        return np.full((d, d), np.nan), n_used, n_nonfinite
    mean = total / n_used  # (d,)
    cov = (gram - n_used * np.outer(mean, mean)) / (n_used - 1)
    return (cov + cov.T) / 2, n_used, n_nonfinite  # exact symmetry for eigvalsh


def load_rows(path: str, n_rows: int) -> np.ndarray:
    """Row indices to use; errors name the file and the bad index."""
    rows = np.load(path, allow_pickle=False)
    if rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise ValueError(f"{path}: expected a 1-d integer array of row indices, got {rows.dtype} {rows.shape}")
    if len(rows) and (rows.min() < 0 or rows.max() >= n_rows):
        bad = int(rows.min()) if rows.min() < 0 else int(rows.max())
        raise ValueError(f"{path}: row index {bad} out of range for a matrix of {n_rows} rows")
    return np.sort(rows)  # sorted reads are sequential on the memory map


def spectrum_metrics(eigenvalues: np.ndarray) -> tuple[dict[str, float], dict[str, str]]:
    """Concentration of a descending eigenvalue spectrum. Tiny negative eigenvalues (round-off of a
    PSD matrix) are clipped to 0 for these ratios only. Returns (values, not_computed reasons)."""
    lam = np.clip(eigenvalues, 0.0, None)
    total = float(lam.sum())
    values: dict[str, float] = {"total_variance": total}
    not_computed: dict[str, str] = {}
    if total > 0:
        values["top1_variance_ratio"] = float(lam[0] / total)
        values["top10_variance_ratio"] = float(lam[:N_TOP].sum() / total)
        values["effective_dimension"] = float(total ** 2 / float((lam ** 2).sum()))
    else:
        for name in ("top1_variance_ratio", "top10_variance_ratio", "effective_dimension"):
            not_computed[name] = "total variance is 0 (all used rows are identical)"
    return values, not_computed


def main(raw_config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    cfg = EmbeddingSpectrumConfig.from_dict(raw_config)
    x = open_vectors(cfg.vectors)
    rows = None if cfg.rows is None else load_rows(cfg.rows, x.shape[0])
    n = x.shape[0] if rows is None else len(rows)
    d = x.shape[1]
    cov, n_used, n_nonfinite = streaming_covariance(x, cfg.chunk_rows, events, rows)
    if n_nonfinite:
        events.warning(f"{cfg.vectors}: skipped {n_nonfinite} of {n} rows with non-finite values")
    if n_used < 2:
        raise ValueError(f"{cfg.vectors}: need at least 2 rows with finite values, found {n_used} (of {n} rows)")
    eigenvalues = np.linalg.eigvalsh(cov)[::-1].copy()  # (d,) descending
    values, not_computed = spectrum_metrics(eigenvalues)
    values.update({"n_rows_used": n_used, "dim": d})
    for name in ("top1_variance_ratio", "top10_variance_ratio", "effective_dimension"):
        if name in values:
            events.metric(name, values[name], step=0)

    write_npy_atomic(cfg.out_eigenvalues, eigenvalues)
    events.artifact(os.path.abspath(cfg.out_eigenvalues), "npy", rows=d)
    metrics = {
        "kind": "embedding_spectrum",
        "values": values,
        "not_computed": not_computed,
        "details": {"n_rows_nonfinite": n_nonfinite, "n_rows_selected": n, "rows_file": cfg.rows is not None},
    }
    for note in write_json_atomic(cfg.out_metrics, metrics):
        events.warning(f"{cfg.out_metrics}: {note}")
    events.artifact(os.path.abspath(cfg.out_metrics), "json")
    return values


if __name__ == "__main__":
    run_job(main)
