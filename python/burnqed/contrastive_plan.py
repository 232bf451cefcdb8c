"""The contrastive plan TypeScript computes (src/ebm/contrastive-plan.ts) and the trainer reads.

One directory of int64 ``.npy`` files per plan, two splits (``train``, ``val``: held-out theorems),
nine arrays each, named ``<split>_<array>.npy``. Row numbers index the state-embedding matrix.

- anchors            (A,)     positive rows with a parent (the InfoNCE positives)
- anchor_theorem     (A,)     split-local theorem id of each anchor (into theorem_neg_offsets)
- sibling_offsets    (A+1,)   CSR over sibling_rows: negative rows sharing the anchor's (run, theorem, parent)
- sibling_rows       (S,)
- theorem_neg_offsets(T+1,)   CSR over theorem_neg_rows: negative rows of each split theorem,
- theorem_neg_rows   (N,)     contiguous per theorem, so "other theorems" = everything outside one range
- group_offsets      (G+1,)   CSR over group_rows: sibling groups with both labels (rank-1 groups)
- group_rows         (R,)
- group_is_positive  (R,)     1 where the group row is labelled positive, else 0
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

import numpy as np

SPLITS = ("train", "val")


@dataclass(frozen=True)
class SplitPlan:
    anchors: np.ndarray
    anchor_theorem: np.ndarray
    sibling_offsets: np.ndarray
    sibling_rows: np.ndarray
    theorem_neg_offsets: np.ndarray
    theorem_neg_rows: np.ndarray
    group_offsets: np.ndarray
    group_rows: np.ndarray
    group_is_positive: np.ndarray

    @property
    def n_anchors(self) -> int:
        return int(self.anchors.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_offsets.shape[0] - 1)

    def used_rows(self) -> np.ndarray:
        return np.unique(np.concatenate([self.anchors, self.sibling_rows, self.theorem_neg_rows, self.group_rows]))


ARRAY_NAMES = tuple(f.name for f in fields(SplitPlan))


def plan_file(plan_dir: str, split: str, name: str) -> str:
    return os.path.join(plan_dir, f"{split}_{name}.npy")


def load_split(plan_dir: str, split: str, n_rows: int) -> SplitPlan:
    """Read and check one split: shapes, CSR offsets, row numbers in [0, n_rows). Errors name the file."""
    arrays: dict[str, np.ndarray] = {}
    for name in ARRAY_NAMES:
        path = plan_file(plan_dir, split, name)
        a = np.load(path, allow_pickle=False)
        if a.ndim != 1 or a.dtype.kind not in "iu":
            raise ValueError(f"{path}: expected a 1-d integer array, got {a.dtype} {a.shape}")
        arrays[name] = a.astype(np.int64, copy=False)
    plan = SplitPlan(**arrays)
    a = plan.n_anchors
    _check_csr(plan_dir, split, "sibling", plan.sibling_offsets, plan.sibling_rows, a)
    n_theorems = plan.theorem_neg_offsets.shape[0] - 1
    _check_csr(plan_dir, split, "theorem_neg", plan.theorem_neg_offsets, plan.theorem_neg_rows, n_theorems)
    _check_csr(plan_dir, split, "group", plan.group_offsets, plan.group_rows, None)
    if plan.anchor_theorem.shape[0] != a:
        raise ValueError(f"{plan_file(plan_dir, split, 'anchor_theorem')}: {plan.anchor_theorem.shape[0]} entries for {a} anchors")
    if a and (plan.anchor_theorem.min() < 0 or plan.anchor_theorem.max() >= n_theorems):
        raise ValueError(f"{plan_file(plan_dir, split, 'anchor_theorem')}: theorem ids outside [0, {n_theorems})")
    if plan.group_is_positive.shape[0] != plan.group_rows.shape[0]:
        raise ValueError(f"{plan_file(plan_dir, split, 'group_is_positive')}: {plan.group_is_positive.shape[0]} entries for {plan.group_rows.shape[0]} group rows")
    for name in ("anchors", "sibling_rows", "theorem_neg_rows", "group_rows"):
        r = getattr(plan, name)
        if r.size and (r.min() < 0 or r.max() >= n_rows):
            raise ValueError(f"{plan_file(plan_dir, split, name)}: row numbers outside [0, {n_rows}) (min {r.min()}, max {r.max()}): plan and embeddings disagree")
    return plan


def _check_csr(plan_dir: str, split: str, name: str, offsets: np.ndarray, rows: np.ndarray, n_segments: int | None) -> None:
    path = plan_file(plan_dir, split, f"{name}_offsets")
    if offsets.shape[0] < 1 or offsets[0] != 0 or offsets[-1] != rows.shape[0] or np.any(np.diff(offsets) < 0):
        raise ValueError(f"{path}: not CSR offsets over {rows.shape[0]} rows (first {offsets[:3].tolist()}, last {offsets[-3:].tolist()})")
    if n_segments is not None and offsets.shape[0] != n_segments + 1:
        raise ValueError(f"{path}: {offsets.shape[0]} offsets for {n_segments} segments (expected {n_segments + 1})")


def filter_csr(offsets: np.ndarray, rows: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the rows whose ``keep[row]`` is False from every segment; segments stay (maybe empty)."""
    mask = keep[rows]
    seg = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    counts = np.bincount(seg[mask], minlength=offsets.shape[0] - 1)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), rows[mask]


