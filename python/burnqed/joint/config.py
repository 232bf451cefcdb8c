"""JointConfig: the joint SFT + InfoNCE job's one frozen config (plan Tasks 3.1–3.5, 4.1, 4.2).

Defaults are the plan's values where it gives them (Task 4.1's command line: LoRA r 64, lr 2e-5 for
the LoRA and 3e-5 for the head, λ 0.1, 6,000 steps, warmup 300, K 3, hard ratio 0.6, eval every
500, save every 1000; Task 3.2: alpha 128, dropout 0.05 on the seven projections; Task 3.4: grad
through the positive and one hard negative, temperature every 50 steps). What the plan leaves out
is the decoupled recipes' choice on each side (the SFT job's for the LoRA, train_ebm's for the
head), or a lab choice said so next to the key.

Restarts after an abort rule (src/jobs/abort-rules.ts TASK_4_1_ABORT_RULES): the runner stops the
job (SIGTERM → a checkpoint at the step boundary), then starts it again with
``resume_from_checkpoint`` (the last ``checkpoint`` artifact) and ``remedy`` (the rule's id):

    centroid_l2_below_3            → λ = 0.3 from the checkpoint's step on (plan: "increase λ to 0.3")
    sft_loss_above_0.5_after_2000  → λ = 0.03                           (plan: "decrease λ to 0.03")

or ``lambda_override`` for any other λ. The recipe must otherwise be the checkpoint's (an error names
the differing keys); the λ schedule and every remedy applied are recorded in the checkpoints and
the summary. The other rules' remedies ("check data pipeline", "debug energy scale", "check
gradient clipping") are investigations, not config changes, so they are not accepted here.

``debug_force`` (tests and the TypeScript runner's abort-rule scenario only, never a real run):
``{"collapse_centroids": true}`` shrinks the probe embeddings towards their mean before the
separation metrics (so ``centroid_l2`` < 3 is emitted at every eval); ``{"nan_at_step": k}`` makes
step k's SFT loss NaN (the job then emits a NaN ``sft_loss`` and aborts before the optimizer
step). It is a run control: not in the fingerprint, so a run restarted without it resumes the
checkpoint a forced run wrote.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from burnqed.ebm_head import PLAN_HIDDEN_DIMS, EnergyHeadConfig
from burnqed.embed import DEFAULT_RECIPE, EmbedRecipe
from burnqed.sft import ATTENTION_MODES, PLAN_LORA_TARGETS, SftConfig, file_sha256
from burnqed.sft_schedule import LR_SCHEDULES
from burnqed.sft_special_tokens import MODES as SPECIAL_TOKEN_MODES
from burnqed.strict_config import config_from_dict

ENERGY_ENCODINGS = ("packed", "padded")  # how the training step lays out the energy path's sequences (model.JointProver)
HEAD_INITS = (
    "fresh",  # a new GoalConditionedEnergyHead (the plan's JointProver builds one)
    "iter_0",  # start from iter_0's decoupled head weights (same architecture, asserted)
)


@dataclass(frozen=True)
class Remedy:
    lambda_ebm: float
    plan: str  # the plan's words


# keyed by the abort rule ids of src/jobs/abort-rules.ts, so the runner passes firing.rule.id as is
REMEDIES: Mapping[str, Remedy] = {
    "centroid_l2_below_3": Remedy(0.3, "centroid_l2 < 3.0 at any eval → increase λ to 0.3, restart from checkpoint"),
    "sft_loss_above_0.5_after_2000": Remedy(0.03, "SFT loss > 0.5 after step 2000 → decrease λ to 0.03, restart"),
}
MANUAL_REMEDIES = ("ebm_rank1_below_0.25_after_2000", "temperature_at_bound_500_steps", "non_finite_metric")


@dataclass(frozen=True)
class DebugForce:
    """Planted failures for tests (see the module docstring). Never set in a real run."""

    collapse_centroids: bool = False
    nan_at_step: Optional[int] = None

    def validate(self) -> None:
        if self.nan_at_step is not None and (isinstance(self.nan_at_step, bool) or not isinstance(self.nan_at_step, int) or self.nan_at_step < 1):
            raise ValueError(f"joint config: debug_force.nan_at_step must be a positive step number, got {self.nan_at_step!r}")


@dataclass(frozen=True)
class JointConfig:
    # inputs: files the TypeScript stages wrote
    model_dir: str  # the base model (a folder or a Hugging Face id; see the report's open question on base vs iter_0 merged)
    train_jsonl: str  # sft_train.jsonl (the SFT job's format)
    val_jsonl: str  # sft_val.jsonl
    plan_dir: str  # the decoupled trainer's contrastive plan (iter_0/ebm/contrastive_plan): its row numbers index state_texts
    state_texts: str  # iter_0/embeddings/state_texts.jsonl: the texts the plan's rows were embedded from
    goal_texts: str  # iter_0/embeddings/goal_texts.jsonl: one root goal per theorem
    goal_index: str  # iter_0/embeddings/goal_index.npy: goal row of each state row
    iter0_head_pt: str  # iter_0/ebm/goal_conditioned_head.pt: the head config the joint head must equal
    iter0_embedding_meta: str  # iter_0/embeddings/embedding_meta.json: the recipe the joint encoder must equal
    # outputs
    out_adapter_dir: str  # LoRA + token rows + tokenizer + burnqed_sft.json (what merge_lora reads)
    out_merged_dir: str  # iter_1/model/merged
    out_merge_summary: str  # merge_lora's summary (its logit check)
    out_head_pt: str  # iter_1/ebm/goal_conditioned_head.pt (config C's head)
    out_head_onnx: str  # iter_1/ebm/goal_conditioned_head.onnx
    out_summary: str  # training summary JSON
    checkpoint_dir: str  # resumable checkpoints, joint-<run fingerprint>-step<N>.pt
    tokenizer_dir: Optional[str] = None  # default: model_dir
    # recipe: the LM side (plan Tasks 3.2, 4.1; unstated optimizer settings: the SFT job's)
    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    lora_target_modules: tuple[str, ...] = PLAN_LORA_TARGETS
    lr_lora: float = 2e-5
    lr_head: float = 3e-5
    lambda_ebm: float = 0.1
    total_steps: int = 6000
    warmup_steps: int = 300
    lr_schedule: str = "linear"  # both groups; the plan names no decay: the SFT job's (Hugging Face's) default
    # recipe: the contrastive stream (plan Tasks 3.1, 3.4; K and hard ratio as the decoupled trainer)
    k_negatives: int = 3
    hard_ratio: float = 0.6
    n_grad_negatives: int = 1  # negatives encoded with grad (the first hard one); the others under no_grad
    goal_grad: bool = False  # the plan lists pos + 1 hard neg only: goals are encoded without grad
    sft_examples_per_step: int = 16  # lab choice: the SFT job's step (batch 2 x accumulation 8)
    groups_per_step: int = 16  # lab choice: one contrastive group per SFT example (~6-8 h for 6000 steps at the 7B shape)
    max_length: int = 2048  # SFT example budget (the SFT job's)
    dtype: str = "bfloat16"  # base weights' compute dtype: must be the embedding recipe's compute_dtype
    embed_recipe: EmbedRecipe = DEFAULT_RECIPE
    # recipe: the head (the decoupled trainer's; asserted equal to iter_0's head)
    hidden_dims: tuple[int, ...] = PLAN_HIDDEN_DIMS
    head_dropout: float = 0.15
    head_init: str = "fresh"
    weight_decay_lora: float = 0.0  # the SFT job's
    weight_decay_head: float = 0.01  # train_ebm's
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    grad_clip_norm_lora: float = 1.0  # each side clipped as its decoupled trainer clips it (0: no clipping)
    grad_clip_norm_head: float = 1.0
    seed: int = 0
    special_tokens_mode: str = "trainable_token_rows"
    # monitoring (plan Task 3.4 / 4.1); evaluation draws no random numbers and changes no state, so
    # these are not part of the recipe
    log_every_steps: int = 10
    temperature_every_steps: int = 50
    eval_every_steps: int = 500
    checkpoint_every_steps: int = 1000  # plan: --save-every 1000
    eval_at_start: bool = True  # step 0: the baseline every later eval is read against
    eval_max_groups: int = 512  # held-out rank-1 groups (their states are also the probe's rows)
    eval_max_anchors: int = 512  # held-out anchors for val_infonce_loss
    eval_max_sft_examples: Optional[int] = 256  # held-out SFT examples for val_sft_loss (None: all)
    probe_folds: int = 5  # the plan's cross_val_score(LogisticRegression(max_iter=1000), X, y, cv=5)
    probe_c: float = 1.0
    probe_max_iter: int = 1000
    # run controls: how the work is laid out, not what is learned (up to float rounding and the order dropout masks are drawn in)
    device: str = "auto"
    attention: str = "block_mask"  # SFT rows: packed with a block mask; sdpa everywhere, so the encoder is the embed job's
    attn_implementation: str = "sdpa"
    max_tokens_per_row: int = 2048
    rows_per_micro_batch: int = 1
    groups_per_micro_batch: int = 4  # 8 sequences with grad + 12 without, packed: at the 7B shape the fastest that stays at the SFT micro-batch's peak (8: 44 GiB; bench/results/joint-gpu.md, session H)
    energy_encode: str = "packed"  # the step's energy path: "packed" rows under the SFT rows' mask (no padding) or "padded" batches (model.py)
    encode_max_tokens: int = 16384  # evaluation encodes: length-grouped batches (the embed job's budget)
    encode_max_batch: int = 64
    pad_to_multiple_of: Optional[int] = None
    logits_on_completion_only: bool = True
    gradient_checkpointing: bool = False
    keep_checkpoints: int = 3  # of this run's checkpoint files (other runs' files are never deleted)
    stop_after_steps: Optional[int] = None
    merge_model: bool = True  # run merge_lora on the adapter at the end (its logit check included)
    export_onnx: bool = True
    export_check_rows: int = 64  # held-out states re-embedded with the merged model to compare energies
    # restarts (module docstring)
    resume_from_checkpoint: Optional[str] = None
    remedy: Optional[str] = None
    lambda_override: Optional[float] = None
    debug_force: Optional[DebugForce] = None

    RECIPE_KEYS = (
        "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lr_lora", "lr_head", "lambda_ebm", "total_steps", "warmup_steps",
        "lr_schedule", "k_negatives", "hard_ratio", "n_grad_negatives", "goal_grad", "sft_examples_per_step", "groups_per_step", "max_length",
        "dtype", "embed_recipe", "hidden_dims", "head_dropout", "head_init", "weight_decay_lora", "weight_decay_head", "adam_betas", "adam_eps",
        "grad_clip_norm_lora", "grad_clip_norm_head", "seed", "special_tokens_mode",
    )
    INPUT_FILES = ("train_jsonl", "val_jsonl", "state_texts", "goal_texts", "goal_index")

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "JointConfig":
        return config_from_dict(JointConfig, raw, where="joint config")

    def validate(self) -> None:
        def bad(key: str, why: str) -> None:
            raise ValueError(f"joint config: '{key}' {why}, got {getattr(self, key)!r}")

        for key in ("lora_r", "lora_alpha", "total_steps", "k_negatives", "sft_examples_per_step", "groups_per_step", "log_every_steps", "temperature_every_steps",
                    "eval_every_steps", "checkpoint_every_steps", "eval_max_groups", "eval_max_anchors", "probe_folds", "probe_max_iter", "max_tokens_per_row",
                    "rows_per_micro_batch", "groups_per_micro_batch", "encode_max_tokens", "encode_max_batch", "keep_checkpoints", "export_check_rows"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                bad(key, "must be a positive integer")
        if isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int) or not 0 <= self.warmup_steps < self.total_steps:
            bad("warmup_steps", f"must be an integer in [0, total_steps {self.total_steps})")
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 2:
            bad("max_length", "must be an integer >= 2")
        if self.max_tokens_per_row < self.max_length:
            bad("max_tokens_per_row", f"must be >= max_length {self.max_length} (a row must hold the longest example)")
        for key in ("lr_lora", "lr_head", "adam_eps", "probe_c"):
            if not getattr(self, key) > 0:
                bad(key, "must be > 0")
        for key in ("weight_decay_lora", "weight_decay_head", "grad_clip_norm_lora", "grad_clip_norm_head", "lambda_ebm"):
            if not getattr(self, key) >= 0:
                bad(key, "must be >= 0")
        if not 0.0 <= self.lora_dropout < 1.0:
            bad("lora_dropout", "must be in [0, 1)")
        if not 0.0 <= self.hard_ratio <= 1.0:
            bad("hard_ratio", "must be in [0, 1]")
        n_hard = int(round(self.hard_ratio * self.k_negatives))
        if isinstance(self.n_grad_negatives, bool) or not isinstance(self.n_grad_negatives, int) or not 0 <= self.n_grad_negatives <= self.k_negatives:
            bad("n_grad_negatives", f"must be an integer in [0, k_negatives {self.k_negatives}]")
        if self.n_grad_negatives > n_hard:
            bad("n_grad_negatives", f"must be <= the {n_hard} hard negatives of round(hard_ratio x k_negatives): the plan sends grad through hard negatives only")
        if self.lr_schedule not in LR_SCHEDULES:
            bad("lr_schedule", f"must be one of {LR_SCHEDULES}")
        if self.attention not in ATTENTION_MODES:
            bad("attention", f"must be one of {ATTENTION_MODES}")
        if self.energy_encode not in ENERGY_ENCODINGS:
            bad("energy_encode", f"must be one of {ENERGY_ENCODINGS}")
        if self.special_tokens_mode not in SPECIAL_TOKEN_MODES:
            bad("special_tokens_mode", f"must be one of {SPECIAL_TOKEN_MODES}")
        if self.head_init not in HEAD_INITS:
            bad("head_init", f"must be one of {HEAD_INITS}")
        if self.dtype not in ("bfloat16", "float16", "float32"):
            bad("dtype", "must be bfloat16, float16 or float32")
        if self.dtype != self.embed_recipe.compute_dtype:
            bad("dtype", f"must be the embedding recipe's compute_dtype {self.embed_recipe.compute_dtype!r}: the energy path embeds with the recipe (design pitfall 3)")
        if not self.lora_target_modules:
            bad("lora_target_modules", "must name at least one module")
        if not 0.0 <= self.head_dropout < 1.0:
            bad("head_dropout", "must be in [0, 1)")
        for key in ("pad_to_multiple_of", "eval_max_sft_examples", "stop_after_steps"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                bad(key, "must be a positive integer or null")
        self.validate_restart()

    def validate_restart(self) -> None:
        if self.remedy is not None and self.remedy not in REMEDIES:
            manual = f"; the plan's remedy for '{self.remedy}' is an investigation, not a config change" if self.remedy in MANUAL_REMEDIES else ""
            raise ValueError(f"joint config: 'remedy' must be one of {sorted(REMEDIES)} (abort rule ids), got {self.remedy!r}{manual}")
        if self.remedy is not None and self.lambda_override is not None:
            raise ValueError(f"joint config: give 'remedy' ({self.remedy!r}) or 'lambda_override' ({self.lambda_override!r}), not both")
        if self.lambda_override is not None and not self.lambda_override >= 0:
            raise ValueError(f"joint config: 'lambda_override' must be >= 0, got {self.lambda_override!r}")
        if (self.remedy is not None or self.lambda_override is not None) and self.resume_from_checkpoint is None:
            raise ValueError("joint config: 'remedy' / 'lambda_override' change λ from a checkpoint's step on: they need 'resume_from_checkpoint'")

    # -----------------------------------------------------------------------------------------

    def restart_lambda(self) -> Optional[float]:
        """The λ a restart switches to (None: no change)."""
        if self.remedy is not None:
            return REMEDIES[self.remedy].lambda_ebm
        return self.lambda_override

    def recipe(self) -> dict[str, Any]:
        """What determines the trained weights (with the data and the base model), JSON-shaped."""
        out = {k: getattr(self, k) for k in self.RECIPE_KEYS}
        out["embed_recipe"] = dataclasses.asdict(self.embed_recipe)
        return json.loads(json.dumps(out, default=list))

    def head_config(self, d_model: int) -> EnergyHeadConfig:
        """The GoalConditionedEnergyHead's config; the fields the joint config has no key for are the
        module's defaults (the check against iter_0's head covers every field)."""
        return EnergyHeadConfig(d_model=d_model, hidden_dims=tuple(self.hidden_dims), dropout=self.head_dropout)

    def n_hard_negatives(self) -> int:
        """round(hard_ratio x K): what contrastive_plan.sample_negatives draws from siblings first."""
        return int(round(self.hard_ratio * self.k_negatives))

    def sft_config(self) -> SftConfig:
        """The LM half of the recipe as the SFT job's config: the joint job builds the model, reads and
        tokenises the SFT data and saves the adapter with the SFT job's own functions, which take one.
        Its epochs / lr schedule / checkpoint fields are not used by those functions."""
        raw = {
            "model_dir": self.model_dir, "train_jsonl": self.train_jsonl, "val_jsonl": self.val_jsonl, "out_dir": self.out_adapter_dir,
            "out_summary": self.out_summary, "checkpoint_path": os.path.join(self.checkpoint_dir, "unused-by-joint.pt"), "tokenizer_dir": self.tokenizer_dir,
            "lora_r": self.lora_r, "lora_alpha": self.lora_alpha, "lora_dropout": self.lora_dropout, "lora_target_modules": list(self.lora_target_modules),
            "lr": self.lr_lora, "examples_per_step": self.sft_examples_per_step, "max_length": self.max_length, "dtype": self.dtype,
            "weight_decay": self.weight_decay_lora, "adam_betas": list(self.adam_betas), "adam_eps": self.adam_eps, "grad_clip_norm": self.grad_clip_norm_lora,
            "seed": self.seed, "special_tokens_mode": self.special_tokens_mode, "device": self.device, "max_tokens_per_row": self.max_tokens_per_row,
            "rows_per_micro_batch": self.rows_per_micro_batch, "attention": self.attention, "attn_implementation": self.attn_implementation,
            "pad_to_multiple_of": self.pad_to_multiple_of, "logits_on_completion_only": self.logits_on_completion_only,
            "gradient_checkpointing": self.gradient_checkpointing,
            "compile_layers": False,  # the joint step's encoder sees a new padded length every batch; measured eager only
        }
        return SftConfig.from_dict(raw)


# ---------------------------------------------------------------------------------------------
# fingerprints


def data_hashes(cfg: JointConfig) -> dict[str, str]:
    """sha256 of every input file (the plan directory as one hash over its .npy files)."""
    out = {key: file_sha256(getattr(cfg, key)) for key in JointConfig.INPUT_FILES}
    files = sorted(glob.glob(os.path.join(cfg.plan_dir, "*.npy")))
    if not files:
        raise ValueError(f"joint config: plan_dir {cfg.plan_dir} holds no .npy files (a contrastive plan written by src/ebm/contrastive-plan.ts)")
    h = hashlib.sha256()
    for path in files:
        h.update(os.path.basename(path).encode() + b"\0" + file_sha256(path).encode())
    out["plan_dir"] = h.hexdigest()
    return out


def base_fingerprint(cfg: JointConfig, hashes: Mapping[str, str]) -> str:
    """The recipe, the data's content and the base model (name and identity, hf_loading.model_identity): what a checkpoint must share to be resumed."""
    from burnqed.hf_loading import model_identity

    key = {"recipe": cfg.recipe(), "data": dict(hashes), "model": cfg.model_dir, "tokenizer": cfg.tokenizer_dir, "model_identity": model_identity(cfg.model_dir)}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def restart_fingerprint(origin_run_fingerprint: str, origin_step: int, new_lambda: Optional[float]) -> str:
    """The identity of a run restarted from another run's checkpoint (with a λ change or not): its
    own checkpoints carry it, so a second interruption resumes the restarted run, not its origin."""
    key = {"from": origin_run_fingerprint, "step": origin_step, "lambda": new_lambda}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
