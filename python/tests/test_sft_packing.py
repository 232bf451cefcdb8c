"""Packing keeps the unpacked schedule's loss: the plan keeps each step's 16 examples in order and
respects the row budget; collated rows restart positions per example; on a tiny causal model
(float64) the packed batch under the block-diagonal mask gives the step loss and gradients of the
examples run one by one; the step loss does not depend on the micro-batch split."""
from __future__ import annotations

import math
import unittest

import torch
import torch.nn.functional as F
from torch import nn

from burnqed.sft_data import IGNORE_INDEX, SftExample, tokenize_sft_example
from burnqed.sft_loss import completion_token_count, micro_batch_loss, step_loss, summed_completion_ce
from burnqed.sft_packing import block_causal_mask, collate_packed, first_fit_decreasing, plan_steps, unpacked_schedule
from sft_fixtures import REAL_STATES, special_tokenizer

try:
    import transformers  # noqa: F401

    HAVE_TRANSFORMERS = True
except ImportError:
    HAVE_TRANSFORMERS = False

VOCAB = 23
NEG_INF = float("-inf")


def synthetic_examples(n: int, seed: int = 0, min_len: int = 4, max_len: int = 19) -> list[SftExample]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        length = int(torch.randint(min_len, max_len + 1, (1,), generator=g))
        n_comp = int(torch.randint(1, length, (1,), generator=g))  # >= 1 prompt token
        ids = torch.randint(0, VOCAB, (length,), generator=g).tolist()
        labels = [IGNORE_INDEX] * (length - n_comp) + ids[length - n_comp :]
        out.append(SftExample(row=f"ex{i}", input_ids=tuple(ids), labels=tuple(labels), n_completion_tokens=n_comp))
    return out


class TinyCausalLM(nn.Module):
    """Token + learned position embeddings (read from position_ids), one 2-head self-attention layer
    under an additive (B, 1, T, T) mask, an MLP and an LM head. float64."""

    def __init__(self, vocab: int = VOCAB, d: int = 8, heads: int = 2, max_positions: int = 64) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.heads = heads
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_positions, d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.Tanh(), nn.Linear(2 * d, d))
        self.head = nn.Linear(d, vocab)
        self.double()

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.tok(input_ids) + self.pos(position_ids)  # (B, T, d)
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # each (B, H, T, dh)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + mask  # (B, H, T, T)
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        x = x + self.mlp(x)
        return self.head(x)  # (B, T, V)


def causal_mask(t: int) -> torch.Tensor:
    """Independent reference: the plain causal mask of one unpacked sequence, (1, 1, T, T)."""
    return torch.full((t, t), NEG_INF, dtype=torch.float64).triu(1)[None, None]


def grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def unpacked_loss_and_grads(model: TinyCausalLM, examples: list[SftExample]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The reference: every example alone (batch 1, positions 0.., causal mask), CE summed over the
    completion tokens of all examples, divided by their number."""
    model.zero_grad()
    total = torch.zeros((), dtype=torch.float64)
    n = 0
    for e in examples:
        ids = torch.tensor([e.input_ids])
        logits = model(ids, torch.arange(len(e))[None], causal_mask(len(e)))
        target = torch.tensor(e.labels[1:])
        keep = target != IGNORE_INDEX
        total = total + F.cross_entropy(logits[0, :-1][keep], target[keep], reduction="sum")
        n += int(keep.sum())
    loss = total / n
    loss.backward()
    return loss.detach(), grads(model)


class ScheduleTest(unittest.TestCase):
    def test_plan_keeps_the_unpacked_steps_and_the_row_budget(self) -> None:
        examples = synthetic_examples(70, seed=1)
        lengths = [len(e) for e in examples]
        counts = [e.n_completion_tokens for e in examples]
        plan = plan_steps(lengths, counts, examples_per_step=16, max_tokens_per_row=40, seed=7)
        reference = unpacked_schedule(70, 16, seed=7)
        self.assertEqual([s.examples for s in plan], reference)
        self.assertEqual([len(s.examples) for s in plan], [16, 16, 16, 16, 6])
        self.assertEqual(sorted(e for s in plan for e in s.examples), list(range(70)))  # each example once per epoch
        for s in plan:
            self.assertEqual(sorted(e for row in s.rows for e in row), sorted(s.examples))  # a partition of the step
            for row, n in zip(s.rows, s.row_tokens):
                self.assertEqual(n, sum(lengths[e] for e in row))
                self.assertLessEqual(n, 40)
                self.assertEqual(list(row), sorted(row, key=s.examples.index))  # schedule order within a row
            self.assertEqual(s.n_completion_tokens, sum(counts[e] for e in s.examples))
            self.assertLess(len(s.rows), len(s.examples))  # it packs
        self.assertEqual([len(s.examples) for s in plan_steps(lengths, counts, max_tokens_per_row=40, seed=7, drop_last=True)], [16] * 4)
        self.assertNotEqual(unpacked_schedule(70, 16, seed=8), reference)

    def test_first_fit_decreasing_exact(self) -> None:
        lengths = {0: 5, 1: 9, 2: 3, 3: 6, 4: 2}
        # by length: 1(9) -> row A; 3(6) -> row B; 0(5) -> A has 1 left, B has 4 left -> row C; 2(3) -> B; 4(2) -> C
        self.assertEqual(first_fit_decreasing([0, 1, 2, 3, 4], lengths, 10), [(1,), (2, 3), (0, 4)])
        with self.assertRaisesRegex(ValueError, "example 1 has 9 tokens, more than max_tokens_per_row 8"):
            first_fit_decreasing([0, 1], lengths, 8)

    def test_plan_rejects_examples_without_completion(self) -> None:
        with self.assertRaisesRegex(ValueError, "example 1: 0 completion tokens"):
            plan_steps([5, 5], [2, 0], max_tokens_per_row=10, seed=0)


class CollateTest(unittest.TestCase):
    def test_positions_restart_and_exact_tensors(self) -> None:
        a = SftExample("a", (5, 6, 7), (IGNORE_INDEX, 6, 7), 2)
        b = SftExample("b", (8, 9), (IGNORE_INDEX, 9), 1)
        c = SftExample("c", (3, 4, 1, 2), (IGNORE_INDEX, IGNORE_INDEX, 1, 2), 2)
        batch = collate_packed([[a, b], [c]], pad_id=0)
        self.assertEqual(batch.input_ids.tolist(), [[5, 6, 7, 8, 9], [3, 4, 1, 2, 0]])
        self.assertEqual(batch.labels.tolist(), [[-100, 6, 7, -100, 9], [-100, -100, 1, 2, -100]])
        self.assertEqual(batch.position_ids.tolist(), [[0, 1, 2, 0, 1], [0, 1, 2, 3, 0]])
        self.assertEqual(batch.cu_seqlens, ((0, 3, 5), (0, 4)))
        self.assertEqual(batch.n_completion_tokens, 5)
        allowed = (batch.attention_mask_4d(torch.float64) == 0)[:, 0].int().tolist()
        self.assertEqual(allowed[0], [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 1]])
        self.assertEqual(allowed[1], [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]])  # padding: its own block
        mask = block_causal_mask(batch.cu_seqlens, 5, dtype=torch.float64)
        self.assertEqual(mask.shape, (2, 1, 5, 5))
        self.assertEqual(set(mask.unique().tolist()), {0.0, NEG_INF})
        self.assertEqual(float(block_causal_mask(((0, 2),), 3, torch.bfloat16, fill_value=torch.finfo(torch.bfloat16).min).min()), torch.finfo(torch.bfloat16).min)

    def test_model_kwargs(self) -> None:
        batch = collate_packed([[SftExample("a", (5, 6, 7), (IGNORE_INDEX, 6, 7), 2)]])
        kw = batch.model_kwargs("block_mask", torch.float64)
        self.assertEqual(sorted(kw), ["attention_mask", "input_ids", "position_ids", "use_cache"])
        self.assertEqual((kw["use_cache"], kw["attention_mask"].shape, kw["attention_mask"].dtype), (False, (1, 1, 3, 3), torch.float64))
        self.assertNotIn("attention_mask", batch.model_kwargs("position_ids"))
        with self.assertRaisesRegex(ValueError, "attention must be"):
            batch.model_kwargs("flash")

    def test_tokenized_examples_collate(self) -> None:
        tok = special_tokenizer()
        exs = [tokenize_sft_example(tok, s, "simp", row=f"r{i}") for i, s in enumerate(REAL_STATES)]
        batch = collate_packed([exs])
        self.assertEqual(batch.n_completion_tokens, sum(e.n_completion_tokens for e in exs))
        self.assertEqual(batch.position_ids[0, batch.cu_seqlens[0][1]].item(), 0)

    def test_rejects_labels_starting_with_a_target(self) -> None:
        with self.assertRaisesRegex(ValueError, "example bad: labels must"):
            collate_packed([[SftExample("bad", (1, 2), (1, 2), 2)]])


class PackedEqualsUnpackedTest(unittest.TestCase):
    def setUp(self) -> None:
        self.examples = synthetic_examples(16, seed=3)
        lengths = [len(e) for e in self.examples]
        self.step = plan_steps(lengths, [e.n_completion_tokens for e in self.examples], examples_per_step=16, max_tokens_per_row=48, seed=0)[0]
        self.rows = [[self.examples[i] for i in row] for row in self.step.rows]
        self.model = TinyCausalLM()

    def packed_loss_and_grads(self, batches: list[list[list[SftExample]]]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Micro-batches of rows, each back-propagated with the step's completion-token count."""
        self.model.zero_grad()
        total = torch.zeros((), dtype=torch.float64)
        for rows in batches:
            b = collate_packed(rows)
            logits = self.model(b.input_ids, b.position_ids, b.attention_mask_4d(torch.float64))
            loss = micro_batch_loss(logits, b.labels, self.step.n_completion_tokens)
            loss.backward()
            total = total + loss.detach()
        return total, grads(self.model)

    def assert_same(self, got: tuple[torch.Tensor, dict[str, torch.Tensor]], want: tuple[torch.Tensor, dict[str, torch.Tensor]]) -> None:
        self.assertTrue(torch.allclose(got[0], want[0], atol=1e-10, rtol=0), (float(got[0]), float(want[0])))
        self.assertEqual(set(got[1]), set(want[1]))
        for name in want[1]:
            self.assertTrue(torch.allclose(got[1][name], want[1][name], atol=1e-10, rtol=0), name)

    def test_packed_batch_equals_examples_one_by_one(self) -> None:
        self.assertGreater(max(len(r) for r in self.rows), 1)  # really packed
        self.assertGreater(len(self.rows), 1)  # and padded (rows of different lengths)
        reference = unpacked_loss_and_grads(self.model, [self.examples[i] for i in self.step.examples])
        self.assert_same(self.packed_loss_and_grads([self.rows]), reference)

    def test_any_micro_batch_split_gives_the_same_step(self) -> None:
        reference = self.packed_loss_and_grads([self.rows])
        self.assert_same(self.packed_loss_and_grads([[r] for r in self.rows]), reference)  # one row per micro-batch
        self.assert_same(self.packed_loss_and_grads([self.rows[:1], self.rows[1:]]), reference)
        # unpacked micro-batches of 2 examples (the plan's batch 2 x accumulation 8) are the same step too
        pairs = [[[self.examples[i]], [self.examples[j]]] for i, j in zip(self.step.examples[::2], self.step.examples[1::2])]
        self.assert_same(self.packed_loss_and_grads(pairs), reference)

    def test_step_loss_is_the_token_mean_over_micro_batches(self) -> None:
        with torch.no_grad():
            parts = [collate_packed([r]) for r in self.rows]
            logits = [self.model(b.input_ids, b.position_ids, b.attention_mask_4d(torch.float64)) for b in parts]
            labels = [b.labels for b in parts]
            whole = step_loss(logits, labels)
            n = sum(completion_token_count(l) for l in labels)
            self.assertEqual(n, self.step.n_completion_tokens)
            self.assertTrue(torch.allclose(whole, sum(summed_completion_ce(x, y) for x, y in zip(logits, labels)) / n, atol=1e-12))
            mean_of_means = sum(summed_completion_ce(x, y) / completion_token_count(y) for x, y in zip(logits, labels)) / len(parts)
            self.assertFalse(torch.allclose(whole, mean_of_means, atol=1e-6))  # HF's per-micro-batch mean differs

    def test_the_check_can_fail(self) -> None:
        """Without the block mask, or with positions 0..T-1 across the row, the packed loss differs."""
        reference = unpacked_loss_and_grads(self.model, [self.examples[i] for i in self.step.examples])[0]
        b = collate_packed(self.rows)
        t = b.input_ids.shape[1]
        plain = causal_mask(t).expand(len(self.rows), 1, t, t)
        running = torch.arange(t).expand(len(self.rows), t)
        with torch.no_grad():
            no_mask = step_loss([self.model(b.input_ids, b.position_ids, plain)], [b.labels])
            no_restart = step_loss([self.model(b.input_ids, running, b.attention_mask_4d(torch.float64))], [b.labels])
        self.assertGreater(abs(float(no_mask - reference)), 1e-6)
        self.assertGreater(abs(float(no_restart - reference)), 1e-6)

    def test_step_without_completion_tokens_is_an_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "0 completion tokens"):
            step_loss([torch.zeros(1, 3, VOCAB)], [torch.full((1, 3), IGNORE_INDEX)])


