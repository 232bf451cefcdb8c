"""Stand-ins for the model side of burnqed.serve, so its engine, HTTP layer and job protocol run on
the CPU: a character tokenizer, a scripted next-token model behind the Stepper interface, and a
real EmbeddingExtractor over a toy decoder.

The scripted model: after token ``a`` comes ``b``, then ``c``, ``d``, EOS; after ``e`` the cycle
``f g h e f g h ...`` never ends. The next token gets logit +5, every other token -5, so greedy
decoding and the log-probabilities are known exactly (:func:`scripted_logprob`).
"""
from __future__ import annotations

import math
import threading
from types import SimpleNamespace
from typing import Any, Sequence

import torch
from torch import nn

PAD, BOS, EOS = 0, 1, 2
ALPHABET = "abcdefgh⊢ []GOALPRST"  # other characters (e.g. of the warm-up prompt) map to UNK
VOCAB = 3 + len(ALPHABET) + 1  # + one unknown-character id
UNK = VOCAB - 1
NEXT = {"a": "b", "b": "c", "c": "d", "d": None, "e": "f", "f": "g", "g": "h", "h": "e"}  # None: EOS


def char_id(c: str) -> int:
    i = ALPHABET.find(c)
    return 3 + i if i >= 0 else UNK


class CharTokenizer:
    """BOS first, one id per character, a trailing EOS appended (stripped by the server, as the SFT prompt has none)."""

    pad_token_id, bos_token_id, eos_token_id = PAD, BOS, EOS
    padding_side = "left"

    def __call__(self, texts: Any, add_special_tokens: bool = True, truncation: bool = False) -> dict[str, Any]:
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        ids = [[BOS, *[char_id(c) for c in t], EOS] if add_special_tokens else [char_id(c) for c in t] for t in batch]
        return {"input_ids": ids[0] if single else ids}

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool = False) -> str:
        out = []
        for i in ids:
            i = int(i)
            if i in (PAD, BOS, EOS):
                if not skip_special_tokens and i == EOS:
                    out.append("</s>")
                continue
            out.append(ALPHABET[i - 3] if 3 <= i < UNK else "?")
        return "".join(out)


def next_id(token: int) -> int:
    c = ALPHABET[token - 3] if 3 <= token < UNK else None
    if c not in NEXT:
        return char_id("a")  # anything else starts the a-b-c-d script
    nxt = NEXT[c]
    return EOS if nxt is None else char_id(nxt)


def scripted_logits(last: torch.Tensor) -> torch.Tensor:
    """(B, V): +5 on the scripted next token, -5 elsewhere."""
    out = torch.full((last.shape[0], VOCAB), -5.0)
    for b, t in enumerate(last.tolist()):
        out[b, next_id(int(t))] = 5.0
    return out


def scripted_logprob(top: bool = True) -> float:
    """log-probability of the scripted token (top) or of any other one."""
    z = math.log(math.exp(5.0) + (VOCAB - 1) * math.exp(-5.0))
    return (5.0 if top else -5.0) - z


class ScriptedStepper:
    """The Stepper interface over the script; records every call's batch size."""

    def __init__(self) -> None:
        self.device = torch.device("cpu")
        self.prefill_batches: list[int] = []
        self.steps = 0
        self.lock = threading.Lock()
        self.step_delay_s = 0.0

    def prefill(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, Any]:
        with self.lock:
            self.prefill_batches.append(int(input_ids.shape[0]))
        assert bool((attention_mask[:, -1] == 1).all()), "prompts must be left-padded (the last column is real)"
        assert bool((position_ids[:, -1] == attention_mask.sum(dim=1) - 1).all()), "positions count from each prompt's first token"
        return scripted_logits(input_ids[:, -1]), None

    def step(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        import time

        if self.step_delay_s:
            time.sleep(self.step_delay_s)
        with self.lock:
            self.steps += 1
        return scripted_logits(input_ids[:, -1]), state


class CumulativeMeanDecoder(nn.Module):
    """h_t = mean of the token vectors up to t (a causal toy decoder for EmbeddingExtractor)."""

    def __init__(self, hidden: int = 6) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(VOCAB, hidden)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, use_cache: bool = False) -> Any:
        x = self.emb(input_ids)
        h = x.cumsum(dim=1) / torch.arange(1, x.shape[1] + 1)[None, :, None]
        return SimpleNamespace(last_hidden_state=h)


def fake_engine(cfg: Any, stepper: Any = None) -> tuple[Any, CharTokenizer]:
    """An Engine over the scripted model and a real EmbeddingExtractor on the toy decoder."""
    from burnqed.embed import EmbeddingExtractor
    from burnqed.serve import Engine

    tok = CharTokenizer()
    extractor = EmbeddingExtractor(CumulativeMeanDecoder(), tok, cfg.embed_recipe)
    engine = Engine(stepper or ScriptedStepper(), extractor, tok.decode, threading.Lock(), frozenset({EOS}), PAD, cfg)
    return engine, tok
