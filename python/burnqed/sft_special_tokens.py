"""``[GOAL]`` / ``[PROOFSTEP]`` as single tokens (plan Gotcha 14).

DeepSeek-Prover-V1.5 may not have the markers in its vocabulary; fragmented (``[``, ``GO``, ``AL``,
``]``) the boundary between reading and generating is blurred. :func:`special_token_plan` (pure)
says which are missing; :func:`add_special_tokens` (transformers, on the GPU machine) adds them,
sizes the embeddings and returns the LoRA config keys that make the new rows trainable, in one of
two modes:

- ``modules_to_save``: the plan's way, ``modules_to_save=["embed_tokens", "lm_head"]``: both full
  matrices are trained and saved with the adapter (2 x 102400 x 4096 = 0.84 B parameters at the 7B
  shape, plus their AdamW states).
- ``trainable_token_rows``: only the new rows, PEFT's ``trainable_token_indices`` in ``LoraConfig``
  (PEFT >= 0.15's TrainableTokens: a delta for the listed rows, written back with ``index_copy`` in
  forward). For an untied model (DeepSeek-Prover-V1.5: ``tie_word_embeddings`` false) the dict form
  names both ``embed_tokens`` and ``lm_head``; PEFT's TrainableTokensLayer also wraps an ``nn.Linear``.
  The lm_head rows matter even though the markers are never labels: they sit in the softmax
  normaliser, and training pushes their logits down so the policy does not emit a marker mid-tactic.

transformers is imported lazily: this module imports (and its pure parts run) without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from burnqed.sft_data import GOAL_MARKER, PROOFSTEP_MARKER

PLAN_SPECIAL_TOKENS = (GOAL_MARKER, PROOFSTEP_MARKER)
MODES = (
    "modules_to_save",  # full embed_tokens + lm_head trainable (the plan's Gotcha 14)
    "trainable_token_rows",  # only the added rows trainable (PEFT trainable_token_indices)
)


@dataclass(frozen=True)
class SpecialTokenPlan:
    missing: tuple[str, ...]  # to add, in the order given
    present: tuple[tuple[str, int], ...]  # already single tokens: (token, id)

    @property
    def needs_adding(self) -> bool:
        return bool(self.missing)


@dataclass(frozen=True)
class SpecialTokenResult:
    plan: SpecialTokenPlan
    token_ids: tuple[tuple[str, int], ...]  # every marker's id after adding
    new_token_ids: tuple[int, ...]  # ids of the added markers (empty: nothing added)
    embedding_rows_before: int
    embedding_rows_after: int
    lora_kwargs: Mapping[str, Any]  # merge into LoraConfig(...)
    extra_trainable_parameters: int  # beyond the LoRA matrices


def special_token_plan(vocab: Mapping[str, int], tokens: Sequence[str] = PLAN_SPECIAL_TOKENS) -> SpecialTokenPlan:
    """Which of ``tokens`` the vocabulary (``tokenizer.get_vocab()``) lacks as a single token."""
    missing = tuple(t for t in tokens if t not in vocab)
    present = tuple((t, int(vocab[t])) for t in tokens if t in vocab)
    return SpecialTokenPlan(missing=missing, present=present)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"special token mode must be one of {MODES}, got {mode!r}")
    return mode


def lora_token_kwargs(mode: str, new_token_ids: Sequence[int], tied: bool, embedding_module: str = "embed_tokens", output_module: str = "lm_head") -> dict[str, Any]:
    """The LoraConfig keys that make the added rows trainable ({} when nothing was added)."""
    check_mode(mode)
    ids = [int(i) for i in new_token_ids]
    if not ids:
        return {}
    if mode == "modules_to_save":
        return {"modules_to_save": [embedding_module] if tied else [embedding_module, output_module]}
    if tied:  # PEFT ties the output layer to the input layer's token adapter itself
        return {"trainable_token_indices": {embedding_module: ids}}
    return {"trainable_token_indices": {embedding_module: ids, output_module: list(ids)}}


def extra_trainable_parameters(mode: str, embedding_rows: int, hidden_size: int, n_new_tokens: int, tied: bool) -> int:
    """Parameters trained besides LoRA: whole matrices (modules_to_save) or the new rows only."""
    check_mode(mode)
    if n_new_tokens == 0:
        return 0
    matrices = 1 if tied else 2
    rows = embedding_rows if mode == "modules_to_save" else n_new_tokens
    return matrices * rows * hidden_size


# ---------------------------------------------------------------------------------------------
# transformers side (GPU machine)


def _added_token(content: str) -> Any:
    try:
        from tokenizers import AddedToken
    except ImportError:  # pragma: no cover - transformers re-exports it
        from transformers import AddedToken  # type: ignore[no-redef]
    # normalized=False: matched on the raw text; no lstrip/rstrip: the marker eats no whitespace of the state or tactic
    return AddedToken(content, special=True, normalized=False, single_word=False, lstrip=False, rstrip=False)


def _module_name(model: Any, module: Any, fallback: str) -> str:
    """Last component of ``module``'s qualified name in ``model`` (what PEFT matches)."""
    for name, m in model.named_modules():
        if m is module:
            return name.rsplit(".", 1)[-1]
    return fallback


