"""merge_lora: strict config with the plan's dtypes, the logits comparison (exact on tiny tensors),
the pass/fail verdict, the check batch and the folder layout check. Where transformers and peft
are installed (the GPU machine): SFT a tiny random Llama with burnqed.sft, merge it, and check the
merged folder loads with AutoModelForCausalLM and gives base + LoRA's logits."""
from __future__ import annotations

import json
import math
import os
import tempfile
import unittest

import torch

from burnqed.events import EventWriter, JobAbort
from burnqed.merge_lora import FALLBACK_CHECK_TEXTS, MergeLoraConfig, check_layout, check_verdict, compare_logits, read_check_texts, with_legacy_config_keys

try:
    import peft  # noqa: F401
    import tokenizers  # noqa: F401
    import transformers  # noqa: F401

    HAVE_LLM_STACK = True
except ImportError:
    HAVE_LLM_STACK = False

PATHS = {"base_model_dir": "/m/base", "adapter_dir": "/r/iter_0/model", "out_dir": "/r/iter_0/model/merged", "out_summary": "/r/iter_0/model/merge_summary.json"}


class ConfigTest(unittest.TestCase):
    def test_defaults(self) -> None:
        cfg = MergeLoraConfig.from_dict(PATHS)
        self.assertEqual((cfg.merge_dtype, cfg.save_dtype, cfg.device, cfg.check_rows, cfg.check_max_tokens), ("float32", "bfloat16", "auto", 8, 512))
        self.assertEqual((cfg.max_abs_logprob_diff_fp32, cfg.max_mean_kl_saved, cfg.tokenizer_dir, cfg.max_shard_size), (1e-3, 0.02, None, "5GB"))

    def test_strict(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) \['lora'\]"):
            MergeLoraConfig.from_dict({**PATHS, "lora": "x"})
        with self.assertRaisesRegex(ValueError, "save_dtype"):
            MergeLoraConfig.from_dict({**PATHS, "save_dtype": "int8"})
        with self.assertRaisesRegex(ValueError, "must differ"):
            MergeLoraConfig.from_dict({**PATHS, "out_dir": PATHS["adapter_dir"]})


class CompareTest(unittest.TestCase):
    def test_exact_values(self) -> None:
        ref = torch.tensor([[[0.0, 0.0], [2.0, 0.0]]])  # (1, 2, 2)
        other = torch.tensor([[[0.0, 1.0], [2.0, 0.5]]])
        mask = torch.tensor([[1, 1]])
        s = compare_logits(ref, other, mask)
        self.assertEqual(s["positions"], 2)
        self.assertEqual(s["max_abs_logit_diff"], 1.0)
        self.assertEqual(s["mean_abs_logit_diff"], 0.375)
        self.assertEqual(s["top1_agreement"], 0.5)  # position 0 flips to token 1
        lp = lambda x: torch.log_softmax(torch.tensor(x, dtype=torch.float64), -1)  # noqa: E731
        kl0 = float((lp([0.0, 0.0]).exp() * (lp([0.0, 0.0]) - lp([0.0, 1.0]))).sum())
        kl1 = float((lp([2.0, 0.0]).exp() * (lp([2.0, 0.0]) - lp([2.0, 0.5]))).sum())
        self.assertAlmostEqual(s["mean_kl"], (kl0 + kl1) / 2, places=12)
        self.assertAlmostEqual(s["max_abs_logprob_diff"], float((lp([0.0, 0.0]) - lp([0.0, 1.0])).abs().max()), places=12)
        same = compare_logits(ref, ref + 3.0, mask)  # a constant shift: same distribution
        self.assertEqual((same["top1_agreement"], same["max_abs_logit_diff"]), (1.0, 3.0))
        self.assertLess(same["mean_kl"], 1e-12)

    def test_mask_and_shapes(self) -> None:
        ref = torch.zeros(1, 3, 4)
        other = ref.clone()
        other[0, 2] = 100.0  # a padding position: ignored
        self.assertEqual(compare_logits(ref, other, torch.tensor([[1, 1, 0]]))["max_abs_logit_diff"], 0.0)
        with self.assertRaisesRegex(ValueError, "empty mask"):
            compare_logits(ref, other, torch.zeros(1, 3))
        with self.assertRaisesRegex(ValueError, "shapes differ"):
            compare_logits(ref, torch.zeros(1, 2, 4), torch.ones(1, 3))

    def test_verdict(self) -> None:
        cfg = MergeLoraConfig.from_dict(PATHS)
        good = {"max_abs_logprob_diff": 1e-5, "mean_kl": 1e-4}
        self.assertEqual(check_verdict(good, good, cfg), [])
        failures = check_verdict({**good, "max_abs_logprob_diff": 0.1}, {**good, "mean_kl": 0.5}, cfg)
        self.assertEqual(len(failures), 2)
        self.assertIn("max |Δ log-prob| 0.1 > 0.001", failures[0])
        self.assertIn("mean KL 0.5 nats > 0.02", failures[1])
        self.assertEqual(len(check_verdict({**good, "max_abs_logprob_diff": math.nan}, good, cfg)), 1)  # NaN fails


