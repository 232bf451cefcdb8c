"""Supervised fine-tuning of the policy's LoRA (plan Task 1.1, Gotchas 13 and 14).

Run: ``python -m burnqed.sft --config cfg.json`` (see :class:`SftConfig`), on one GPU or the CPU as
is, on N GPUs with ``torchrun --nproc-per-node N -m burnqed.sft --config cfg.json`` (or
``accelerate launch``, which sets the same environment).

What it does, top to bottom:

1. reads sft_train.jsonl / sft_val.jsonl (src/data/sft-format.ts writes them; sft_data checks them);
2. loads the base model and tokenizer, adds ``[GOAL]`` / ``[PROOFSTEP]`` when the vocabulary lacks
   them (sft_special_tokens; mode ``trainable_token_rows`` by default, recorded in the summary);
3. tokenises every record once with the completion mask computed on the real offsets (sft_data;
   an error names the row);
4. wraps the model in a PEFT LoRA (r 32, alpha 64, dropout 0.05 on q/k/v/o/gate/up/down);
5. trains 3 epochs of 16 examples per optimizer step (the plan's batch 2 x accumulation 8), each
   step's examples packed into rows (sft_packing); the loss of a step is the summed completion
   cross-entropy over the step's completion tokens (sft_loss), so packing, the micro-batch split
   and the number of GPUs do not change what a step learns;
6. writes the adapter, the tokenizer and ``burnqed_sft.json`` (what merge_lora needs) to
   ``out_dir``, and the training summary to ``out_summary``.

Attention over packed rows (control ``attention``):

- ``flex``: a flex-attention document mask (torch >= 2.5, CUDA; rows padded to a multiple of 512
  so flex compiles a handful of shapes);
- ``block_mask``: a (B, 1, T, T) additive block-diagonal causal mask, any attention implementation;
- ``position_ids``: no mask, transformers 5 finds the examples from the restarting positions;
- ``padding_mask``: no packing, one example per row, right-padded micro-batches with a 2-D mask
  (the plan's own layout: ``rows_per_micro_batch`` 2 is its ``--batch-size 2``);
- ``auto``: ``flex`` where available, else ``block_mask``.

Every mode passes ``use_cache=False``: with a cache transformers 5.17 ignores packed position_ids
(sft_packing). Only the logits of positions that predict a completion token are computed
(``logits_to_keep``): same loss, a tenth of the LM-head work and memory.

Events (rank 0 only): ``loss``, ``lr``, ``grad_norm``, ``tokens_per_s`` (prompt + completion
tokens of the real examples per second, padding excluded), ``peak_mem_mb`` every log_every_steps;
``val_loss`` every eval_every_steps (and before the first step and after the last); progress;
artifacts. A non-finite loss or gradient norm stops the job before the optimizer step (a NaN
``loss`` metric, then ``abort``); the last checkpoint is kept untouched.

Resumable: every checkpoint_every_steps, on SIGTERM and at stop_after_steps a checkpoint (LoRA and
token-row weights, optimizer, RNG of every rank, position) is written; a restart with the same
recipe and data continues from it and ends where an uninterrupted run ends. The learning rate is a
pure function of the step (sft_schedule), so the scheduler's state is the position.

Several GPUs: every rank loads the model and computes the same schedule; each runs its share of
the step's examples (sft_schedule.split_for_ranks), back-propagates its summed CE divided by the
step's (global) completion-token count, and the gradients are summed over ranks with one
all-reduce (no DDP wrapper: a rank whose share of a small step is empty just contributes zeros).
The completion-token counts are all-reduced and checked against the plan. Events, checkpoints and
outputs come from rank 0.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F

from burnqed.atomic_dir import atomic_dir
from burnqed.atomic_io import atomic_open, write_json_atomic
from burnqed.code_version import code_version
from burnqed.events import EXIT_JOB_ABORT, EventWriter, JobAbort, JobTerminated, run_job
from burnqed.sft_data import IGNORE_INDEX, SftExample, SftRecipe, marker_token_ids, read_sft_jsonl, tokenize_sft_records
from burnqed.sft_loss import summed_completion_ce
from burnqed.sft_packing import PackedBatch, collate_packed, document_ids, plan_steps
from burnqed.sft_schedule import LR_SCHEDULES, epoch_seed, locate, lr_at, micro_batches, rank_rows, round_up, steps_per_epoch, warmup_steps
from burnqed.sft_special_tokens import MODES as SPECIAL_TOKEN_MODES
from burnqed.strict_config import config_from_dict
from burnqed.train_ebm import deferred_sigterm, pick_device

PLAN_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ATTENTION_MODES = (
    "auto",  # flex where available (torch >= 2.5 with CUDA), else block_mask
    "flex",  # packed rows, flex-attention document mask (BlockMask)
    "block_mask",  # packed rows, (B, 1, T, T) additive block-diagonal causal mask
    "position_ids",  # packed rows, no mask: transformers finds the examples from the positions
    "padding_mask",  # not packed: one example per row, right padding, 2-D attention mask
)
LORA_COMPUTE = (
    "autocast",  # bfloat16 compute of the LoRA path over float32 master weights (Hugging Face Trainer's bf16=True)
    "float32",  # the LoRA path computed in float32: every adapter's input cast up, its output cast back
)
COMPILE_SCOPES = (
    "layer",  # each decoder layer's forward under torch.compile (automatic dynamic shapes)
    "layer_static",  # the same with dynamic=False: one graph per row length
    "mlp",  # only the layer's MLP and its two RMSNorms; attention (projections and flex) stays eager
)
FLEX_PAD_MULTIPLE = 512  # flex compiles one kernel per row length: 8192-token rows -> 16 shapes
DEFAULT_PAD_MULTIPLE = 8  # tensor-core friendly, and what sdpa's memory-efficient kernel likes for masks
META_FILE = "burnqed_sft.json"  # in out_dir: base model, embedding rows, special tokens (merge_lora reads it)


@dataclass(frozen=True)
class SftConfig:
    model_dir: str  # base model (DeepSeek-Prover-V1.5-Base): a local folder or a Hugging Face id
    train_jsonl: str  # sft_train.jsonl
    val_jsonl: str  # sft_val.jsonl
    out_dir: str  # adapter + tokenizer + burnqed_sft.json
    out_summary: str  # training summary JSON
    checkpoint_path: str  # the resumable checkpoint
    tokenizer_dir: Optional[str] = None  # default: model_dir
    # recipe (plan Task 1.1; the optimizer settings the plan leaves out are Hugging Face Trainer's defaults)
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.05
    lora_target_modules: tuple[str, ...] = PLAN_LORA_TARGETS
    lr: float = 3e-5
    warmup_ratio: float = 0.05
    lr_schedule: str = "linear"
    epochs: int = 3
    examples_per_step: int = 16  # plan: --batch-size 2 x --grad-accumulation 8
    max_length: int = 2048
    dtype: str = "bfloat16"  # the base weights' compute dtype; LoRA and token rows are trained in float32
    lora_compute: str = "autocast"  # how the float32 LoRA path computes under a bfloat16/float16 base (LORA_COMPUTE)
    eval_every_steps: int = 500
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    grad_clip_norm: float = 1.0  # 0: no clipping (the norm is still reported)
    seed: int = 0
    special_tokens_mode: str = "trainable_token_rows"  # or "modules_to_save" (the plan's Gotcha 14)
    drop_last: bool = False
    # run controls: how the work is laid out, not what is learned (up to float rounding)
    device: str = "auto"  # auto | cpu | cuda | cuda:N (under torchrun: cuda:LOCAL_RANK)
    checkpoint_every_steps: int = 500
    max_tokens_per_row: int = 8192  # packing budget of one row (>= max_length): a 16-example step is one forward (1.24x over 4096 at 7B, peak 57 GiB)
    rows_per_micro_batch: int = 1  # rows per forward/backward pass
    attention: str = "auto"
    attn_implementation: str = "sdpa"  # for block_mask / position_ids / padding_mask (flex loads "flex_attention")
    pad_to_multiple_of: Optional[int] = None  # row length rounding; None: 512 under flex, else 8
    logits_on_completion_only: bool = True  # logits_to_keep = the positions that predict a completion token
    gradient_checkpointing: bool = False
    compile_layers: bool = True  # torch.compile inside each decoder layer, CUDA only (a no-op elsewhere): 1.23x the eager step at the 7B shape (bench/results/sft-gpu.md)
    compile_scope: str = "mlp"  # what compile_layers compiles (COMPILE_SCOPES): "mlp", the one scope equal to eager on every path (bench/sft-compile-check.py)
    log_every_steps: int = 10
    eval_at_start: bool = True  # val_loss of the untrained adapter at step 0: the baseline every later one is read against
    eval_max_examples: Optional[int] = None  # None: the whole validation set
    stop_after_steps: Optional[int] = None  # checkpoint and stop after this global step (tests, interruption)

    # what determines the trained weights (with the data and the base model): the checkpoint fingerprint
    RECIPE_KEYS = (
        "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lr", "warmup_ratio", "lr_schedule", "epochs",
        "examples_per_step", "max_length", "dtype", "weight_decay", "adam_betas", "adam_eps", "grad_clip_norm", "seed",
        "special_tokens_mode", "drop_last", "lora_compute",
    )

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "SftConfig":
        return config_from_dict(SftConfig, raw, where="sft config")

    def validate(self) -> None:
        def bad(key: str, why: str) -> None:
            raise ValueError(f"sft config: '{key}' {why}, got {getattr(self, key)!r}")

        for key in ("lora_r", "lora_alpha", "epochs", "examples_per_step", "eval_every_steps", "checkpoint_every_steps", "max_tokens_per_row", "rows_per_micro_batch", "log_every_steps"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                bad(key, "must be a positive integer")
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 2:
            bad("max_length", "must be an integer >= 2")
        if self.max_tokens_per_row < self.max_length:
            bad("max_tokens_per_row", f"must be >= max_length {self.max_length} (a row must hold the longest example)")
        if not (self.lr > 0):
            bad("lr", "must be > 0")
        if not 0.0 <= self.warmup_ratio < 1.0:
            bad("warmup_ratio", "must be in [0, 1)")
        if not 0.0 <= self.lora_dropout < 1.0:
            bad("lora_dropout", "must be in [0, 1)")
        if self.weight_decay < 0 or self.grad_clip_norm < 0 or not self.adam_eps > 0:
            bad("weight_decay", "weight_decay and grad_clip_norm must be >= 0 and adam_eps > 0")
        if self.lr_schedule not in LR_SCHEDULES:
            bad("lr_schedule", f"must be one of {LR_SCHEDULES}")
        if self.attention not in ATTENTION_MODES:
            bad("attention", f"must be one of {ATTENTION_MODES}")
        if self.special_tokens_mode not in SPECIAL_TOKEN_MODES:
            bad("special_tokens_mode", f"must be one of {SPECIAL_TOKEN_MODES}")
        if self.dtype not in ("bfloat16", "float16", "float32"):
            bad("dtype", "must be bfloat16, float16 or float32")
        if self.compile_scope not in COMPILE_SCOPES:
            bad("compile_scope", f"must be one of {COMPILE_SCOPES}")
        if self.lora_compute not in LORA_COMPUTE:
            bad("lora_compute", f"must be one of {LORA_COMPUTE}")
        if not self.lora_target_modules:
            bad("lora_target_modules", "must name at least one module")
        for key in ("pad_to_multiple_of", "eval_max_examples", "stop_after_steps"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                bad(key, "must be a positive integer or null")

    def recipe(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.RECIPE_KEYS}


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(cfg: SftConfig, data_hashes: Mapping[str, str]) -> str:
    """The recipe, the data's content and the base model (its name and identity: a model rewritten
    in place is another model): a checkpoint resumes only under the same."""
    from burnqed.hf_loading import model_identity

    key = {"recipe": cfg.recipe(), "data": dict(data_hashes), "model": cfg.model_dir, "tokenizer": cfg.tokenizer_dir, "model_identity": model_identity(cfg.model_dir)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=list).encode()).hexdigest()[:16]


def resolve_attention(requested: str, device_type: str, torch_version: str = torch.__version__) -> str:
    """``auto`` → ``flex`` when torch >= 2.5 runs on CUDA, else ``block_mask``; others unchanged."""
    if requested != "auto":
        return requested
    major, minor = (int(x) for x in torch_version.split("+")[0].split(".")[:2])
    return "flex" if device_type == "cuda" and (major, minor) >= (2, 5) else "block_mask"


def resolve_pad_multiple(cfg: SftConfig, attention: str) -> int:
    if cfg.pad_to_multiple_of is not None:
        return cfg.pad_to_multiple_of
    return FLEX_PAD_MULTIPLE if attention == "flex" else DEFAULT_PAD_MULTIPLE


# ---------------------------------------------------------------------------------------------
# ranks


class Dist:
    """This process's place among the ranks torchrun / accelerate launched (one process: rank 0 of 1).

    Collectives are no-ops for one process, so the training loop has one code path."""

    def __init__(self, rank: int = 0, world_size: int = 1, local_rank: int = 0) -> None:
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        self.is_main = rank == 0
        self.device = torch.device("cpu")

    @staticmethod
    def from_env(device_name: str) -> "Dist":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        d = Dist(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
        if world > 1:
            import torch.distributed as dist

            use_cuda = torch.cuda.is_available() and device_name != "cpu"
            if use_cuda:
                torch.cuda.set_device(d.local_rank)
                d.device = torch.device("cuda", d.local_rank)
            dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        else:
            d.device = pick_device(device_name)
        return d

    def all_reduce_sum_(self, t: torch.Tensor) -> torch.Tensor:
        if self.world_size > 1:
            import torch.distributed as dist

            dist.all_reduce(t)
        return t

    def sum_grads_(self, params: Sequence[torch.nn.Parameter]) -> None:
        """Sum every parameter's gradient over the ranks (one flat buffer); missing gradients count as 0."""
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        if self.world_size == 1:
            return
        flat = torch.cat([p.grad.reshape(-1).float() for p in params])
        self.all_reduce_sum_(flat)
        at = 0
        for p in params:
            n = p.numel()
            p.grad.copy_(flat[at : at + n].view_as(p.grad))
            at += n

    def broadcast_(self, params: Sequence[torch.Tensor]) -> None:
        """Rank 0's values everywhere (the seeded LoRA init already agrees; this makes it certain)."""
        if self.world_size > 1:
            import torch.distributed as dist

            for p in params:
                dist.broadcast(p.data, src=0)

    def gather(self, obj: Any) -> list[Any]:
        if self.world_size == 1:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def any(self, flag: bool) -> bool:
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        return bool(self.all_reduce_sum_(t).item() > 0)

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


