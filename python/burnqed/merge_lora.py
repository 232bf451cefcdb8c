"""Merge the SFT LoRA into the base model for serving (plan Task 1.2).

Run: ``python -m burnqed.merge_lora --config cfg.json`` (see :class:`MergeLoraConfig`).

1. loads the base model in ``merge_dtype`` (float32: the merge W + (alpha/r)·BA is then exact to
   float32 rounding, and one rounding to bfloat16 happens at the end), sizes its embeddings to the
   rows the adapter was trained with (``burnqed_sft.json``, written by burnqed.sft) and loads the
   adapter (LoRA + the ``[GOAL]`` / ``[PROOFSTEP]`` rows) with PEFT;
2. computes the reference logits of base + LoRA on a check batch (records of ``check_jsonl``, e.g.
   sft_val.jsonl, else a few Lean states), then ``merge_and_unload()`` and the merged model's
   logits in the same dtype: they must agree to float32 rounding (``max_abs_logprob_diff_fp32``);
3. writes the merged model in ``save_dtype`` (bfloat16) as a standard Hugging Face folder
   (config.json, generation_config.json, safetensors shards, the tokenizer with its special
   tokens; config.json also carries the transformers 4.x names of the rope and dtype keys),
   atomically; vLLM, SGLang and AutoModelForCausalLM load it as they load the base;
4. reloads that folder with AutoModelForCausalLM and compares its logits with the reference:
   the mean KL(reference ‖ saved) over the check positions must stay under ``max_mean_kl_saved``,
   a bound bfloat16 rounding stays far below and a wrong merge (missing LoRA, wrong token rows,
   wrong vocabulary) far above. Top-1 agreement is recorded too.

The summary (``out_summary``) records every number, the files written and whether the markers are
single tokens in the saved tokenizer. A failed check raises (the job aborts) and leaves the
partial folder next to ``out_dir`` for inspection; ``out_dir`` is not touched.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import torch

from burnqed.atomic_dir import partial_dir, replace_dir
from burnqed.atomic_io import write_json_atomic
from burnqed.code_version import code_version
from burnqed.events import EventWriter, JobAbort, run_job
from burnqed.strict_config import config_from_dict

SFT_META_FILE = "burnqed_sft.json"  # burnqed.sft.META_FILE (not imported: sft pulls in the training stack)
FALLBACK_CHECK_TEXTS = (  # real states (../shared/data/tactic_states) in the SFT format, when no check_jsonl is given
    "[GOAL]⊢ 1 * 3 ^ 3 + 2 * 3 ^ 2 + 2 * 3 + 2 = 53[PROOFSTEP]norm_num",
    "[GOAL]b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n⊢ v = 65[PROOFSTEP]rw [h₁, h₂, h₃]",
    "[GOAL]x : ℝ\nh₀ : x ≠ 0\n⊢ {y | y = x} = {x}[PROOFSTEP]ext y",
    "[GOAL]n : ℕ\nh : n % 5 = 3\n⊢ 2 * n % 5 = 1[PROOFSTEP]omega",
)


@dataclass(frozen=True)
class MergeLoraConfig:
    base_model_dir: str
    adapter_dir: str  # burnqed.sft's out_dir
    out_dir: str  # the merged model folder
    out_summary: str
    tokenizer_dir: Optional[str] = None  # default: adapter_dir (the SFT job saved the tokenizer with the markers there)
    merge_dtype: str = "float32"
    save_dtype: str = "bfloat16"
    device: str = "auto"
    check_jsonl: Optional[str] = None  # SFT records ({"text": ...}) for the check batch
    check_rows: int = 8
    check_max_tokens: int = 512
    max_abs_logprob_diff_fp32: float = 1e-3  # merged vs base + LoRA, both in merge_dtype
    max_mean_kl_saved: float = 0.02  # nats: the saved (bfloat16) folder vs the merge_dtype reference
    max_shard_size: str = "5GB"

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "MergeLoraConfig":
        return config_from_dict(MergeLoraConfig, raw, where="merge_lora config")

    def validate(self) -> None:
        for key in ("merge_dtype", "save_dtype"):
            if getattr(self, key) not in ("bfloat16", "float16", "float32"):
                raise ValueError(f"merge_lora config: '{key}' must be bfloat16, float16 or float32, got {getattr(self, key)!r}")
        if self.check_rows < 1 or self.check_max_tokens < 2:
            raise ValueError(f"merge_lora config: check_rows must be >= 1 and check_max_tokens >= 2, got {self.check_rows}, {self.check_max_tokens}")
        if not (self.max_abs_logprob_diff_fp32 > 0 and self.max_mean_kl_saved > 0):
            raise ValueError("merge_lora config: tolerances must be > 0")
        if os.path.abspath(self.out_dir) in (os.path.abspath(self.adapter_dir), os.path.abspath(self.base_model_dir)):
            raise ValueError(f"merge_lora config: out_dir {self.out_dir} must differ from the base model and adapter folders")


# ---------------------------------------------------------------------------------------------
# the check (pure tensor code)


def compare_logits(reference: torch.Tensor, other: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """Agreement of two (B, T, V) logit tensors on the positions where ``mask`` (B, T) is true:
    largest / mean absolute difference of the logits and of the log-probabilities, mean
    KL(reference ‖ other) in nats, and the share of positions with the same argmax."""
    if reference.shape != other.shape or reference.shape[:2] != mask.shape:
        raise ValueError(f"shapes differ: reference {tuple(reference.shape)}, other {tuple(other.shape)}, mask {tuple(mask.shape)}")
    keep = mask.bool()
    ref, oth = reference.double()[keep], other.double()[keep]  # (N, V)
    if ref.shape[0] == 0:
        raise ValueError("no position to compare (empty mask)")
    ref_lp, oth_lp = torch.log_softmax(ref, dim=-1), torch.log_softmax(oth, dim=-1)
    kl = (ref_lp.exp() * (ref_lp - oth_lp)).sum(dim=-1)  # (N,)
    return {
        "positions": int(ref.shape[0]),
        "max_abs_logit_diff": float((ref - oth).abs().max()),
        "mean_abs_logit_diff": float((ref - oth).abs().mean()),
        "max_abs_logprob_diff": float((ref_lp - oth_lp).abs().max()),
        "mean_kl": float(kl.mean()),
        "max_kl": float(kl.max()),
        "top1_agreement": float((ref.argmax(dim=-1) == oth.argmax(dim=-1)).double().mean()),
    }


def check_verdict(merged: Mapping[str, float], saved: Mapping[str, float], cfg: MergeLoraConfig) -> list[str]:
    """Failed conditions (empty: the merge passed)."""
    failures = []
    if not merged["max_abs_logprob_diff"] <= cfg.max_abs_logprob_diff_fp32:
        failures.append(f"merged ({cfg.merge_dtype}) vs base + LoRA: max |Δ log-prob| {merged['max_abs_logprob_diff']:.3g} > {cfg.max_abs_logprob_diff_fp32:.3g}")
    if not saved["mean_kl"] <= cfg.max_mean_kl_saved:
        failures.append(f"saved ({cfg.save_dtype}) vs base + LoRA ({cfg.merge_dtype}): mean KL {saved['mean_kl']:.3g} nats > {cfg.max_mean_kl_saved:.3g}")
    return failures


def read_check_texts(path: Optional[str], n: int) -> list[str]:
    """The first ``n`` ``text`` fields of an SFT JSONL file (the fallback states without a file)."""
    if path is None:
        return list(FALLBACK_CHECK_TEXTS[:n])
    from burnqed.embed import read_texts  # the one JSONL text reader (errors name the file and line)

    texts = read_texts(path, limit=n)
    if not texts:
        raise ValueError(f"{path}: no record to build the check batch from")
    return texts


def check_batch(tokenizer: Any, texts: Sequence[str], max_tokens: int, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask) (B, T), right-padded, each text cut to ``max_tokens``."""
    ids = [list(tokenizer(t, add_special_tokens=True)["input_ids"])[:max_tokens] for t in texts]
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, : len(x)] = 1
    return input_ids, mask