def exclude_rows(plan: SplitPlan, keep: np.ndarray) -> SplitPlan:
    """The plan without rows whose ``keep[row]`` is False (non-finite or all-zero embeddings):
    such anchors are dropped, pools and groups lose them; groups left without both labels go."""
    keep_anchor = keep[plan.anchors]
    off1, rows1 = filter_csr(plan.sibling_offsets, plan.sibling_rows, keep)
    seg1 = np.repeat(np.arange(plan.n_anchors), np.diff(off1))
    sib_rows = rows1[keep_anchor[seg1]]
    sib_off = np.concatenate([[0], np.cumsum(np.diff(off1)[keep_anchor])]).astype(np.int64)
    th_off, th_rows = filter_csr(plan.theorem_neg_offsets, plan.theorem_neg_rows, keep)
    g_off, g_rows = filter_csr(plan.group_offsets, plan.group_rows, keep)
    g_pos = plan.group_is_positive[keep[plan.group_rows]]
    # keep groups that still have a positive and a negative
    seg = np.repeat(np.arange(g_off.shape[0] - 1), np.diff(g_off))
    n_pos = np.bincount(seg, weights=g_pos, minlength=g_off.shape[0] - 1)
    n_all = np.diff(g_off)
    good = (n_pos >= 1) & (n_all - n_pos >= 1)
    g_row_keep = good[seg]
    g_off = np.concatenate([[0], np.cumsum(n_all[good])]).astype(np.int64)
    return replace(
        plan,
        anchors=plan.anchors[keep_anchor],
        anchor_theorem=plan.anchor_theorem[keep_anchor],
        sibling_offsets=sib_off,
        sibling_rows=sib_rows,
        theorem_neg_offsets=th_off,
        theorem_neg_rows=th_rows,
        group_offsets=g_off,
        group_rows=g_rows[g_row_keep],
        group_is_positive=g_pos[g_row_keep],
    )


def sample_negatives(plan: SplitPlan, k: int, hard_ratio: float, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, int]]:
    """K negative rows per anchor: (A, K) int64, and how many came from each tier.

    round(hard_ratio·K) hard negatives: siblings of the anchor (same run, theorem and parent),
    without replacement; when there are too few, other negatives of the same theorem, then of
    other theorems. The remaining K − n_hard are easy: negatives of other theorems (same theorem
    when the split has a single theorem with negatives).
    """
    n_hard = int(round(hard_ratio * k))
    out = np.empty((plan.n_anchors, k), dtype=np.int64)
    tiers = {"sibling": 0, "same_theorem": 0, "other_theorem": 0}
    th_off, th_rows = plan.theorem_neg_offsets, plan.theorem_neg_rows
    total = th_rows.shape[0]
    if plan.n_anchors and total == 0:
        raise ValueError("sample_negatives: the split has anchors but no negative rows")

    def other_theorems(t: int, n: int) -> np.ndarray:
        lo, hi = int(th_off[t]), int(th_off[t + 1])
        m = total - (hi - lo)
        if m <= 0:  # every negative of the split belongs to this theorem
            tiers["same_theorem"] += n
            return th_rows[rng.integers(lo, hi, size=n)]
        j = rng.integers(0, m, size=n)
        j[j >= lo] += hi - lo
        tiers["other_theorem"] += n
        return th_rows[j]

    for a in range(plan.n_anchors):
        t = int(plan.anchor_theorem[a])
        sib = plan.sibling_rows[plan.sibling_offsets[a] : plan.sibling_offsets[a + 1]]
        chosen = list(rng.choice(sib, size=min(n_hard, sib.shape[0]), replace=False)) if sib.shape[0] else []
        tiers["sibling"] += len(chosen)
        if len(chosen) < n_hard:
            same = th_rows[th_off[t] : th_off[t + 1]]
            same = same[~np.isin(same, chosen)]
            extra = rng.choice(same, size=min(n_hard - len(chosen), same.shape[0]), replace=False) if same.shape[0] else []
            tiers["same_theorem"] += len(extra)
            chosen.extend(extra)
        short = n_hard - len(chosen)
        if short > 0:
            chosen.extend(other_theorems(t, short))
        chosen.extend(other_theorems(t, k - n_hard))
        out[a] = chosen
    return out, tiers
