"""Embedding extraction: the recipe's token handling, length grouping and the job's bookkeeping on a
tiny causal model here; on a tiny random Llama with a tokenizer built in the test where
transformers is installed (the GPU machine)."""
from __future__ import annotations

import json
import os
import tempfile
import unittest
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from burnqed.embed import (
    DEFAULT_RECIPE,
    FLAG_ALL_ZERO,
    FLAG_EMPTY,
    FLAG_NON_FINITE,
    FLAG_OK,
    EmbedJobConfig,
    EmbedRecipe,
    EmbedSet,
    EmbeddingExtractor,
    content_ids,
    embed_set,
    length_grouped_batches,
    plain_batches,
    tokenize_texts,
)
from burnqed.events import EventWriter

try:
    import transformers  # noqa: F401
    import tokenizers  # noqa: F401

    HAVE_TRANSFORMERS = True
except ImportError:
    HAVE_TRANSFORMERS = False

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "tactic_states")
REAL_STATES = [
    "⊢ 1 * 3 ^ 3 + 2 * 3 ^ 2 + 2 * 3 + 2 = 53",
    "b h v : ℝ\nh₀ : 0 < b ∧ 0 < h ∧ 0 < v\nh₁ : v = 1 / 3 * (b * h)\nh₂ : b = 30\nh₃ : h = 13 / 2\n⊢ v = 65",
    "x : ℝ\nh₀ : x ≠ 0\n⊢ {y | y = x} = {x}",
]

PAD, BOS, EOS = 0, 1, 2
NAN_CHAR, ZERO_CHAR = "☠", "∅"  # the toy model turns these into a non-finite / all-zero vector


def char_id(c: str) -> int:
    return {NAN_CHAR: 125, ZERO_CHAR: 126}.get(c, 3 + ord(c) % 100)


class CharTokenizer:
    """Hugging Face-like: one id per character, BOS first and EOS appended (the appended-EOS case)."""

    pad_token_id, bos_token_id, eos_token_id = PAD, BOS, EOS
    padding_side = "left"  # the extractor must switch it

    def __call__(self, texts: Sequence[str], add_special_tokens: bool = True, truncation: bool = False) -> dict[str, list[list[int]]]:
        ids = [[char_id(c) for c in t] for t in texts]
        return {"input_ids": [[BOS, *x, EOS] if add_special_tokens else x for x in ids]}


class CumulativeMeanModel(nn.Module):
    """Causal toy decoder: h_t = mean of token vectors up to t (pads after t cannot change it).
    Token 125 turns the running mean non-finite, token 126 zero, to exercise the alarms."""

    def __init__(self, hidden: int = 6) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(128, hidden)
        self.calls = 0

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, use_cache: bool = False) -> Any:
        self.calls += 1
        x = self.emb(input_ids)  # (B, T, H)
        x = torch.where((input_ids == 125)[..., None], torch.full_like(x, float("inf")), x)
        steps = torch.arange(1, x.shape[1] + 1, device=x.device)[None, :, None]
        h = x.cumsum(dim=1) / steps
        h = torch.where((input_ids == 126).any(dim=1)[:, None, None], torch.zeros_like(h), h)
        return SimpleNamespace(last_hidden_state=h)