class NullEvents:
    """What ranks other than 0 report to: nothing (the event channel is rank 0's)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


# ---------------------------------------------------------------------------------------------
# one micro-batch


@dataclass(frozen=True)
class StepContext:
    """How rows become model inputs; fixed for a run."""

    attention: str  # resolved: flex | block_mask | position_ids | padding_mask
    dtype: torch.dtype  # the model's compute dtype (the additive mask's)
    device: torch.device
    pad_id: int
    pad_multiple: int
    keep_completion_logits: bool  # pass logits_to_keep (the model's forward accepts it)
    max_tokens_per_row: int
    rows_per_micro_batch: int

    @property
    def packed(self) -> bool:
        return self.attention != "padding_mask"


def pad_batch(batch: PackedBatch, multiple: int, pad_id: int) -> PackedBatch:
    """Widen the rows to a multiple of ``multiple`` tokens with padding (no loss, own attention block)."""
    t = int(batch.input_ids.shape[1])
    width = round_up(t, multiple)
    if width == t:
        return batch
    extra = width - t
    position_ids = F.pad(batch.position_ids, (0, extra))
    for r, bounds in enumerate(batch.cu_seqlens):
        position_ids[r, bounds[-1] :] = torch.arange(width - bounds[-1])  # padding counts from 0, as collate_packed does
    return dataclasses.replace(
        batch,
        input_ids=F.pad(batch.input_ids, (0, extra), value=pad_id),
        labels=F.pad(batch.labels, (0, extra), value=IGNORE_INDEX),
        position_ids=position_ids,
    )


def block_mask_4d(batch: PackedBatch, dtype: torch.dtype) -> torch.Tensor:
    """sft_packing.block_causal_mask, built on the batch's device (a 4096 x 4096 mask is cheap on a GPU, slow on the CPU)."""
    t = int(batch.input_ids.shape[1])
    doc = document_ids(batch.cu_seqlens, t).to(batch.input_ids.device)  # (B, T), padding -1
    causal = torch.ones(t, t, dtype=torch.bool, device=doc.device).tril()
    allowed = (doc[:, :, None] == doc[:, None, :]) & causal  # (B, T, T)
    return torch.zeros(allowed.shape, dtype=dtype, device=doc.device).masked_fill(~allowed, float("-inf"))[:, None]


