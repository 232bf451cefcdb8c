"""A tiny random Llama saved as a base model (weights + a byte-level BPE tokenizer trained on the
fixture's Lean states and tactics): what BURNQED_BASE_MODEL points at in the real profile's
end-to-end run (bench/e2e-real-run.sh). Needs torch, transformers, tokenizers.

    python3 bench/e2e_tiny_model.py --texts FIXTURE/texts.txt --out DIR [--hidden 128 --layers 2]

The vocabulary is padded to a multiple of 64 rows, as DeepSeek-Prover-V1.5 pads 100k tokens to
102,400 rows, so the SFT job's [GOAL]/[PROOFSTEP] markers take spare rows the same way.
"""
from __future__ import annotations

import argparse
import json
import os

import torch


def pretrain(model: "torch.nn.Module", tokenizer: "object", texts: list, steps: int, seed: int, batch: int = 32) -> list:
    """Next-token training on the texts, one line per row (every state, tactic and statement of the
    fixture): the base model then knows the language, as a real base model knows Lean; pairing a
    state with its tactic is left to SFT."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    model.train()
    losses = []
    for step in range(steps):
        idx = torch.randint(len(texts), (batch,), generator=g).tolist()
        enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, truncation=True, max_length=256)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        loss = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(round(float(loss), 4))
    model.eval()
    return losses


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=1024)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pretrain-steps", type=int, default=300, help="full-parameter LM steps on the texts (a base model that has read Lean; 0: random weights)")
    args = ap.parse_args()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    with open(args.texts, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=args.vocab, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="</s>")
    rows = (len(tokenizer) + 2 + 63) // 64 * 64  # spare rows for the two markers, DeepSeek-style
    torch.manual_seed(args.seed)
    cfg = LlamaConfig(vocab_size=rows, hidden_size=args.hidden, intermediate_size=args.hidden * 2, num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.heads,
                      max_position_embeddings=4096, rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(cfg)
    losses = pretrain(model, tokenizer, texts, args.pretrain_steps, args.seed) if args.pretrain_steps else []
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    lengths = [len(tokenizer(t)["input_ids"]) for t in texts]
    print(json.dumps({"out": os.path.abspath(args.out), "tokenizer_size": len(tokenizer), "embedding_rows": rows, "parameters": sum(p.numel() for p in model.parameters()),
                      "hidden": args.hidden, "layers": args.layers, "texts": len(texts), "pretrain_steps": args.pretrain_steps, "pretrain_loss_first_last": [losses[0], losses[-1]] if losses else None, "mean_tokens": sum(lengths) / len(lengths), "max_tokens": max(lengths)}))


if __name__ == "__main__":
    main()
