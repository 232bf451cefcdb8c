"""JointProver (plan Task 3.2): the policy LM with its LoRA and the goal-conditioned energy head,
trained together, plus the checks that the head and the embedding recipe are iter_0's.

The LM half is built by the SFT job's own ``sft.build_model`` (base model, ``[GOAL]`` /
``[PROOFSTEP]`` rows, PEFT LoRA r 64 / alpha 128 / dropout 0.05 on q/k/v/o/gate/up/down_proj,
float32 master weights), from :meth:`JointConfig.sft_config`. The head is the one
GoalConditionedEnergyHead module of ebm_head.py.

Embeddings for the energy path follow the one recipe (embed.EmbedRecipe, as embed.EmbeddingExtractor
computes them): ``[GOAL]{state}[PROOFSTEP]`` tokenised by embed.tokenize_texts (done once, in the
dataset), right padding (embed.pad_right), the decoder's final normed hidden state at the last
real position, float32; then rounded to the recipe's storage dtype (float16) with a straight-through
gradient, so the head trains on exactly the values the scorer later reads from the embed job's
.npy. The difference from EmbeddingExtractor is only that grad flows where the caller allows it
(EmbeddingExtractor runs under inference_mode); tests/test_joint_llm.py checks the two agree.

The training step encodes with :meth:`JointProver.encode_packed`: the same sequences packed
first-fit into rows under the SFT rows' document mask (positions restart per sequence), so no
compute goes to padding. A sequence sees only itself, at the same positions, so the embeddings are
encode()'s up to float rounding (tests: the stand-in in float64, the tiny Llama per attention mode).
On the realistic state mix (median 170, p95 ~506 tokens) padding is more than half of a padded
batch's tokens.

Identity with iter_0 is checked in code, not by convention (:func:`check_against_iter0`): the
joint head's EnergyHeadConfig and state-dict layout must equal those in iter_0's
goal_conditioned_head.pt, the EmbedRecipe the one in iter_0's embedding_meta.json, and K / hard
ratio the decoupled trainer's; an error names every differing field.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import torch
from torch import nn

from burnqed.ebm_head import EnergyHeadConfig, GoalConditionedEnergyHead
from burnqed.embed import EmbedRecipe, pad_right
from burnqed.sft import model_inputs, pad_batch
from burnqed.sft_data import IGNORE_INDEX, SftExample
from burnqed.sft_packing import PackedBatch, collate_packed

HEAD_FORMAT = "burnqed.goal_conditioned_head/1"


def storage_round(z: torch.Tensor, storage_dtype: str) -> torch.Tensor:
    """``z`` rounded to the recipe's storage dtype in the forward pass, identity in the backward
    (a plain cast would round the gradient to float16 too and flush small ones to zero)."""
    if storage_dtype == "float32":
        return z
    rounded = z.detach().to(getattr(torch, storage_dtype)).to(z.dtype)
    return z + (rounded - z.detach())


def pack_for_encoding(batch_ids: Sequence[Sequence[int]], max_tokens_per_row: int, pad_id: int) -> tuple[PackedBatch, torch.Tensor, torch.Tensor]:
    """``batch_ids`` packed first-fit decreasing into rows of at most ``max_tokens_per_row`` tokens
    (or the longest sequence, if longer), with the row and column of each sequence's last token, in
    input order: (batch on the CPU, rows (N,), columns (N,))."""
    lengths = [len(x) for x in batch_ids]
    if not lengths or min(lengths) < 1:
        raise ValueError(f"pack_for_encoding: need >= 1 non-empty sequence, got lengths {lengths[:8]}")
    width = max(int(max_tokens_per_row), max(lengths))
    rows: list[list[SftExample]] = []
    room: list[int] = []
    placed: list[tuple[int, int]] = [(-1, -1)] * len(lengths)  # (row, index in row)
    for i in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        r = next((r for r, free in enumerate(room) if lengths[i] <= free), None)
        if r is None:
            rows.append([])
            room.append(width)
            r = len(rows) - 1
        placed[i] = (r, len(rows[r]))
        rows[r].append(SftExample(row=f"energy-path sequence {i}", input_ids=tuple(int(t) for t in batch_ids[i]), labels=(IGNORE_INDEX,) * lengths[i], n_completion_tokens=0))
        room[r] -= lengths[i]
    batch = collate_packed(rows, pad_id)
    r_of = torch.tensor([r for r, _ in placed], dtype=torch.long)
    c_of = torch.tensor([batch.cu_seqlens[r][j + 1] - 1 for r, j in placed], dtype=torch.long)
    return batch, r_of, c_of


class JointProver(nn.Module):
    """``lm``: a causal LM with the Hugging Face calling convention (``forward(input_ids=...,
    position_ids=..., attention_mask=..., use_cache=False, logits_to_keep=...) -> .logits`` and
    ``get_decoder()`` whose forward gives ``.last_hidden_state`` after the final norm);
    ``head``: the GoalConditionedEnergyHead."""

    def __init__(self, lm: nn.Module, head: GoalConditionedEnergyHead, recipe: EmbedRecipe, pad_id: int) -> None:
        super().__init__()
        self.lm = lm
        self.head = head
        self.recipe = recipe
        self.pad_id = int(pad_id)

    def decoder(self) -> Any:
        return self.lm.get_decoder() if hasattr(self.lm, "get_decoder") else self.lm

    @property
    def device(self) -> torch.device:
        return next(self.lm.parameters()).device

    def encode(self, batch_ids: Sequence[Sequence[int]]) -> torch.Tensor:
        """(B, H) float32 recipe embeddings of token-id sequences (embed.tokenize_texts' output),
        with grad when grad is enabled."""
        ids, mask = pad_right(batch_ids, self.pad_id)
        input_ids = torch.from_numpy(ids).to(self.device)
        attention_mask = torch.from_numpy(mask).to(self.device)
        out = self.decoder()(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]  # (B, T, H)
        last = attention_mask.sum(dim=1) - 1  # (B,): right padding → the last real token
        z = hidden[torch.arange(hidden.shape[0], device=hidden.device), last].float()  # (B, H)
        return storage_round(z, self.recipe.storage_dtype)

    def encode_packed(self, batch_ids: Sequence[Sequence[int]], ctx: Any) -> torch.Tensor:
        """encode()'s embeddings with the sequences packed into rows as the SFT rows are (``ctx``: the
        job's sft.StepContext: attention mode, row width, pad multiple); encode() itself when the
        attention mode does not pack ("padding_mask")."""
        if not ctx.packed:
            return self.encode(batch_ids)
        batch, rows, cols = pack_for_encoding(batch_ids, ctx.max_tokens_per_row, self.pad_id)
        batch = pad_batch(batch, ctx.pad_multiple, self.pad_id).to(self.device)
        out = self.decoder()(**model_inputs(batch, ctx))
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]  # (R, T, H)
        z = hidden[rows.to(hidden.device), cols.to(hidden.device)].float()  # (N, H)
        return storage_round(z, self.recipe.storage_dtype)

    def lm_named(self) -> list[tuple[str, nn.Parameter]]:
        """The LM's trainable parameters (LoRA matrices and the added token rows)."""
        return [(n, p) for n, p in self.lm.named_parameters() if p.requires_grad]

    def head_named(self) -> list[tuple[str, nn.Parameter]]:
        return list(self.head.named_parameters())


def make_head(config: EnergyHeadConfig, seed: int, device: torch.device) -> GoalConditionedEnergyHead:
    """A fresh head, seeded on its own so its init does not depend on how the LM was loaded."""
    torch.manual_seed(seed)
    return GoalConditionedEnergyHead(config).to(device)


# ---------------------------------------------------------------------------------------------
# the same head and recipe as iter_0


@dataclass(frozen=True)
class Iter0Reference:
    head_config: EnergyHeadConfig
    head_state: Mapping[str, torch.Tensor]
    train_config: Mapping[str, Any]
    embed_recipe: EmbedRecipe
    head_source: str
    recipe_source: str


def read_iter0_reference(head_pt: str, embedding_meta: str) -> Iter0Reference:
    """iter_0's head config and weights (goal_conditioned_head.pt, written by train_ebm) and
    embedding recipe (embedding_meta.json, written by the embed job). Errors name the file."""
    from burnqed.sft import _torch_load  # the project's torch.load (weights-only on torch >= 2)

    blob = _torch_load(head_pt)
    if not isinstance(blob, dict) or blob.get("format") != HEAD_FORMAT:
        raise ValueError(f"{head_pt}: not a {HEAD_FORMAT} checkpoint (format {blob.get('format') if isinstance(blob, dict) else type(blob).__name__})")
    head_config = EnergyHeadConfig.from_dict(blob["head_config"])
    with open(embedding_meta, encoding="utf-8") as f:
        meta = json.load(f)
    if not isinstance(meta, dict) or not isinstance(meta.get("recipe"), dict):
        raise ValueError(f"{embedding_meta}: expected the embed job's meta with a 'recipe' object, got keys {sorted(meta) if isinstance(meta, dict) else type(meta).__name__}")
    return Iter0Reference(head_config, blob["state_dict"], dict(blob.get("train_config") or {}), EmbedRecipe.from_dict(meta["recipe"]), head_pt, embedding_meta)


def differing_fields(expected: Any, got: Any) -> list[tuple[str, Any, Any]]:
    """(field, expected, got) for every field of two instances of one dataclass that differ."""
    if type(expected) is not type(got):
        raise TypeError(f"cannot compare {type(expected).__name__} with {type(got).__name__}")
    return [(f.name, getattr(expected, f.name), getattr(got, f.name)) for f in dataclasses.fields(expected) if getattr(expected, f.name) != getattr(got, f.name)]


def assert_same(expected: Any, got: Any, what: str, source: str) -> None:
    diffs = differing_fields(expected, got)
    if diffs:
        listed = "; ".join(f"field '{n}': iter_0 {a!r}, joint {b!r}" for n, a, b in diffs)
        raise ValueError(f"the joint {what} differs from iter_0's ({source}): {listed}. The plan trains the same head on the same recipe (Task 3.2); "
                         "fix the joint config (or the iter_0 artifacts) so they agree")


def check_against_iter0(ref: Iter0Reference, head: GoalConditionedEnergyHead, recipe: EmbedRecipe, k_negatives: int, hard_ratio: float) -> dict[str, Any]:
    """Raise naming the first kind of difference; return what was checked (for the summary)."""
    assert_same(ref.embed_recipe, recipe, "embedding recipe", ref.recipe_source)
    assert_same(ref.head_config, head.config, "energy head config", ref.head_source)
    mine = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in ref.head_state.items()}
    if mine != theirs:
        diff = sorted(set(mine.items()) ^ set(theirs.items()))[:6]
        raise ValueError(f"the joint energy head's parameters differ from iter_0's ({ref.head_source}) although the configs agree: {diff} (another GoalConditionedEnergyHead version?)")
    sampling = {"k_negatives": k_negatives, "hard_ratio": hard_ratio}
    for key, value in sampling.items():
        if key in ref.train_config and ref.train_config[key] != value:
            raise ValueError(f"the joint contrastive sampling differs from iter_0's decoupled trainer ({ref.head_source} train_config): field '{key}': iter_0 {ref.train_config[key]!r}, joint {value!r}")
    return {"head_config": head.config.to_dict(), "embed_recipe": dataclasses.asdict(recipe), "sampling": sampling, "head_source": ref.head_source, "recipe_source": ref.recipe_source}