def flex_document_mask(batch: PackedBatch) -> Any:
    """A flex-attention BlockMask: query t sees key s when both lie in the same example and s <= t
    (padding is a block of its own, so no query row is empty)."""
    from torch.nn.attention.flex_attention import create_block_mask

    b, t = batch.input_ids.shape
    doc = document_ids(batch.cu_seqlens, int(t)).to(batch.input_ids.device)

    def document_causal(b_idx: Any, h_idx: Any, q_idx: Any, kv_idx: Any) -> Any:
        return (doc[b_idx, q_idx] == doc[b_idx, kv_idx]) & (q_idx >= kv_idx)

    return create_block_mask(document_causal, B=int(b), H=None, Q_LEN=int(t), KV_LEN=int(t), device=doc.device)


def model_inputs(batch: PackedBatch, ctx: StepContext) -> dict[str, Any]:
    """Keyword arguments of a Hugging Face causal LM for ``batch`` under ``ctx.attention``."""
    kwargs: dict[str, Any] = {"input_ids": batch.input_ids, "position_ids": batch.position_ids, "use_cache": False}
    if ctx.attention == "block_mask":
        kwargs["attention_mask"] = block_mask_4d(batch, ctx.dtype)
    elif ctx.attention == "flex":
        kwargs["attention_mask"] = flex_document_mask(batch)
    elif ctx.attention == "padding_mask":
        lengths = torch.tensor([bounds[-1] for bounds in batch.cu_seqlens], device=batch.input_ids.device)
        kwargs["attention_mask"] = (torch.arange(batch.input_ids.shape[1], device=lengths.device)[None] < lengths[:, None]).long()
    elif ctx.attention != "position_ids":
        raise ValueError(f"attention must be resolved to one of {ATTENTION_MODES[1:]}, got {ctx.attention!r}")
    return kwargs


