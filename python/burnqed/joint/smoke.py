"""Smoke test of joint training (plan Task 3.5): one optimizer step at a given shape.

Run: ``python -m burnqed.joint.smoke --config cfg.json`` (:class:`SmokeConfig`). The model is built
exactly as training builds it (sft.build_model through JointConfig.sft_config(), the same head),
and the step is training's own code (train.sft_backward, train.contrastive_backward, the clipping
and AdamW of train.make_optimizer). Inputs are synthetic token ids of the requested lengths, so
neither data files nor a tokenizer vocabulary of the real size are needed.

The model is either a folder (``model_dir``) or ``random_init``: the DeepSeek-Prover-V1.5 shape
(Llama, hidden 4096, 30 layers, intermediate 11008, 32 heads, vocabulary 102400; ``random_init_overrides``
changes any LlamaConfig field) with random bfloat16 weights initialised directly on the device —
no weights file. :func:`write_random_init_dir` writes its config.json and a small byte-level BPE
tokenizer (the markers are added by the SFT job's code, as for the real tokenizer); only the weights
loader is swapped for a random initialiser of the same config while the model is built.

Checks (a failed one aborts the job, exit 3, naming it): the SFT loss and the InfoNCE are finite;
the LoRA's gradient is non-zero, also the part that comes through the energy path alone; the head's
gradient is non-zero; peak device memory (after the optimizer step, AdamW states included) is below
``max_peak_mem_gb`` (plan: 36 GB). The summary reports every number and the step's time.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

import numpy as np
import torch

from burnqed.atomic_io import write_json_atomic
from burnqed.events import EventWriter, JobAbort, run_job
from burnqed.joint.config import JointConfig
from burnqed.joint.dataset import GroupTokens
from burnqed.joint.model import ProverBuild, build_hf_prover
from burnqed.joint.train import contrastive_backward, energy_encoder, make_optimizer, sft_backward, step_backward, step_context
from burnqed.sft import resolve_attention
from burnqed.sft_data import IGNORE_INDEX, SftExample
from burnqed.strict_config import config_from_dict
from burnqed.train_ebm import pick_device

# DeepSeek-Prover-V1.5-Base's config.json (the Llama fields that set the shape)
DEEPSEEK_PROVER_V1_5 = {
    "vocab_size": 102400,
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 30,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-6,
    "bos_token_id": 100000,
    "eos_token_id": 100001,
    "tie_word_embeddings": False,
}
RANDOM_SHAPES = {"deepseek_prover_v1_5": DEEPSEEK_PROVER_V1_5}
# lengths="realistic": upstream's measured token lengths. SFT examples (prompt + tactic + EOS):
# lognormal through p50 199 / p95 539 (p99 831), tactics lognormal with median 24 (bench/sft-gpu.py's
# mix); states and goals: lognormal, median 170, p95 ~506 (mean ~201; bench/embed-schedule-gpu.py's).
# Each is cut at the config's token count for it.
REALISTIC_MIX = {"sft": (199, 539), "completion": (24, 0.6), "state": (170, 506)}
PLACEHOLDER = "unused-by-smoke"
VARIANT_KEYS = ("energy_encode", "groups_per_micro_batch")  # run controls of the energy path a timed variant may change
TOKENIZER_TEXTS = (  # real Lean states (../shared/data/tactic_states) for the small tokenizer
    "⊢ 1 * 3 ^ 3 + 2 * 3 ^ 2 + 2 * 3 + 2 = 53",
    "b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\n⊢ v = 65",
    "x : ℝ\nh₀ : x ≠ 0\n⊢ {y | y = x} = {x}",
    "n : ℕ\nh₀ : n % 5 = 3\n⊢ 2 * n % 5 = 1",
    "norm_num", "rw [h₁, h₂, h₃]", "linarith", "omega", "nlinarith [sq_nonneg (a - b)]",
)


@dataclass(frozen=True)
class SmokeConfig:
    model_dir: Optional[str] = None  # a model folder, or:
    random_init: Optional[str] = None  # "deepseek_prover_v1_5": that shape, random weights
    random_init_overrides: Optional[dict] = None  # LlamaConfig fields over the shape (e.g. fewer layers on a CPU)
    tokenizer_dir: Optional[str] = None  # default: model_dir, or the random-init folder's small tokenizer
    out_summary: Optional[str] = None
    joint: Optional[dict] = None  # JointConfig keys over its defaults (recipe and run controls; no paths)
    # the step's shape (defaults: one plan step, every state and goal at the recipe's 512-token cap)
    sft_examples: int = 16
    sft_prompt_tokens: int = 192
    sft_completion_tokens: int = 64
    groups: int = 16
    state_tokens: int = 512
    goal_tokens: int = 512
    lengths: str = "fixed"  # "fixed": the token counts above; "realistic": drawn from REALISTIC_MIX (the counts above become caps)
    timed_groups: Optional[list] = None  # also time joint steps on the first g groups, for each g here (the groups/step trade-off in one run)
    timed_variants: Optional[list] = None  # also time each layout of the energy path here, e.g. [{"energy_encode": "padded"}, {"groups_per_micro_batch": 8}] (keys: VARIANT_KEYS)
    max_peak_mem_gb: float = 36.0  # plan Task 3.5
    timed_steps: int = 2  # after the checked first step: this many joint steps and SFT-only steps on the same SFT batch, timed (0: none)
    device: str = "auto"
    seed: int = 0

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "SmokeConfig":
        return config_from_dict(SmokeConfig, raw, where="joint smoke config")

    def validate(self) -> None:
        if (self.model_dir is None) == (self.random_init is None):
            raise ValueError(f"joint smoke config: give exactly one of 'model_dir' and 'random_init', got {self.model_dir!r} and {self.random_init!r}")
        if self.random_init is not None and self.random_init not in RANDOM_SHAPES:
            raise ValueError(f"joint smoke config: 'random_init' must be one of {sorted(RANDOM_SHAPES)}, got {self.random_init!r}")
        for key in ("sft_examples", "sft_prompt_tokens", "sft_completion_tokens", "groups", "state_tokens", "goal_tokens"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"joint smoke config: '{key}' must be a positive integer, got {v!r}")
        if self.lengths not in ("fixed", "realistic"):
            raise ValueError(f"joint smoke config: 'lengths' must be 'fixed' or 'realistic', got {self.lengths!r}")
        if self.timed_groups is not None and (not isinstance(self.timed_groups, list) or not all(isinstance(g, int) and not isinstance(g, bool) and 1 <= g <= self.groups for g in self.timed_groups)):
            raise ValueError(f"joint smoke config: 'timed_groups' must be a list of group counts in [1, groups={self.groups}], got {self.timed_groups!r}")
        for v in self.timed_variants or []:
            if not isinstance(v, dict) or not v or set(v) - set(VARIANT_KEYS):
                raise ValueError(f"joint smoke config: each of 'timed_variants' must be a non-empty object with keys from {VARIANT_KEYS}, got {v!r}")
            JointConfig.from_dict({**{k: PLACEHOLDER for k, f in JointConfig.__dataclass_fields__.items() if f.default is dataclasses.MISSING}, **(self.joint or {}), **v})  # validates the values
        paths = {k for k in (self.joint or {}) if k in JointConfig.__dataclass_fields__ and JointConfig.__dataclass_fields__[k].default is dataclasses.MISSING}
        if paths:
            raise ValueError(f"joint smoke config: 'joint' must not set paths ({sorted(paths)}): the smoke test reads and writes no data")


# ---------------------------------------------------------------------------------------------
# a random-init model of the real shape


def small_tokenizer(vocab_size: int = 320) -> Any:
    """A byte-level BPE fast tokenizer trained on a few Lean strings (BOS prepended, pad = EOS)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(list(TOKENIZER_TEXTS) * 4, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="</s>")


