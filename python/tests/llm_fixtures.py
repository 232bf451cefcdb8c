"""Tiny real LLM things for the SFT / merge / serve tests that need transformers (the GPU machine):
real (state, tactic) pairs, SFT JSONL records in src/data/sft-format.ts's shape, a byte-level BPE
tokenizer trained here on those pairs (without the markers: adding them is part of the job), and a
random 2-layer Llama. No downloads.

The pairs come from ../shared/data/tactic_states when it is there (840 pairs from miniF2F search
traces), else from the handful of the same pairs embedded below.
"""
from __future__ import annotations

import glob
import json
import os
from typing import Any, Iterable, Optional, Sequence

SHARED_STATES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "tactic_states")

EMBEDDED_PAIRS = (  # from ../shared/data/tactic_states (llemma / InternLM miniF2F search traces)
    ("⊢ 1 * 3 ^ 3 + 2 * 3 ^ 2 + 2 * 3 + 2 = 53", "norm_num"),
    ("b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n⊢ v = 65", "rw [h₁, h₂, h₃]"),
    ("b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n⊢ 1 / 3 * (30 * (13 / 2)) = 65", "norm_num"),
    ("x : ℝ\nh₀ : x ≠ 0\n⊢ {y | y = x} = {x}", "ext y"),
    ("n : ℕ\nh₀ : n % 5 = 3\n⊢ 2 * n % 5 = 1", "omega"),
    ("a b : ℝ\nh₀ : a + b = 7\nh₁ : a - b = 1\n⊢ a = 4", "linarith"),
    ("x y : ℝ\nh₀ : x + y = 10\nh₁ : x - y = 2\n⊢ x = 6 ∧ y = 4", "constructor <;> linarith"),
    ("f : ℝ → ℝ\nh₀ : ∀ x, f x = 2 * x + 3\n⊢ f 2 = 7", "rw [h₀]\nnorm_num"),
    ("n : ℕ\nh₀ : 0 < n\n⊢ (n + 1) ^ 2 = n ^ 2 + 2 * n + 1", "ring"),
    ("a : ℝ\nh₀ : 0 < a\n⊢ a / a = 1", "field_simp"),
    ("x : ℕ\nh₀ : x + 3 = 5\n⊢ x = 2", "omega"),
    ("a b c : ℝ\nh₀ : a ≤ b\nh₁ : b ≤ c\n⊢ a ≤ c", "exact le_trans h₀ h₁"),
)


def lean_pairs(limit: Optional[int] = None) -> list[tuple[str, str]]:
    """(state_before, tactic) pairs, deduplicated, in a fixed order."""
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            if isinstance(o.get("state_before"), str) and isinstance(o.get("tactic"), str) and o["state_before"].strip() and o["tactic"].strip():
                key = (o["state_before"], o["tactic"])
                if key not in seen and "[PROOFSTEP]" not in key[0]:
                    seen.add(key)
                    pairs.append(key)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for path in sorted(glob.glob(os.path.join(SHARED_STATES, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            walk(json.load(f))
    if not pairs:
        pairs = list(EMBEDDED_PAIRS)
    return pairs[:limit] if limit is not None else pairs


def sft_record(state: str, tactic: str, theorem: str, depth: int = 0) -> dict[str, Any]:
    prompt = f"[GOAL]{state}[PROOFSTEP]"
    return {"text": prompt + tactic, "prompt": prompt, "completion": tactic, "theorem_name": theorem, "source": "test", "depth": depth}


def write_sft_jsonl(path: str, pairs: Iterable[tuple[str, str]], prefix: str = "thm") -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for i, (state, tactic) in enumerate(pairs):
            f.write(json.dumps(sft_record(state, tactic, f"{prefix}_{i}"), ensure_ascii=False) + "\n")
            n += 1
    return n


def bpe_tokenizer(texts: Sequence[str], vocab_size: int = 400) -> Any:
    """A byte-level BPE PreTrainedTokenizerFast trained on ``texts``: BOS prepended (as Llama's),
    no EOS appended, pad = EOS; ``[GOAL]`` / ``[PROOFSTEP]`` are not in it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(list(texts), trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="</s>")


def tiny_llama(vocab_size: int, seed: int = 0, hidden: int = 64, layers: int = 2, heads: int = 4, attn_implementation: str = "sdpa") -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                      max_position_embeddings=4096, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1, pad_token_id=1,
                      initializer_range=0.1)  # wider than 0.02: a LoRA on a 64-wide random model can then move the logits within a few steps
    return LlamaForCausalLM._from_config(cfg, attn_implementation=attn_implementation)


def tiny_base_model(root: str, n_pairs: int = 96, seed: int = 0) -> dict[str, str]:
    """A saved tiny base model + tokenizer and train/val SFT files under ``root``; returns the paths."""
    pairs = lean_pairs(n_pairs)
    tokenizer = bpe_tokenizer([t for p in pairs for t in p] * 3)
    model = tiny_llama(len(tokenizer), seed=seed)
    model_dir = os.path.join(root, "base")
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    n_val = max(2, len(pairs) // 8)
    train_pairs = list(pairs[n_val:])
    while len(train_pairs) < 64:  # the embedded fallback has 12 pairs: repeat them so a run has a few dozen steps
        train_pairs.extend(pairs[n_val:])
    train, val = os.path.join(root, "sft_train.jsonl"), os.path.join(root, "sft_val.jsonl")
    write_sft_jsonl(train, train_pairs, "train")
    write_sft_jsonl(val, pairs[:n_val], "val")
    return {"model_dir": model_dir, "train_jsonl": train, "val_jsonl": val}
