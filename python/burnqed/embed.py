"""State and goal embeddings from the policy model (plan Tasks 0.0 and 2.1): one recipe everywhere.

The recipe (:class:`EmbedRecipe`) is used unchanged by this job, the decoupled trainer's inputs,
metrics and the search-time scorer, and must be used by joint training too:

- text: ``[GOAL]{state}[PROOFSTEP]`` — the policy's own prompt prefix, so the embedded position is
  the one from which the policy predicts the tactic;
- tokens: the tokenizer's special tokens (BOS) kept, a trailing EOS the tokenizer appended removed
  (plan Gotcha 4: the last *content* token, not an EOS), at most ``max_length`` = 512 tokens,
  truncated on the LEFT (BOS kept): a Lean state ends with its goal ``⊢ …`` and the template with
  ``[PROOFSTEP]``, which right truncation would cut;
- right padding; the vector is the final hidden state (after the model's final norm, as
  ``hidden_states[-1]``) at the last non-pad position;
- compute in bfloat16 (DeepSeek-Prover-V1.5's dtype), stored as float16.

Run: ``python -m burnqed.embed --config cfg.json`` (:class:`EmbedJobConfig`). Inputs are JSON Lines
``{"text": ...}``; each output ``.npy`` row i is the embedding of input line i (the row order is the
input order; batches are grouped by length internally and written back in place). Empty texts are
not embedded (zero vector, flag 1); non-finite and all-zero vectors raise warnings and are flagged
(2, 3) in a per-row int32 flags ``.npy``. Resumable: completed chunks are kept in ``work_dir``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional, Sequence

import numpy as np

from burnqed.atomic_io import atomic_open, write_json_atomic, write_npy_atomic
from burnqed.events import EventWriter, run_job
from burnqed.strict_config import config_from_dict

FLAG_OK, FLAG_EMPTY, FLAG_NON_FINITE, FLAG_ALL_ZERO = 0, 1, 2, 3
FLAG_NAMES = {FLAG_OK: "ok", FLAG_EMPTY: "empty_text", FLAG_NON_FINITE: "non_finite", FLAG_ALL_ZERO: "all_zero"}


@dataclass(frozen=True)
class EmbedRecipe:
    template: str = "[GOAL]{state}[PROOFSTEP]"
    max_length: int = 512
    truncation_side: str = "left"
    padding_side: str = "right"
    compute_dtype: str = "bfloat16"
    storage_dtype: str = "float16"
    position: str = "last_content_token"  # last non-pad token, a trailing tokenizer-appended EOS removed
    layer: str = "final_normed_hidden_state"

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "EmbedRecipe":
        return config_from_dict(EmbedRecipe, raw, where="embed recipe")

    def validate(self) -> None:
        r = self
        if "{state}" not in r.template:
            raise ValueError(f"embed recipe: template must contain '{{state}}', got {r.template!r}")
        if r.truncation_side not in ("left", "right") or r.padding_side != "right":
            raise ValueError(f"embed recipe: truncation_side left|right and padding_side right, got {r.truncation_side!r}, {r.padding_side!r}")
        if r.storage_dtype not in ("float16", "float32") or r.compute_dtype not in ("bfloat16", "float16", "float32"):
            raise ValueError(f"embed recipe: unsupported dtypes compute {r.compute_dtype!r} / storage {r.storage_dtype!r}")
        if r.max_length < 2:
            raise ValueError(f"embed recipe: max_length must be >= 2, got {r.max_length}")

    def format(self, state: str) -> str:
        return self.template.replace("{state}", state)  # not str.format: Lean text has braces


DEFAULT_RECIPE = EmbedRecipe()


# ---------------------------------------------------------------------------------------------
# tokens and batches (pure)


def content_ids(ids: Sequence[int], recipe: EmbedRecipe, bos_id: Optional[int], eos_id: Optional[int]) -> list[int]:
    """Token ids as the recipe embeds them: trailing EOS removed, then truncated to max_length
    (left truncation keeps a leading BOS)."""
    out = list(ids)
    while len(out) > 1 and eos_id is not None and out[-1] == eos_id:
        out.pop()
    if len(out) <= recipe.max_length:
        return out
    if recipe.truncation_side == "right":
        return out[: recipe.max_length]
    keep = 1 if bos_id is not None and out and out[0] == bos_id else 0
    return out[:keep] + out[len(out) - (recipe.max_length - keep) :]


def tokenize_texts(tokenizer: Any, texts: Sequence[str], recipe: EmbedRecipe, batch: int = 1024) -> list[list[int]]:
    """Recipe token ids of each text (templated); the tokenizer must be a Hugging Face tokenizer."""
    out: list[list[int]] = []
    bos, eos = getattr(tokenizer, "bos_token_id", None), getattr(tokenizer, "eos_token_id", None)
    for i in range(0, len(texts), batch):
        enc = tokenizer([recipe.format(t) for t in texts[i : i + batch]], add_special_tokens=True, truncation=False)["input_ids"]
        out.extend(content_ids(ids, recipe, bos, eos) for ids in enc)
    return out


def length_grouped_batches(lengths: np.ndarray, max_tokens: int, max_batch: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length, longest first (an out-of-memory shows at
    once): a batch holds at most max_batch rows and max_tokens padded tokens."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < order.shape[0]:
        longest = int(lengths[order[start]])
        size = max(1, min(max_batch, max_tokens // max(longest, 1)))
        batches.append(order[start : start + size])
        start += size
    return batches


def plain_batches(n: int, batch_size: int) -> list[np.ndarray]:
    """Input order, fixed batch size (each batch padded to its longest): the baseline the bench compares with."""
    return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def pad_right(batch_ids: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask), both (B, T) int64, padded on the right to the longest."""
    t = max(len(x) for x in batch_ids)
    ids = np.full((len(batch_ids), t), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch_ids), t), dtype=np.int64)
    for i, x in enumerate(batch_ids):
        ids[i, : len(x)] = x
        mask[i, : len(x)] = 1
    return ids, mask