def write_random_init_dir(path: str, shape: str = "deepseek_prover_v1_5", overrides: Optional[Mapping[str, Any]] = None) -> str:
    """config.json of the shape (no weights) and a small tokenizer in ``path``; returns ``path``."""
    from transformers import LlamaConfig

    os.makedirs(path, exist_ok=True)
    LlamaConfig(**{**RANDOM_SHAPES[shape], **dict(overrides or {})}).save_pretrained(path)
    small_tokenizer().save_pretrained(path)
    return path


@contextlib.contextmanager
def random_weights(device: torch.device) -> Iterator[None]:
    """While active, hf_loading.load_causal_lm builds the folder's config with random weights on
    ``device`` instead of reading weights (sft.build_model looks the loader up at call time)."""
    import burnqed.hf_loading as hf

    original = hf.load_causal_lm

    def random_causal_lm(path: str, dtype: str, attn_implementation: Optional[str] = None, device_arg: Any = None) -> Any:
        from transformers import AutoConfig, AutoModelForCausalLM

        with torch.device(device):
            return AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(path), **hf.from_pretrained_kwargs(dtype, attn_implementation))

    hf.load_causal_lm = random_causal_lm  # type: ignore[assignment]
    try:
        yield
    finally:
        hf.load_causal_lm = original  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------
