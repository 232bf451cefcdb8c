"""Tiny real things for the joint-training tests, without transformers:

- :class:`CharTokenizer`: one token per character, ``[GOAL]`` / ``[PROOFSTEP]`` as special tokens,
  BOS prepended; both calling conventions the job uses (sft_data's single text with offsets,
  embed.tokenize_texts' list of texts);
- :class:`TinyJointLM`: a one-block causal LM with the Hugging Face interface JointProver and the
  SFT code use (``forward(input_ids, position_ids, attention_mask, use_cache, logits_to_keep) ->
  .logits``; ``get_decoder()(input_ids, attention_mask, use_cache) -> .last_hidden_state``), with
  dropout; float64;
- :func:`write_world`: a planted world in the files the stages write — SFT JSONL (real Lean pairs),
  state / goal texts, goal index, a contrastive plan (TS's array format), iter_0's head .pt and
  embedding meta, and the stand-in "model folder" (the tokenizer's vocabulary);
- :func:`stand_in_build`: a ProverBuild over those, in place of burnqed.joint.train.build_prover.

Run as a job, it is burnqed.joint.train over the stand-in (as serve_fake_job.py is for serve), so
the TypeScript runner can replay the abort-rule scenarios without a GPU:

    PYTHONPATH=python:python/tests python -m joint_fixtures --config cfg.json

where cfg.json is a joint config; ``"fake_world": "<dir>"`` writes the world there and fills in
every path (and test-sized defaults) the config leaves out, e.g.
``{"fake_world": "/tmp/w", "debug_force": {"collapse_centroids": true}}`` emits centroid_l2 < 3 at
every eval (rule centroid_l2_below_3), ``{"fake_world": "/tmp/w", "debug_force": {"nan_at_step": 3}}``
a NaN sft_loss at step 3 (rule non_finite_metric) and exit 3.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from types import SimpleNamespace
from typing import Any, Mapping, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from burnqed.atomic_dir import atomic_dir  # noqa: E402
from burnqed.contrastive_plan import ARRAY_NAMES, plan_file  # noqa: E402
from burnqed.ebm_head import EnergyHeadConfig, GoalConditionedEnergyHead, head_checkpoint  # noqa: E402
from burnqed.embed import EmbedRecipe  # noqa: E402
from burnqed.joint.model import JointProver, ProverBuild, make_head  # noqa: E402
from llm_fixtures import EMBEDDED_PAIRS, write_sft_jsonl  # noqa: E402

PAD, BOS, EOS, GOAL, PROOFSTEP = 0, 1, 2, 3, 4
SPECIALS = {"[GOAL]": GOAL, "[PROOFSTEP]": PROOFSTEP}
D_MODEL = 16
NORM_SCALE = 6.0  # final-norm gain: embeddings at a scale where centroid_l2 sits above the abort threshold 3.0 (as real ones do)
HEAD_DIMS = (16, 8, 4)
TEST_RECIPE = EmbedRecipe(compute_dtype="float32")  # the stand-in computes in float64 → float32; storage float16 as the plan's


class CharTokenizer:
    """One id per character of a fixed alphabet; special tokens split out first (as Hugging Face does)."""

    pad_token_id, bos_token_id, eos_token_id, unk_token_id = PAD, BOS, EOS, None
    padding_side = "right"

    def __init__(self, alphabet: Sequence[str]) -> None:
        self.alphabet = sorted(set(alphabet))
        self.vocab = {"<pad>": PAD, "<s>": BOS, "</s>": EOS, **SPECIALS}
        for c in self.alphabet:
            self.vocab.setdefault(c, len(self.vocab))
        self.inverse = {i: t for t, i in self.vocab.items()}

    def __len__(self) -> int:
        return len(self.vocab)

    def encode_one(self, text: str, add_special_tokens: bool) -> tuple[list[int], list[tuple[int, int]]]:
        ids, offsets = ([BOS], [(0, 0)]) if add_special_tokens else ([], [])
        at = 0
        while at < len(text):
            special = next((s for s in SPECIALS if text.startswith(s, at)), None)
            piece = special or text[at]
            if piece not in self.vocab:
                raise KeyError(f"CharTokenizer: character {piece!r} is not in the alphabet")
            ids.append(self.vocab[piece])
            offsets.append((at, at + len(piece)))
            at += len(piece)
        return ids, offsets

    def __call__(self, text: Any, add_special_tokens: bool = True, return_offsets_mapping: bool = False, truncation: bool = False) -> dict[str, Any]:
        if isinstance(text, (list, tuple)):
            return {"input_ids": [self.encode_one(t, add_special_tokens)[0] for t in text]}
        ids, offsets = self.encode_one(text, add_special_tokens)
        out: dict[str, Any] = {"input_ids": ids, "attention_mask": [1] * len(ids)}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        return out

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        return "".join(self.inverse[int(i)] for i in ids if int(i) not in (PAD, BOS, EOS))

    def convert_tokens_to_ids(self, token: str) -> Optional[int]:
        return self.vocab.get(token)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def save(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "alphabet.json"), "w", encoding="utf-8") as f:
            json.dump(self.alphabet, f, ensure_ascii=False)

    @staticmethod
    def load(folder: str) -> "CharTokenizer":
        with open(os.path.join(folder, "alphabet.json"), encoding="utf-8") as f:
            return CharTokenizer(json.load(f))


class TinyDecoder(nn.Module):
    def __init__(self, vocab: int, d: int, heads: int, max_positions: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_positions, d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d)
        with torch.no_grad():
            self.norm.weight.fill_(NORM_SCALE)
        self.on_forward: Optional[Any] = None  # called with the training-forward count
        self.train_calls = 0

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None, position_ids: Optional[torch.Tensor] = None, use_cache: bool = False) -> Any:
        if use_cache:
            raise AssertionError("the joint job must pass use_cache=False")
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t, device=input_ids.device)[None].expand(b, t)
        x = self.drop(self.tok(input_ids) + self.pos(position_ids))  # (B, T, d)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        if attention_mask is None:
            mask = torch.zeros(t, t, dtype=x.dtype, device=x.device).masked_fill(~causal, float("-inf"))[None, None]
        elif attention_mask.dim() == 2:  # right padding: real keys, causally
            allowed = causal[None] & attention_mask.bool()[:, None, :]
            mask = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, float("-inf"))[:, None]
        else:  # the SFT job's 4-D additive block mask
            mask = attention_mask.to(x.dtype)
        d = x.shape[-1]
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # (B, H, T, dh) each
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + mask
        x = x + self.drop(self.proj((att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)))
        if self.training:
            self.train_calls += 1
            if self.on_forward is not None:
                self.on_forward(self.train_calls)
        return SimpleNamespace(last_hidden_state=self.norm(x))


class TinyJointLM(nn.Module):
    def __init__(self, vocab: int, d: int = D_MODEL, heads: int = 2, max_positions: int = 1024, dropout: float = 0.1, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.model = TinyDecoder(vocab, d, heads, max_positions, dropout)
        self.lm_head = nn.Linear(d, vocab)
        self.to(torch.float64)

    def get_decoder(self) -> TinyDecoder:
        return self.model

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.tok

    def forward(self, input_ids: torch.Tensor, position_ids: Optional[torch.Tensor] = None, attention_mask: Optional[torch.Tensor] = None, use_cache: bool = False, logits_to_keep: Optional[torch.Tensor] = None) -> Any:
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, use_cache=use_cache).last_hidden_state
        logits = self.lm_head(hidden)
        if logits_to_keep is not None:
            logits = logits[:, logits_to_keep]
        return SimpleNamespace(logits=logits)


# ---------------------------------------------------------------------------------------------
# the planted world


@dataclasses.dataclass
class WorldSpec:
    n_train: int = 6  # theorems in the train split
    n_val: int = 3
    groups: int = 2  # sibling groups per theorem (one positive, three negatives each)
    head_dims: tuple[int, ...] = HEAD_DIMS
    head_dropout: float = 0.15
    recipe: EmbedRecipe = TEST_RECIPE
    k_negatives: int = 3
    hard_ratio: float = 0.6


def state_text(goal: str, theorem: int, group: int, label: int, j: int) -> str:
    tail = "⊢ True" if label else f"⊢ False ∨ x = {j}"
    return f"{goal}\ncase t{theorem}g{group}\n{tail}"


def write_world(root: str, spec: WorldSpec = WorldSpec()) -> dict[str, str]:
    """The world's files under ``root``; returns the joint config's input paths."""
    os.makedirs(root, exist_ok=True)
    pairs = list(EMBEDDED_PAIRS)
    texts: list[str] = []
    goal_index: list[int] = []
    goals = [pairs[t % len(pairs)][0] for t in range(spec.n_train + spec.n_val)]
    splits: dict[str, dict[str, list[int]]] = {s: {k: [] for k in ARRAY_NAMES} for s in ("train", "val")}
    for s in splits.values():
        for k in ("sibling_offsets", "theorem_neg_offsets", "group_offsets"):
            s[k].append(0)
    for t, goal in enumerate(goals):
        split = splits["train" if t < spec.n_train else "val"]
        local = t if t < spec.n_train else t - spec.n_train
        texts.append(goal)  # the root: a positive without parent, not an anchor
        goal_index.append(t)
        theorem_negs: list[int] = []
        for g in range(spec.groups):
            rows = []
            for j, label in enumerate((1, 0, 0, 0)):
                rows.append((len(texts), label))
                texts.append(state_text(goal, t, g, label, j))
                goal_index.append(t)
            negs = [r for r, _ in rows[1:]]
            split["anchors"].append(rows[0][0])
            split["anchor_theorem"].append(local)
            split["sibling_rows"].extend(negs)
            split["sibling_offsets"].append(len(split["sibling_rows"]))
            split["group_rows"].extend(r for r, _ in rows)
            split["group_is_positive"].extend(lab for _, lab in rows)
            split["group_offsets"].append(len(split["group_rows"]))
            theorem_negs.extend(negs)
        texts.append("")  # a terminal row: no text, in no plan
        goal_index.append(t)
        split["theorem_neg_rows"].extend(theorem_negs)
        split["theorem_neg_offsets"].append(len(split["theorem_neg_rows"]))
    paths = {
        "train_jsonl": os.path.join(root, "sft_train.jsonl"),
        "val_jsonl": os.path.join(root, "sft_val.jsonl"),
        "plan_dir": os.path.join(root, "contrastive_plan"),
        "state_texts": os.path.join(root, "state_texts.jsonl"),
        "goal_texts": os.path.join(root, "goal_texts.jsonl"),
        "goal_index": os.path.join(root, "goal_index.npy"),
        "iter0_head_pt": os.path.join(root, "iter0_head.pt"),
        "iter0_embedding_meta": os.path.join(root, "embedding_meta.json"),
        "model_dir": os.path.join(root, "model"),
    }
    write_sft_jsonl(paths["train_jsonl"], pairs[2:] * 2, "train")
    write_sft_jsonl(paths["val_jsonl"], pairs[:4], "val")
    write_jsonl(paths["state_texts"], [{"text": x} for x in texts])
    write_jsonl(paths["goal_texts"], [{"text": g, "theorem_name": f"thm_{t}"} for t, g in enumerate(goals)])
    np.save(paths["goal_index"], np.array(goal_index, dtype=np.int32))
    os.makedirs(paths["plan_dir"], exist_ok=True)
    for split_name, arrays in splits.items():
        for name, values in arrays.items():
            np.save(plan_file(paths["plan_dir"], split_name, name), np.array(values, dtype=np.int64))
    write_iter0(paths, spec)
    alphabet = set("".join(texts) + "".join(goals) + "".join(p + q for p, q in pairs) + "[]GOALPRFSTE")
    CharTokenizer(sorted(alphabet)).save(paths["model_dir"])
    return paths


def write_iter0(paths: Mapping[str, str], spec: WorldSpec, d_model: int = D_MODEL, **head_overrides: Any) -> None:
    """iter_0's head (train_ebm's file format) and embedding meta (the embed job's)."""
    torch.manual_seed(7)
    config = EnergyHeadConfig(d_model=d_model, hidden_dims=tuple(spec.head_dims), dropout=spec.head_dropout, **head_overrides)
    torch.save(head_checkpoint(GoalConditionedEnergyHead(config), {"train_config": {"k_negatives": spec.k_negatives, "hard_ratio": spec.hard_ratio}}), paths["iter0_head_pt"])
    with open(paths["iter0_embedding_meta"], "w", encoding="utf-8") as f:
        json.dump({"kind": "embedding_meta", "recipe": dataclasses.asdict(spec.recipe)}, f)


def write_jsonl(path: str, records: Sequence[Mapping[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def joint_config(root: str, paths: Mapping[str, str], **overrides: Any) -> dict[str, Any]:
    """A test-sized joint config over a world (every output under root)."""
    cfg: dict[str, Any] = {
        **paths,
        "out_adapter_dir": os.path.join(root, "out", "adapter"),
        "out_merged_dir": os.path.join(root, "out", "merged"),
        "out_merge_summary": os.path.join(root, "out", "merge_summary.json"),
        "out_head_pt": os.path.join(root, "out", "goal_conditioned_head.pt"),
        "out_head_onnx": os.path.join(root, "out", "goal_conditioned_head.onnx"),
        "out_summary": os.path.join(root, "out", "training_summary.json"),
        "checkpoint_dir": os.path.join(root, "checkpoints"),
        "dtype": "float32",
        "embed_recipe": dataclasses.asdict(TEST_RECIPE),
        "hidden_dims": list(HEAD_DIMS),
        "total_steps": 12,
        "warmup_steps": 2,
        "lr_lora": 1e-2,
        "lr_head": 1e-2,
        "sft_examples_per_step": 4,
        "groups_per_step": 4,
        "groups_per_micro_batch": 2,
        "max_length": 512,
        "max_tokens_per_row": 512,
        "log_every_steps": 2,
        "temperature_every_steps": 3,
        "eval_every_steps": 4,
        "checkpoint_every_steps": 4,
        "probe_max_iter": 50,
        "device": "cpu",
        "merge_model": False,
        "export_onnx": False,
    }
    cfg.update(overrides)
    return cfg


def stand_in_build(cfg: Any, attention: str, device: torch.device, head_config_of: Any, lm_seed: int = 0) -> ProverBuild:
    """What burnqed.joint.train.build_prover returns, over TinyJointLM (``cfg.model_dir`` holds the alphabet)."""
    tokenizer = CharTokenizer.load(cfg.model_dir)
    lm = TinyJointLM(len(tokenizer), seed=lm_seed).to(device)
    head = make_head(head_config_of(D_MODEL), cfg.seed + 2, device)

    def save(out_dir: str, meta: Mapping[str, Any]) -> None:
        with atomic_dir(out_dir) as tmp:
            torch.save({n: p.detach().cpu() for n, p in lm.named_parameters()}, os.path.join(tmp, "stand_in_lm.pt"))
            with open(os.path.join(tmp, "burnqed_sft.json"), "w", encoding="utf-8") as f:
                json.dump(dict(meta), f)

    return ProverBuild(prover=JointProver(lm, head, cfg.embed_recipe, PAD), tokenizer=tokenizer, hidden_size=D_MODEL, pad_id=PAD, keep_logits_supported=True,
                       save_adapter=save, special_tokens={}, embedding_rows=len(tokenizer))


# ---------------------------------------------------------------------------------------------
# the fake job


def fake_main(config: dict[str, Any], events: Any) -> Any:
    from burnqed.joint import train

    config = dict(config)
    world = config.pop("fake_world", None)
    if world is not None:
        config = {**joint_config(world, write_world(world)), **config}
    train.build_prover = stand_in_build  # type: ignore[assignment]
    return train.main(config, events)


if __name__ == "__main__":
    from burnqed.events import run_job

    run_job(fake_main)
