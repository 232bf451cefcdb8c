"""A tiny planted world for trainer tests: theorems with sibling groups of one positive and three
negatives; positives are shifted by +shift·u, negatives by −shift·u, so E can learn the sign of
⟨z, u⟩. Writes the embeddings, goal index and a contrastive plan in the format TypeScript writes."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from burnqed.contrastive_plan import ARRAY_NAMES, plan_file


def planted_world(root: str, d: int = 8, n_train: int = 12, n_val: int = 6, groups: int = 4, shift: float = 5.0, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    states: list[np.ndarray] = []
    goal_index: list[int] = []
    goals = rng.normal(size=(n_train + n_val, d)).astype(np.float32)
    splits: dict[str, dict[str, list[int]]] = {s: {k: [] for k in ARRAY_NAMES} for s in ("train", "val")}
    for s in splits.values():
        s["sibling_offsets"].append(0)
        s["theorem_neg_offsets"].append(0)
        s["group_offsets"].append(0)
    for t in range(n_train + n_val):
        split = splits["train" if t < n_train else "val"]
        local_t = t if t < n_train else t - n_train
        theorem_negs: list[int] = []
        for _ in range(groups):
            rows = []
            for label in (1, 0, 0, 0):
                x = goals[t] * 0.3 + rng.normal(size=d) + (shift if label else -shift) * u
                rows.append((len(states), label))
                states.append(x.astype(np.float32))
                goal_index.append(t)
            pos = rows[0][0]
            negs = [r for r, _ in rows[1:]]
            split["anchors"].append(pos)
            split["anchor_theorem"].append(local_t)
            split["sibling_rows"].extend(negs)
            split["sibling_offsets"].append(len(split["sibling_rows"]))
            split["group_rows"].extend(r for r, _ in rows)
            split["group_is_positive"].extend(l for _, l in rows)
            split["group_offsets"].append(len(split["group_rows"]))
            theorem_negs.extend(negs)
        split["theorem_neg_rows"].extend(theorem_negs)
        split["theorem_neg_offsets"].append(len(split["theorem_neg_rows"]))
    os.makedirs(os.path.join(root, "plan"), exist_ok=True)
    paths = {
        "states": os.path.join(root, "states.npy"),
        "goals": os.path.join(root, "goals.npy"),
        "goal_index": os.path.join(root, "goal_index.npy"),
        "plan_dir": os.path.join(root, "plan"),
    }
    np.save(paths["states"], np.stack(states))
    np.save(paths["goals"], goals)
    np.save(paths["goal_index"], np.array(goal_index, dtype=np.int32))
    for split_name, arrays in splits.items():
        for name, values in arrays.items():
            np.save(plan_file(paths["plan_dir"], split_name, name), np.array(values, dtype=np.int64))
    return paths


def train_config(root: str, paths: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        **paths,
        "out_pt": os.path.join(root, "out", "head.pt"),
        "out_onnx": os.path.join(root, "out", "head.onnx"),
        "out_summary": os.path.join(root, "out", "summary.json"),
        "checkpoint_path": os.path.join(root, "ckpt", "train_ebm_checkpoint.pt"),
        "hidden_dims": [64, 32, 16],  # small for speed; the architecture is tested at plan size in test_ebm_head
        "epochs": 6,
        "batch_size": 8,
        "lr": 1e-2,
        "log_every_steps": 3,
        "temperature_every_steps": 3,
        "checkpoint_every_steps": 1000,
        "export_onnx": False,
        "threads": 1,
    }
    cfg.update(overrides)
    return cfg