# the synthetic step


def synthetic_lengths(cfg: SmokeConfig, k: int, rng: np.random.Generator) -> tuple[list[tuple[int, int]], list[int], list[list[int]], list[int]]:
    """(prompt, completion) token counts of the SFT examples; positive, negative and goal token counts."""
    g = cfg.groups
    if cfg.lengths == "fixed":
        return [(cfg.sft_prompt_tokens, cfg.sft_completion_tokens)] * cfg.sft_examples, [cfg.state_tokens] * g, [[cfg.state_tokens] * k for _ in range(g)], [cfg.goal_tokens] * g

    def draw(median: float, p95: float, n: int, cap: int) -> list[int]:
        sigma = math.log(p95 / median) / 1.6448536269514722
        return np.clip(np.rint(rng.lognormal(math.log(median), sigma, size=n)), 8, cap).astype(int).tolist()

    total = draw(*REALISTIC_MIX["sft"], cfg.sft_examples, cfg.sft_prompt_tokens + cfg.sft_completion_tokens)
    median, sigma = REALISTIC_MIX["completion"]
    tactic = np.clip(np.rint(rng.lognormal(math.log(median), sigma, size=cfg.sft_examples)), 2, cfg.sft_completion_tokens).astype(int).tolist()
    sft = [(max(4, n - min(c, n // 2)), min(c, n // 2)) for n, c in zip(total, tactic)]
    states = draw(*REALISTIC_MIX["state"], g * (1 + k), cfg.state_tokens)
    return sft, states[:g], [states[g + i * k : g + (i + 1) * k] for i in range(g)], draw(*REALISTIC_MIX["state"], g, cfg.goal_tokens)


def synthetic_inputs(cfg: SmokeConfig, k: int, vocab: int, bos: Optional[int], eos: int, seed: int) -> tuple[list[SftExample], GroupTokens]:
    rng = np.random.default_rng(seed)
    sft, pos, neg, goal = synthetic_lengths(cfg, k, rng)

    def ids(n: int) -> list[int]:
        body = rng.integers(3, vocab, size=n).tolist()
        return ([bos] + body[1:]) if bos is not None else body

    examples = []
    for i, (n_prompt, n_completion) in enumerate(sft):
        prompt, completion = ids(n_prompt), rng.integers(3, vocab, size=n_completion - 1).tolist() + [eos]
        examples.append(SftExample(row=f"smoke {i}", input_ids=tuple(prompt + completion), labels=tuple([IGNORE_INDEX] * len(prompt) + completion), n_completion_tokens=len(completion)))
    tokens = GroupTokens(
        positives=[ids(n) for n in pos],
        negatives=[[ids(n) for n in row] for row in neg],
        goals=[ids(n) for n in goal],
        goal_rows=np.arange(cfg.groups),  # every goal distinct: the most encoding
    )
    return examples, tokens


def grad_vector(params: list[torch.nn.Parameter]) -> torch.Tensor:
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).detach().reshape(-1).float() for p in params])


def run_smoke(cfg: SmokeConfig, joint: JointConfig, build: ProverBuild, device: torch.device) -> dict[str, Any]:
    from burnqed.joint.train import clip

    prover = build.prover
    lm_params, head_params = [p for _, p in prover.lm_named()], [p for _, p in prover.head_named()]
    opt = make_optimizer(joint, lm_params, head_params)
    ctx = step_context(joint, build, resolve_attention(joint.attention, device.type), device)
    vocab = min(len(build.tokenizer), int(prover.lm.get_input_embeddings().weight.shape[0]))
    examples, tokens = synthetic_inputs(cfg, joint.k_negatives, vocab, getattr(build.tokenizer, "bos_token_id", None), int(build.tokenizer.eos_token_id), cfg.seed)
    prover.train()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.monotonic()
    opt.zero_grad(set_to_none=True)
    sft_loss, sft_tokens = sft_backward(prover, examples, ctx)
    after_sft = grad_vector(lm_params)
    infonce = contrastive_backward(prover, tokens, joint.lambda_ebm, joint.groups_per_micro_batch, joint.n_grad_negatives, joint.goal_grad, energy_encoder(prover, joint.energy_encode, ctx))
    from_energy = float((grad_vector(lm_params) - after_sft).norm())
    del after_sft
    gn_lora, gn_head = clip(lm_params, joint.grad_clip_norm_lora), clip(head_params, joint.grad_clip_norm_head)
    opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    step_s = time.monotonic() - t0
    peak_mb = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    timing = time_steps(cfg.timed_steps, prover, examples, tokens, joint, ctx, opt, lm_params, head_params, device, cfg.timed_groups, cfg.timed_variants)
    return {
        **timing,
        "sft_loss": sft_loss, "infonce_loss": infonce, "grad_norm_lora": gn_lora, "grad_norm_lora_from_energy": from_energy, "grad_norm_head": gn_head,
        "peak_mem_mb": peak_mb, "step_s": step_s, "tokens": sft_tokens + tokens.n_tokens(), "tokens_per_s": (sft_tokens + tokens.n_tokens()) / step_s,
        "sft_tokens": sft_tokens, "encode_tokens": tokens.n_tokens(),
        "trainable_parameters": {"lm": sum(p.numel() for p in lm_params), "head": sum(p.numel() for p in head_params)},
    }


def time_steps(n: int, prover: Any, examples: list[SftExample], tokens: GroupTokens, joint: JointConfig, ctx: Any, opt: Any, lm_params: list, head_params: list, device: torch.device,
               timed_groups: Optional[list] = None, timed_variants: Optional[list] = None) -> dict[str, Any]:
    """``n`` rounds, after the first step's warm-up, of: one SFT-only step (the same SFT batch, no
    energy path), one joint step with every group, and one joint step on the first g groups for
    each g of ``timed_groups``, in the joint config's layout and then in each of ``timed_variants``;
    medians and their ratios to the SFT-only step (plan Task 3.5: joint ≤ 1.5× SFT)."""
    from burnqed.joint.train import clip

    if n <= 0:
        return {}
    layouts = [{k: getattr(joint, k) for k in VARIANT_KEYS}] + [{**{k: getattr(joint, k) for k in VARIANT_KEYS}, **v} for v in timed_variants or []]

    peaks: dict[tuple[int, int], float] = {}  # (layout, groups) -> peak MiB over its steps; (-1, 0): SFT-only

    def timed(part: Optional[GroupTokens], layout: Mapping[str, Any], key: tuple[int, int]) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
        t0 = time.monotonic()
        opt.zero_grad(set_to_none=True)
        if part is None:
            sft_backward(prover, examples, ctx)
        else:
            step_backward(prover, examples, part, joint.lambda_ebm, dataclasses.replace(joint, **layout), ctx)
        clip(lm_params, joint.grad_clip_norm_lora)
        clip(head_params, joint.grad_clip_norm_head)
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            peaks[key] = max(peaks.get(key, 0.0), torch.cuda.max_memory_allocated(device) / 2**20)
        return time.monotonic() - t0

    counts = [len(tokens), *sorted(set(timed_groups or []) - {len(tokens)}, reverse=True)]
    sft_s: list[float] = []
    joint_s: list[dict[int, list[float]]] = [{g: [] for g in counts} for _ in layouts]
    for _ in range(n):
        sft_s.append(timed(None, layouts[0], (-1, 0)))
        for li, (layout, times) in enumerate(zip(layouts, joint_s)):
            for g in counts:
                times[g].append(timed(tokens.take(slice(0, g)), layout, (li, g)))
    sm = float(np.median(sft_s))

    def ratio(seconds: float) -> Optional[float]:
        return seconds / sm if sm > 0 else None

    def by_groups(li: int, times: Mapping[int, list[float]]) -> list[dict[str, Any]]:
        return [{"groups": g, "encode_tokens": tokens.take(slice(0, g)).n_tokens(), "joint_step_s": float(np.median(v)), "joint_over_sft_step": ratio(float(np.median(v))),
                 "peak_mem_mb": peaks.get((li, g))} for g, v in sorted(times.items())]

    jm = float(np.median(joint_s[0][len(tokens)]))
    out: dict[str, Any] = {"timed_joint_step_s": jm, "timed_sft_only_step_s": sm, "joint_over_sft_step": ratio(jm), "timed_steps": n, "layout": layouts[0],
                           "peak_mem_mb_timed": max(peaks.values()) if peaks else None, "peak_mem_mb_sft_only": peaks.get((-1, 0))}
    if len(counts) > 1:
        out["by_groups"] = by_groups(0, joint_s[0])
    if timed_variants:
        out["variants"] = [{"layout": layout, "by_groups": by_groups(li, times)} for li, (layout, times) in enumerate(zip(layouts, joint_s))]
    return out


def failed_checks(result: Mapping[str, Any], max_peak_mem_gb: float) -> list[str]:
    failures = []
    for key in ("sft_loss", "infonce_loss"):
        if not math.isfinite(result[key]):
            failures.append(f"{key} is {result[key]}")
    for key in ("grad_norm_lora", "grad_norm_lora_from_energy", "grad_norm_head"):
        if not (math.isfinite(result[key]) and result[key] > 0):
            failures.append(f"{key} is {result[key]} (no gradient)")
    peak = result.get("peak_mem_mb")
    if peak is not None and peak > max_peak_mem_gb * 1024:
        failures.append(f"peak memory {peak / 1024:.1f} GiB > {max_peak_mem_gb} GiB")
    return failures


def build_smoke_prover(cfg: SmokeConfig, device: torch.device) -> tuple[JointConfig, ProverBuild, str, float]:
    """(joint config, build, resolved attention, build seconds) as training builds them, for ``cfg``'s model."""
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = cfg.model_dir or write_random_init_dir(os.path.join(tmp, "random-init"), str(cfg.random_init), cfg.random_init_overrides)
        placeholders = {k: PLACEHOLDER for k, f in JointConfig.__dataclass_fields__.items() if f.default is dataclasses.MISSING}
        joint = JointConfig.from_dict({**placeholders, "model_dir": model_dir, "tokenizer_dir": cfg.tokenizer_dir, "device": str(device), **(cfg.joint or {})})
        attention = resolve_attention(joint.attention, device.type)
        t0 = time.monotonic()
        with random_weights(device) if cfg.random_init else contextlib.nullcontext():
            build = build_hf_prover(joint, attention, device, joint.head_config)
        return joint, build, attention, time.monotonic() - t0


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    cfg = SmokeConfig.from_dict(config)
    device = pick_device(cfg.device)
    events.progress(0, 2, unit="stages", message=f"building {'random-init ' + str(cfg.random_init) if cfg.random_init else cfg.model_dir} on {device}")
    joint, build, attention, build_s = build_smoke_prover(cfg, device)
    events.progress(1, 2, unit="stages", message="one joint step")
    result = run_smoke(cfg, joint, build, device)
    failures = failed_checks(result, cfg.max_peak_mem_gb)
    for name in ("sft_loss", "infonce_loss", "grad_norm_lora", "grad_norm_head"):
        events.metric(name, result[name], 1)
    if result["peak_mem_mb"] is not None:
        events.metric("peak_mem_mb", result["peak_mem_mb"], 1)
    summary = {
        "kind": "joint_smoke", "passed": not failures, "failures": failures, **result, "build_s": build_s, "device": str(device), "attention": attention,
        "shape": {k: getattr(cfg, k) for k in ("sft_examples", "sft_prompt_tokens", "sft_completion_tokens", "groups", "state_tokens", "goal_tokens", "lengths")},
        "model": cfg.model_dir or {"random_init": cfg.random_init, "overrides": cfg.random_init_overrides},
        "joint": {k: getattr(joint, k) for k in ("lora_r", "lora_alpha", "dtype", "attention", "max_tokens_per_row", "rows_per_micro_batch", "groups_per_micro_batch", "gradient_checkpointing", "k_negatives", "n_grad_negatives")},
    }
    if cfg.out_summary:
        write_json_atomic(cfg.out_summary, summary)
        events.artifact(cfg.out_summary, "json")
    if failures:
        raise JobAbort(f"joint smoke test failed: {'; '.join(failures)}")
    events.progress(2, 2, unit="stages", message=f"passed: peak {result['peak_mem_mb']} MiB, step {result['step_s']:.2f} s")
    return summary


if __name__ == "__main__":
    run_job(main)
