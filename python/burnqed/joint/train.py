"""Joint SFT + InfoNCE training of iter_1 (plan Tasks 3.4, 4.1, 4.2).

Run: ``python -m burnqed.joint.train --config cfg.json`` (:class:`burnqed.joint.config.JointConfig`;
the TypeScript runner: ``runJob({ job: "joint_train", module: "burnqed.joint.train", ... })``).
One process, one GPU.

Each optimizer step (:func:`joint_step`):

1. SFT: the step's examples of the SFT stream, packed into rows by the SFT job's code
   (sft_schedule.rank_rows, sft.prepare_batch) and scored by sft.completion_ce_sum; each row
   micro-batch back-propagates its summed CE / the step's completion tokens;
2. contrastive: the step's groups (positive, K = 3 negatives, root goal), a few per micro-batch,
   energies through the live LoRA encoder (grad through the positive and one hard negative, the
   rest under no_grad; joint/losses.py) and the head; each micro-batch back-propagates
   λ · its InfoNCE share;
3. each side's gradient clipped as its decoupled trainer clips it (LoRA 1.0, head 1.0), the norms
   reported; a non-finite loss or norm stops the job before the optimizer step (NaN metric, then
   ``abort``), the last checkpoint untouched;
4. AdamW, two parameter groups: LoRA (and the marker token rows) at lr_lora 2e-5, the head at
   lr_head 3e-5, both with 300 warmup steps then linear decay (sft_schedule.lr_at: a pure function
   of the step).

Events (the names src/jobs/abort-rules.ts TASK_4_1_ABORT_RULES watch are starred):

- every log_every_steps: ``sft_loss``*, ``infonce_loss``, ``loss`` (= sft + λ·infonce),
  ``lambda_ebm``, ``lr_lora``, ``lr_head``, ``grad_norm_lora``, ``grad_norm_head`` (window means;
  norms before clipping), ``tokens_per_s`` (SFT + encoded tokens), ``peak_mem_mb`` (CUDA);
- every temperature_every_steps and at step 0: ``temperature``*;
- every eval_every_steps, at step 0 and after the last step, on the held-out theorems:
  ``centroid_l2``*, ``linear_probe_acc``, ``linear_probe_base_rate``, ``ebm_rank1``*,
  ``ebm_rank1_chance``, ``val_infonce_loss``, ``val_sft_loss``;
- progress, artifacts (checkpoints, head .pt/.onnx, adapter, merged model, summary), warnings.

Step numbers are optimizer steps done (0 = before training); a NaN metric carries the failing
step's number. At a step that both checkpoints and evaluates, the checkpoint is written first, so
the checkpoint a restart uses is complete before the metric that stops the job is emitted.

The job does not enforce the abort rules: the runner does, and stops the job with SIGTERM, which
this job turns into a checkpoint at the next step boundary (exit 143). Restart semantics
(``resume_from_checkpoint``, ``remedy``, ``lambda_override``): joint/config.py and checkpoint.py.
"""
from __future__ import annotations

import dataclasses
import functools
import gc
import math
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import torch

from burnqed.atomic_io import write_json_atomic
from burnqed.code_version import code_version
from burnqed.embed import length_grouped_batches
from burnqed.events import EventWriter, JobAbort, JobTerminated, run_job
from burnqed.joint.checkpoint import JointPosition, LogWindow, check_compatible, checkpoint_path, read_checkpoint, restore, run_checkpoints, save_checkpoint
from burnqed.joint.config import ENERGY_ENCODINGS, REMEDIES, JointConfig, base_fingerprint, data_hashes, restart_fingerprint
from burnqed.joint.dataset import EvalSet, GroupTokens, JointDataset, TokenStore, load_joint_dataset, make_eval_set, subset_groups, chosen
from burnqed.joint.losses import Encode, group_energies, group_infonce, joint_loss
from burnqed.joint.model import JointProver, ProverBuild, assert_same, build_hf_prover, check_against_iter0, read_iter0_reference
from burnqed.joint.probe import centroid_l2, collapse, linear_probe
from burnqed.sft import Dist, StepContext, completion_ce_sum, enable_flex, evaluate as sft_evaluate, load_examples, peak_memory_mb, prepare_batch, resolve_attention, resolve_pad_multiple
from burnqed.sft_data import SftExample
from burnqed.sft_schedule import lr_at, micro_batches, rank_rows
from burnqed.train_ebm import deferred_sigterm, pick_device, rank1

