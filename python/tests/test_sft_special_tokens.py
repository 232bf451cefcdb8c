"""Special-token plan (Gotcha 14): which markers are missing, the LoRA keys of both modes and their
parameter cost at the 7B shape; the module imports without transformers. The add/resize path runs
on a tiny random Llama where transformers and peft are installed (the GPU machine)."""
from __future__ import annotations

import os
import subprocess
import sys
import unittest

import torch

from burnqed.sft_data import tokenize_sft_example
from burnqed.sft_special_tokens import (
    MODES,
    extra_trainable_parameters,
    lora_token_kwargs,
    special_token_plan,
)
from sft_fixtures import REAL_STATES, fragment_tokenizer, special_tokenizer

try:
    import peft  # noqa: F401
    import transformers  # noqa: F401

    HAVE_PEFT = True
except ImportError:
    HAVE_PEFT = False

PYTHON_ROOT = os.path.join(os.path.dirname(__file__), "..")


class PlanTest(unittest.TestCase):
    def test_missing_and_present(self) -> None:
        plan = special_token_plan(fragment_tokenizer().get_vocab())
        self.assertEqual((plan.missing, plan.present, plan.needs_adding), (("[GOAL]", "[PROOFSTEP]"), (), True))
        vocab = special_tokenizer().get_vocab()
        plan = special_token_plan(vocab)
        self.assertEqual((plan.missing, plan.present), ((), (("[GOAL]", vocab["[GOAL]"]), ("[PROOFSTEP]", vocab["[PROOFSTEP]"]))))
        self.assertEqual(special_token_plan({"[GOAL]": 7}).missing, ("[PROOFSTEP]",))

    def test_lora_kwargs_per_mode(self) -> None:
        self.assertEqual(lora_token_kwargs("modules_to_save", [100, 101], tied=False), {"modules_to_save": ["embed_tokens", "lm_head"]})
        self.assertEqual(lora_token_kwargs("trainable_token_rows", [100, 101], tied=False), {"trainable_token_indices": {"embed_tokens": [100, 101], "lm_head": [100, 101]}})
        self.assertEqual(lora_token_kwargs("trainable_token_rows", [100], tied=True), {"trainable_token_indices": {"embed_tokens": [100]}})
        self.assertEqual(lora_token_kwargs("modules_to_save", [], tied=False), {})  # nothing added: nothing extra to train
        with self.assertRaisesRegex(ValueError, "mode must be one of"):
            lora_token_kwargs("full", [1], tied=False)
        self.assertEqual(MODES, ("modules_to_save", "trainable_token_rows"))

    def test_parameter_cost_at_the_7b_shape(self) -> None:
        # DeepSeek-Prover-V1.5: 102400 x 4096 embeddings, untied lm_head
        self.assertEqual(extra_trainable_parameters("modules_to_save", 102400, 4096, 2, tied=False), 838_860_800)  # the plan's 0.84 B
        self.assertEqual(extra_trainable_parameters("trainable_token_rows", 102400, 4096, 2, tied=False), 16_384)
        self.assertEqual(extra_trainable_parameters("trainable_token_rows", 102400, 4096, 0, tied=False), 0)

    def test_module_imports_without_transformers(self) -> None:
        code = "import sys, burnqed.sft_special_tokens, burnqed.sft_data, burnqed.sft_packing, burnqed.sft_loss; sys.exit(int('transformers' in sys.modules or 'peft' in sys.modules))"
        done = subprocess.run([sys.executable, "-c", code], cwd=PYTHON_ROOT, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)


@unittest.skipUnless(HAVE_PEFT, "transformers/peft not installed here: runs on the GPU machine")
class TinyLlamaSpecialTokensTest(unittest.TestCase):
    """A random 2-layer Llama (untied, vocab padded past the tokenizer like DeepSeek's) and a byte-level
    BPE tokenizer trained here on Lean states: no downloads."""

    def build(self, vocab_rows_extra: int = 0):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        corpus = [*REAL_STATES, "simp", "nlinarith [h₀, h₁]", "norm_num", "linarith", "intro x"] * 5
        tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=len(hf) + vocab_rows_extra, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=False)
        return LlamaForCausalLM(cfg), hf

    def test_add_resize_and_train_only_new_rows(self) -> None:
        from peft import LoraConfig, get_peft_model

        from burnqed.sft_special_tokens import add_special_tokens

        for extra_rows in (0, 8):  # new ids past the matrix (resize) / inside padded rows (mean init)
            model, tok = self.build(extra_rows)
            n_before = len(tok)
            res = add_special_tokens(model, tok, "trainable_token_rows")
            self.assertEqual(res.plan.missing, ("[GOAL]", "[PROOFSTEP]"))
            self.assertEqual(res.new_token_ids, (n_before, n_before + 1))
            self.assertEqual(res.embedding_rows_after, max(n_before + 2, n_before + extra_rows))
            ex = tokenize_sft_example(tok, REAL_STATES[1], "nlinarith [h₀, h₁]", row="tiny")
            self.assertIn(res.new_token_ids[1], ex.input_ids)  # [PROOFSTEP] is one token now
            self.assertEqual(tok.decode([t for t in ex.labels if t >= 0][:-1]), "nlinarith [h₀, h₁]")
            cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], **res.lora_kwargs)
            pm = get_peft_model(model, cfg)
            out = pm(input_ids=torch.tensor([ex.input_ids]), labels=torch.tensor([ex.labels]))
            out.loss.backward()
            trainable = {n: p for n, p in pm.named_parameters() if p.requires_grad}
            token_params = {n: p for n, p in trainable.items() if "trainable_tokens" in n}
            self.assertEqual(sum(p.numel() for p in token_params.values()), res.extra_trainable_parameters, list(trainable))
            self.assertEqual(len(token_params), 2, list(trainable))  # the embed_tokens rows and the lm_head rows
            self.assertEqual(set(trainable) - set(token_params), {n for n in trainable if "lora_" in n})  # nothing else
            for n, p in token_params.items():  # the input rows are read, the output rows sit in the softmax normaliser
                self.assertIsNotNone(p.grad, n)
                self.assertGreater(float(p.grad.abs().sum()), 0.0, n)

    def test_modules_to_save_trains_full_matrices(self) -> None:
        from peft import LoraConfig, get_peft_model

        from burnqed.sft_special_tokens import add_special_tokens

        model, tok = self.build()
        res = add_special_tokens(model, tok, "modules_to_save")
        pm = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], **res.lora_kwargs))
        full = sum(p.numel() for n, p in pm.named_parameters() if p.requires_grad and "lora_" not in n)
        self.assertEqual(full, res.extra_trainable_parameters)
        self.assertEqual(res.extra_trainable_parameters, 2 * res.embedding_rows_after * 16)


if __name__ == "__main__":
    unittest.main()
