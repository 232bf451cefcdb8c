"""SFT examples with the completion mask computed once, at tokenisation (plan Task 1.1, Gotcha 13).

A record ``[GOAL]{state}[PROOFSTEP]{tactic}`` (src/data/sft-format.ts) becomes ``input_ids`` and
``labels``: -100 on everything up to and including ``[PROOFSTEP]``, the token ids on the tactic and
on one EOS appended after it (the EOS teaches the policy to stop). The collator only pads (trl's way).

The boundary is found on the real tokenisation, never assumed: the full text is tokenised once with
character offsets and the completion starts at the first token whose span starts at or after the
end of ``[PROOFSTEP]``. A token straddling that position, a boundary that is not found, a labelled
span that does not decode back to the tactic, or a tactic that max_length would cut are errors that
name the row: training on the whole sequence by accident is the failure this guards against
(design.md pitfall 5).

States longer than the budget are cut from the LEFT of the state: ``[GOAL]`` (and BOS) stay, the end
of the state (the goal ``⊢ …``, nearest the tactic) stays; the number of state tokens dropped is
recorded with the example.

The tokenizer is anything with the small :class:`SftTokenizer` protocol (a Hugging Face *fast*
tokenizer has it), so CPU tests run with a deterministic fake.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

GOAL_MARKER = "[GOAL]"
PROOFSTEP_MARKER = "[PROOFSTEP]"
IGNORE_INDEX = -100  # label of a token that carries no loss (torch cross_entropy's default ignore_index)


class SftTokenizer(Protocol):
    """What :func:`tokenize_sft_example` needs from a tokenizer (a Hugging Face fast tokenizer fits)."""

    eos_token_id: Optional[int]

    def __call__(self, text: str, add_special_tokens: bool = ..., return_offsets_mapping: bool = ...) -> Mapping[str, Any]:
        """``{"input_ids": [...], "offset_mapping": [(start, end), ...]}``: character spans in ``text``;
        tokens the tokenizer inserts itself (BOS, EOS) have an empty span."""
        ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def convert_tokens_to_ids(self, token: str) -> Any: ...


@dataclass(frozen=True)
class SftRecipe:
    max_length: int = 2048  # tokens per example, EOS included (plan: --max-length 2048)
    add_bos: bool = True  # passed to the tokenizer as add_special_tokens (BOS for the Llama family); a trailing EOS it appends is replaced by ours
    truncation_side: str = "left"  # of the state only; [GOAL] and the tactic are never cut

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "SftRecipe":
        names = {f.name for f in dataclasses.fields(SftRecipe)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ValueError(f"sft recipe: unknown key(s) {unknown} (known: {sorted(names)})")
        recipe = SftRecipe(**raw)
        if isinstance(recipe.max_length, bool) or not isinstance(recipe.max_length, int) or recipe.max_length < 2:
            raise ValueError(f"sft recipe: max_length must be an integer >= 2, got {recipe.max_length!r}")
        if recipe.truncation_side != "left":
            raise ValueError(f"sft recipe: truncation_side must be 'left' (the goal sits at the end of the state), got {recipe.truncation_side!r}")
        return recipe


DEFAULT_SFT_RECIPE = SftRecipe()


@dataclass(frozen=True)
class SftExample:
    row: str  # where it came from, for error messages ("file:line theorem 'x' depth 2")
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]  # same length; IGNORE_INDEX except on the tactic tokens and the final EOS
    n_completion_tokens: int  # labelled tokens: the tactic's plus the EOS
    n_state_tokens_dropped: int = 0  # left truncation of the state (0: not truncated)

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class SftRecord:
    """One line of sft_train.jsonl / sft_val.jsonl, split back into state and tactic."""

    row: str
    state: str
    tactic: str
    theorem_name: str
    depth: int


@dataclass(frozen=True)
class TokenizeStats:
    n_rows: int
    n_tokens: int
    n_completion_tokens: int
    n_truncated_rows: int
    n_state_tokens_dropped: int
    max_tokens: int

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------------------------
# one example


def sft_text(state: str, tactic: str) -> str:
    return f"{GOAL_MARKER}{state}{PROOFSTEP_MARKER}{tactic}"


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def single_token_id(tokenizer: SftTokenizer, token: str) -> Optional[int]:
    """The id of ``token`` when the vocabulary has it as one token, else None (unknown tokens map to
    None or to the unk id in Hugging Face tokenizers)."""
    found = tokenizer.convert_tokens_to_ids(token)
    if found is None or isinstance(found, (list, tuple)) or found == getattr(tokenizer, "unk_token_id", None):
        return None
    return int(found)


def _encode(tokenizer: SftTokenizer, text: str, recipe: SftRecipe, row: str) -> tuple[list[int], list[tuple[int, int]]]:
    try:
        enc = tokenizer(text, add_special_tokens=recipe.add_bos, return_offsets_mapping=True)
    except NotImplementedError as e:  # HF slow tokenizers have no offsets
        raise ValueError(f"row {row}: the tokenizer gives no offset mapping (a fast tokenizer is needed to find the [PROOFSTEP] boundary): {e}") from e
    ids = [int(i) for i in enc["input_ids"]]
    offsets = [(int(s), int(e)) for s, e in enc["offset_mapping"]]
    if len(ids) != len(offsets):
        raise ValueError(f"row {row}: tokenizer returned {len(ids)} ids but {len(offsets)} offsets")
    return ids, offsets


def completion_start(offsets: Sequence[tuple[int, int]], boundary: int, text: str, row: str) -> int:
    """Index of the first token whose span starts at or after character ``boundary`` (the end of
    ``[PROOFSTEP]``). Raises if a token straddles the boundary or no token starts after it."""
    for i, (start, end) in enumerate(offsets):
        if start < boundary < end:
            raise ValueError(
                f"row {row}: token {i} spans characters {start}..{end} {text[start:end]!r}, across the end of {PROOFSTEP_MARKER} "
                f"at {boundary}: the tactic's first token merges with the marker (add {PROOFSTEP_MARKER} as a special token, see sft_special_tokens); "
                f"text: {text[max(0, boundary - 100):boundary + 100]!r}"
            )
        if start >= boundary and end > start:
            if any(s < boundary and e > s for s, e in offsets[i + 1 :]):
                raise ValueError(f"row {row}: token offsets are not monotonic after token {i}: {list(offsets)[:200]}")
            return i
    raise ValueError(f"row {row}: no token starts at or after the end of {PROOFSTEP_MARKER} (character {boundary}); refusing to train on the whole sequence; text: {text[:200]!r}")


def _state_start(offsets: Sequence[tuple[int, int]], row: str) -> int:
    """Index of the first state token (after BOS and the ``[GOAL]`` tokens)."""
    goal_end = len(GOAL_MARKER)
    for i, (start, end) in enumerate(offsets):
        if start < goal_end < end:
            raise ValueError(f"row {row}: token {i} ({start}..{end}) merges the end of {GOAL_MARKER} with the state, so the state cannot be cut from the left without cutting the marker")
        if start >= goal_end and end > start:
            return i
    raise ValueError(f"row {row}: no token after {GOAL_MARKER}")


def _marker_start(offsets: Sequence[tuple[int, int]], marker_at: int) -> int:
    """Index of the token holding the first character of ``[PROOFSTEP]`` (it may also hold the
    state's last characters)."""
    return next(i for i, (start, end) in enumerate(offsets) if end > marker_at and end > start)


def _left_truncate_state(ids: list[int], offsets: Sequence[tuple[int, int]], b: int, n_completion: int, prompt_len: int, recipe: SftRecipe, row: str) -> tuple[list[int], int]:
    """Prompt ids (``ids[:b]``) with state tokens dropped from the left so that prompt + completion
    fit in max_length; returns (prompt ids, number dropped)."""
    g = _state_start(offsets, row)
    p = _marker_start(offsets, prompt_len - len(PROOFSTEP_MARKER))
    keep_tail = recipe.max_length - g - n_completion  # tokens kept of ids[g:b] (state tail + [PROOFSTEP])
    if keep_tail < b - p:
        need = g + (b - p) + n_completion
        raise ValueError(
            f"row {row}: the tactic would be cut by max_length {recipe.max_length}: [GOAL] + [PROOFSTEP] + tactic + EOS alone take {need} tokens "
            f"({n_completion} for the tactic and EOS)"
        )
    dropped = (b - g) - keep_tail
    return ids[:g] + ids[b - keep_tail : b], dropped


def tokenize_sft_example(tokenizer: SftTokenizer, state: str, tactic: str, recipe: SftRecipe = DEFAULT_SFT_RECIPE, row: str = "<unnamed>") -> SftExample:
    """Token ids and completion-only labels of ``[GOAL]{state}[PROOFSTEP]{tactic}`` + EOS."""
    if not tactic.strip():
        raise ValueError(f"row {row}: empty tactic")
    if PROOFSTEP_MARKER in state:
        raise ValueError(f"row {row}: the state contains {PROOFSTEP_MARKER}, which would break the completion boundary: {state[:200]!r}")
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no eos_token_id: the policy could not learn to stop")
    text = sft_text(state, tactic)
    prompt_len = len(text) - len(tactic)
    ids, offsets = _encode(tokenizer, text, recipe, row)
    if ids and ids[-1] == eos and offsets[-1][0] == offsets[-1][1]:
        ids, offsets = ids[:-1], offsets[:-1]  # the tokenizer's own EOS: ours is appended below as a label
    b = completion_start(offsets, prompt_len, text, row)
    proofstep_id = single_token_id(tokenizer, PROOFSTEP_MARKER)
    if proofstep_id is not None and ids[b - 1] != proofstep_id:
        raise ValueError(f"row {row}: the tokenizer has {PROOFSTEP_MARKER} as token {proofstep_id}, but the token before the tactic is {ids[b - 1]}: the marker was not matched as one token")
    tactic_ids = ids[b:]
    decoded = tokenizer.decode(tactic_ids)
    if normalise_whitespace(decoded) != normalise_whitespace(tactic):
        raise ValueError(f"row {row}: the labelled tokens decode to {decoded[:200]!r}, not the tactic {tactic[:200]!r}")
    completion = tactic_ids + [int(eos)]
    prompt_ids, dropped = ids[:b], 0
    if len(prompt_ids) + len(completion) > recipe.max_length:
        prompt_ids, dropped = _left_truncate_state(ids, offsets, b, len(completion), prompt_len, recipe, row)
    return SftExample(
        row=row,
        input_ids=tuple(prompt_ids + completion),
        labels=tuple([IGNORE_INDEX] * len(prompt_ids) + completion),
        n_completion_tokens=len(completion),
        n_state_tokens_dropped=dropped,
    )


# ---------------------------------------------------------------------------------------------
# files and data sets


def parse_sft_record(raw: Mapping[str, Any], row: str) -> SftRecord:
    """Check one JSONL object written by src/data/sft-format.ts and split its prompt back into the state."""
    for key in ("text", "prompt", "completion", "theorem_name"):
        if not isinstance(raw.get(key), str):
            raise ValueError(f"row {row}: field '{key}' must be a string, got {raw.get(key)!r:.100}")
    prompt, completion = raw["prompt"], raw["completion"]
    theorem = raw["theorem_name"]
    if raw["text"] != prompt + completion:
        raise ValueError(f"row {row} (theorem '{theorem}'): text is not prompt + completion: {raw['text'][:200]!r}")
    if not (prompt.startswith(GOAL_MARKER) and prompt.endswith(PROOFSTEP_MARKER)) or len(prompt) < len(GOAL_MARKER) + len(PROOFSTEP_MARKER):
        raise ValueError(f"row {row} (theorem '{theorem}'): prompt must be {GOAL_MARKER}{{state}}{PROOFSTEP_MARKER}, got {prompt[:200]!r}")
    depth = raw.get("depth", -1)
    return SftRecord(row=row, state=prompt[len(GOAL_MARKER) : -len(PROOFSTEP_MARKER)], tactic=completion, theorem_name=theorem, depth=int(depth))


def read_sft_jsonl(path: str) -> list[SftRecord]:
    """Records of an SFT JSONL file; an unreadable line is an error naming the file and line."""
    records: list[SftRecord] = []
    with open(path, "r", encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"row {where}: not JSON ({e}): {line[:200]!r}") from e
            if not isinstance(raw, dict):
                raise ValueError(f"row {where}: expected a JSON object, got {line[:200]!r}")
            rec = parse_sft_record(raw, where)
            records.append(dataclasses.replace(rec, row=f"{where} theorem '{rec.theorem_name}' depth {rec.depth}"))
    return records


def tokenize_sft_records(tokenizer: SftTokenizer, records: Iterable[SftRecord], recipe: SftRecipe = DEFAULT_SFT_RECIPE) -> tuple[list[SftExample], TokenizeStats]:
    """Every record tokenised (the first bad row raises, naming it) and the data set's counts."""
    examples = [tokenize_sft_example(tokenizer, r.state, r.tactic, recipe, row=r.row) for r in records]
    stats = TokenizeStats(
        n_rows=len(examples),
        n_tokens=sum(len(e) for e in examples),
        n_completion_tokens=sum(e.n_completion_tokens for e in examples),
        n_truncated_rows=sum(1 for e in examples if e.n_state_tokens_dropped > 0),
        n_state_tokens_dropped=sum(e.n_state_tokens_dropped for e in examples),
        max_tokens=max((len(e) for e in examples), default=0),
    )
    return examples, stats


def marker_token_ids(tokenizer: SftTokenizer) -> dict[str, tuple[int, ...]]:
    """How each marker tokenises on its own (one id once it is a special token; several while it is
    fragmented, Gotcha 14): for the job's log and to check :func:`add_special_tokens` worked."""
    out: dict[str, tuple[int, ...]] = {}
    for marker in (GOAL_MARKER, PROOFSTEP_MARKER):
        enc = tokenizer(marker, add_special_tokens=False, return_offsets_mapping=True)
        out[marker] = tuple(int(i) for i in enc["input_ids"])
    return out