# ---------------------------------------------------------------------------------------------
# the extractor


class EmbeddingExtractor:
    """Last-content-token embeddings of a causal LM (plan Task 0.0), right padding.

    ``model``: a Hugging Face causal LM (or its decoder); ``tokenizer``: its tokenizer.
    """

    def __init__(self, model: Any, tokenizer: Any, recipe: EmbedRecipe = DEFAULT_RECIPE) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = recipe.padding_side  # Gotcha 4
        self.recipe = recipe
        self.decoder = model.get_decoder() if hasattr(model, "get_decoder") else model
        pad = getattr(tokenizer, "pad_token_id", None)
        self.pad_id = pad if pad is not None else (getattr(tokenizer, "eos_token_id", None) or 0)
        self.device = next(model.parameters()).device

    def embed_ids(self, batch_ids: Sequence[Sequence[int]]) -> "Any":
        """(B, H) final hidden states at each sequence's last token (float32, on the model's device)."""
        torch = self.torch
        ids, mask = pad_right(batch_ids, self.pad_id)
        input_ids = torch.from_numpy(ids).to(self.device)
        attention_mask = torch.from_numpy(mask).to(self.device)
        with torch.inference_mode():
            out = self.decoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]  # (B, T, H), after the final norm
            last = attention_mask.sum(dim=1) - 1  # (B,): right padding → the last real token
            return hidden[torch.arange(hidden.shape[0], device=hidden.device), last].float()

    def encode(self, texts: Sequence[str]) -> "Any":
        """(N, H) embeddings of ``texts`` in order (one padded batch; use the job for many texts)."""
        return self.embed_ids(tokenize_texts(self.tokenizer, texts, self.recipe))

    def embed_all(self, token_ids: Sequence[Sequence[int]], batches: Sequence[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(indices, vectors float32 (b, H) numpy) per batch."""
        for b in batches:
            yield b, self.embed_ids([token_ids[i] for i in b]).cpu().numpy()


# ---------------------------------------------------------------------------------------------
# the job


@dataclass(frozen=True)
class EmbedSet:
    name: str  # "states", "goals"
    texts: str  # JSON Lines {"text": ...}
    out: str  # (n, H) .npy
    flags_out: str  # (n,) int32 .npy


@dataclass(frozen=True)
class EmbedJobConfig:
    model_dir: str
    sets: tuple[EmbedSet, ...]
    meta_out: str
    work_dir: str
    tokenizer_dir: Optional[str] = None
    recipe: EmbedRecipe = DEFAULT_RECIPE
    device: str = "auto"
    max_tokens_per_batch: int = 16384
    max_batch_size: int = 1024  # bench/results/ebm-gpu.md: 16384 tokens × 1024 rows was the fastest budget measured
    chunk_rows: int = 8192
    attn_implementation: Optional[str] = "sdpa"

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "EmbedJobConfig":
        return config_from_dict(EmbedJobConfig, raw, where="embed config")


def read_texts(path: str, limit: Optional[int] = None) -> list[str]:
    """The ``text`` of every record of a JSONL file (the first ``limit`` when given), errors naming the file and line."""
    texts: list[str] = []
    with open(path, "r", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if limit is not None and len(texts) >= limit:
                break
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{line_no}: not JSON ({e.msg}): {line[:200]!r}") from e
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise ValueError(f"{path}:{line_no}: expected {{\"text\": string}}, got {line[:200]!r}")
            texts.append(rec["text"])
    return texts


def vector_flags(x: np.ndarray) -> np.ndarray:
    """FLAG_NON_FINITE / FLAG_ALL_ZERO / FLAG_OK per row of a stored (n, H) block."""
    flags = np.full(x.shape[0], FLAG_OK, dtype=np.int32)
    finite = np.isfinite(x).all(axis=1)
    flags[~finite] = FLAG_NON_FINITE
    flags[finite & ~np.any(x != 0, axis=1)] = FLAG_ALL_ZERO
    return flags


def chunk_plan(batches: Sequence[np.ndarray], chunk_rows: int) -> list[tuple[int, int]]:
    """Consecutive batch ranges [b0, b1) holding >= chunk_rows rows each (the last may hold fewer)."""
    out: list[tuple[int, int]] = []
    start, rows = 0, 0
    for i, b in enumerate(batches):
        rows += len(b)
        if rows >= chunk_rows:
            out.append((start, i + 1))
            start, rows = i + 1, 0
    if start < len(batches):
        out.append((start, len(batches)))
    return out


def embed_set(extractor: EmbeddingExtractor, s: EmbedSet, cfg: EmbedJobConfig, fingerprint: str, events: EventWriter) -> dict[str, Any]:
    """Embed one text file into s.out (input order) resuming from completed chunks; returns counts."""
    t0 = time.monotonic()
    texts = read_texts(s.texts)
    n = len(texts)
    nonempty = np.array([i for i, t in enumerate(texts) if t.strip()], dtype=np.int64)
    ids_nonempty = tokenize_texts(extractor.tokenizer, [texts[i] for i in nonempty], cfg.recipe)
    lengths = np.array([len(x) for x in ids_nonempty], dtype=np.int64)
    batches = length_grouped_batches(lengths, cfg.max_tokens_per_batch, cfg.max_batch_size)
    chunks = chunk_plan(batches, cfg.chunk_rows)
    work = os.path.join(cfg.work_dir, s.name)
    os.makedirs(work, exist_ok=True)
    # chunk files are named by the schedule they belong to: same model, recipe, texts and batching → resumable
    batching = f"{cfg.max_tokens_per_batch}/{cfg.max_batch_size}/{cfg.chunk_rows}"
    schedule = hashlib.sha256(fingerprint.encode() + batching.encode() + nonempty.tobytes() + lengths.tobytes()).hexdigest()[:16]
    done_rows, t_model = 0, 0.0
    hidden = None
    for k, (b0, b1) in enumerate(chunks):
        path = os.path.join(work, f"chunk_{k:05d}_{schedule}.npz")
        if os.path.exists(path):
            done_rows += sum(len(b) for b in batches[b0:b1])
            continue
        rows, vecs = [], []
        tc = time.monotonic()
        for idx, v in extractor.embed_all(ids_nonempty, batches[b0:b1]):
            rows.append(idx)
            vecs.append(v.astype(cfg.recipe.storage_dtype))
        t_model += time.monotonic() - tc
        with atomic_open(path) as f:
            np.savez(f, rows=np.concatenate(rows), vecs=np.concatenate(vecs))
        done_rows += sum(len(b) for b in batches[b0:b1])
        events.progress(done_rows, len(nonempty), unit="states", message=f"{s.name}: chunk {k + 1}/{len(chunks)}")
    # assemble in input order
    out: Optional[np.ndarray] = None
    for k in range(len(chunks)):
        z = np.load(os.path.join(work, f"chunk_{k:05d}_{schedule}.npz"))
        if out is None:
            hidden = z["vecs"].shape[1]
            out = np.zeros((n, hidden), dtype=cfg.recipe.storage_dtype)
        out[nonempty[z["rows"]]] = z["vecs"]
    if out is None:
        raise ValueError(f"{s.texts}: no non-empty text to embed ({n} lines)")
    flags = vector_flags(out)
    flags[np.setdiff1d(np.arange(n), nonempty)] = FLAG_EMPTY
    write_npy_atomic(s.out, out)
    write_npy_atomic(s.flags_out, flags)
    events.artifact(s.out, "npy", rows=n)
    counts = {FLAG_NAMES[f]: int((flags == f).sum()) for f in FLAG_NAMES}
    for f in (FLAG_NON_FINITE, FLAG_ALL_ZERO):
        if counts[FLAG_NAMES[f]]:
            bad = np.flatnonzero(flags == f)[:10].tolist()
            events.warning(f"{s.name}: {counts[FLAG_NAMES[f]]} {FLAG_NAMES[f]} embedding(s) (lines {bad} of {s.texts}); flagged in {s.flags_out}")
    tokens = int(lengths.sum())
    padded = int(sum(len(b) * int(lengths[b].max()) for b in batches))
    for name in os.listdir(work):  # chunks of other schedules are stale
        if name.endswith(".npz") and not name.endswith(f"_{schedule}.npz"):
            os.unlink(os.path.join(work, name))
    return {"rows": n, "hidden": hidden, "flags": counts, "tokens": tokens, "padded_tokens": padded, "padding_efficiency": tokens / padded if padded else None,
            "batches": len(batches), "model_s": t_model, "wall_s": time.monotonic() - t0}


def load_model(cfg: EmbedJobConfig) -> tuple[Any, Any]:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
    dtype = getattr(torch, cfg.recipe.compute_dtype)
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    kwargs: dict[str, Any] = {"dtype" if (major, minor) >= (4, 56) else "torch_dtype": dtype}
    if cfg.attn_implementation:
        kwargs["attn_implementation"] = cfg.attn_implementation
    model = AutoModelForCausalLM.from_pretrained(cfg.model_dir, **kwargs).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(cfg.tokenizer_dir or cfg.model_dir)
    return model, tokenizer


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    cfg = EmbedJobConfig.from_dict(config)
    model, tokenizer = load_model(cfg)
    extractor = EmbeddingExtractor(model, tokenizer, cfg.recipe)
    fingerprint = hashlib.sha256(json.dumps({"model": os.path.abspath(cfg.model_dir), "recipe": dataclasses.asdict(cfg.recipe)}, sort_keys=True).encode()).hexdigest()[:16]
    sets = {s.name: embed_set(extractor, s, cfg, fingerprint, events) for s in cfg.sets}
    meta = {
        "kind": "embedding_meta",
        "recipe": dataclasses.asdict(cfg.recipe),
        "model_dir": cfg.model_dir,
        "row_order": "row i of each output .npy is line i of its texts file",
        "flags": FLAG_NAMES,
        "sets": sets,
    }
    write_json_atomic(cfg.meta_out, meta)
    events.artifact(cfg.meta_out, "json")
    return {"sets": sets}


if __name__ == "__main__":
    run_job(main)