@torch.no_grad()
def logits_of(model: Any, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """float32 logits on the CPU (so the reference outlives the model it came from)."""
    device = next(model.parameters()).device
    out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), use_cache=False)
    return out.logits.float().cpu()


# ---------------------------------------------------------------------------------------------
# the job


def embedding_rows(adapter_dir: str, tokenizer: Any) -> int:
    """Rows the adapter was trained with: burnqed_sft.json, else the tokenizer's length."""
    path = os.path.join(adapter_dir, SFT_META_FILE)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return int(json.load(f)["embedding_rows"])
    return len(tokenizer)


def load_adapted(cfg: MergeLoraConfig, tokenizer: Any, device: torch.device) -> Any:
    from peft import PeftModel

    from burnqed.hf_loading import load_causal_lm

    base = load_causal_lm(cfg.base_model_dir, cfg.merge_dtype)
    rows = embedding_rows(cfg.adapter_dir, tokenizer)
    if base.get_input_embeddings().weight.shape[0] != rows:
        # the trained values of the new rows come with the adapter; the resize only makes room for them
        base.resize_token_embeddings(rows, mean_resizing=False)
    model = PeftModel.from_pretrained(base, cfg.adapter_dir)
    return model.to(device).eval()


def with_legacy_config_keys(config: Mapping[str, Any]) -> dict[str, Any]:
    """config.json readable by transformers 4.x too (the one vLLM / SGLang may bundle): transformers 5
    writes ``dtype`` and ``rope_parameters``; 4.x reads ``torch_dtype``, ``rope_theta`` and
    ``rope_scaling``. The new keys stay; the old ones are added when missing."""
    out = dict(config)
    if "dtype" in out and "torch_dtype" not in out:
        out["torch_dtype"] = out["dtype"]
    rope = out.get("rope_parameters")
    if isinstance(rope, Mapping) and "rope_theta" not in out and "rope_theta" in rope:
        out["rope_theta"] = rope["rope_theta"]
        if "rope_scaling" not in out:
            kind = rope.get("rope_type", "default")
            out["rope_scaling"] = None if kind == "default" else {**{k: v for k, v in rope.items() if k != "rope_theta"}, "type": kind}
    return out


