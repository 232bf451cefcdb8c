"""Decoupled training of the goal-conditioned energy head on frozen embeddings (plan Task 2.4).

Run: ``python -m burnqed.train_ebm --config cfg.json`` (see :class:`TrainEbmConfig`).

Reads the state and goal embeddings (.npy), the goal index and the contrastive plan that
TypeScript computed (src/ebm/contrastive-plan.ts; row numbers, sibling groups, train/val theorem
split). Each step takes a batch of positive anchors, draws K negatives per anchor (hard ratio from
siblings, then the same theorem, then other theorems; see contrastive_plan.sample_negatives),
scores all of them against the anchor's goal and minimises InfoNCE (no temperature in the loss:
the head has it). AdamW, plan defaults lr 3e-5 and weight decay 0.01.

Events: ``loss`` every log_every_steps, ``temperature`` every temperature_every_steps (plan
Gotcha 3), ``val_loss`` / ``val_rank1`` (held-out theorems) every eval_every_steps and at each
epoch's end; warnings for skipped non-finite steps and for excluded rows.
NaN guard: a step whose loss or gradient is non-finite is skipped (counted); more than
max_nonfinite_steps in a row stops the job (a NaN ``loss`` metric, then an abort).
Resumable: a checkpoint (head, optimiser, RNG, position) is written every checkpoint_every_steps,
on SIGTERM and on stop_after_steps; a restart with the same config continues from it and ends in
the same state as an uninterrupted run.
Writes goal_conditioned_head.pt (config + state dict) and goal_conditioned_head.onnx.
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import io
import json
import math
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

import numpy as np
import torch

from burnqed.atomic_io import write_bytes_atomic, write_json_atomic
from burnqed.contrastive_plan import SplitPlan, exclude_rows, load_split, sample_negatives
from burnqed.ebm_head import PLAN_HIDDEN_DIMS, EnergyHeadConfig, GoalConditionedEnergyHead, count_parameters, head_checkpoint
from burnqed.events import EventWriter, JobAbort, JobTerminated, run_job
from burnqed.losses import info_nce_loss
from burnqed.strict_config import config_from_dict

VAL_SEED_SALT = 1_000_003  # the validation negatives are drawn once, from (seed, this)


@dataclass(frozen=True)
class TrainEbmConfig:
    states: str  # (n, d) float .npy, row i = trajectory row i
    goals: str  # (g, d) float .npy, one row per theorem
    goal_index: str  # (n,) int .npy: goal row of each state row
    plan_dir: str  # contrastive plan (contrastive_plan.py)
    out_pt: str  # goal_conditioned_head.pt
    out_onnx: str  # goal_conditioned_head.onnx
    out_summary: str  # training summary JSON
    checkpoint_path: str  # the resumable checkpoint (removed by the stage once the head is written)
    epochs: int = 20
    batch_size: int = 256  # anchors per step; each brings K negatives
    lr: float = 3e-5
    weight_decay: float = 0.01
    k_negatives: int = 3
    hard_ratio: float = 0.6
    seed: int = 0
    hidden_dims: tuple[int, ...] = PLAN_HIDDEN_DIMS
    dropout: float = 0.15
    grad_clip_norm: float = 1.0
    log_every_steps: int = 10
    temperature_every_steps: int = 50
    eval_every_steps: int = 500  # 0: only at the end of each epoch
    checkpoint_every_steps: int = 500
    max_nonfinite_steps: int = 10
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    threads: int = 0  # CPU threads for torch (0: every core)
    preload_max_gb: float = 8.0  # states smaller than this are held in (device) memory, else gathered from the memory map
    export_onnx: bool = True
    data_fingerprint: str = ""  # hash of the input files (set by the stage): a checkpoint resumes only on the same data
    # run control, not part of the recipe (excluded from the checkpoint fingerprint):
    stop_after_steps: Optional[int] = None  # save a checkpoint and stop after this global step (tests, interruption)

    RUN_CONTROL = ("stop_after_steps", "out_pt", "out_onnx", "out_summary", "checkpoint_path", "device", "threads", "preload_max_gb", "export_onnx")
    # where the data lives, not what it is (data_fingerprint says that): kept out of the fingerprint and the .pt,
    # so a run directory can move and a head's bytes do not depend on where it was trained
    INPUT_PATHS = ("states", "goals", "goal_index", "plan_dir")

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "TrainEbmConfig":
        return config_from_dict(TrainEbmConfig, raw, where="train_ebm config")

    def validate(self) -> None:
        def bad(key: str, why: str) -> None:
            raise ValueError(f"train_ebm config: '{key}' {why}, got {getattr(self, key)!r}")

        for key in ("epochs", "batch_size", "k_negatives", "log_every_steps", "temperature_every_steps", "checkpoint_every_steps", "max_nonfinite_steps"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                bad(key, "must be a positive integer")
        if not (self.lr > 0):
            bad("lr", "must be > 0")
        if not (self.weight_decay >= 0):
            bad("weight_decay", "must be >= 0")
        if not 0.0 <= self.hard_ratio <= 1.0:
            bad("hard_ratio", "must be in [0, 1]")
        if self.eval_every_steps < 0:
            bad("eval_every_steps", "must be >= 0")
        if self.stop_after_steps is not None and self.stop_after_steps < 1:
            bad("stop_after_steps", "must be a positive integer or null")

    def recipe(self) -> dict[str, Any]:
        """Everything that determines the training trajectory: the recipe and the data fingerprint (no paths, no run controls)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.RUN_CONTROL and k not in self.INPUT_PATHS}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.recipe(), sort_keys=True, default=list).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# data