def completion_ce_sum(model: Any, batch: PackedBatch, ctx: StepContext) -> torch.Tensor:
    """Summed cross-entropy of the batch's completion tokens (float32 scalar, with grad).

    With ``keep_completion_logits`` only the positions whose next token is labelled get logits:
    the positions are the same for every row of the batch (their union), so the loss is exactly
    sft_loss.summed_completion_ce of the full logits."""
    kwargs = model_inputs(batch, ctx)
    if not ctx.keep_completion_logits:
        return summed_completion_ce(model(**kwargs).logits, batch.labels)
    targets = batch.labels[:, 1:]  # (B, T-1): position t predicts labels[t + 1]
    keep = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)  # (K,)
    logits = model(**kwargs, logits_to_keep=keep).logits  # (B, K, V)
    if logits.dtype not in (torch.float32, torch.float64):
        logits = logits.float()  # bf16 logits: the CE in float32, as sft_loss does
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[:, keep].reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum")


def prepare_batch(rows: Sequence[Sequence[SftExample]], ctx: StepContext) -> tuple[PackedBatch, int, int]:
    """(batch on the device, real tokens, processed tokens incl. padding)."""
    batch = pad_batch(collate_packed(rows, ctx.pad_id), ctx.pad_multiple, ctx.pad_id).to(ctx.device)
    real = sum(bounds[-1] for bounds in batch.cu_seqlens)
    return batch, real, int(batch.input_ids.numel())


# ---------------------------------------------------------------------------------------------
# position, checkpoints


@dataclass
class SftPosition:
    epoch: int = 0
    step_in_epoch: int = 0  # steps of `epoch` already done
    global_step: int = 0
    last_loss: Optional[float] = None  # mean loss of the last log window
    train_tokens: int = 0  # real tokens trained on, all ranks
    processed_tokens: int = 0  # tokens run through the model incl. padding, all ranks
    train_wall_s: float = 0.0
    val_history: list[list[float]] = field(default_factory=list)  # [[step, val_loss], ...]


@dataclass
class LogWindow:
    """Sums since the last log event."""

    steps: int = 0
    loss_sum: float = 0.0
    grad_norm_sum: float = 0.0
    tokens: int = 0
    wall_s: float = 0.0

    def add(self, loss: float, grad_norm: float, tokens: int, wall_s: float) -> None:
        self.steps += 1
        self.loss_sum += loss
        self.grad_norm_sum += grad_norm
        self.tokens += tokens
        self.wall_s += wall_s


def window_metrics(window: LogWindow, lr: float, peak_mem_mb: Optional[float]) -> list[tuple[str, float]]:
    """The metric events of a log window: mean step loss and gradient norm, the last step's lr,
    real tokens per second over the window, and peak device memory when known."""
    if window.steps == 0:
        return []
    out = [
        ("loss", window.loss_sum / window.steps),
        ("lr", lr),
        ("grad_norm", window.grad_norm_sum / window.steps),
        ("tokens_per_s", window.tokens / window.wall_s if window.wall_s > 0 else float("nan")),
    ]
    if peak_mem_mb is not None:
        out.append(("peak_mem_mb", peak_mem_mb))
    return out


