"""Resumable checkpoints of joint training: the LM's trainable parameters (LoRA + token rows), the
head (weights and spectral-norm vectors), the optimizer, the RNG and the position.

Files are ``<checkpoint_dir>/joint-<run fingerprint>-step<NNNNNN>.pt``, written atomically; a run
keeps its last ``keep`` files and never touches files of another fingerprint (the checkpoint a
restart came from stays). The data position is the step (the streams are pure functions of it).

Which checkpoint a run starts from (:func:`pick_start`):

1. its own latest file (same run fingerprint): an interrupted run continues;
2. else ``resume_from_checkpoint`` when given: a restart after an abort rule, from another run's
   checkpoint — its recipe must be this config's (an error names the differing keys and data files),
   and the λ change (remedy) applies from its step on;
3. else nothing: a fresh run.
"""
from __future__ import annotations

import dataclasses
import glob
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import torch

from burnqed.atomic_io import atomic_open

CHECKPOINT_FORMAT = "burnqed.joint_checkpoint/1"
NAME_RE = re.compile(r"^joint-([0-9a-f]{16})-step(\d{6,})\.pt$")


@dataclass
class LogWindow:
    """Sums since the last log event."""

    steps: int = 0
    sft_loss: float = 0.0
    infonce_loss: float = 0.0
    loss: float = 0.0
    grad_norm_lora: float = 0.0
    grad_norm_head: float = 0.0
    tokens: int = 0
    wall_s: float = 0.0


@dataclass
class JointPosition:
    step: int = 0  # optimizer steps done
    run_fingerprint: str = ""
    lambda_schedule: list[list[float]] = field(default_factory=list)  # [[from_step, λ], ...]
    restarts: list[dict[str, Any]] = field(default_factory=list)  # restarts from another run's checkpoint (remedy or not)
    window: dict[str, Any] = field(default_factory=lambda: dataclasses.asdict(LogWindow()))
    last_sft_loss: Optional[float] = None  # the last log window's means
    last_infonce_loss: Optional[float] = None
    eval_history: list[dict[str, Any]] = field(default_factory=list)
    sft_tokens: int = 0
    encode_tokens: int = 0
    groups_seen: int = 0
    train_wall_s: float = 0.0
    last_checkpoint: Optional[str] = None
    last_checkpoint_step: Optional[int] = None

    def lambda_at(self, step: int) -> float:
        value = self.lambda_schedule[0][1]
        for start, lam in self.lambda_schedule:
            if step >= start:
                value = lam
        return float(value)


def checkpoint_path(directory: str, run_fingerprint: str, step: int) -> str:
    return os.path.join(directory, f"joint-{run_fingerprint}-step{step:06d}.pt")


def run_checkpoints(directory: str, run_fingerprint: str) -> list[tuple[int, str]]:
    """(step, path) of this run's checkpoint files, by step."""
    out = []
    for path in glob.glob(os.path.join(directory, "joint-*-step*.pt")):
        m = NAME_RE.match(os.path.basename(path))
        if m and m.group(1) == run_fingerprint:
            out.append((int(m.group(2)), path))
    return sorted(out)


def rng_state(device: torch.device) -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def save_checkpoint(directory: str, keep: int, header: Mapping[str, Any], lm_named: Sequence[tuple[str, torch.nn.Parameter]], head: torch.nn.Module, opt: torch.optim.Optimizer, pos: JointPosition, device: torch.device) -> str:
    """Write this step's checkpoint, then drop this run's files beyond the last ``keep``."""
    path = checkpoint_path(directory, pos.run_fingerprint, pos.step)
    pos.last_checkpoint, pos.last_checkpoint_step = path, pos.step
    blob = {
        "format": CHECKPOINT_FORMAT,
        **header,
        "position": dataclasses.asdict(pos),
        "lm_trainable": {n: p.detach().cpu() for n, p in lm_named},
        "head": {k: v.detach().cpu() for k, v in head.state_dict().items()},
        "optimizer": opt.state_dict(),
        "rng": rng_state(device),
    }
    with atomic_open(path) as f:
        torch.save(blob, f)
    for _, old in run_checkpoints(directory, pos.run_fingerprint)[:-keep]:
        if old != path:
            os.unlink(old)
    return path


def read_checkpoint(path: str) -> dict[str, Any]:
    from burnqed.sft import _torch_load

    if not os.path.exists(path):
        raise FileNotFoundError(f"joint checkpoint {path} does not exist")
    blob = _torch_load(path)
    if not isinstance(blob, dict) or blob.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a {CHECKPOINT_FORMAT} file (format {blob.get('format') if isinstance(blob, dict) else type(blob).__name__})")
    return blob


def recipe_differences(theirs: Mapping[str, Any], mine: Mapping[str, Any]) -> list[str]:
    return [f"'{k}': checkpoint {theirs.get(k)!r}, config {mine.get(k)!r}" for k in sorted(set(theirs) | set(mine)) if theirs.get(k) != mine.get(k)]


def check_compatible(blob: Mapping[str, Any], path: str, base_fp: str, recipe: Mapping[str, Any], hashes: Mapping[str, str], model: str) -> None:
    """A checkpoint of another run may be resumed only under the same recipe, data and base model."""
    if blob.get("base_fingerprint") == base_fp:
        return
    diffs = recipe_differences(blob.get("recipe", {}), recipe)
    diffs += [f"input '{k}' has other content (sha256 {str(v)[:12]}… in the checkpoint, {str(hashes.get(k))[:12]}… now)" for k, v in dict(blob.get("data", {})).items() if hashes.get(k) != v]
    if blob.get("model") != model:
        diffs.append(f"'model_dir': checkpoint {blob.get('model')!r}, config {model!r}")
    hint = " (to change λ on a restart use 'remedy' or 'lambda_override', not 'lambda_ebm')" if any(d.startswith("'lambda_ebm'") for d in diffs) else ""
    raise ValueError(f"resume_from_checkpoint {path}: written for another recipe, data or model: {'; '.join(diffs) or 'fingerprints differ'}{hint}")


def restore(blob: Mapping[str, Any], path: str, lm_named: Sequence[tuple[str, torch.nn.Parameter]], head: torch.nn.Module, opt: torch.optim.Optimizer, device: torch.device) -> JointPosition:
    saved = blob["lm_trainable"]
    names = [n for n, _ in lm_named]
    if sorted(saved) != sorted(names):
        missing, extra = sorted(set(names) - set(saved))[:5], sorted(set(saved) - set(names))[:5]
        raise ValueError(f"checkpoint {path}: trainable LM parameters differ from the model's (missing {missing}, unexpected {extra})")
    with torch.no_grad():
        for n, p in lm_named:
            if tuple(saved[n].shape) != tuple(p.shape):
                raise ValueError(f"checkpoint {path}: parameter {n} has shape {tuple(saved[n].shape)}, the model's is {tuple(p.shape)}")
            p.copy_(saved[n].to(p.device, p.dtype))
    head.load_state_dict(blob["head"])
    opt.load_state_dict(blob["optimizer"])
    torch.set_rng_state(blob["rng"]["torch"])
    if blob["rng"].get("cuda") is not None and device.type == "cuda":
        torch.cuda.set_rng_state(blob["rng"]["cuda"], device)
    return JointPosition(**blob["position"])
