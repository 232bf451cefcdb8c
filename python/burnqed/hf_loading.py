"""Loading Hugging Face models and tokenizers the same way in every LLM job (sft, merge_lora, serve).

transformers is imported inside the functions: the jobs' modules import, and their pure parts run,
on a machine without it. Works with transformers 4.4x (``torch_dtype=``) and 5.x (``dtype=``).
"""
from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Optional

DTYPES = ("bfloat16", "float16", "float32")


_SMALL = re.compile(r"\.(json|model|txt|py)$")
_WEIGHTS = re.compile(r"\.(safetensors|bin|pt)$")


def model_identity(path: str) -> str:
    """What a resumable checkpoint must share with the model it was trained from: the small files'
    contents (config, tokenizer, weight index) and each weight file's name, size and mtime — a
    model rewritten in place with the same shape (a new merge, a re-download) has new mtimes.
    Hashing the weights themselves would cost minutes on 14 GB. A name that is not a local folder
    (a Hugging Face id) is its own identity."""
    if not os.path.isdir(path):
        return f"name:{path}"
    h = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        p = os.path.join(path, name)
        if not os.path.isfile(p):
            continue
        if _SMALL.search(name):
            with open(p, "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
        elif _WEIGHTS.search(name):
            st = os.stat(p)
            h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def torch_dtype(name: str) -> Any:
    import torch

    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {name!r}")
    return getattr(torch, name)


def transformers_version() -> tuple[int, int]:
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return major, minor


def from_pretrained_kwargs(dtype: str, attn_implementation: Optional[str] = None) -> dict[str, Any]:
    """``dtype`` (transformers >= 4.56) or ``torch_dtype`` (older), and the attention implementation."""
    kwargs: dict[str, Any] = {"dtype" if transformers_version() >= (4, 56) else "torch_dtype": torch_dtype(dtype)}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    return kwargs


def load_causal_lm(path: str, dtype: str, attn_implementation: Optional[str] = None, device: Any = None) -> Any:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(path, **from_pretrained_kwargs(dtype, attn_implementation))
    return model.to(device) if device is not None else model


def load_tokenizer(path: str) -> Any:
    """A fast tokenizer (the SFT completion mask needs character offsets)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, use_fast=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(f"{path}: no fast tokenizer (tokenizer.json); the [PROOFSTEP] boundary is found from character offsets, which only fast tokenizers give")
    return tokenizer


def pad_token_id(tokenizer: Any) -> int:
    """The id used for padding: pad, else EOS, else 0 (padding never carries loss or attention)."""
    for attr in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if value is not None:
            return int(value)
    return 0


def eos_token_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    """Every id that ends a generation: the tokenizer's EOS and the model's generation config's."""
    ids: set[int] = set()
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None) if gen is not None else None
    if isinstance(eos, int):
        ids.add(eos)
    elif isinstance(eos, (list, tuple)):
        ids.update(int(i) for i in eos)
    return frozenset(ids)