def rng_state(device: torch.device) -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def set_rng_state(state: Mapping[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def save_checkpoint(path: str, fp: str, named: Sequence[tuple[str, torch.nn.Parameter]], opt: torch.optim.Optimizer, pos: SftPosition, dist: Dist) -> None:
    rngs = dist.gather(rng_state(dist.device))  # a collective: every rank calls it
    if dist.is_main:
        blob = {
            "fingerprint": fp,
            "world_size": dist.world_size,
            "position": dataclasses.asdict(pos),
            "trainable": {n: p.detach().cpu() for n, p in named},
            "optimizer": opt.state_dict(),
            "rng": rngs,
        }
        with atomic_open(path) as f:
            torch.save(blob, f)
    dist.barrier()


def _torch_load(path: str) -> Any:
    # torch >= 2 loads it weights-only (tensors, dicts, lists, numbers); torch 1.13's weights-only
    # unpickler has no floats, and the file is this job's own checkpoint
    major = int(torch.__version__.split(".")[0])
    return torch.load(path, map_location="cpu", weights_only=major >= 2)


def load_checkpoint(path: str, fp: str, named: Sequence[tuple[str, torch.nn.Parameter]], opt: torch.optim.Optimizer, dist: Dist, events: Any) -> Optional[SftPosition]:
    if not os.path.exists(path):
        return None
    blob = _torch_load(path)
    if blob.get("fingerprint") != fp:
        events.warning(f"ignoring checkpoint {path}: written for another recipe, data or base model (fingerprint {blob.get('fingerprint')} ≠ {fp}); starting over")
        return None
    saved = blob["trainable"]
    names = [n for n, _ in named]
    if sorted(saved) != sorted(names):
        missing, extra = sorted(set(names) - set(saved))[:5], sorted(set(saved) - set(names))[:5]
        raise ValueError(f"checkpoint {path}: trainable parameters differ from the model's (missing {missing}, unexpected {extra})")
    with torch.no_grad():
        for n, p in named:
            if tuple(saved[n].shape) != tuple(p.shape):
                raise ValueError(f"checkpoint {path}: parameter {n} has shape {tuple(saved[n].shape)}, the model's is {tuple(p.shape)}")
            p.copy_(saved[n].to(p.device, p.dtype))
    opt.load_state_dict(blob["optimizer"])
    if blob.get("world_size") == dist.world_size:
        set_rng_state(blob["rng"][dist.rank], dist.device)
    else:
        events.warning(f"checkpoint {path} was written by {blob.get('world_size')} ranks, this run has {dist.world_size}: dropout masks will differ from an uninterrupted run")
    return SftPosition(**blob["position"])


# ---------------------------------------------------------------------------------------------
# training


@dataclass(frozen=True)
class StepResult:
    loss: float
    grad_norm: float
    tokens: int  # real tokens, all ranks
    processed_tokens: int  # incl. padding, all ranks


def train_step(model: Any, params: Sequence[torch.nn.Parameter], opt: torch.optim.Optimizer, examples: Sequence[SftExample], lengths: Sequence[int], step_examples: Sequence[int], n_completion: int, grad_clip_norm: float, ctx: StepContext, dist: Dist) -> StepResult:
    """Forward/backward this rank's rows of the step, sum gradients over ranks, clip. The optimizer
    step is the caller's (after the NaN check)."""
    rows = rank_rows(step_examples, lengths, dist.world_size, dist.rank, ctx.max_tokens_per_row, ctx.packed)
    opt.zero_grad(set_to_none=True)
    local = torch.zeros(4, dtype=torch.float64, device=ctx.device)  # summed CE, completion tokens, real tokens, processed tokens
    for mb in micro_batches(rows, ctx.rows_per_micro_batch):
        batch, real, processed = prepare_batch([[examples[i] for i in row] for row in mb], ctx)
        ce = completion_ce_sum(model, batch, ctx)
        (ce / n_completion).backward()  # this micro-batch's share of the step loss (sft_loss.micro_batch_loss)
        local += torch.tensor([float(ce.detach()), batch.n_completion_tokens, real, processed], dtype=torch.float64, device=ctx.device)
    dist.all_reduce_sum_(local)
    if int(local[1].item()) != n_completion:
        raise RuntimeError(f"the step's micro-batches hold {int(local[1].item())} completion tokens, the plan says {n_completion} (a packing or rank-split bug)")
    dist.sum_grads_(params)
    grad_norm = torch.nn.utils.clip_grad_norm_(params, grad_clip_norm if grad_clip_norm > 0 else float("inf"))
    return StepResult(loss=float(local[0].item()) / n_completion, grad_norm=float(grad_norm), tokens=int(local[2].item()), processed_tokens=int(local[3].item()))


@torch.no_grad()
def evaluate(model: Any, examples: Sequence[SftExample], ctx: StepContext, dist: Dist, max_examples: Optional[int] = None) -> Optional[float]:
    """Validation loss: summed completion CE over the validation set / its completion tokens."""
    chosen = list(range(len(examples)))[: max_examples if max_examples is not None else len(examples)]
    if not chosen:
        return None
    lengths = [len(e) for e in examples]
    rows = rank_rows(chosen, lengths, dist.world_size, dist.rank, ctx.max_tokens_per_row, ctx.packed)
    was_training = model.training
    model.eval()  # no LoRA dropout
    local = torch.zeros(2, dtype=torch.float64, device=ctx.device)
    try:
        for mb in micro_batches(rows, ctx.rows_per_micro_batch):
            batch, _, _ = prepare_batch([[examples[i] for i in row] for row in mb], ctx)
            local += torch.tensor([float(completion_ce_sum(model, batch, ctx)), batch.n_completion_tokens], dtype=torch.float64, device=ctx.device)
    finally:
        model.train(was_training)
    dist.all_reduce_sum_(local)
    return float(local[0].item() / local[1].item())


def peak_memory_mb(device: torch.device) -> Optional[float]:
    """Peak allocated device memory since the last call (then reset); None off CUDA."""
    if device.type != "cuda":
        return None
    peak = torch.cuda.max_memory_allocated(device) / 2**20
    torch.cuda.reset_peak_memory_stats(device)
    return peak


def abort_run(dist: Dist, reason: str) -> None:
    """Rank 0 reports the abort (run_job emits the event); the other ranks just exit with the same code."""
    if dist.is_main:
        raise JobAbort(reason)
    raise SystemExit(EXIT_JOB_ABORT)


@dataclass(frozen=True)
class TrainOutcome:
    position: SftPosition
    stopped_early: bool  # stop_after_steps reached: a checkpoint, no adapter
    total_steps: int
    warmup_steps: int
    final_val_loss: Optional[float]


def take_step(model: Any, params: Sequence[torch.nn.Parameter], opt: torch.optim.Optimizer, examples: Sequence[SftExample], lengths: Sequence[int], step: Any, lr: float, cfg: SftConfig, ctx: StepContext, dist: Dist, pos: SftPosition, events: Any) -> tuple[StepResult, float]:
    """One optimizer step at learning rate ``lr``, or an abort before it when the loss or the
    gradient norm is not finite. Returns the step's result and its wall time."""
    for group in opt.param_groups:
        group["lr"] = lr
    t0 = time.monotonic()
    result = train_step(model, params, opt, examples, lengths, step.examples, step.n_completion_tokens, cfg.grad_clip_norm, ctx, dist)
    if not (math.isfinite(result.loss) and math.isfinite(result.grad_norm)):
        events.metric("loss", result.loss if not math.isfinite(result.loss) else float("nan"), pos.global_step + 1)
        abort_run(dist, f"step {pos.global_step + 1}: non-finite loss {result.loss} or gradient norm {result.grad_norm}; the optimizer step was not taken; "
                  f"the last checkpoint ({cfg.checkpoint_path}, every {cfg.checkpoint_every_steps} steps) is kept")
    opt.step()
    if ctx.device.type == "cuda":
        torch.cuda.synchronize(ctx.device)  # honest step times for tokens_per_s
    return result, time.monotonic() - t0


def train(cfg: SftConfig, model: Any, named: Sequence[tuple[str, torch.nn.Parameter]], train_examples: Sequence[SftExample], val_examples: Sequence[SftExample], ctx: StepContext, fp: str, dist: Dist, events: Any) -> TrainOutcome:
    """The training loop over a model that takes Hugging Face keyword arguments and returns ``.logits``.

    One function on purpose (nanoGPT's train.py style): the order of eval, logging and
    checkpointing around a step is the resume contract, and reads best in one place."""
    params = [p for _, p in named]
    lengths = [len(e) for e in train_examples]
    counts = [e.n_completion_tokens for e in train_examples]
    n_per_epoch = steps_per_epoch(len(train_examples), cfg.examples_per_step, cfg.drop_last)
    if n_per_epoch == 0:
        raise ValueError(f"{cfg.train_jsonl}: {len(train_examples)} examples make no full step of {cfg.examples_per_step} with drop_last")
    total = n_per_epoch * cfg.epochs
    n_warmup = warmup_steps(total, cfg.warmup_ratio)
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.adam_betas), eps=cfg.adam_eps, weight_decay=cfg.weight_decay)
    pos = load_checkpoint(cfg.checkpoint_path, fp, named, opt, dist, events)
    if pos is not None:
        if (pos.epoch, pos.step_in_epoch) != locate(pos.global_step, n_per_epoch):
            raise ValueError(f"checkpoint {cfg.checkpoint_path}: position epoch {pos.epoch} step {pos.step_in_epoch} does not match global step {pos.global_step} at {n_per_epoch} steps per epoch")
        events.warning(f"resuming from {cfg.checkpoint_path} at step {pos.global_step} of {total} (epoch {pos.epoch + 1}, step {pos.step_in_epoch})")
    pos = pos or SftPosition()
    model.train()

    def run_eval() -> Optional[float]:
        value = evaluate(model, val_examples, ctx, dist, cfg.eval_max_examples)
        if value is not None:
            pos.val_history.append([pos.global_step, value])
            events.metric("val_loss", value, pos.global_step)
        return value

    def checkpoint() -> None:
        save_checkpoint(cfg.checkpoint_path, fp, named, opt, pos, dist)
        events.artifact(cfg.checkpoint_path, "checkpoint")

    if pos.global_step == 0 and cfg.eval_at_start:
        run_eval()
    window = LogWindow()
    with deferred_sigterm() as stop:
        while pos.epoch < cfg.epochs:
            plan = plan_steps(lengths, counts, examples_per_step=cfg.examples_per_step, max_tokens_per_row=ctx.max_tokens_per_row, seed=epoch_seed(cfg.seed, pos.epoch), drop_last=cfg.drop_last)
            while pos.step_in_epoch < len(plan):
                if dist.any(stop.requested):  # SIGTERM (on any rank) during the last step: keep it, then stop
                    checkpoint()
                    raise JobTerminated(f"SIGTERM: checkpoint saved at step {pos.global_step}")
                if cfg.stop_after_steps is not None and pos.global_step >= cfg.stop_after_steps:
                    checkpoint()
                    return TrainOutcome(pos, True, total, n_warmup, None)
                lr = lr_at(pos.global_step, total, n_warmup, cfg.lr, cfg.lr_schedule)
                result, wall = take_step(model, params, opt, train_examples, lengths, plan[pos.step_in_epoch], lr, cfg, ctx, dist, pos, events)
                pos.step_in_epoch += 1
                pos.global_step += 1
                pos.train_tokens += result.tokens
                pos.processed_tokens += result.processed_tokens
                pos.train_wall_s += wall
                window.add(result.loss, result.grad_norm, result.tokens, wall)
                if pos.global_step % cfg.log_every_steps == 0 or pos.global_step == total:
                    for name, value in window_metrics(window, lr, peak_memory_mb(ctx.device)):
                        events.metric(name, value, pos.global_step)
                    pos.last_loss = window.loss_sum / window.steps
                    window = LogWindow()
                    events.progress(pos.global_step, total, unit="steps", message=f"epoch {pos.epoch + 1}/{cfg.epochs}")
                if pos.global_step % cfg.eval_every_steps == 0:
                    run_eval()
                if pos.global_step % cfg.checkpoint_every_steps == 0:
                    checkpoint()
            pos.epoch += 1
            pos.step_in_epoch = 0
    final = pos.val_history[-1][1] if pos.val_history and pos.val_history[-1][0] == pos.global_step else run_eval()
    return TrainOutcome(pos, False, total, n_warmup, final)