TRAIN_RANK1_SALT = 105


# ---------------------------------------------------------------------------------------------
# one step


@dataclass(frozen=True)
class StepResult:
    sft_loss: float  # the step's summed completion CE / its completion tokens
    infonce_loss: float  # mean over the step's groups
    grad_norm_lora: float  # before clipping
    grad_norm_head: float
    sft_tokens: int  # real SFT tokens (padding excluded)
    encode_tokens: int  # tokens of every encoded state and goal
    n_groups: int


def clip(params: Sequence[torch.nn.Parameter], max_norm: float) -> float:
    return float(torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf")))


def sft_backward(prover: JointProver, examples: Sequence[SftExample], ctx: StepContext, poison: bool = False) -> tuple[float, int]:
    """Back-propagate the SFT half of a step; returns (mean completion CE, real tokens)."""
    lengths = [len(e) for e in examples]
    n_completion = sum(e.n_completion_tokens for e in examples)
    rows = rank_rows(list(range(len(examples))), lengths, 1, 0, ctx.max_tokens_per_row, ctx.packed)
    ce_total, tokens = 0.0, 0
    for mb in micro_batches(rows, ctx.rows_per_micro_batch):
        batch, real, _ = prepare_batch([[examples[i] for i in row] for row in mb], ctx)
        ce = completion_ce_sum(prover.lm, batch, ctx)
        if poison:  # debug_force.nan_at_step
            ce = ce * float("nan")
        (ce / n_completion).backward()  # this micro-batch's share of the step's mean CE
        ce_total += float(ce.detach())
        tokens += real
    return ce_total / n_completion, tokens


def energy_encoder(prover: JointProver, energy_encode: str, ctx: StepContext) -> Optional[Encode]:
    """The training step's encoder for ``energy_encode`` (JointConfig): packed rows or padded batches."""
    if energy_encode == "packed":
        return functools.partial(prover.encode_packed, ctx=ctx)
    if energy_encode == "padded":
        return prover.encode
    raise ValueError(f"energy_encode must be one of {ENERGY_ENCODINGS}, got {energy_encode!r}")


def contrastive_backward(prover: JointProver, tokens: GroupTokens, lambda_ebm: float, groups_per_micro_batch: int, n_grad_negatives: int, goal_grad: bool, encode: Optional[Encode] = None) -> float:
    """Back-propagate λ · the step's mean InfoNCE, a few groups at a time; returns the mean InfoNCE."""
    g = len(tokens)
    total = 0.0
    for start in range(0, g, groups_per_micro_batch):
        part = tokens.take(slice(start, start + groups_per_micro_batch))
        loss = group_infonce(group_energies(prover, part, n_grad_negatives, goal_grad, encode))
        (loss * (lambda_ebm * len(part) / g)).backward()
        total += float(loss.detach()) * len(part)
    return total / g


def step_backward(prover: JointProver, examples: Sequence[SftExample], tokens: GroupTokens, lambda_ebm: float, cfg: Any, ctx: StepContext, poison: bool = False) -> tuple[float, int, float]:
    """Back-propagate a whole step, the SFT half then the energy half, in ``cfg``'s layout
    (energy_encode, groups_per_micro_batch, n_grad_negatives, goal_grad: a JointConfig or the
    like); returns (mean completion CE, real SFT tokens, mean InfoNCE).

    Measured and dropped (bench/results/joint-gpu.md, session H): the energy path inside the SFT
    rows' own passes (one decoder pass for the CE and the embeddings) was not faster at the 7B
    shape (1 group 1.33x vs 1.42x, 2-4 groups 1.67x vs 1.35-1.97x) and took 14 GiB more."""
    sft_loss, sft_tokens = sft_backward(prover, examples, ctx, poison)
    infonce = contrastive_backward(prover, tokens, lambda_ebm, cfg.groups_per_micro_batch, cfg.n_grad_negatives, cfg.goal_grad, energy_encoder(prover, cfg.energy_encode, ctx))
    return sft_loss, sft_tokens, infonce


def joint_step(prover: JointProver, opt: torch.optim.Optimizer, lm_params: Sequence[torch.nn.Parameter], head_params: Sequence[torch.nn.Parameter], examples: Sequence[SftExample], tokens: GroupTokens, lambda_ebm: float, cfg: JointConfig, ctx: StepContext, poison: bool = False) -> StepResult:
    """Forward/backward one step and clip; the optimizer step is the caller's (after the NaN check)."""
    opt.zero_grad(set_to_none=True)
    sft_loss, sft_tokens, infonce = step_backward(prover, examples, tokens, lambda_ebm, cfg, ctx, poison)
    return StepResult(
        sft_loss=sft_loss,
        infonce_loss=infonce,
        grad_norm_lora=clip(lm_params, cfg.grad_clip_norm_lora),
        grad_norm_head=clip(head_params, cfg.grad_clip_norm_head),
        sft_tokens=sft_tokens,
        encode_tokens=tokens.n_tokens(),
        n_groups=len(tokens),
    )


def make_optimizer(cfg: JointConfig, lm_params: Sequence[torch.nn.Parameter], head_params: Sequence[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """AdamW with two groups: 0 the LM's trainable parameters, 1 the head's."""
    return torch.optim.AdamW(
        [{"params": list(lm_params), "lr": cfg.lr_lora, "weight_decay": cfg.weight_decay_lora}, {"params": list(head_params), "lr": cfg.lr_head, "weight_decay": cfg.weight_decay_head}],
        betas=tuple(cfg.adam_betas),
        eps=cfg.adam_eps,
    )


def learning_rates(cfg: JointConfig, step: int) -> tuple[float, float]:
    return (lr_at(step, cfg.total_steps, cfg.warmup_steps, cfg.lr_lora, cfg.lr_schedule), lr_at(step, cfg.total_steps, cfg.warmup_steps, cfg.lr_head, cfg.lr_schedule))


# ---------------------------------------------------------------------------------------------
# monitoring


@torch.no_grad()
def encode_rows(prover: JointProver, store: TokenStore, rows: np.ndarray, max_tokens: int, max_batch: int) -> torch.Tensor:
    """(len(rows), H) recipe embeddings of ``rows`` (no grad), length-grouped as the embed job groups them."""
    ids = store.rows(rows)
    lengths = np.array([len(x) for x in ids], dtype=np.int64)
    out: Optional[torch.Tensor] = None
    for b in length_grouped_batches(lengths, max_tokens, max_batch):
        z = prover.encode([ids[i] for i in b.tolist()])
        if out is None:
            out = torch.empty((len(ids), z.shape[1]), dtype=z.dtype, device=z.device)
        out[torch.from_numpy(b).to(z.device)] = z
    if out is None:
        raise ValueError("encode_rows: no rows")
    return out


class Encoded:
    """Embeddings of a set of state rows and their goals, looked up by row number."""

    def __init__(self, prover: JointProver, data: JointDataset, rows: np.ndarray, cfg: JointConfig) -> None:
        self.rows = np.unique(rows)
        self.goal_rows = np.unique(data.goal_index[self.rows])
        self.goal_index = data.goal_index
        self.z = encode_rows(prover, data.states, self.rows, cfg.encode_max_tokens, cfg.encode_max_batch)
        self.zg = encode_rows(prover, data.goals, self.goal_rows, cfg.encode_max_tokens, cfg.encode_max_batch)

    def states(self, rows: np.ndarray) -> torch.Tensor:
        return self.z[torch.from_numpy(np.searchsorted(self.rows, rows.reshape(-1))).to(self.z.device)]

    def goals_of(self, rows: np.ndarray) -> torch.Tensor:
        g = np.searchsorted(self.goal_rows, self.goal_index[rows.reshape(-1)])
        return self.zg[torch.from_numpy(g).to(self.zg.device)]


def separation_metrics(z: torch.Tensor, positive: torch.Tensor, cfg: JointConfig) -> dict[str, float]:
    if cfg.debug_force is not None and cfg.debug_force.collapse_centroids:
        z = collapse(z)
    out = {"centroid_l2": centroid_l2(z, positive)}
    probe = linear_probe(z, positive.to(z.device), cfg.probe_folds, cfg.probe_c, cfg.probe_max_iter)
    if probe is not None:
        out["linear_probe_acc"], out["linear_probe_base_rate"] = probe.accuracy, probe.base_rate
    return out


def evaluate(prover: JointProver, data: JointDataset, ev: EvalSet, cfg: JointConfig, ctx: StepContext) -> dict[str, float]:
    """The monitoring metrics on the held-out theorems, eval mode (no dropout, no spectral-norm
    power iteration, no random numbers: training continues exactly as without it)."""
    was = prover.training
    prover.eval()
    out: dict[str, float] = {}
    try:
        with torch.no_grad():
            rows_needed = ev.state_rows()
            enc = Encoded(prover, data, rows_needed, cfg) if rows_needed.size else None  # no held-out group or contrastable anchor: SFT loss only
            grows = ev.groups.group_rows
            if enc is not None and grows.size:
                positive = torch.from_numpy(ev.groups.group_is_positive.astype(bool))
                out.update(separation_metrics(enc.states(grows), positive, cfg))
                energies = prover.head.score(enc.states(grows), enc.goals_of(grows)).double().cpu().numpy()
                out["ebm_rank1"], out["ebm_rank1_chance"], _ = rank1(ev.groups, energies)
            if enc is not None and ev.anchors.size:
                rows = np.concatenate([ev.anchors[:, None], ev.negatives], axis=1)  # (A, 1+K)
                goals_of = np.repeat(ev.anchors[:, None], rows.shape[1], axis=1)  # every row against its anchor's goal
                e = prover.head.score(enc.states(rows), enc.goals_of(goals_of)).view(rows.shape)
                out["val_infonce_loss"] = float(group_infonce(e))
        val_sft = sft_evaluate(prover.lm, data.sft_val, ctx, Dist(), cfg.eval_max_sft_examples)
        if val_sft is not None:
            out["val_sft_loss"] = val_sft
    finally:
        prover.train(was)
    return out


EVAL_METRICS = ("centroid_l2", "linear_probe_acc", "linear_probe_base_rate", "ebm_rank1", "ebm_rank1_chance", "val_infonce_loss", "val_sft_loss")


def train_rank1(prover: JointProver, data: JointDataset, cfg: JointConfig) -> tuple[Optional[float], Optional[float]]:
    """Rank-1 on up to eval_max_groups training groups (the decoupled summary's train_rank1)."""
    plan = subset_groups(data.train_plan, chosen(data.train_plan.n_groups, cfg.eval_max_groups, cfg.seed, TRAIN_RANK1_SALT))
    if plan.n_groups == 0:
        return None, None
    was = prover.training
    prover.eval()
    try:
        with torch.no_grad():
            enc = Encoded(prover, data, plan.group_rows, cfg)
            e = prover.head.score(enc.states(plan.group_rows), enc.goals_of(plan.group_rows)).double().cpu().numpy()
    finally:
        prover.train(was)
    acc, chance, _ = rank1(plan, e)
    return acc, chance


# ---------------------------------------------------------------------------------------------
# the loop


@dataclass(frozen=True)
class Fingerprints:
    base: str
    data: Mapping[str, str]


@dataclass(frozen=True)
class TrainOutcome:
    position: JointPosition
    stopped_early: bool  # stop_after_steps reached: a checkpoint, no outputs
    eval_set: EvalSet


def start_position(cfg: JointConfig, fps: Fingerprints, prover: JointProver, opt: torch.optim.Optimizer, device: torch.device, events: Any) -> JointPosition:
    """Continue this run, restart from another run's checkpoint, or start fresh (checkpoint.py)."""
    recipe = cfg.recipe()
    lm_named, head = prover.lm_named(), prover.head
    new_lambda = cfg.restart_lambda()
    origin: Optional[dict[str, Any]] = None
    run_fp = fps.base
    if cfg.resume_from_checkpoint is not None:
        origin = read_checkpoint(cfg.resume_from_checkpoint)
        check_compatible(origin, cfg.resume_from_checkpoint, fps.base, recipe, fps.data, cfg.model_dir)
        run_fp = restart_fingerprint(origin["run_fingerprint"], int(origin["position"]["step"]), new_lambda)
    own = run_checkpoints(cfg.checkpoint_dir, run_fp)
    if own:
        path = own[-1][1]
        blob = read_checkpoint(path)
        check_compatible(blob, path, fps.base, recipe, fps.data, cfg.model_dir)
        pos = restore(blob, path, lm_named, head, opt, device)
        events.warning(f"resuming from {path} at step {pos.step} of {cfg.total_steps} (λ {pos.lambda_at(pos.step)})")
        return pos
    if origin is not None:
        path = str(cfg.resume_from_checkpoint)
        pos = restore(origin, path, lm_named, head, opt, device)
        before = pos.lambda_at(pos.step)
        if new_lambda is not None:
            pos.lambda_schedule.append([pos.step, new_lambda])
        restart = {"step": pos.step, "from_checkpoint": path, "from_run": origin["run_fingerprint"], "remedy": cfg.remedy if cfg.remedy is not None else ("lambda_override" if cfg.lambda_override is not None else None),
                   "lambda_before": before, "lambda_after": pos.lambda_at(pos.step), "plan": REMEDIES[cfg.remedy].plan if cfg.remedy is not None else None}
        pos.restarts.append(restart)
        pos.run_fingerprint = run_fp
        events.warning(f"restarting from {path} at step {pos.step} of {cfg.total_steps}: remedy {restart['remedy']}, λ {before} → {restart['lambda_after']}")
        return pos
    return JointPosition(run_fingerprint=run_fp, lambda_schedule=[[0, cfg.lambda_ebm]])


def window_metrics(w: LogWindow, lam: float, lrs: tuple[float, float], peak_mb: Optional[float]) -> list[tuple[str, float]]:
    if w.steps == 0:
        return []
    out = [
        ("sft_loss", w.sft_loss / w.steps),
        ("infonce_loss", w.infonce_loss / w.steps),
        ("loss", w.loss / w.steps),
        ("lambda_ebm", lam),
        ("lr_lora", lrs[0]),
        ("lr_head", lrs[1]),
        ("grad_norm_lora", w.grad_norm_lora / w.steps),
        ("grad_norm_head", w.grad_norm_head / w.steps),
        ("tokens_per_s", w.tokens / w.wall_s if w.wall_s > 0 else float("nan")),
    ]
    if peak_mb is not None:
        out.append(("peak_mem_mb", peak_mb))
    return out


def abort_non_finite(result: StepResult, step: int, last_checkpoint: Optional[str], events: Any) -> None:
    values = {"sft_loss": result.sft_loss, "infonce_loss": result.infonce_loss, "grad_norm_lora": result.grad_norm_lora, "grad_norm_head": result.grad_norm_head}
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if not bad:
        return
    for name, value in bad.items():
        events.metric(name, value, step)
    kept = f"the last checkpoint ({last_checkpoint}) is kept" if last_checkpoint else "no checkpoint was written yet"
    raise JobAbort(f"step {step}: non-finite {', '.join(f'{k} {v}' for k, v in bad.items())}; the optimizer step was not taken; {kept}. Plan: check gradient clipping, temperature clamp")


def train(cfg: JointConfig, build: ProverBuild, data: JointDataset, ctx: StepContext, fps: Fingerprints, events: Any) -> TrainOutcome:
    """The loop. One function on purpose (as sft.train): the order of step, logging, checkpoint and
    evaluation is the resume contract."""
    prover = build.prover
    lm_named, head_named = prover.lm_named(), prover.head_named()
    lm_params, head_params = [p for _, p in lm_named], [p for _, p in head_named]
    opt = make_optimizer(cfg, lm_params, head_params)
    pos = start_position(cfg, fps, prover, opt, ctx.device, events)
    ev = make_eval_set(data.val_plan, cfg.eval_max_groups, cfg.eval_max_anchors, cfg.k_negatives, cfg.hard_ratio, cfg.seed)
    if ev.state_rows().size == 0:
        events.warning(f"the held-out split of {cfg.plan_dir} has no sibling group and no anchor with a negative ({data.val_plan.n_anchors} anchors): evaluations report the SFT loss only (no centroid_l2, rank-1 or InfoNCE: their abort rules cannot fire)")
    header = {"base_fingerprint": fps.base, "run_fingerprint": pos.run_fingerprint, "recipe": cfg.recipe(), "data": dict(fps.data), "model": cfg.model_dir}
    prover.train()

    def checkpoint() -> None:
        path = save_checkpoint(cfg.checkpoint_dir, cfg.keep_checkpoints, header, lm_named, prover.head, opt, pos, ctx.device)
        events.artifact(path, "checkpoint")

    def checkpointed_here() -> bool:
        path = checkpoint_path(cfg.checkpoint_dir, pos.run_fingerprint, pos.step)
        return pos.last_checkpoint == path and os.path.exists(path)

    def run_eval() -> None:
        metrics = evaluate(prover, data, ev, cfg, ctx)
        pos.eval_history.append({"step": pos.step, **metrics})
        for name in EVAL_METRICS:
            if name in metrics:
                events.metric(name, metrics[name], pos.step)

    def temperature() -> None:
        events.metric("temperature", float(prover.head.temperature().detach()), pos.step)

    if pos.step == 0 and not pos.eval_history:
        temperature()
        if cfg.eval_at_start:
            run_eval()
    window = LogWindow(**pos.window)
    with deferred_sigterm() as stop:
        while pos.step < cfg.total_steps:
            if stop.requested:  # SIGTERM (an abort rule, a timeout, a user) arrived during the last step
                pos.window = dataclasses.asdict(window)
                if not checkpointed_here():
                    checkpoint()
                raise JobTerminated(f"SIGTERM: checkpoint saved at step {pos.step} ({pos.last_checkpoint})")
            if cfg.stop_after_steps is not None and pos.step >= cfg.stop_after_steps:
                pos.window = dataclasses.asdict(window)
                if not checkpointed_here():
                    checkpoint()
                return TrainOutcome(pos, True, ev)
            lam = pos.lambda_at(pos.step)
            lrs = learning_rates(cfg, pos.step)
            for group, lr in zip(opt.param_groups, lrs):
                group["lr"] = lr
            batch = data.batch(pos.step)
            poison = cfg.debug_force is not None and cfg.debug_force.nan_at_step == pos.step + 1
            t0 = time.monotonic()
            result = joint_step(prover, opt, lm_params, head_params, [data.sft_train[i] for i in batch.sft], data.tokens(batch.groups), lam, cfg, ctx, poison)
            abort_non_finite(result, pos.step + 1, pos.last_checkpoint, events)
            opt.step()
            if ctx.device.type == "cuda":
                torch.cuda.synchronize(ctx.device)  # honest step times for tokens_per_s
            wall = time.monotonic() - t0
            pos.step += 1
            pos.sft_tokens += result.sft_tokens
            pos.encode_tokens += result.encode_tokens
            pos.groups_seen += result.n_groups
            pos.train_wall_s += wall
            window.steps += 1
            window.sft_loss += result.sft_loss
            window.infonce_loss += result.infonce_loss
            window.loss += joint_loss(result.sft_loss, result.infonce_loss, lam)
            window.grad_norm_lora += result.grad_norm_lora
            window.grad_norm_head += result.grad_norm_head
            window.tokens += result.sft_tokens + result.encode_tokens
            window.wall_s += wall
            if pos.step % cfg.log_every_steps == 0 or pos.step == cfg.total_steps:
                for name, value in window_metrics(window, lam, lrs, peak_memory_mb(ctx.device)):
                    events.metric(name, value, pos.step)
                pos.last_sft_loss, pos.last_infonce_loss = window.sft_loss / window.steps, window.infonce_loss / window.steps
                window = LogWindow()
                events.progress(pos.step, cfg.total_steps, unit="steps", message=f"λ {lam}")
            if pos.step % cfg.temperature_every_steps == 0:
                temperature()
            pos.window = dataclasses.asdict(window)
            if pos.step % cfg.checkpoint_every_steps == 0:
                checkpoint()  # before the evaluation: the checkpoint is complete when the metrics that may stop the job go out
            if pos.step % cfg.eval_every_steps == 0:
                run_eval()
    if pos.eval_history[-1:] and pos.eval_history[-1]["step"] == pos.step:
        return TrainOutcome(pos, False, ev)
    run_eval()
    return TrainOutcome(pos, False, ev)


# ---------------------------------------------------------------------------------------------
# the job


def build_prover(cfg: JointConfig, attention: str, device: torch.device, head_config_of: Callable[[int], Any]) -> ProverBuild:
    """The Hugging Face prover (tests swap this for a stand-in, as tests/serve_fake_job.py does)."""
    return build_hf_prover(cfg, attention, device, head_config_of)


def step_context(cfg: JointConfig, build: ProverBuild, attention: str, device: torch.device) -> StepContext:
    from burnqed.hf_loading import torch_dtype

    return StepContext(
        attention=attention, dtype=torch_dtype(cfg.dtype), device=device, pad_id=build.pad_id, pad_multiple=resolve_pad_multiple(cfg.sft_config(), attention),
        keep_completion_logits=cfg.logits_on_completion_only and build.keep_logits_supported, max_tokens_per_row=cfg.max_tokens_per_row,
        rows_per_micro_batch=cfg.rows_per_micro_batch,
    )


def prepare(cfg: JointConfig, events: Any) -> tuple[ProverBuild, JointDataset, StepContext, Fingerprints, dict[str, Any]]:
    """Check the inputs against iter_0, build the prover and read the data."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError("burnqed.joint.train runs as one process on one GPU; it was started with WORLD_SIZE > 1 (torchrun / accelerate)")
    device = pick_device(cfg.device)
    attention = resolve_attention(cfg.attention, device.type)
    enable_flex(attention)
    hashes = data_hashes(cfg)
    fps = Fingerprints(base_fingerprint(cfg, hashes), hashes)
    ref = read_iter0_reference(cfg.iter0_head_pt, cfg.iter0_embedding_meta)
    assert_same(ref.embed_recipe, cfg.embed_recipe, "embedding recipe", ref.recipe_source)  # before loading 7B weights
    events.progress(0, 1, unit="load", message=f"loading {cfg.model_dir} ({cfg.dtype}, attention {attention})")
    build = build_prover(cfg, attention, device, cfg.head_config)
    identity = check_against_iter0(ref, build.prover.head, cfg.embed_recipe, cfg.k_negatives, cfg.hard_ratio)
    if cfg.head_init == "iter_0":
        build.prover.head.load_state_dict(dict(ref.head_state))
    data = load_joint_dataset(cfg, build.tokenizer, load_examples(cfg.sft_config(), build.tokenizer), events.warning)
    return build, data, step_context(cfg, build, attention, device), fps, identity


def eval_summary(pos: JointPosition) -> dict[str, Any]:
    last = pos.eval_history[-1] if pos.eval_history else {}
    first = pos.eval_history[0] if pos.eval_history else {}
    return {"final": {k: last.get(k) for k in EVAL_METRICS}, "baseline_step0": {k: first.get(k) for k in EVAL_METRICS} if first.get("step") == 0 else None}


def training_summary(cfg: JointConfig, outcome: TrainOutcome, build: ProverBuild, data: JointDataset, fps: Fingerprints, identity: Mapping[str, Any], train_r1: tuple[Optional[float], Optional[float]]) -> dict[str, Any]:
    pos = outcome.position
    last = pos.eval_history[-1] if pos.eval_history else {}
    temperature = float(build.prover.head.temperature().detach())
    return {
        "kind": "joint_training",
        "steps": pos.step,
        "head_architecture": dataclasses.asdict(build.prover.head.config),  # what the A/B/C comparison checks is identical
        "total_steps": cfg.total_steps,
        # the decoupled trainer's keys (src/stages/ebm.ts EbmTrainResult), so config C's head reads like A's and B's
        "temperature": temperature,
        "final_train_loss": pos.last_infonce_loss,
        "val_loss": last.get("val_infonce_loss"),
        "val_rank1": last.get("ebm_rank1"),
        "val_rank1_chance": last.get("ebm_rank1_chance"),
        "train_rank1": train_r1[0],
        "train_rank1_chance": train_r1[1],
        "excluded_unusable_rows": data.stats["excluded_empty_text_rows"],
        "train_rows_per_s": pos.groups_seen * (1 + cfg.k_negatives) / pos.train_wall_s if pos.train_wall_s > 0 else None,
        # joint training's own
        "final_sft_loss": pos.last_sft_loss,
        "final_infonce_loss": pos.last_infonce_loss,
        "val_sft_loss": last.get("val_sft_loss"),
        "centroid_l2": last.get("centroid_l2"),
        "linear_probe_acc": last.get("linear_probe_acc"),
        "linear_probe_base_rate": last.get("linear_probe_base_rate"),
        "evals": eval_summary(pos),
        "eval_history": pos.eval_history,
        "lambda_schedule": pos.lambda_schedule,
        "restarts": pos.restarts,
        "remedies_applied": [r for r in pos.restarts if r.get("remedy") is not None],
        "tokens_per_s": (pos.sft_tokens + pos.encode_tokens) / pos.train_wall_s if pos.train_wall_s > 0 else None,
        "sft_tokens": pos.sft_tokens,
        "encode_tokens": pos.encode_tokens,
        "groups_seen": pos.groups_seen,
        "trainable_parameters": {"lm": sum(p.numel() for _, p in build.prover.lm_named()), "head": sum(p.numel() for _, p in build.prover.head_named())},
        "same_as_iter0": dict(identity),
        "special_tokens": dict(build.special_tokens),
        "data": data.stats,
        "base_fingerprint": fps.base,
        "run_fingerprint": pos.run_fingerprint,
        "code_version": code_version(),
        "config": dataclasses.asdict(cfg),
    }


def write_outputs(cfg: JointConfig, build: ProverBuild, data: JointDataset, outcome: TrainOutcome, fps: Fingerprints, identity: Mapping[str, Any], events: Any) -> tuple[dict[str, Any], Any]:
    """Head (.pt, .onnx) and adapter; returns the summary (without the merge) and the live reference for the export check."""
    from burnqed.joint.export import check_rows, live_reference, write_head

    prover, pos = build.prover, outcome.position
    rows = check_rows(outcome.eval_set.groups.group_rows, cfg.export_check_rows)
    live = live_reference(prover, data.states.rows(rows), data.goals.rows(data.goal_index[rows])) if rows.size else None
    summary = training_summary(cfg, outcome, build, data, fps, identity, train_rank1(prover, data, cfg))
    write_head(prover.head, cfg.out_head_pt, cfg.out_head_onnx if cfg.export_onnx else None,
               {"train_config": cfg.recipe(), "fingerprint": pos.run_fingerprint, "steps": pos.step, "trainer": "burnqed.joint.train"}, events)
    meta = {"kind": "joint_adapter", "base_model": cfg.model_dir, "embedding_rows": build.embedding_rows, "special_tokens": dict(build.special_tokens),
            "special_tokens_mode": cfg.special_tokens_mode, "fingerprint": pos.run_fingerprint, "code_version": summary["code_version"], "recipe": cfg.recipe()}
    build.save_adapter(cfg.out_adapter_dir, meta)
    events.artifact(cfg.out_adapter_dir, "model")
    summary["outputs"] = {"head_pt": cfg.out_head_pt, "head_onnx": cfg.out_head_onnx if cfg.export_onnx else None, "adapter_dir": cfg.out_adapter_dir}
    return summary, live


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    t_start = time.monotonic()
    cfg = JointConfig.from_dict(config)
    build, data, ctx, fps, identity = prepare(cfg, events)
    outcome = train(cfg, build, data, ctx, fps, events)
    pos = outcome.position
    if outcome.stopped_early:
        return {"stopped_at_step": pos.step, "run_fingerprint": pos.run_fingerprint, "checkpoint": pos.last_checkpoint}
    summary, live = write_outputs(cfg, build, data, outcome, fps, identity, events)
    head = build.prover.head.cpu()
    del build, data, outcome
    gc.collect()
    if ctx.device.type == "cuda":
        torch.cuda.empty_cache()  # the merge loads the base again in float32
    if cfg.merge_model:
        from burnqed.joint.export import PAIR_AGREEMENT_WARN, export_check, merge_adapter

        merge = merge_adapter(cfg, events)
        summary["merge"] = {k: merge.get(k) for k in ("passed", "merged_vs_adapter", "saved_vs_adapter", "markers", "out_dir")}
        summary["outputs"]["merged_dir"] = cfg.out_merged_dir
        if live is not None:
            summary["export_check"] = check = export_check(cfg, live, head, ctx.device)
            if not check["pair_order_agreement"] >= PAIR_AGREEMENT_WARN:
                events.warning(f"export check: the merged model + folded head order only {check['pair_order_agreement']:.3f} of held-out state pairs as the live model does")
    summary["wall_s"] = time.monotonic() - t_start
    for note in write_json_atomic(cfg.out_summary, summary):
        events.warning(f"{cfg.out_summary}: {note}")
    events.artifact(cfg.out_summary, "json")
    return {k: v for k, v in summary.items() if k not in ("config", "eval_history")}


if __name__ == "__main__":
    run_job(main)