@unittest.skipUnless(HAVE_TRANSFORMERS, "transformers not installed here: runs on the GPU machine")
class TinyLlamaPackingTest(unittest.TestCase):
    """The same equality on a random 2-layer LlamaForCausalLM (RoPE from position_ids), float64:
    how the SFT job may hand packed rows to a Hugging Face model."""

    def setUp(self) -> None:
        from transformers import LlamaConfig, LlamaForCausalLM

        self.examples = synthetic_examples(16, seed=3)
        self.step = plan_steps([len(e) for e in self.examples], [e.n_completion_tokens for e in self.examples], max_tokens_per_row=48, seed=0)[0]
        self.rows = [[self.examples[i] for i in row] for row in self.step.rows]
        cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=False)
        self.models = {}
        for impl in ("eager", "sdpa"):
            torch.manual_seed(0)
            self.models[impl] = LlamaForCausalLM._from_config(cfg, attn_implementation=impl).double()

    def unpacked(self, model: nn.Module) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        model.zero_grad()
        total = torch.zeros((), dtype=torch.float64)
        for i in self.step.examples:
            e = self.examples[i]
            logits = model(input_ids=torch.tensor([e.input_ids])).logits
            total = total + summed_completion_ce(logits, torch.tensor([e.labels]))
        loss = total / self.step.n_completion_tokens
        loss.backward()
        return loss.detach(), grads(model)

    def packed(self, model: nn.Module, attention: str, rows_per_micro_batch: int, use_cache: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        model.zero_grad()
        total = torch.zeros((), dtype=torch.float64)
        for i in range(0, len(self.rows), rows_per_micro_batch):
            b = collate_packed(self.rows[i : i + rows_per_micro_batch])
            kwargs = b.model_kwargs(attention, torch.float64)
            logits = model(**dict(kwargs, use_cache=use_cache)).logits
            loss = micro_batch_loss(logits, b.labels, self.step.n_completion_tokens)
            loss.backward()
            total = total + loss.detach()
        return total, grads(model)

    def check(self, got: tuple[torch.Tensor, dict[str, torch.Tensor]], want: tuple[torch.Tensor, dict[str, torch.Tensor]], what: str) -> None:
        self.assertTrue(torch.allclose(got[0], want[0], atol=1e-10, rtol=0), (what, float(got[0]), float(want[0])))
        for name in want[1]:
            self.assertTrue(torch.allclose(got[1][name], want[1][name], atol=1e-10, rtol=0), (what, name))

    def test_four_d_block_mask(self) -> None:
        for impl, model in self.models.items():
            want = self.unpacked(model)
            for rows in (1, len(self.rows)):
                self.check(self.packed(model, "block_mask", rows), want, f"{impl} + 4-D mask, {rows} rows per micro-batch")

    def test_position_ids_only(self) -> None:
        for impl, model in self.models.items():
            want = self.unpacked(model)
            for rows in (1, len(self.rows)):
                self.check(self.packed(model, "position_ids", rows), want, f"{impl} + position_ids, {rows} rows per micro-batch")

    @unittest.skipUnless(torch.cuda.is_available(), "no GPU")
    def test_bfloat16_sdpa_on_the_gpu(self) -> None:
        """The job's precision: bf16 sdpa with the -inf block mask stays finite and matches the
        unpacked loss to bf16 accuracy."""
        model = self.models["sdpa"].to("cuda", torch.bfloat16)
        with torch.no_grad():
            b = collate_packed(self.rows).to("cuda")
            packed = micro_batch_loss(model(**b.model_kwargs("block_mask", torch.bfloat16)).logits, b.labels, self.step.n_completion_tokens)
            total = sum(summed_completion_ce(model(input_ids=torch.tensor([self.examples[i].input_ids], device="cuda")).logits, torch.tensor([self.examples[i].labels], device="cuda")) for i in self.step.examples)
        self.assertTrue(torch.isfinite(packed))
        self.assertAlmostEqual(float(packed), float(total) / self.step.n_completion_tokens, delta=0.02)

    def test_position_ids_only_breaks_with_a_cache(self) -> None:
        """Why model_kwargs sets use_cache=False: with a cache transformers 5.17 ignores the packing."""
        model = self.models["sdpa"]
        loss = self.packed(model, "position_ids", len(self.rows), use_cache=True)[0]
        self.assertGreater(abs(float(loss - self.unpacked(model)[0])), 1e-6, "transformers now honours packed position_ids with a cache: update PackedBatch.model_kwargs' note")

if __name__ == "__main__":
    unittest.main()