class InputsTest(unittest.TestCase):
    def test_check_texts(self) -> None:
        self.assertEqual(read_check_texts(None, 2), list(FALLBACK_CHECK_TEXTS[:2]))
        self.assertTrue(all(t.startswith("[GOAL]") and "[PROOFSTEP]" in t for t in FALLBACK_CHECK_TEXTS))  # the markers' rows are checked too
        with tempfile.TemporaryDirectory() as root:
            path = os.path.join(root, "val.jsonl")
            with open(path, "w") as f:
                f.write(json.dumps({"text": "[GOAL]a[PROOFSTEP]b"}) + "\n\n" + json.dumps({"text": "[GOAL]c[PROOFSTEP]d"}) + "\n" + json.dumps({"txt": 1}) + "\n")
            self.assertEqual(read_check_texts(path, 2), ["[GOAL]a[PROOFSTEP]b", "[GOAL]c[PROOFSTEP]d"])
            with self.assertRaisesRegex(ValueError, r"val\.jsonl:4: expected \{\"text\": string\}"):
                read_check_texts(path, 5)

    def test_config_readable_by_transformers_4(self) -> None:
        v5 = {"dtype": "bfloat16", "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "vocab_size": 102402}
        self.assertEqual(with_legacy_config_keys(v5), {**v5, "torch_dtype": "bfloat16", "rope_theta": 10000.0, "rope_scaling": None})
        scaled = {"rope_parameters": {"rope_theta": 5e5, "rope_type": "linear", "factor": 4.0}}
        self.assertEqual(with_legacy_config_keys(scaled)["rope_scaling"], {"rope_type": "linear", "factor": 4.0, "type": "linear"})
        v4 = {"torch_dtype": "bfloat16", "rope_theta": 10000.0, "rope_scaling": None}
        self.assertEqual(with_legacy_config_keys(v4), v4)  # a 4.x config is left as it is

    def test_layout(self) -> None:
        check_layout(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"], "/m")
        with self.assertRaisesRegex(RuntimeError, "no .safetensors weights; pickled"):
            check_layout(["config.json", "pytorch_model.bin", "tokenizer.json"], "/m")


@unittest.skipUnless(HAVE_LLM_STACK, "transformers/peft/tokenizers not installed here: the tiny-Llama merge test runs on the GPU machine")
class TinyLlamaMergeTest(unittest.TestCase):
    def test_sft_then_merge(self) -> None:
        from llm_fixtures import tiny_base_model
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from burnqed import merge_lora, sft
        from burnqed.merge_lora import check_batch, logits_of

        device = "cuda" if torch.cuda.is_available() else "cpu"
        with tempfile.TemporaryDirectory() as root:
            base = tiny_base_model(os.path.join(root, "data"))
            fd = os.open(os.path.join(root, "events.jsonl"), os.O_WRONLY | os.O_CREAT)
            try:
                events = EventWriter(fd)
                sft.main({**base, "out_dir": os.path.join(root, "adapter"), "out_summary": os.path.join(root, "sft.json"), "checkpoint_path": os.path.join(root, "ckpt.pt"),
                          "lora_r": 8, "lora_alpha": 16, "lr": 3e-3, "epochs": 1, "examples_per_step": 8, "max_length": 512, "max_tokens_per_row": 1024,
                          "dtype": "float32", "device": device, "attention": "block_mask", "eval_at_start": False}, events)
                cfg = {"base_model_dir": base["model_dir"], "adapter_dir": os.path.join(root, "adapter"), "out_dir": os.path.join(root, "merged"),
                       "out_summary": os.path.join(root, "merge.json"), "device": device, "check_jsonl": base["val_jsonl"], "save_dtype": "float32"}
                summary = merge_lora.main(cfg, events)
                self.assertTrue(summary["passed"], summary["failures"])
                self.assertLess(summary["merged_vs_adapter"]["max_abs_logprob_diff"], 1e-4)
                self.assertLess(summary["saved_vs_adapter"]["mean_kl"], 1e-8)  # float32 saved: the same model
                self.assertEqual(summary["markers"]["missing"], [])
                self.assertTrue(any(f.endswith(".safetensors") for f in summary["files"]))
                with open(os.path.join(root, "merged", "config.json")) as f:
                    saved_config = json.load(f)
                self.assertEqual((saved_config["vocab_size"], saved_config["torch_dtype"], saved_config["rope_theta"]), (summary["markers"]["tokenizer_length"], "float32", 10000.0))  # the markers' rows, 4.x keys
                bf16 = merge_lora.main({**cfg, "out_dir": os.path.join(root, "merged-bf16"), "out_summary": os.path.join(root, "merge-bf16.json"), "save_dtype": "bfloat16"}, events)
                self.assertTrue(bf16["passed"], bf16["failures"])
                self.assertGreater(bf16["saved_vs_adapter"]["mean_kl"], 0.0)  # bfloat16 rounding is visible, and under the bound
                with self.assertRaisesRegex(JobAbort, "merge check failed"):  # a bound no real merge meets: the folder is not published
                    merge_lora.main({**cfg, "out_dir": os.path.join(root, "never"), "out_summary": os.path.join(root, "never.json"), "save_dtype": "bfloat16", "max_mean_kl_saved": 1e-30}, events)
                self.assertFalse(os.path.exists(os.path.join(root, "never")))
            finally:
                os.close(fd)
            # independently: the merged folder against PEFT's base + adapter, with transformers' own loaders
            tok = AutoTokenizer.from_pretrained(os.path.join(root, "merged"))
            self.assertEqual(len(tok("[GOAL]", add_special_tokens=False)["input_ids"]), 1)
            merged = AutoModelForCausalLM.from_pretrained(os.path.join(root, "merged")).to(device).eval()
            base_model = AutoModelForCausalLM.from_pretrained(base["model_dir"])
            with open(os.path.join(root, "adapter", "burnqed_sft.json")) as f:
                base_model.resize_token_embeddings(json.load(f)["embedding_rows"])
            adapted = PeftModel.from_pretrained(base_model, os.path.join(root, "adapter")).to(device).eval()
            ids, mask = check_batch(tok, read_check_texts(base["val_jsonl"], 4), 256, tok.pad_token_id)
            diff = compare_logits(logits_of(adapted, ids, mask), logits_of(merged, ids, mask), mask)
            self.assertLess(diff["max_abs_logprob_diff"], 1e-4, diff)
            with adapted.disable_adapter():  # the base alone (PEFT injected the LoRA layers into base_model)...
                plain_logits = logits_of(adapted, ids, mask)
            plain = compare_logits(logits_of(adapted, ids, mask), plain_logits, mask)
            self.assertGreater(plain["max_abs_logit_diff"], 1e-3)  # ... differs: the check can fail


if __name__ == "__main__":
    unittest.main()