# ---------------------------------------------------------------------------------------------
# the Hugging Face side (GPU machine)


@dataclass
class ProverBuild:
    """A built JointProver and what the job needs around it."""

    prover: JointProver
    tokenizer: Any
    hidden_size: int
    pad_id: int
    keep_logits_supported: bool
    save_adapter: Callable[[str, Mapping[str, Any]], None]  # writes the LM half (adapter, tokenizer, meta) to a folder
    special_tokens: Mapping[str, Any]  # the SFT job's special-token record (empty for stand-ins)
    embedding_rows: Optional[int]


def build_hf_prover(cfg: Any, attention: str, device: torch.device, head_config_of: Callable[[int], EnergyHeadConfig]) -> ProverBuild:
    """The LM through sft.build_model (``cfg.sft_config()``), the head from ``head_config_of(hidden)``."""
    from burnqed.hf_loading import pad_token_id
    from burnqed.sft import build_model, save_adapter, special_token_record

    sft_cfg = cfg.sft_config()
    built = build_model(sft_cfg, attention, device)
    hidden = int(built.model.get_input_embeddings().weight.shape[1])
    head = make_head(head_config_of(hidden), cfg.seed + 2, device)
    pad = pad_token_id(built.tokenizer)
    built.tokenizer.padding_side = cfg.embed_recipe.padding_side  # Gotcha 4 (EmbeddingExtractor does the same)

    def save(out_dir: str, meta: Mapping[str, Any]) -> None:
        save_adapter(dataclasses.replace(sft_cfg, out_dir=out_dir), built, meta)

    return ProverBuild(
        prover=JointProver(built.model, head, cfg.embed_recipe, pad),
        tokenizer=built.tokenizer,
        hidden_size=hidden,
        pad_id=pad,
        keep_logits_supported=built.keep_logits_supported,
        save_adapter=save,
        special_tokens=special_token_record(built.special, built.tokenizer),
        embedding_rows=built.special.embedding_rows_after,
    )
