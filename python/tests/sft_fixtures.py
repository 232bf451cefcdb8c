"""Deterministic stand-ins for a Hugging Face fast tokenizer, for the SFT data tests.

:class:`GreedyTokenizer` matches the longest piece of a fixed vocabulary at each position (special
tokens first), else one character; every token has its character span (``offset_mapping``), BOS
has an empty span. ``fragment_tokenizer()`` has no ``[GOAL]`` / ``[PROOFSTEP]`` and splits them
like a BPE vocabulary without them (``[`` ``GO`` ``AL`` ``]``; ``[`` ``PRO`` ``OF`` ``STEP`` ``]``);
it also has the merged pieces ``](`` and ``)[`` a code vocabulary has, so a tactic starting with
``(`` straddles the boundary and a state ending with ``)`` shares a token with the marker.
``special_tokenizer()`` has both markers as single special tokens, split out of the text before the
other pieces are matched (as Hugging Face does with added tokens).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

PAD, BOS, EOS = 0, 1, 2
CHAR_BASE = 1000  # a character without a piece is token CHAR_BASE + ord(c)

FRAGMENT_PIECES = (
    "[", "]", "GO", "AL", "PRO", "OF", "STEP", "](", ")[",
    "intro", "simp", "lin", "arith", "norm_num", "rw", "exact", "nlinarith", " ", "\n", "⊢", "ℝ", "ℕ", " : ", " = ",
)
REAL_STATES = (  # from ../shared/data/tactic_states (llemma7b miniF2F search traces)
    "⊢ 1 * 3 ^ 3 + 2 * 3 ^ 2 + 2 * 3 + 2 = 53",
    "b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n⊢ v = 65",
    "x : ℝ\nh₀ : x ≠ 0\n⊢ {y | y = x} = {x}",
)


class GreedyTokenizer:
    pad_token_id, bos_token_id, eos_token_id = PAD, BOS, EOS
    unk_token_id: Optional[int] = None

    def __init__(self, pieces: Sequence[str], special: Sequence[str] = (), append_eos: bool = False) -> None:
        self.special = tuple(special)
        self.vocab: dict[str, int] = {"<pad>": PAD, "<s>": BOS, "</s>": EOS}
        for p in (*self.special, *pieces):
            self.vocab.setdefault(p, len(self.vocab) + 10)
        self.pieces_by_length = sorted(pieces, key=len, reverse=True)
        self.specials_by_length = sorted(self.special, key=len, reverse=True)
        self.id_to_piece = {i: p for p, i in self.vocab.items()}
        self.append_eos = append_eos
        self.calls = 0

    def _match(self, text: str, at: int, segment_end: int) -> str:
        for p in self.pieces_by_length:
            if text.startswith(p, at, segment_end):
                return p
        return text[at]

    def _next_special(self, text: str, at: int) -> tuple[int, str]:
        """Where the next special token starts (len(text) if none) and which one."""
        found = [(text.find(p, at), -len(p), p) for p in self.specials_by_length if text.find(p, at) >= 0]
        if not found:
            return len(text), ""
        start, _, p = min(found)
        return start, p

    def __call__(self, text: str, add_special_tokens: bool = True, return_offsets_mapping: bool = False) -> dict[str, Any]:
        self.calls += 1
        ids: list[int] = [BOS] if add_special_tokens else []
        offsets: list[tuple[int, int]] = [(0, 0)] if add_special_tokens else []
        at = 0
        while at < len(text):  # like Hugging Face: special tokens are split out first, the pieces never cross them
            special_at, special = self._next_special(text, at)
            while at < special_at:
                piece = self._match(text, at, special_at)
                ids.append(self.vocab[piece] if piece in self.vocab else CHAR_BASE + ord(piece))
                offsets.append((at, at + len(piece)))
                at += len(piece)
            if special:
                ids.append(self.vocab[special])
                offsets.append((at, at + len(special)))
                at += len(special)
        if add_special_tokens and self.append_eos:
            ids.append(EOS)
            offsets.append((0, 0))
        out: dict[str, Any] = {"input_ids": ids, "attention_mask": [1] * len(ids)}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        return out

    def piece(self, i: int) -> str:
        return self.id_to_piece[i] if i in self.id_to_piece else chr(i - CHAR_BASE)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        skip = {PAD, BOS, EOS} if skip_special_tokens else {PAD}
        return "".join(self.piece(int(i)) for i in ids if int(i) not in skip)

    def convert_tokens_to_ids(self, token: str) -> Optional[int]:
        return self.vocab.get(token)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def ids(self, *pieces: str) -> list[int]:
        """Token ids of pieces (vocabulary pieces or single characters), for expected values."""
        return [self.vocab[p] if p in self.vocab else CHAR_BASE + ord(p) for p in pieces]


def fragment_tokenizer(append_eos: bool = False) -> GreedyTokenizer:
    return GreedyTokenizer(FRAGMENT_PIECES, append_eos=append_eos)


def special_tokenizer(append_eos: bool = False) -> GreedyTokenizer:
    return GreedyTokenizer(FRAGMENT_PIECES, special=("[GOAL]", "[PROOFSTEP]"), append_eos=append_eos)
