"""The energy path on a tiny pure-torch stand-in with the Hugging Face interface: energies are the
head's scores of recipe embeddings against the group's goal; the head's temperature is applied
once (none in the loss); the backbone gets gradient only through the positive and the one hard
negative (the others and the goal are encoded under no_grad); the head gets it from every energy;
micro-batching does not change the step's gradient; the float16 storage rounding keeps small
gradients."""
from __future__ import annotations

import math
import unittest
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from burnqed.ebm_head import EnergyHeadConfig, GoalConditionedEnergyHead
from burnqed.embed import EmbedRecipe
from burnqed.joint.dataset import GroupTokens
from burnqed.joint.losses import group_energies, group_infonce
from burnqed.joint.model import JointProver, pack_for_encoding, storage_round
from burnqed.joint.train import contrastive_backward, energy_encoder
from burnqed.sft import StepContext
from joint_fixtures import D_MODEL, HEAD_DIMS, TEST_RECIPE, TinyJointLM

VOCAB = 30


class SpyProver(JointProver):
    """Records (number of sequences, grad enabled) of every encode call."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: list[tuple[int, bool]] = []

    def encode(self, batch_ids: Any) -> torch.Tensor:
        self.calls.append((len(batch_ids), torch.is_grad_enabled()))
        return super().encode(batch_ids)

    def encode_packed(self, batch_ids: Any, ctx: Any) -> torch.Tensor:
        self.calls.append((len(batch_ids), torch.is_grad_enabled()))
        return super().encode_packed(batch_ids, ctx) if ctx.packed else super().encode(batch_ids)


def prover(dropout: float = 0.0, recipe: EmbedRecipe = TEST_RECIPE) -> SpyProver:
    lm = TinyJointLM(VOCAB, dropout=dropout, seed=1)
    torch.manual_seed(2)
    head = GoalConditionedEnergyHead(EnergyHeadConfig(d_model=D_MODEL, hidden_dims=HEAD_DIMS, dropout=0.0))
    return SpyProver(lm, head, recipe, 0)


def tokens(g: int = 3, k: int = 3, seed: int = 0, shared_goal: bool = False) -> GroupTokens:
    rng = np.random.default_rng(seed)

    def seq() -> list[int]:
        return [1] + rng.integers(5, VOCAB, size=int(rng.integers(3, 9))).tolist()

    goal_rows = np.zeros(g, dtype=np.int64) if shared_goal else np.arange(g)
    goals = {int(r): seq() for r in np.unique(goal_rows)}
    return GroupTokens([seq() for _ in range(g)], [[seq() for _ in range(k)] for _ in range(g)], [goals[int(r)] for r in goal_rows], goal_rows)


def lm_grads(p: JointProver) -> dict[str, torch.Tensor]:
    return {n: (q.grad.clone() if q.grad is not None else torch.zeros_like(q)) for n, q in p.lm.named_parameters()}


def rel_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """‖a − b‖ / ‖b‖ over all parameters (the head and the rounding to float16 are float32-precise)."""
    num = sum(float((a[n].double() - b[n].double()).pow(2).sum()) for n in b)
    den = sum(float(b[n].double().pow(2).sum()) for n in b)
    return math.sqrt(num / den)


def reference_loss(p: JointProver, t: GroupTokens, grad_negatives: int, grad_goal: bool) -> torch.Tensor:
    """InfoNCE computed one embedding at a time; ``.detach()`` where the routing says no grad."""
    losses = []
    for i in range(len(t)):
        z_goal = p.encode([t.goals[i]])
        z_goal = z_goal if grad_goal else z_goal.detach()
        zs = [p.encode([t.positives[i]])] + [p.encode([n]) if j < grad_negatives else p.encode([n]).detach() for j, n in enumerate(t.negatives[i])]
        e = torch.cat([p.head.score(z, z_goal) for z in zs])  # (1 + K,)
        losses.append(F.cross_entropy(-e[None], torch.zeros(1, dtype=torch.long)))
    return torch.stack(losses).mean()


class EnergiesTest(unittest.TestCase):
    def test_energy_of_each_column_is_the_heads_score(self) -> None:
        p = prover().eval()
        t = tokens()
        with torch.no_grad():
            e = group_energies(p, t, 1)
            self.assertEqual(tuple(e.shape), (3, 4))
            for i in range(3):
                goal = p.encode([t.goals[i]])
                want = [p.head.score(p.encode([s]), goal) for s in [t.positives[i], *t.negatives[i]]]
                torch.testing.assert_close(e[i], torch.cat(want), rtol=0, atol=1e-5)  # padding does not change an embedding

    def test_temperature_is_applied_once(self) -> None:
        p = prover().eval()
        t = tokens()
        with torch.no_grad():
            p.head.log_temperature.fill_(math.log(2.0))
            e = group_energies(p, t, 1)
            g = [p.encode([x]) for x in t.goals]
            raw = torch.stack([torch.cat([p.head.raw_energy(torch.cat([z, g[i], z * g[i]], dim=-1)) for z in (p.encode([s]) for s in [t.positives[i], *t.negatives[i]])]).squeeze(-1) for i in range(3)])
            torch.testing.assert_close(e, raw / 2.0, rtol=1e-5, atol=1e-6)  # T = 2 once, not T² and not 1
            want = F.cross_entropy(-raw / 2.0, torch.zeros(3, dtype=torch.long))
            torch.testing.assert_close(group_infonce(e), want, rtol=1e-5, atol=1e-6)
            self.assertGreater(abs(float(want - F.cross_entropy(-raw / 4.0, torch.zeros(3, dtype=torch.long)))), 1e-3)

    def test_bad_groups_are_rejected(self) -> None:
        t = tokens()
        with self.assertRaisesRegex(ValueError, r"n_grad_negatives 4 outside \[0, K=3\]"):
            group_energies(prover(), t, 4)
        with self.assertRaisesRegex(ValueError, "same K"):
            group_energies(prover(), GroupTokens(t.positives, [t.negatives[0], t.negatives[1][:2], t.negatives[2]], t.goals, t.goal_rows), 1)


class GradRoutingTest(unittest.TestCase):
    def test_only_the_positive_and_one_hard_negative_carry_backbone_grad(self) -> None:
        t = tokens()
        p = prover().eval()  # no dropout, so the reference sees the same network
        group_infonce(group_energies(p, t, 1)).backward()
        got, head_got = lm_grads(p), {n: q.grad.clone() for n, q in p.head.named_parameters()}
        self.assertEqual(p.calls, [(6, True), (9, False)])  # 3 pos + 3 hard with grad; 6 easy and 3 goals in one call without
        for routing, same in (((1, False), True), ((3, True), False), ((0, False), False)):
            p.zero_grad(set_to_none=True)
            reference_loss(p, t, *routing).backward()
            want = lm_grads(p)
            diff = rel_diff(got, want)
            if same:
                self.assertLess(diff, 1e-4, routing)
            else:
                self.assertGreater(diff, 1e-2, routing)
            if same:
                self.assertLess(rel_diff(head_got, {n: q.grad for n, q in p.head.named_parameters()}), 1e-4)  # every energy trains the head
        self.assertGreater(sum(float(v.abs().sum()) for v in got.values()), 0.0)
        self.assertGreater(sum(float(v.abs().sum()) for v in head_got.values()), 0.0)

    def test_goal_grad_and_no_grad_negatives(self) -> None:
        t = tokens(shared_goal=True)
        p = prover().eval()
        group_infonce(group_energies(p, t, 0, goal_grad=True)).backward()
        self.assertEqual(p.calls, [(4, True), (9, False)])  # 3 pos and the shared goal (encoded once) with grad; 9 negatives without
        got = lm_grads(p)
        p.zero_grad(set_to_none=True)
        reference_loss(p, t, 0, True).backward()
        want = lm_grads(p)
        self.assertLess(rel_diff(got, want), 1e-4)

    def test_micro_batches_accumulate_the_steps_gradient(self) -> None:
        t = tokens(g=4)
        grads = []
        for per_mb in (1, 3, 4):
            p = prover().eval()
            loss = contrastive_backward(p, t, 0.5, per_mb, 1, False)
            grads.append(({n: q.grad.clone() for n, q in p.named_parameters() if q.grad is not None}, loss))
        for other, loss in grads[1:]:
            self.assertAlmostEqual(loss, grads[0][1], places=6)
            self.assertLess(rel_diff(other, grads[0][0]), 1e-5)
        p = prover().eval()
        group_infonce(group_energies(p, t, 1)).mul(0.5).backward()
        self.assertLess(rel_diff(grads[0][0], {n: q.grad for n, q in p.named_parameters() if q.grad is not None}), 1e-5)  # λ · mean over the step's groups
        p.zero_grad(set_to_none=True)
        group_infonce(group_energies(p, t, 1)).mul(0.25).backward()
        self.assertGreater(rel_diff(grads[0][0], {n: q.grad for n, q in p.named_parameters() if q.grad is not None}), 0.5)


def step_context(attention: str = "block_mask", max_tokens_per_row: int = 24, pad_multiple: int = 1) -> StepContext:
    return StepContext(attention=attention, dtype=torch.float64, device=torch.device("cpu"), pad_id=0, pad_multiple=pad_multiple, keep_completion_logits=True,
                       max_tokens_per_row=max_tokens_per_row, rows_per_micro_batch=1)


class PackedEncodingTest(unittest.TestCase):
    """The training step's packed energy path (JointProver.encode_packed) against encode()'s padded
    batches, on the float64 stand-in, whose attention takes the SFT rows' 4-D block mask."""

    def test_layout_points_at_each_sequences_last_token(self) -> None:
        seqs = [[1, 5, 6], [1, 7], [1] + list(range(5, 25)), [1, 8, 9, 10], [1, 11]]
        batch, rows, cols = pack_for_encoding(seqs, 8, 0)
        self.assertEqual(batch.input_ids.shape[1], 21)  # the 21-token sequence gets a row of its own, wider than 8
        for i, s in enumerate(seqs):
            r, c = int(rows[i]), int(cols[i])
            self.assertEqual(batch.input_ids[r, c - len(s) + 1 : c + 1].tolist(), s, i)
            self.assertEqual(int(batch.position_ids[r, c]), len(s) - 1, i)
        self.assertLess(len(batch.cu_seqlens), len(seqs))  # short ones share rows
        self.assertTrue(all(bounds[-1] <= max(8, 21) for bounds in batch.cu_seqlens))
        self.assertTrue(bool((batch.labels == -100).all()))
        with self.assertRaisesRegex(ValueError, "non-empty"):
            pack_for_encoding([[1, 2], []], 8, 0)

    def test_packed_embeddings_and_gradients_are_the_padded_ones(self) -> None:
        t = tokens(g=4)
        recipe = EmbedRecipe(compute_dtype="float32", storage_dtype="float32")  # no float16 rounding: compare the network
        for ctx in (step_context(), step_context(max_tokens_per_row=12, pad_multiple=8)):
            p = prover(recipe=recipe).eval()
            seqs = [*t.positives, *[n for g in t.negatives for n in g]]
            with torch.no_grad():
                torch.testing.assert_close(p.encode_packed(seqs, ctx), p.encode(seqs), rtol=0, atol=1e-6)
            grads = []
            for encode in (energy_encoder(p, "packed", ctx), energy_encoder(p, "padded", ctx)):
                p.zero_grad(set_to_none=True)
                loss = contrastive_backward(p, t, 0.5, 3, 1, False, encode)
                grads.append((lm_grads(p), loss))
            self.assertAlmostEqual(grads[0][1], grads[1][1], places=6)
            self.assertLess(rel_diff(grads[0][0], grads[1][0]), 1e-6)
            self.assertGreater(sum(float(v.abs().sum()) for v in grads[0][0].values()), 0.0)

    def test_packing_matters(self) -> None:
        """Without the document mask the packed sequences would see each other: the check above can fail."""
        t = tokens(g=2)
        p = prover().eval()
        seqs = [*t.positives, *t.goals]
        leaky = step_context(attention="position_ids")  # the stand-in ignores restarting positions: one causal row
        with torch.no_grad():
            self.assertGreater(float((p.encode_packed(seqs, leaky) - p.encode(seqs)).abs().max()), 1e-3)
            torch.testing.assert_close(p.encode_packed(seqs, step_context(attention="padding_mask")), p.encode(seqs), rtol=0, atol=0)  # does not pack

    def test_unknown_encoding_is_named(self) -> None:
        with self.assertRaisesRegex(ValueError, "energy_encode must be one of"):
            energy_encoder(prover(), "sorted", step_context())