def add_legacy_config_keys(folder: str) -> None:
    path = os.path.join(folder, "config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    write_json_atomic(path, with_legacy_config_keys(config))


def saved_files(path: str) -> list[str]:
    return sorted(os.listdir(path))


def check_layout(files: Sequence[str], path: str) -> None:
    """A standard Hugging Face folder: config.json and safetensors weights, no pickled .bin."""
    problems = []
    if "config.json" not in files:
        problems.append("no config.json")
    if not any(f.endswith(".safetensors") for f in files):
        problems.append("no .safetensors weights")
    if any(f.endswith(".bin") and f.startswith("pytorch_model") for f in files):
        problems.append("pickled pytorch_model*.bin weights")
    if not any(f in files for f in ("tokenizer.json", "tokenizer.model")):
        problems.append("no tokenizer")
    if problems:
        raise RuntimeError(f"{path}: not a standard merged-model folder ({'; '.join(problems)}); files: {list(files)}")


def marker_check(path: str) -> dict[str, Any]:
    from burnqed.hf_loading import load_tokenizer
    from burnqed.sft_special_tokens import special_token_plan

    tok = load_tokenizer(path)
    plan = special_token_plan(tok.get_vocab())
    return {"missing": list(plan.missing), "present": {t: i for t, i in plan.present}, "tokenizer_length": len(tok)}


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    from burnqed.hf_loading import load_causal_lm, load_tokenizer, pad_token_id
    from burnqed.train_ebm import pick_device

    t0 = time.monotonic()
    cfg = MergeLoraConfig.from_dict(config)
    device = pick_device(cfg.device)
    tokenizer = load_tokenizer(cfg.tokenizer_dir or cfg.adapter_dir)
    input_ids, mask = check_batch(tokenizer, read_check_texts(cfg.check_jsonl, cfg.check_rows), cfg.check_max_tokens, pad_token_id(tokenizer))
    events.progress(0, 4, unit="stages", message=f"loading {cfg.base_model_dir} ({cfg.merge_dtype}) + {cfg.adapter_dir}")
    model = load_adapted(cfg, tokenizer, device)
    reference = logits_of(model, input_ids, mask)
    merged = model.merge_and_unload()
    merged_stats = compare_logits(reference, logits_of(merged, input_ids, mask), mask)
    events.progress(1, 4, unit="stages", message=f"merged; max |Δ log-prob| {merged_stats['max_abs_logprob_diff']:.3g}")
    from burnqed.hf_loading import torch_dtype

    merged = merged.to(torch_dtype(cfg.save_dtype))
    merged.config.use_cache = True  # training switched it off; generation wants it
    tmp = partial_dir(cfg.out_dir)
    os.makedirs(tmp, exist_ok=True)
    merged.save_pretrained(tmp, max_shard_size=cfg.max_shard_size)
    tokenizer.save_pretrained(tmp)
    add_legacy_config_keys(tmp)
    del merged, model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    files = saved_files(tmp)
    check_layout(files, tmp)
    events.progress(2, 4, unit="stages", message=f"saved {len(files)} files; reloading with AutoModelForCausalLM")
    reloaded = load_causal_lm(tmp, cfg.save_dtype, device=device).eval()
    saved_stats = compare_logits(reference, logits_of(reloaded, input_ids, mask), mask)
    del reloaded
    markers = marker_check(tmp)
    failures = check_verdict(merged_stats, saved_stats, cfg)
    if markers["missing"]:
        failures.append(f"the saved tokenizer lacks {markers['missing']} as single tokens")
    summary = {
        "kind": "lora_merge",
        "passed": not failures,
        "failures": failures,
        "merged_vs_adapter": merged_stats,
        "saved_vs_adapter": saved_stats,
        "check_batch": {"rows": int(input_ids.shape[0]), "tokens": int(mask.sum())},
        "markers": markers,
        "files": files,
        "out_dir": cfg.out_dir,
        "wall_s": time.monotonic() - t0,
        "code_version": code_version(),
        "config": dataclasses.asdict(cfg),
    }
    for note in write_json_atomic(cfg.out_summary, summary):
        events.warning(f"{cfg.out_summary}: {note}")
    events.artifact(cfg.out_summary, "json")
    if failures:
        raise JobAbort(f"merge check failed ({'; '.join(failures)}); the merged folder is left at {tmp} for inspection, {cfg.out_dir} is unchanged")
    replace_dir(tmp, cfg.out_dir)
    events.progress(4, 4, unit="stages", message=f"merged model at {cfg.out_dir}")
    events.artifact(cfg.out_dir, "model")
    return {k: v for k, v in summary.items() if k != "config"}


if __name__ == "__main__":
    run_job(main)
