"""The plan's own metric code (Task 2.2 `compute_embedding_baselines`, Task 2.5 rank-1 and energy
gap), transcribed from pandas to plain numpy arrays (Debian's python3 has no pandas), as the
reference the TypeScript metrics are checked against (test/metrics/plan-cross-check.test.ts) and
timed against (bench/metrics-suite.ts).

Run: ``python3 python/tests/plan_reference.py --table T.jsonl --vectors V.npy [--energies E.npy]
--seed 0 --out ref.json``. The table is JSON Lines with theorem_name, state_id, parent_state_id,
depth_from_root, label, state_pp (optional run_id).

Deviations from the plan's text, each a fix of a bug or an unspecified choice:
- sibling groups are keyed by (run_id, theorem_name, parent_state_id), not parent_state_id alone
  (state ids restart per theorem, so the plan's key merges unrelated trees);
- `embeddings_df` holds the rows with a usable embedding (finite, not all zeros), the same rows the
  TypeScript stage uses; the plan's `depth` column is `depth_from_root`;
- silhouette_score gets `random_state=seed` (the plan leaves the sample unseeded);
- `ebm_model.score(rows)` is a lookup of the given energies; the depth buckets' (4, 99) is 4+.
Everything else (np.cov, eigvalsh, pdist, LogisticRegression(max_iter=1000) with cross_val_score
cv=5, silhouette_score with sample_size=min(2000, n)) is the plan's code.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from typing import Any

import numpy as np
from scipy.spatial.distance import pdist
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import cross_val_score


class Frame:
    """The few DataFrame operations the plan uses, over aligned numpy columns."""

    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        self.cols = cols

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.cols[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __len__(self) -> int:
        return len(self.cols["label"])

    def where(self, mask: np.ndarray) -> "Frame":
        return Frame({k: v[mask] for k, v in self.cols.items()})

    def groupby(self, keys: list[str]) -> list["Frame"]:
        """Groups in order of first appearance; rows with a null key are dropped (pandas' dropna)."""
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i in range(len(self)):
            key = tuple(self.cols[k][i] for k in keys)
            if any(v is None for v in key):
                continue
            groups[key].append(i)
        return [self.where(np.array(rows)) for rows in groups.values()]


def load_frame(table_path: str, vectors_path: str, energies_path: str | None) -> tuple[Frame, np.ndarray, dict[str, int]]:
    """All table rows, the mask of rows with a usable embedding, and the excluded counts."""
    rows = [json.loads(line) for line in open(table_path, encoding="utf-8") if line.strip()]
    emb = np.load(vectors_path)  # (n, d) float32
    if emb.ndim != 2 or emb.shape[0] != len(rows):
        raise ValueError(f"{vectors_path}: shape {emb.shape} does not match {len(rows)} table rows")
    finite = np.isfinite(emb).all(axis=1)
    nonzero = (emb != 0).any(axis=1)
    usable = finite & nonzero
    cols: dict[str, np.ndarray] = {
        "embedding": emb,
        "theorem_name": np.array([r["theorem_name"] for r in rows], dtype=object),
        "run_id": np.array([r.get("run_id", "") for r in rows], dtype=object),
        "parent_state_id": np.array([r.get("parent_state_id") for r in rows], dtype=object),
        "depth": np.array([r["depth_from_root"] for r in rows], dtype=np.int64),
        "label": np.array([r["label"] for r in rows], dtype=object),
        "state_pp": np.array([r["state_pp"] for r in rows], dtype=object),
    }
    if energies_path is not None:
        cols["energy"] = np.load(energies_path).reshape(-1).astype(np.float64)
    counts = {"non_finite": int((~finite).sum()), "all_zero": int((finite & ~nonzero).sum())}
    return Frame(cols), usable, counts


def compute_embedding_baselines(embeddings_df: Frame, seed: int, timings: dict[str, float]) -> dict[str, float]:
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    pos = embeddings_df.where(embeddings_df.label == "positive")
    neg = embeddings_df.where(embeddings_df.label == "negative")

    metrics: dict[str, float] = {}

    # 1. Centroid L2
    centroid_pos = pos.embedding.mean(axis=0)
    centroid_neg = neg.embedding.mean(axis=0)
    metrics["centroid_l2"] = float(np.linalg.norm(centroid_pos - centroid_neg))
    lap("centroid")

    # 2. Linear probe accuracy
    X = np.vstack([pos.embedding, neg.embedding])
    y = np.array([1] * len(pos) + [0] * len(neg))
    clf = LogisticRegression(max_iter=1000)
    metrics["linear_probe_acc"] = float(cross_val_score(clf, X, y, cv=5).mean())
    del X
    lap("linear_probe")

    # 3. Norm gap
    metrics["norm_gap"] = float(np.linalg.norm(pos.embedding, axis=1).mean() - np.linalg.norm(neg.embedding, axis=1).mean())
    lap("norm_gap")

    # 4. Sibling L2 distribution (key fixed: state ids restart per theorem)
    sibling_l2s: list[float] = []
    for group in embeddings_df.groupby(["run_id", "theorem_name", "parent_state_id"]):
        if len(group) < 2:
            continue
        embs = np.vstack(group.embedding)
        dists = pdist(embs)
        sibling_l2s.extend(dists)
    metrics["sibling_l2_mean"] = float(np.mean(sibling_l2s))
    metrics["sibling_l2_median"] = float(np.median(sibling_l2s))
    metrics["sibling_collision_rate"] = float(np.mean(np.array(sibling_l2s) < 1.0))
    lap("siblings")

    # 5. Embedding variance spectrum
    all_embs = np.vstack(embeddings_df.embedding)
    cov = np.cov(all_embs.T)
    del all_embs
    eigenvalues = np.linalg.eigvalsh(cov)[::-1]
    total_var = eigenvalues.sum()
    metrics["top1_variance_ratio"] = float(eigenvalues[0] / total_var)
    metrics["top10_variance_ratio"] = float(eigenvalues[:10].sum() / total_var)
    metrics["effective_dimension"] = float((eigenvalues.sum()) ** 2 / (eigenvalues ** 2).sum())
    lap("spectrum")

    # 6. Depth-stratified clustering
    for depth_range, label in [((0, 1), "shallow"), ((2, 3), "mid"), ((4, 99), "deep")]:
        subset = embeddings_df.where(
            (embeddings_df.depth >= depth_range[0]) & (embeddings_df.depth <= depth_range[1]) & (embeddings_df.label != "unknown")
        )
        if len(subset) > 100:
            labels = (subset.label == "positive").astype(int)
            score = silhouette_score(
                np.vstack(subset.embedding), labels, sample_size=min(2000, len(subset)), random_state=seed
            )
            metrics[f"silhouette_{label}"] = float(score)
    lap("silhouette")

    # 7. Dual-label rate
    state_labels: dict[str, set[str]] = defaultdict(set)
    for text, lab in zip(embeddings_df.state_pp, embeddings_df.label):
        if text != "" and lab != "unknown":
            state_labels[text].add(lab)
    dual = sum(1 for s in state_labels.values() if len(s) > 1)
    metrics["dual_label_states"] = float(dual)
    metrics["dual_label_rate"] = float(dual / len(state_labels))
    lap("dual_label")
    return metrics


def compute_rank1(val_trajectories: Frame) -> float | None:
    correct, total = 0, 0
    for siblings in val_trajectories.groupby(["run_id", "theorem_name", "parent_state_id"]):
        if len(siblings) < 2 or len(set(siblings.label)) < 2:
            continue
        energies = siblings.energy
        if siblings.label[energies.argmin()] == "positive":
            correct += 1
        total += 1
    return correct / total if total else None


def compute_ebm_baselines(val_trajectories: Frame) -> dict[str, float]:
    val_trajectories = val_trajectories.where(np.isfinite(val_trajectories.energy) & (val_trajectories.label != "unknown"))
    metrics: dict[str, float] = {}
    r = compute_rank1(val_trajectories)
    if r is not None:
        metrics["rank1_accuracy"] = r
    for depth_lo, depth_hi, label in [(0, 1, "d0_1"), (2, 3, "d2_3"), (4, 99, "d4+")]:
        subset = val_trajectories.where((val_trajectories.depth >= depth_lo) & (val_trajectories.depth <= depth_hi))
        r = compute_rank1(subset)
        if r is not None:
            metrics[f"rank1_{label}"] = r
    pos_energy = val_trajectories.where(val_trajectories.label == "positive").energy
    neg_energy = val_trajectories.where(val_trajectories.label == "negative").energy
    metrics["energy_gap"] = float(neg_energy.mean() - pos_energy.mean())
    metrics["energy_std_pos"] = float(pos_energy.std())
    metrics["energy_std_neg"] = float(neg_energy.std())
    return metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--energies")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: embedding,ebm")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    frame, usable, counts = load_frame(args.table, args.vectors, args.energies)
    df = frame.where(usable)  # embeddings_df
    timings: dict[str, float] = {"load": time.perf_counter() - t0}
    out: dict[str, Any] = {"excluded": counts, "timings_s": timings}
    skip = set(filter(None, args.skip.split(",")))
    t1 = time.perf_counter()
    if "embedding" not in skip:
        out["embedding"] = compute_embedding_baselines(df, args.seed, timings)
    timings["embedding_total"] = time.perf_counter() - t1
    if args.energies is not None and "ebm" not in skip:
        t2 = time.perf_counter()
        # the EBM metrics run over every trajectory row with an energy, usable embedding or not
        out["ebm"] = compute_ebm_baselines(frame)
        timings["ebm_total"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    try:
        from threadpoolctl import threadpool_info

        out["blas"] = [{k: v for k, v in i.items() if k in ("internal_api", "architecture", "num_threads", "version")} for i in threadpool_info()]
    except ImportError:
        out["blas"] = None
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