# ---------------------------------------------------------------------------------------------
# the Hugging Face side (GPU machine): model, adapter, outputs


@dataclass
class BuiltModel:
    model: Any  # the PEFT model
    tokenizer: Any
    special: Any  # sft_special_tokens.SpecialTokenResult
    named: list[tuple[str, torch.nn.Parameter]]  # trainable parameters, float32
    keep_logits_supported: bool
    autocast: bool = False  # the stack's forward runs under torch.autocast (install_autocast)
    compiled_layers: int = 0  # decoder layers under torch.compile


def forward_accepts(model: Any, name: str) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return name in inspect.signature(base.forward).parameters


def enable_flex(attention: str) -> None:
    """Raise dynamo's recompile limit: flex compiles once per row length (and for eval separately)."""
    if attention != "flex":
        return
    import torch._dynamo

    for key in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, key):
            setattr(torch._dynamo.config, key, max(64, getattr(torch._dynamo.config, key)))
    if hasattr(torch._dynamo.config, "accumulated_cache_size_limit"):
        torch._dynamo.config.accumulated_cache_size_limit = max(512, torch._dynamo.config.accumulated_cache_size_limit)


def build_model(cfg: SftConfig, attention: str, device: torch.device) -> BuiltModel:
    from peft import LoraConfig, get_peft_model

    from burnqed.hf_loading import load_causal_lm, load_tokenizer
    from burnqed.sft_special_tokens import add_special_tokens

    torch.manual_seed(cfg.seed)  # resizing draws the new rows at random (transformers' mean resizing): the same in every run and on every rank
    tokenizer = load_tokenizer(cfg.tokenizer_dir or cfg.model_dir)
    model = load_causal_lm(cfg.model_dir, cfg.dtype, "flex_attention" if attention == "flex" else cfg.attn_implementation)
    special = add_special_tokens(model, tokenizer, cfg.special_tokens_mode)  # before tokenising: the markers become single tokens
    model.config.use_cache = False
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules=list(cfg.lora_target_modules), bias="none", task_type="CAUSAL_LM", **special.lora_kwargs)
    torch.manual_seed(cfg.seed + 1)  # LoRA A is initialised at random: the same on every rank and every run
    peft_model = get_peft_model(model, lora)
    named = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]
    for _, p in named:  # float32 master weights: a 3e-5 update is below bfloat16's resolution
        p.data = p.data.float()
    if cfg.special_tokens_mode == "modules_to_save":
        bridge_float32_modules(peft_model, torch_dtype_of(cfg.dtype))
    peft_model.to(device)
    autocast = cfg.lora_compute == "autocast" and install_autocast(peft_model, torch_dtype_of(cfg.dtype), device.type)
    compiled = compile_decoder_layers(peft_model, cfg.compile_scope) if cfg.compile_layers and device.type == "cuda" else 0
    named = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]
    return BuiltModel(peft_model, tokenizer, special, named, forward_accepts(peft_model, "logits_to_keep"), autocast, compiled)


