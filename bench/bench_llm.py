"""Random-init models, a full-size noise tokenizer and the result line, shared by the LLM GPU benches
(embed-schedule-gpu, serve-gpu, serve-e2e-check). No downloads: everything is built from a config.

- :func:`random_llama`: LlamaForCausalLM of DeepSeek-Prover-V1.5's shape (or the smoke shape),
  initialised directly on the device in the compute dtype (no CPU copy of 7 B parameters).
- :func:`noise_vocab_tokenizer`: a byte-level BPE trained on proof states, its vocabulary padded
  with unreachable entries to the model's size, so that every id a random model samples decodes to
  text (a real tokenizer's decode cost per generated token) while prompts tokenise like Lean text.
- :func:`emit_result`: one JSON line on stdout, the same line written atomically to ``--out``.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (os.path.join(ROOT, "python"), os.path.join(ROOT, "python", "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

BOS_ID, EOS_ID = 0, 1  # noise_vocab_tokenizer's <s>, </s> (pad = EOS, as llm_fixtures.bpe_tokenizer)
DEEPSEEK_PROVER_V15 = dict(hidden_size=4096, num_hidden_layers=30, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32, vocab_size=102400,
                           max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=False)
SMOKE_SHAPE = dict(hidden_size=64, num_hidden_layers=2, intermediate_size=128, num_attention_heads=4, num_key_value_heads=4, vocab_size=102400,
                   max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=False)


def pick_device(smoke: bool, script: str) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if not smoke:
        raise SystemExit(f"{script} needs a CUDA GPU (or --smoke, which runs a tiny model on the CPU)")
    return torch.device("cpu")


def random_llama(shape: dict[str, Any], device: torch.device, dtype: torch.dtype = torch.bfloat16, attn: str = "sdpa", seed: int = 0) -> Any:
    """A random-init LlamaForCausalLM built on ``device`` in ``dtype`` (eval mode), ids as the noise tokenizer's."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with device:
            model = LlamaForCausalLM._from_config(LlamaConfig(**shape, bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=EOS_ID), attn_implementation=attn)
    finally:
        torch.set_default_dtype(previous)
    return model.eval()


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """File descriptor 1 onto 2 for the block: the tokenizers trainer writes progress to stdout from
    Rust, which would break the one-JSON-line stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _filler_tokens(n: int, taken: set[str], seed: int) -> list[str]:
    """n distinct strings of 2-5 ASCII letters/digits (byte-level symbols that stand for themselves),
    none already in the vocabulary: about 3.5 characters each, like a real code/maths token."""
    rng = np.random.default_rng(seed)
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        k = int(rng.integers(2, 6))
        s = "".join(rng.choice(alphabet, size=k).tolist())
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def noise_vocab_tokenizer(texts: Sequence[str], vocab_size: int, n_reserved: int = 2, bpe_vocab: int = 2000, seed: int = 0) -> Any:
    """A PreTrainedTokenizerFast with ``vocab_size - n_reserved`` entries (ids 0 <s>, 1 </s>): a
    byte-level BPE trained on ``texts`` (llm_fixtures.bpe_tokenizer), its vocabulary padded with
    filler entries that no merge produces. Encoding is the trained BPE's; decoding covers every id
    below ``vocab_size - n_reserved``. ``n_reserved`` ids are left for the [GOAL]/[PROOFSTEP]
    markers, which burnqed.sft_special_tokens.add_special_tokens adds as the merged model has them."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    from llm_fixtures import bpe_tokenizer

    with stdout_to_stderr():
        base = bpe_tokenizer(texts, vocab_size=bpe_vocab)
    spec = json.loads(base.backend_tokenizer.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    target = vocab_size - n_reserved
    if len(vocab) > target:
        raise ValueError(f"the trained BPE has {len(vocab)} entries, more than the {target} asked for")
    for i, s in enumerate(_filler_tokens(target - len(vocab), set(vocab), seed), start=len(vocab)):
        vocab[s] = i
    tok = Tokenizer.from_str(json.dumps(spec))
    out = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="</s>")
    if len(out) != target:
        raise RuntimeError(f"noise tokenizer has {len(out)} entries, expected {target}")
    return out


def environment(device: torch.device) -> dict[str, Any]:
    import transformers

    env: dict[str, Any] = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads)",
                           "versions": {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda, "transformers": transformers.__version__, "numpy": np.__version__}}
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        env["gpu_memory_gib"] = total / 2**30
        env["gpu_capability"] = ".".join(str(x) for x in torch.cuda.get_device_capability(device))
    try:
        import tokenizers

        env["versions"]["tokenizers"] = tokenizers.__version__
    except ImportError:
        pass
    return env


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> Optional[float]:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def emit_result(result: dict[str, Any], out: Optional[str]) -> None:
    """One JSON line (sorted keys, no NaN) on stdout and, atomically, in ``out``."""
    from burnqed.atomic_io import write_bytes_atomic

    line = json.dumps(result, sort_keys=True, allow_nan=False)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        write_bytes_atomic(out, (line + "\n").encode("utf-8"))
    print(line, flush=True)


class Timer:
    """``with Timer(device) as t: ...`` → t.s, the wall seconds with the device synchronised at both ends."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.s = 0.0

    def __enter__(self) -> "Timer":
        sync(self.device)
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        sync(self.device)
        self.s = time.perf_counter() - self._t0