def _is_tied(model: Any) -> bool:
    config = model.config
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    return bool(getattr(text_config, "tie_word_embeddings", False))


def _mean_init_rows(model: Any, rows: Sequence[int], n_real: int) -> None:
    """Set rows of the input (and untied output) embeddings to the mean of the first ``n_real`` rows
    (transformers' mean resizing, for ids that land in pre-existing padded rows)."""
    import torch

    with torch.no_grad():
        index = torch.tensor(list(rows), dtype=torch.long)
        for layer in {id(m): m for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m is not None}.values():
            w = layer.weight
            mean = w[:n_real].float().mean(dim=0).to(w.dtype)
            w[index.to(w.device)] = mean


def add_special_tokens(model: Any, tokenizer: Any, mode: str, tokens: Sequence[str] = PLAN_SPECIAL_TOKENS, pad_to_multiple_of: Optional[int] = None) -> SpecialTokenResult:
    """Add the missing markers as special tokens, size the embeddings, and say how to train them.

    Resizes only upwards: DeepSeek's embedding matrix (102400 rows) is larger than its tokenizer, so
    new ids may land in existing padded rows, which are then mean-initialised like resized ones.
    Returns the LoraConfig keys (``lora_kwargs``) for ``mode``; the caller builds the LoraConfig.
    """
    check_mode(mode)
    plan = special_token_plan(tokenizer.get_vocab(), tokens)
    rows_before = int(model.get_input_embeddings().weight.shape[0])
    n_real = len(tokenizer)
    if plan.missing:
        added = tokenizer.add_tokens([_added_token(t) for t in plan.missing], special_tokens=True)
        if added != len(plan.missing):
            raise RuntimeError(f"tokenizer added {added} of the tokens {list(plan.missing)}")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in tokens}
    new_ids = tuple(int(ids[t]) for t in plan.missing)
    if len(tokenizer) > rows_before:
        model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=pad_to_multiple_of, mean_resizing=True)
    in_old_rows = [i for i in new_ids if i < rows_before]
    if in_old_rows:
        _mean_init_rows(model, in_old_rows, min(n_real, rows_before))
    rows_after = int(model.get_input_embeddings().weight.shape[0])
    tied = _is_tied(model)
    hidden = int(model.get_input_embeddings().weight.shape[1])
    emb_name = _module_name(model, model.get_input_embeddings(), "embed_tokens")
    out_name = _module_name(model, model.get_output_embeddings(), "lm_head")
    return SpecialTokenResult(
        plan=plan,
        token_ids=tuple((t, int(ids[t])) for t in tokens),
        new_token_ids=new_ids,
        embedding_rows_before=rows_before,
        embedding_rows_after=rows_after,
        lora_kwargs=lora_token_kwargs(mode, new_ids, tied, emb_name, out_name),
        extra_trainable_parameters=extra_trainable_parameters(mode, rows_after, hidden, len(new_ids), tied),
    )