class StorageRoundTest(unittest.TestCase):
    def test_rounded_forward_identity_backward(self) -> None:
        z = torch.tensor([1.0 + 2**-13, 3.0, 1e-9], requires_grad=True)
        out = storage_round(z, "float16")
        self.assertEqual(out.tolist(), z.detach().half().float().tolist())
        (out * torch.tensor([1e-7, 2.0, 3.0])).sum().backward()
        self.assertEqual(z.grad.tolist(), torch.tensor([1e-7, 2.0, 3.0]).tolist())  # 1e-7 survives (a float16 cast would flush it)
        self.assertIs(storage_round(z, "float32"), z)

    def test_encode_is_float32_and_rounded_to_storage(self) -> None:
        p = prover().eval()
        with torch.no_grad():
            z = p.encode([[1, 5, 6], [1, 7]])
            self.assertEqual(z.dtype, torch.float32)
            self.assertTrue(torch.equal(z, z.half().float()))
            raw = prover(recipe=EmbedRecipe(compute_dtype="float32", storage_dtype="float32")).eval().encode([[1, 5, 6], [1, 7]])
            self.assertFalse(torch.equal(raw, raw.half().float()))
            torch.testing.assert_close(z, raw, rtol=1e-3, atol=1e-3)


if __name__ == "__main__":
    unittest.main()