def expected_vector(model: CumulativeMeanModel, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model.emb(torch.tensor(ids)).mean(dim=0)


class RecipeTokensTest(unittest.TestCase):
    def test_trailing_eos_removed_and_left_truncation_keeps_bos(self) -> None:
        r = EmbedRecipe(max_length=5)
        self.assertEqual(content_ids([BOS, 10, 11, EOS], r, BOS, EOS), [BOS, 10, 11])
        self.assertEqual(content_ids([BOS, 10, 11, 12, 13, 14, 15, EOS], r, BOS, EOS), [BOS, 12, 13, 14, 15])
        self.assertEqual(content_ids([BOS, 10, 11, 12, 13, 14, 15], EmbedRecipe(max_length=5, truncation_side="right"), BOS, EOS), [BOS, 10, 11, 12, 13])

    def test_template_keeps_lean_braces(self) -> None:
        self.assertEqual(DEFAULT_RECIPE.format("⊢ {x} = {x}"), "[GOAL]⊢ {x} = {x}[PROOFSTEP]")
        self.assertEqual(DEFAULT_RECIPE.max_length, 512)

    def test_recipe_rejects_unknown_keys_and_left_padding(self) -> None:
        with self.assertRaisesRegex(ValueError, "unknown key"):
            EmbedRecipe.from_dict({"templat": "x"})
        with self.assertRaisesRegex(ValueError, "padding_side right"):
            EmbedRecipe.from_dict({"padding_side": "left"})


class BatchingTest(unittest.TestCase):
    def test_length_grouped_batches_respect_the_token_budget(self) -> None:
        rng = np.random.default_rng(0)
        lengths = rng.integers(1, 300, size=500)
        batches = length_grouped_batches(lengths, max_tokens=2048, max_batch=64)
        self.assertEqual(sorted(np.concatenate(batches).tolist()), list(range(500)))
        for b in batches:
            self.assertLessEqual(len(b) * lengths[b].max(), 2048)
            self.assertLessEqual(len(b), 64)
        self.assertEqual(int(lengths[batches[0][0]]), int(lengths.max()))  # longest first
        padded = sum(len(b) * int(lengths[b].max()) for b in batches)
        plain = sum(len(b) * int(lengths[b].max()) for b in plain_batches(500, 32))
        self.assertLess(padded, 0.6 * plain)  # far less padding than input-order batches

    def test_a_text_longer_than_the_budget_gets_its_own_batch(self) -> None:
        self.assertEqual([b.tolist() for b in length_grouped_batches(np.array([10, 900, 5]), 512, 8)], [[1], [0, 2]])


class ExtractorTest(unittest.TestCase):
    def test_last_content_token_with_mixed_lengths_and_right_padding(self) -> None:
        model, tok = CumulativeMeanModel(), CharTokenizer()
        ex = EmbeddingExtractor(model, tok, EmbedRecipe(template="{state}"))
        self.assertEqual(tok.padding_side, "right")
        texts = ["a", "abcdefgh", "abc"]
        got = ex.encode(texts)
        for i, t in enumerate(texts):
            ids = [BOS, *[char_id(c) for c in t]]  # the appended EOS is not content
            torch.testing.assert_close(got[i], expected_vector(model, ids))
            torch.testing.assert_close(got[i], ex.encode([t])[0])  # same alone as in a padded batch

    def test_the_appended_eos_is_not_the_embedded_token(self) -> None:
        model, tok = CumulativeMeanModel(), CharTokenizer()
        ex = EmbeddingExtractor(model, tok, EmbedRecipe(template="{state}"))
        with_eos = expected_vector(model, [BOS, char_id("x"), EOS])
        self.assertFalse(torch.allclose(ex.encode(["x"])[0], with_eos))


class EmbedJobTest(unittest.TestCase):
    def run_set(self, root: str, texts: list[str], model: CumulativeMeanModel, **kw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with open(os.path.join(root, "texts.jsonl"), "w") as f:
            for t in texts:
                f.write(json.dumps({"text": t}) + "\n")
        s = EmbedSet("states", os.path.join(root, "texts.jsonl"), os.path.join(root, "out.npy"), os.path.join(root, "flags.npy"))
        cfg = EmbedJobConfig(model_dir="unused", sets=(s,), meta_out="unused", work_dir=os.path.join(root, "work"), recipe=EmbedRecipe(template="{state}"), **kw)
        ev_path = os.path.join(root, "events.jsonl")
        fd = os.open(ev_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            counts = embed_set(EmbeddingExtractor(model, CharTokenizer(), cfg.recipe), s, cfg, "fp", EventWriter(fd))
        finally:
            os.close(fd)
        with open(ev_path) as f:
            return counts, [json.loads(l) for l in f]

    def test_input_order_flags_and_alarms(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            model = CumulativeMeanModel()
            texts = REAL_STATES + ["", NAN_CHAR, ZERO_CHAR, "⊢ True"]
            counts, events = self.run_set(root, texts, model, max_tokens_per_batch=64, max_batch_size=3, chunk_rows=2)
            out, flags = np.load(os.path.join(root, "out.npy")), np.load(os.path.join(root, "flags.npy"))
            self.assertEqual(out.dtype, np.float16)
            self.assertEqual(flags.tolist(), [FLAG_OK, FLAG_OK, FLAG_OK, FLAG_EMPTY, FLAG_NON_FINITE, FLAG_ALL_ZERO, FLAG_OK])
            ex = EmbeddingExtractor(model, CharTokenizer(), EmbedRecipe(template="{state}"))
            for i in (0, 1, 2, 6):  # row i is line i, whatever the batch order was
                np.testing.assert_allclose(out[i], ex.encode([texts[i]])[0].numpy().astype(np.float16), rtol=1e-3)
            self.assertEqual(counts["flags"], {"ok": 4, "empty_text": 1, "non_finite": 1, "all_zero": 1})
            warnings = [e["message"] for e in events if e["event"] == "warning"]
            self.assertTrue(any("1 non_finite" in w and "lines [4]" in w for w in warnings), warnings)
            self.assertTrue(any("1 all_zero" in w and "lines [5]" in w for w in warnings), warnings)

    def test_resume_reuses_completed_chunks(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            texts = [f"⊢ x{i} = {'y' * (i % 7)}" for i in range(20)]
            first = CumulativeMeanModel()
            self.run_set(root, texts, first, max_tokens_per_batch=64, max_batch_size=4, chunk_rows=4)
            before = np.load(os.path.join(root, "out.npy"))
            os.unlink(os.path.join(root, "out.npy"))
            again = CumulativeMeanModel()
            self.run_set(root, texts, again, max_tokens_per_batch=64, max_batch_size=4, chunk_rows=4)
            self.assertEqual(again.calls, 0)  # every chunk was on disk
            np.testing.assert_array_equal(np.load(os.path.join(root, "out.npy")), before)
            other = CumulativeMeanModel()
            self.run_set(root, texts[:-1], other, max_tokens_per_batch=64, max_batch_size=4, chunk_rows=4)
            self.assertGreater(other.calls, 0)  # other texts: a new schedule, nothing reused

    def test_bad_jsonl_names_file_and_line(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            path = os.path.join(root, "t.jsonl")
            with open(path, "w") as f:
                f.write('{"text": "a"}\n{"txt": "b"}\n')
            from burnqed.embed import read_texts

            with self.assertRaisesRegex(ValueError, r"t\.jsonl:2: expected"):
                read_texts(path)


@unittest.skipUnless(HAVE_TRANSFORMERS, "transformers/tokenizers not installed here: the tiny-Llama extractor tests run on the GPU machine (see bench/results/ebm-gpu.md, section 3)")
class TinyLlamaTest(unittest.TestCase):
    """A random 2-layer Llama and a word-level tokenizer built here: no downloads."""

    @classmethod
    def setUpClass(cls) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers, processors
        from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

        words = sorted({w for t in REAL_STATES + ["⊢ True", "[GOAL]", "[PROOFSTEP]"] for w in t.replace("[GOAL]", " [GOAL] ").replace("[PROOFSTEP]", " [PROOFSTEP] ").split()})
        vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, **{w: i + 4 for i, w in enumerate(words)}}

        def build(append_eos: bool) -> Any:
            tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
            tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
            tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>" if append_eos else "<s> $A", special_tokens=[("<s>", 1), ("</s>", 2)])
            return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")

        cls.tok_eos, cls.tok_plain = build(True), build(False)
        cls.recipe = EmbedRecipe(template="[GOAL] {state} [PROOFSTEP]")
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256)
        cls.device = "cuda" if torch.cuda.is_available() else "cpu"
        cls.model = LlamaForCausalLM(cfg).to(cls.device).eval()

    def reference(self, ids: list[int]) -> torch.Tensor:
        """The plan's formula on one unpadded sequence: hidden_states[-1] at its last token."""
        with torch.no_grad():
            out = self.model(input_ids=torch.tensor([ids], device=self.device), output_hidden_states=True)
        return out.hidden_states[-1][0, -1].float()

    def test_correct_token_with_mixed_lengths(self) -> None:
        ex = EmbeddingExtractor(self.model, self.tok_plain, self.recipe)
        ids = tokenize_texts(self.tok_plain, REAL_STATES, self.recipe)
        self.assertEqual(len({len(x) for x in ids}), 3)  # mixed lengths
        got = ex.embed_ids(ids)
        for i, x in enumerate(ids):
            self.assertEqual(x[-1], self.tok_plain.convert_tokens_to_ids("[PROOFSTEP]"))
            torch.testing.assert_close(got[i], self.reference(x), rtol=1e-4, atol=1e-4)

    def test_padding_side_is_right(self) -> None:
        tok = self.tok_plain
        tok.padding_side = "left"
        EmbeddingExtractor(self.model, tok, self.recipe)
        self.assertEqual(tok.padding_side, "right")
        batch = tok([self.recipe.format(t) for t in REAL_STATES], padding=True, return_tensors="pt")
        self.assertEqual(int(batch["attention_mask"][0, 0]), 1)  # content first, pads after

    def test_appended_eos_is_dropped(self) -> None:
        raw = self.tok_eos([self.recipe.format(REAL_STATES[0])])["input_ids"][0]
        self.assertEqual(raw[-1], self.tok_eos.eos_token_id)  # this tokenizer does append one
        ids = tokenize_texts(self.tok_eos, [REAL_STATES[0]], self.recipe)[0]
        self.assertEqual(ids, raw[:-1])
        got = EmbeddingExtractor(self.model, self.tok_eos, self.recipe).encode([REAL_STATES[0]])[0]
        torch.testing.assert_close(got, self.reference(raw[:-1]), rtol=1e-4, atol=1e-4)
        self.assertFalse(torch.allclose(got, self.reference(raw), rtol=1e-3, atol=1e-3))

    def test_decoder_output_is_the_plans_hidden_states_minus_one(self) -> None:
        ids = torch.tensor([tokenize_texts(self.tok_plain, [REAL_STATES[1]], self.recipe)[0]], device=self.device)
        with torch.no_grad():
            last = self.model.get_decoder()(input_ids=ids).last_hidden_state
            plan = self.model(input_ids=ids, output_hidden_states=True).hidden_states[-1]
        torch.testing.assert_close(last, plan)

    def test_job_end_to_end_from_a_saved_model(self) -> None:
        from burnqed.embed import main

        with tempfile.TemporaryDirectory() as root:
            self.model.save_pretrained(os.path.join(root, "m"))
            self.tok_eos.save_pretrained(os.path.join(root, "m"))
            texts = os.path.join(root, "s.jsonl")
            with open(texts, "w") as f:
                for t in REAL_STATES + [""]:
                    f.write(json.dumps({"text": t}) + "\n")
            cfg = {
                "model_dir": os.path.join(root, "m"),
                "sets": [{"name": "states", "texts": texts, "out": os.path.join(root, "s.npy"), "flags_out": os.path.join(root, "f.npy")}],
                "meta_out": os.path.join(root, "meta.json"),
                "work_dir": os.path.join(root, "w"),
                "recipe": {"template": "[GOAL] {state} [PROOFSTEP]", "compute_dtype": "float32"},
            }
            fd = os.open(os.path.join(root, "ev"), os.O_WRONLY | os.O_CREAT)
            try:
                main(cfg, EventWriter(fd))
            finally:
                os.close(fd)
            out = np.load(os.path.join(root, "s.npy"))
            self.assertEqual(out.shape, (4, 32))
            self.assertEqual(np.load(os.path.join(root, "f.npy")).tolist(), [0, 0, 0, FLAG_EMPTY])
            ref = self.reference(tokenize_texts(self.tok_eos, [REAL_STATES[2]], self.recipe)[0]).cpu().numpy()
            np.testing.assert_allclose(out[2].astype(np.float32), ref, rtol=2e-3, atol=2e-3)  # float16 storage
            with open(os.path.join(root, "meta.json")) as f:
                self.assertEqual(json.load(f)["recipe"]["max_length"], 512)


if __name__ == "__main__":
    unittest.main()
