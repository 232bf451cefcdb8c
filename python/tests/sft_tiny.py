"""A tiny causal LM with the Hugging Face calling convention the SFT job uses, and a learnable toy
data set, so the training loop runs for real on the CPU (tests/test_sft.py, sft_rank_worker.py).

:class:`TinyKwargsLM` takes ``input_ids``, ``position_ids``, ``attention_mask`` (a 4-D additive
mask, a 2-D padding mask, or None for plain causal), ``use_cache`` and ``logits_to_keep`` and
returns an object with ``.logits``; it has dropout (a resumed run must restore the RNG to repeat
it) and can be told to produce NaN from its n-th training forward on.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Optional

import torch
from torch import nn

from burnqed.sft_data import IGNORE_INDEX, SftExample

VOCAB = 23
EOS = 2


class TinyKwargsLM(nn.Module):
    def __init__(self, vocab: int = VOCAB, d: int = 8, heads: int = 2, max_positions: int = 128, dropout: float = 0.1, seed: int = 0, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.heads = heads
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_positions, d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(d, vocab)
        self.to(dtype)
        self.poison_from_call: Optional[int] = None  # training forwards from this one on return NaN
        self.on_forward: Optional[Any] = None  # called with the training-forward count (tests send signals from here)
        self.train_calls = 0

    def forward(self, input_ids: torch.Tensor, position_ids: Optional[torch.Tensor] = None, attention_mask: Optional[torch.Tensor] = None, use_cache: bool = False, logits_to_keep: Optional[torch.Tensor] = None) -> Any:
        if use_cache:
            raise AssertionError("the SFT job must pass use_cache=False")
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.drop(self.tok(input_ids) + self.pos(position_ids))  # (B, T, d)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        if attention_mask is None:
            mask = torch.zeros(t, t, dtype=x.dtype).masked_fill(~causal, float("-inf"))[None, None]
        elif attention_mask.dim() == 2:  # padding mask: real keys, causally
            allowed = causal[None] & attention_mask.bool()[:, None, :]
            mask = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, float("-inf"))[:, None]
        else:
            mask = attention_mask.to(x.dtype)
        d = x.shape[-1]
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # each (B, H, T, dh)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + mask
        x = x + self.proj((att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d))
        logits = self.head(x)  # (B, T, V)
        if self.training:
            self.train_calls += 1
            if self.on_forward is not None:
                self.on_forward(self.train_calls)
            if self.poison_from_call is not None and self.train_calls >= self.poison_from_call:
                logits = logits * float("nan")
        if logits_to_keep is not None:
            logits = logits[:, logits_to_keep]
        return SimpleNamespace(logits=logits)


def toy_examples(n: int, seed: int = 0) -> list[SftExample]:
    """Learnable: a random prompt (3..12 tokens from 3..VOCAB) whose first token's parity picks the
    tactic [5, 6] or [7, 8, 9], then EOS."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        length = int(torch.randint(3, 13, (1,), generator=g))
        prompt = torch.randint(3, VOCAB, (length,), generator=g).tolist()
        tactic = [5, 6] if prompt[0] % 2 == 0 else [7, 8, 9]
        completion = tactic + [EOS]
        out.append(SftExample(row=f"toy{i}", input_ids=tuple(prompt + completion), labels=tuple([IGNORE_INDEX] * length + completion), n_completion_tokens=len(completion)))
    return out