def decoder_of(model: Any) -> Any:
    """The transformer stack (LlamaModel) under a PEFT model or a causal LM."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.get_decoder() if hasattr(base, "get_decoder") else base.model


def install_autocast(model: Any, compute_dtype: torch.dtype, device_type: str) -> bool:
    """Mixed precision as Hugging Face Trainer's ``bf16=True`` does it: the trained weights stay
    float32 (the optimizer's master copy), the forward of the transformer stack runs under
    ``torch.autocast(compute_dtype)``, so every LoRA matmul and its dropout run in bfloat16 on the
    bfloat16 activations. Without it PEFT casts each adapter's input up to float32 (210 full-size
    activation copies per forward at the 7B shape) and computes the LoRA path in float32.

    The stack's ``forward`` is wrapped, so the causal LM's forward, the joint job's encoder and
    gradient checkpointing's recomputation (it restores the autocast state) all see it; PEFT's input
    casting is switched off for good, so the recomputed activations keep their dtypes. The LM head
    stays outside (its logits go to a float32 CE as before). Returns False, changing nothing, for a
    float32 model or float16 on the CPU (no CPU autocast for it)."""
    if compute_dtype == torch.float32 or (device_type == "cpu" and compute_dtype != torch.bfloat16):
        return False
    decoder = decoder_of(model)
    if getattr(decoder, "_burnqed_autocast", None) is not None:
        return True
    for m in model.modules():
        if hasattr(m, "cast_input_dtype_enabled"):
            m.cast_input_dtype_enabled = False
    inner = decoder.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        with torch.autocast(device_type=device_type, dtype=compute_dtype):
            return inner(*args, **kwargs)

    decoder.forward = forward
    decoder._burnqed_autocast = compute_dtype
    return True


def uninstall_autocast(model: Any) -> None:
    """Undo install_autocast: the stack's own forward and PEFT's input casts again (the SFT bench
    measures both LoRA precisions on one loaded model)."""
    decoder = decoder_of(model)
    if getattr(decoder, "_burnqed_autocast", None) is None:
        return
    del decoder.forward  # the class's forward again
    decoder._burnqed_autocast = None
    for m in model.modules():
        if hasattr(m, "cast_input_dtype_enabled"):
            m.cast_input_dtype_enabled = True


def compile_decoder_layers(model: Any, scope: str = "mlp") -> int:
    """``torch.compile`` each decoder layer in place (regional compilation: one graph, reused by the
    30 layers of the same shape). ``scope`` (COMPILE_SCOPES): "layer" the whole layer, where a
    second row length makes dynamo compile a dynamic-shape graph; "layer_static" one static graph per
    row length; "mlp" the MLP and the two norms only, attention left eager. Returns the number of
    layers compiled.

    Measured on the H200 (bench/results/sft-gpu.md, session G): bench/sft-compile-check.py, tiny
    Llama in float32 under flex, gives for "mlp" the eager CE sums and LoRA gradients on every path
    (relative gaps <= 1.1e-7 and 6e-7). "layer" and "layer_static" give them under the job's
    document mask (packed rows, the only mask the job's steps and evaluation use), but a plain
    forward without a mask (transformers' own causal BlockMask) is 12 % off eager: they stay opt-in.
    Speed at the 7B shape, same 24 steps: eager 11,315 real tok/s, "mlp" 13,884 (1.23x), so
    ``compile_layers`` is on by default with scope "mlp"; test_sft's test_compiled_layers_equal_eager
    checks the default on the GPU."""
    if scope not in COMPILE_SCOPES:
        raise ValueError(f"compile_decoder_layers: scope must be one of {COMPILE_SCOPES}, got {scope!r}")
    layers = list(decoder_of(model).layers)
    for layer in layers:
        for m in compiled_modules(layer, scope):
            m.compile(**({"dynamic": False} if scope == "layer_static" else {}))
    return len(layers)


def compiled_modules(layer: Any, scope: str) -> list[Any]:
    """The modules of one decoder layer that ``scope`` compiles."""
    if scope == "mlp":
        return [layer.mlp, layer.input_layernorm, layer.post_attention_layernorm]
    return [layer]


def uncompile_decoder_layers(model: Any) -> None:
    """Undo compile_decoder_layers, whatever its scope: eager forwards again (the SFT bench runs
    several scopes on one loaded model)."""
    for layer in decoder_of(model).layers:
        for scope in COMPILE_SCOPES:
            for m in compiled_modules(layer, scope):
                m._compiled_call_impl = None


def torch_dtype_of(name: str) -> torch.dtype:
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def bridge_float32_modules(model: Any, compute_dtype: torch.dtype) -> None:
    """modules_to_save trains whole embed_tokens / lm_head copies, kept in float32 like every
    trained weight; the rest of the model computes in ``compute_dtype``. The input embedding's
    output goes back to ``compute_dtype`` and the output layer takes float32 input (its logits are
    float32: the CE is computed in float32 anyway). Without this a bfloat16 model fails in lm_head
    ("expected m1 and m2 to have the same dtype")."""
    if compute_dtype == torch.float32:
        return
    emb, out = model.get_input_embeddings(), model.get_output_embeddings()
    if emb is not None:
        emb.register_forward_hook(lambda _m, _args, y: y.to(compute_dtype) if torch.is_tensor(y) and y.is_floating_point() else y)
    if out is not None:
        out.register_forward_pre_hook(lambda _m, args: tuple(a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args))


def load_examples(cfg: SftConfig, tokenizer: Any) -> tuple[list[SftExample], list[SftExample], dict[str, Any]]:
    recipe = SftRecipe(max_length=cfg.max_length)
    train_examples, train_stats = tokenize_sft_records(tokenizer, read_sft_jsonl(cfg.train_jsonl), recipe)
    val_examples, val_stats = tokenize_sft_records(tokenizer, read_sft_jsonl(cfg.val_jsonl), recipe)
    if not train_examples:
        raise ValueError(f"{cfg.train_jsonl}: no SFT records")
    return train_examples, val_examples, {"train": train_stats.as_dict(), "val": val_stats.as_dict()}


def special_token_record(special: Any, tokenizer: Any) -> dict[str, Any]:
    return {
        "missing_before": list(special.plan.missing),
        "token_ids": {t: i for t, i in special.token_ids},
        "new_token_ids": list(special.new_token_ids),
        "embedding_rows_before": special.embedding_rows_before,
        "embedding_rows_after": special.embedding_rows_after,
        "extra_trainable_parameters": special.extra_trainable_parameters,
        "lora_kwargs": {k: v for k, v in special.lora_kwargs.items()},
        "markers_tokenise_as": {m: list(ids) for m, ids in marker_token_ids(tokenizer).items()},
    }


def save_adapter(cfg: SftConfig, built: BuiltModel, meta: Mapping[str, Any]) -> None:
    """out_dir: the adapter (LoRA + the token rows), the tokenizer with the markers, burnqed_sft.json."""
    with atomic_dir(cfg.out_dir) as tmp:
        # the new rows are in the adapter (trainable tokens or modules_to_save); merge_lora resizes the
        # base to embedding_rows first, so the full embedding matrices need not be copied into it
        built.model.save_pretrained(tmp, save_embedding_layers=False)
        built.tokenizer.save_pretrained(tmp)
        write_json_atomic(os.path.join(tmp, META_FILE), dict(meta))


def main(config: dict[str, Any], events: EventWriter) -> Optional[dict[str, Any]]:
    t_start = time.monotonic()
    cfg = SftConfig.from_dict(config)
    dist = Dist.from_env(cfg.device)
    ev: Any = events if dist.is_main else NullEvents()
    try:
        attention = resolve_attention(cfg.attention, dist.device.type)
        enable_flex(attention)
        data_hashes = {"train": file_sha256(cfg.train_jsonl), "val": file_sha256(cfg.val_jsonl)}
        fp = fingerprint(cfg, data_hashes)
        ev.progress(0, 1, unit="load", message=f"loading {cfg.model_dir} ({cfg.dtype}, attention {attention}, {dist.world_size} rank(s))")
        built = build_model(cfg, attention, dist.device)
        dist.broadcast_([p for _, p in built.named])
        train_examples, val_examples, data_stats = load_examples(cfg, built.tokenizer)
        from burnqed.hf_loading import pad_token_id, torch_dtype

        ctx = StepContext(
            attention=attention, dtype=torch_dtype(cfg.dtype), device=dist.device, pad_id=pad_token_id(built.tokenizer), pad_multiple=resolve_pad_multiple(cfg, attention),
            keep_completion_logits=cfg.logits_on_completion_only and built.keep_logits_supported, max_tokens_per_row=cfg.max_tokens_per_row, rows_per_micro_batch=cfg.rows_per_micro_batch,
        )
        specials = special_token_record(built.special, built.tokenizer)
        print(f"burnqed.sft: special tokens ({cfg.special_tokens_mode}): {json.dumps(specials)}", file=sys.stderr)
        outcome = train(cfg, built.model, built.named, train_examples, val_examples, ctx, fp, dist, ev)
        if outcome.stopped_early:
            return {"stopped_at_step": outcome.position.global_step, "fingerprint": fp} if dist.is_main else None
        summary = training_summary(cfg, outcome, built, ctx, data_stats, specials, fp, dist, time.monotonic() - t_start)
        if dist.is_main:
            save_adapter(cfg, built, {"kind": "sft_adapter", "base_model": cfg.model_dir, "embedding_rows": built.special.embedding_rows_after, "special_tokens": specials,
                                      "special_tokens_mode": cfg.special_tokens_mode, "fingerprint": fp, "code_version": summary["code_version"], "recipe": cfg.recipe()})
            ev.artifact(cfg.out_dir, "model")
            for note in write_json_atomic(cfg.out_summary, summary):
                ev.warning(f"{cfg.out_summary}: {note}")
            ev.artifact(cfg.out_summary, "json")
        dist.barrier()
        return {k: v for k, v in summary.items() if k != "config"} if dist.is_main else None
    finally:
        dist.close()


def training_summary(cfg: SftConfig, outcome: TrainOutcome, built: BuiltModel, ctx: StepContext, data_stats: Mapping[str, Any], specials: Mapping[str, Any], fp: str, dist: Dist, wall_s: float) -> dict[str, Any]:
    pos = outcome.position
    return {
        "kind": "sft_training",
        "steps": pos.global_step,
        "total_steps": outcome.total_steps,
        "warmup_steps": outcome.warmup_steps,
        "epochs": cfg.epochs,
        "final_train_loss": pos.last_loss,
        "val_loss": outcome.final_val_loss,
        "val_history": pos.val_history,
        "tokens_per_s": pos.train_tokens / pos.train_wall_s if pos.train_wall_s > 0 else None,
        "train_tokens": pos.train_tokens,
        "padding_efficiency": pos.train_tokens / pos.processed_tokens if pos.processed_tokens else None,
        "trainable_parameters": sum(p.numel() for _, p in built.named),
        "special_tokens_mode": cfg.special_tokens_mode,
        "special_tokens": dict(specials),
        "attention": ctx.attention,
        "lora_compute": "autocast" if built.autocast else "float32",  # what ran: float32 for a float32 model whatever the config says
        "compiled_layers": built.compiled_layers,
        "pad_to_multiple_of": ctx.pad_multiple,
        "logits_on_completion_only": ctx.keep_completion_logits,
        "world_size": dist.world_size,
        "data": dict(data_stats),
        "wall_s": wall_s,
        "fingerprint": fp,
        "code_version": code_version(),
        "config": dataclasses.asdict(cfg),
    }


if __name__ == "__main__":
    if "TORCHELASTIC_RUN_ID" in os.environ or "LOCAL_RANK" in os.environ:
        # under torchrun / accelerate our parent is the launcher, not the runner that set
        # BURNQED_PARENT_PID: watch the launcher (the runner kills its whole process group)
        os.environ["BURNQED_PARENT_PID"] = str(os.getppid())
    run_job(main)