class EmbeddingStore:
    """State and goal vectors plus the goal index; gathers float32 batches on the device."""

    def __init__(self, cfg: TrainEbmConfig, device: torch.device) -> None:
        states = np.load(cfg.states, mmap_mode="r", allow_pickle=False)
        goals = np.load(cfg.goals, allow_pickle=False)
        goal_index = np.load(cfg.goal_index, allow_pickle=False)
        if states.ndim != 2 or states.dtype.kind != "f":
            raise ValueError(f"{cfg.states}: expected a 2-d float array (n, d), got {states.dtype} {states.shape}")
        if goals.ndim != 2 or goals.dtype.kind != "f" or goals.shape[1] != states.shape[1]:
            raise ValueError(f"{cfg.goals}: expected a float (g, {states.shape[1]}) array matching {cfg.states}, got {goals.dtype} {goals.shape}")
        if goal_index.shape != (states.shape[0],) or goal_index.dtype.kind not in "iu":
            raise ValueError(
                f"{cfg.goal_index}: expected an integer array of {states.shape[0]} entries (one per row of {cfg.states}), got {goal_index.dtype} {goal_index.shape}"
            )
        if goal_index.size and (goal_index.min() < 0 or goal_index.max() >= goals.shape[0]):
            bad = int(np.flatnonzero((goal_index < 0) | (goal_index >= goals.shape[0]))[0])
            raise ValueError(f"{cfg.goal_index}: row {bad} points at goal row {int(goal_index[bad])}, but {cfg.goals} has {goals.shape[0]} rows (missing goal for a theorem?)")
        self.n_rows, self.d = int(states.shape[0]), int(states.shape[1])
        self.device = device
        self.goal_index = goal_index.astype(np.int64)
        preload = states.nbytes <= cfg.preload_max_gb * 2**30
        self._states_np = states
        self._states_t = torch.from_numpy(np.array(states)).to(device) if preload else None  # np.array: a writable copy
        self._goals_t = torch.from_numpy(np.array(goals)).to(device)
        self._goal_index_t = torch.from_numpy(self.goal_index).to(device)

    def usable(self, rows: np.ndarray, chunk: int = 65536) -> np.ndarray:
        """Bool per row of the matrix: True unless the state or its goal is non-finite or all zero
        (only ``rows`` are checked; the others are reported usable)."""
        keep = np.ones(self.n_rows, dtype=bool)
        goals = self._goals_t.float().cpu().numpy()
        goal_ok = np.isfinite(goals).all(axis=1) & (np.abs(goals).sum(axis=1) > 0)
        rows = np.sort(rows)
        for i in range(0, rows.shape[0], chunk):
            r = rows[i : i + chunk]
            x = np.asarray(self._states_np[r], dtype=np.float32)
            keep[r] = np.isfinite(x).all(axis=1) & (np.abs(x).sum(axis=1) > 0) & goal_ok[self.goal_index[r]]
        return keep

    def pairs(self, state_rows: np.ndarray, goal_rows_of: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_state, z_goal) float32 for state rows paired with the goals of ``goal_rows_of``
        (the anchor's goal for its negatives): shapes (m, d), (m, d)."""
        flat = state_rows.reshape(-1)
        if self._states_t is not None:
            z_state = self._states_t[torch.from_numpy(flat).to(self.device)]
        else:
            order = np.argsort(flat, kind="stable")  # sorted reads from the memory map
            x = np.empty((flat.shape[0], self.d), dtype=self._states_np.dtype)
            x[order] = self._states_np[flat[order]]
            z_state = torch.from_numpy(x).to(self.device)
        g = self._goal_index_t[torch.from_numpy(goal_rows_of.reshape(-1)).to(self.device)]
        return z_state.float(), self._goals_t[g].float()


# ---------------------------------------------------------------------------------------------
# evaluation


@torch.no_grad()
def energies_of(head: GoalConditionedEnergyHead, store: EmbeddingStore, rows: np.ndarray, goal_rows_of: np.ndarray, batch_rows: int = 8192) -> np.ndarray:
    """Eval-mode energies of state rows against the goals of ``goal_rows_of`` (same shape): float64."""
    was_training = head.training
    head.eval()
    flat, gflat = rows.reshape(-1), goal_rows_of.reshape(-1)
    out = np.empty(flat.shape[0], dtype=np.float64)
    for i in range(0, flat.shape[0], batch_rows):
        zs, zg = store.pairs(flat[i : i + batch_rows], gflat[i : i + batch_rows])
        out[i : i + batch_rows] = head.score(zs, zg).double().cpu().numpy()
    head.train(was_training)
    return out.reshape(rows.shape)


def rank1(plan: SplitPlan, energies: np.ndarray) -> tuple[float, float, int]:
    """(rank-1 accuracy, chance level, groups): share of sibling groups whose lowest-energy member
    is a positive; ``energies`` aligned with plan.group_rows. Chance = mean share of positives."""
    g = plan.n_groups
    if g == 0:
        return float("nan"), float("nan"), 0
    starts = plan.group_offsets[:-1]
    pos = plan.group_is_positive.astype(bool)
    min_pos = np.minimum.reduceat(np.where(pos, energies, np.inf), starts)
    min_neg = np.minimum.reduceat(np.where(pos, np.inf, energies), starts)
    sizes = np.diff(plan.group_offsets)
    n_pos = np.add.reduceat(pos.astype(np.float64), starts)
    return float(np.mean(min_pos < min_neg)), float(np.mean(n_pos / sizes)), g


def info_nce_of(head: GoalConditionedEnergyHead, store: EmbeddingStore, anchors: np.ndarray, negatives: np.ndarray) -> float:
    rows = np.concatenate([anchors[:, None], negatives], axis=1)  # (A, 1+K)
    goals_of = np.repeat(anchors[:, None], rows.shape[1], axis=1)
    e = torch.from_numpy(energies_of(head, store, rows, goals_of))
    return float(info_nce_loss(e[:, 0], e[:, 1:]))


# ---------------------------------------------------------------------------------------------
# checkpoints


@dataclass
class Position:
    epoch: int = 0
    step_in_epoch: int = 0  # batches of `epoch` already done
    global_step: int = 0
    loss_sum: float = 0.0  # since the last `loss` event
    loss_count: int = 0
    nonfinite_streak: int = 0
    nonfinite_total: int = 0
    last_loss: Optional[float] = None  # last `loss` event value
    train_rows: int = 0
    train_wall_s: float = 0.0


def save_checkpoint(path: str, cfg: TrainEbmConfig, head: GoalConditionedEnergyHead, opt: torch.optim.Optimizer, pos: Position) -> None:
    blob = {
        "fingerprint": cfg.fingerprint(),
        "position": dataclasses.asdict(pos),
        "head": head.state_dict(),
        "optimizer": opt.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    buf = io.BytesIO()
    torch.save(blob, buf)
    write_bytes_atomic(path, buf.getvalue())


def load_checkpoint(path: str, cfg: TrainEbmConfig, head: GoalConditionedEnergyHead, opt: torch.optim.Optimizer, events: EventWriter) -> Optional[Position]:
    if not os.path.exists(path):
        return None
    blob = torch.load(path, map_location="cpu")
    if blob.get("fingerprint") != cfg.fingerprint():
        events.warning(f"ignoring checkpoint {path}: written by another configuration (fingerprint {blob.get('fingerprint')} ≠ {cfg.fingerprint()}); starting over")
        return None
    head.load_state_dict(blob["head"])
    opt.load_state_dict(blob["optimizer"])
    torch.set_rng_state(blob["torch_rng"])
    if blob.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(blob["cuda_rng"])
    return Position(**blob["position"])


# ---------------------------------------------------------------------------------------------
# training


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def prepare_plans(cfg: TrainEbmConfig, store: EmbeddingStore, events: EventWriter) -> tuple[SplitPlan, SplitPlan, dict[str, int]]:
    """Load both splits and drop rows whose embedding (or goal) is non-finite or all zero, counting them."""
    train = load_split(cfg.plan_dir, "train", store.n_rows)
    val = load_split(cfg.plan_dir, "val", store.n_rows)
    keep = store.usable(np.concatenate([train.used_rows(), val.used_rows()]))
    n_bad = int((~keep).sum())
    counts = {"excluded_unusable_rows": n_bad}
    if n_bad:
        bad = np.flatnonzero(~keep)
        events.warning(f"{n_bad} planned rows have a non-finite or all-zero state or goal embedding in {cfg.states} / {cfg.goals} and are excluded (first rows: {bad[:10].tolist()})")
        train, val = exclude_rows(train, keep), exclude_rows(val, keep)
    if train.n_anchors == 0:
        raise ValueError(f"contrastive plan {cfg.plan_dir}: no usable training anchors (positive rows with a parent) after exclusions")
    if train.theorem_neg_rows.shape[0] == 0:
        raise ValueError(f"contrastive plan {cfg.plan_dir}: {train.n_anchors} training anchors but no negative row in the training split (the searches found no failing branch): InfoNCE has nothing to contrast; search more theorems or with a wider budget")
    if val.n_anchors and val.theorem_neg_rows.shape[0] == 0:
        events.warning(f"contrastive plan {cfg.plan_dir}: the validation split has {val.n_anchors} anchors but no negative row: no validation loss (val_loss null); rank-1 needs sibling groups ({val.n_groups})")
        val = dataclasses.replace(val, anchors=val.anchors[:0], anchor_theorem=val.anchor_theorem[:0], sibling_offsets=val.sibling_offsets[:1], sibling_rows=val.sibling_rows[:0])
    counts.update(train_anchors=train.n_anchors, val_anchors=val.n_anchors, train_groups=train.n_groups, val_groups=val.n_groups)
    return train, val, counts


def evaluate(head: GoalConditionedEnergyHead, store: EmbeddingStore, val: SplitPlan, val_negatives: np.ndarray, step: int, events: EventWriter) -> dict[str, float]:
    out: dict[str, float] = {}
    if val.n_anchors:
        out["val_loss"] = info_nce_of(head, store, val.anchors, val_negatives)
        events.metric("val_loss", out["val_loss"], step)
    if val.n_groups:
        e = energies_of(head, store, val.group_rows, val.group_rows)
        out["val_rank1"], out["val_rank1_chance"], _ = rank1(val, e)
        events.metric("val_rank1", out["val_rank1"], step)
    return out


def train(cfg: TrainEbmConfig, events: EventWriter) -> dict[str, Any]:
    """The training job. Returns the summary (also written to cfg.out_summary unless stopped early)."""
    t_start = time.monotonic()
    device = pick_device(cfg.device)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    torch.manual_seed(cfg.seed)
    store = EmbeddingStore(cfg, device)
    train_plan, val_plan, counts = prepare_plans(cfg, store, events)
    head = GoalConditionedEnergyHead(EnergyHeadConfig(d_model=store.d, hidden_dims=cfg.hidden_dims, dropout=cfg.dropout)).to(device)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ckpt_path = cfg.checkpoint_path
    pos = load_checkpoint(ckpt_path, cfg, head, opt, events)
    if pos is not None:
        events.warning(f"resuming from {ckpt_path} at step {pos.global_step} (epoch {pos.epoch}, batch {pos.step_in_epoch})")
    pos = pos or Position()
    val_negatives, _ = sample_negatives(val_plan, cfg.k_negatives, cfg.hard_ratio, np.random.default_rng([cfg.seed, VAL_SEED_SALT]))
    steps_per_epoch = math.ceil(train_plan.n_anchors / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    last_eval: dict[str, float] = {}
    tiers_total: dict[str, int] = {}
    if pos.global_step == 0:
        last_eval = evaluate(head, store, val_plan, val_negatives, 0, events)  # the untrained head: the baseline every later eval is read against
    head.train()

    def checkpoint() -> None:
        save_checkpoint(ckpt_path, cfg, head, opt, pos)
        events.artifact(ckpt_path, "checkpoint")

    with deferred_sigterm() as stop:
        while pos.epoch < cfg.epochs:
            rng = np.random.default_rng([cfg.seed, pos.epoch])
            order = rng.permutation(train_plan.n_anchors)
            negatives, tiers = sample_negatives(train_plan, cfg.k_negatives, cfg.hard_ratio, rng)
            for k, v in tiers.items():
                tiers_total[k] = tiers_total.get(k, 0) + v
            while pos.step_in_epoch < steps_per_epoch:
                if stop.requested:  # SIGTERM arrived during the last step: keep it, then stop
                    checkpoint()
                    raise JobTerminated(f"SIGTERM: checkpoint saved at step {pos.global_step}")
                if cfg.stop_after_steps is not None and pos.global_step >= cfg.stop_after_steps:
                    checkpoint()
                    return {"stopped_at_step": pos.global_step, "fingerprint": cfg.fingerprint()}
                batch = order[pos.step_in_epoch * cfg.batch_size : (pos.step_in_epoch + 1) * cfg.batch_size]
                t0 = time.monotonic()
                loss = train_step(head, opt, store, train_plan.anchors[batch], negatives[batch], cfg, pos, events)
                pos.train_wall_s += time.monotonic() - t0
                pos.step_in_epoch += 1
                pos.global_step += 1
                if loss is not None:
                    pos.loss_sum += loss
                    pos.loss_count += 1
                report_step(head, cfg, pos, total_steps, events)
                if cfg.eval_every_steps and pos.global_step % cfg.eval_every_steps == 0:
                    last_eval = evaluate(head, store, val_plan, val_negatives, pos.global_step, events)
                if pos.global_step % cfg.checkpoint_every_steps == 0:
                    checkpoint()
            pos.epoch += 1
            pos.step_in_epoch = 0
            if not (cfg.eval_every_steps and pos.global_step % cfg.eval_every_steps == 0):
                last_eval = evaluate(head, store, val_plan, val_negatives, pos.global_step, events)
    return finish(cfg, head, store, train_plan, val_plan, pos, last_eval, counts, tiers_total, t_start, events)


class _StopFlag:
    requested = False


@contextlib.contextmanager
def deferred_sigterm() -> Iterator[_StopFlag]:
    """While training, SIGTERM only sets a flag that the loop checks between steps, so the
    checkpoint it then writes is at a step boundary (a step is never half applied)."""
    flag = _StopFlag()

    def on_term(signum: int, frame: Any) -> None:
        flag.requested = True

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signal handling alone
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGTERM, previous)


def train_step(head: GoalConditionedEnergyHead, opt: torch.optim.Optimizer, store: EmbeddingStore, anchors: np.ndarray, negatives: np.ndarray, cfg: TrainEbmConfig, pos: Position, events: EventWriter) -> Optional[float]:
    """One optimiser step on a batch; returns the loss, or None when the step was skipped (non-finite)."""
    rows = np.concatenate([anchors[:, None], negatives], axis=1)  # (B, 1+K)
    goals_of = np.repeat(anchors[:, None], rows.shape[1], axis=1)  # every row is scored against the anchor's goal
    z_state, z_goal = store.pairs(rows, goals_of)  # (B·(1+K), d) each
    energies = head.score(z_state, z_goal).view(rows.shape)  # (B, 1+K)
    loss = info_nce_loss(energies[:, 0], energies[:, 1:])
    opt.zero_grad(set_to_none=True)
    finite = bool(torch.isfinite(loss))
    if finite:
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(head.parameters(), cfg.grad_clip_norm)
        finite = bool(torch.isfinite(grad_norm))
    if not finite:
        pos.nonfinite_streak += 1
        pos.nonfinite_total += 1
        opt.zero_grad(set_to_none=True)
        events.warning(f"step {pos.global_step + 1}: non-finite loss or gradient ({float(loss)}); step skipped ({pos.nonfinite_streak} in a row)")
        if pos.nonfinite_streak > cfg.max_nonfinite_steps:
            events.metric("loss", float("nan"), pos.global_step + 1)
            raise JobAbort(f"{pos.nonfinite_streak} non-finite steps in a row (limit {cfg.max_nonfinite_steps}): check the embeddings, gradient clipping and the temperature clamp")
        return None
    opt.step()
    pos.nonfinite_streak = 0
    pos.train_rows += rows.size
    return float(loss.detach())


def report_step(head: GoalConditionedEnergyHead, cfg: TrainEbmConfig, pos: Position, total_steps: int, events: EventWriter) -> None:
    step = pos.global_step
    if step % cfg.log_every_steps == 0 and pos.loss_count:
        pos.last_loss = pos.loss_sum / pos.loss_count
        events.metric("loss", pos.last_loss, step)
        pos.loss_sum, pos.loss_count = 0.0, 0
    if step % cfg.temperature_every_steps == 0:
        events.metric("temperature", float(head.temperature().detach()), step)
    if step % cfg.log_every_steps == 0 or step == total_steps:
        events.progress(step, total_steps, unit="steps", message=f"epoch {pos.epoch + 1}/{cfg.epochs}")


def finish(cfg: TrainEbmConfig, head: GoalConditionedEnergyHead, store: EmbeddingStore, train_plan: SplitPlan, val_plan: SplitPlan, pos: Position, last_eval: dict[str, float], counts: dict[str, int], tiers: dict[str, int], t_start: float, events: EventWriter) -> dict[str, Any]:
    head.eval()
    events.metric("temperature", float(head.temperature().detach()), pos.global_step)
    train_e = energies_of(head, store, train_plan.group_rows, train_plan.group_rows)
    train_rank1, train_chance, _ = rank1(train_plan, train_e)
    buf = io.BytesIO()
    torch.save(head_checkpoint(head.cpu(), {"train_config": cfg.recipe(), "fingerprint": cfg.fingerprint(), "steps": pos.global_step}), buf)
    write_bytes_atomic(cfg.out_pt, buf.getvalue())
    events.artifact(cfg.out_pt, "model")
    if cfg.export_onnx:
        from burnqed.export import export_onnx  # only needed here; keeps torch.onnx out of test imports

        export_onnx(head, cfg.out_onnx)
        events.artifact(cfg.out_onnx, "model")
    summary = {
        "kind": "ebm_training",
        "steps": pos.global_step,
        "epochs": cfg.epochs,
        "d_model": store.d,
        "head_architecture": dataclasses.asdict(head.config),  # what the A/B/C comparison checks is identical
        "parameters": count_parameters(head),
        "temperature": float(head.temperature().detach()),
        "final_train_loss": pos.last_loss,
        "val_loss": last_eval.get("val_loss"),
        "val_rank1": last_eval.get("val_rank1"),
        "val_rank1_chance": last_eval.get("val_rank1_chance"),
        "train_rank1": train_rank1,
        "train_rank1_chance": train_chance,
        "nonfinite_steps_skipped": pos.nonfinite_total,
        "negative_tiers": tiers,
        "train_rows": pos.train_rows,
        "train_rows_per_s": pos.train_rows / pos.train_wall_s if pos.train_wall_s > 0 else None,
        "wall_s": time.monotonic() - t_start,
        "fingerprint": cfg.fingerprint(),
        "config": dataclasses.asdict(cfg),
        **counts,
    }
    for note in write_json_atomic(cfg.out_summary, summary):
        events.warning(f"{cfg.out_summary}: {note}")
    events.artifact(cfg.out_summary, "json")
    return summary


def tune_malloc() -> None:
    """Keep freed weight-sized buffers in the heap instead of returning them to the OS: every step
    allocates and frees several matrix-sized temporaries (spectral norm, AdamW), and glibc's
    default mmap/munmap of each costs page faults — measured 0.19 → 0.09 s per step of the
    d=64 head on 2 cores. Best effort: glibc only."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD: its maximum on 64-bit glibc
        libc.mallopt(-1, 2**30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    tune_malloc()
    cfg = TrainEbmConfig.from_dict(config)
    summary = train(cfg, events)
    return {k: v for k, v in summary.items() if k != "config"}


if __name__ == "__main__":
    run_job(main)
