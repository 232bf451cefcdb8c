"""InfoNCE (no temperature) and the metrics-only margin ranking terms on exact tiny tensors."""
from __future__ import annotations

import inspect
import math
import unittest

import torch

from burnqed.losses import active_ratio, info_nce_loss, margin_ranking_terms


class InfoNceTest(unittest.TestCase):
    def test_equal_energies_give_log_one_plus_k(self) -> None:
        loss = info_nce_loss(torch.zeros(1), torch.zeros(1, 3))
        self.assertAlmostEqual(float(loss), math.log(4.0), places=6)

    def test_exact_value(self) -> None:
        # logits -E = [-1, -2, -3]: loss = log(e^-1 + e^-2 + e^-3) + 1 = log(1 + e^-1 + e^-2)
        loss = info_nce_loss(torch.tensor([[1.0]]), torch.tensor([[2.0, 3.0]]))
        self.assertAlmostEqual(float(loss), math.log(1 + math.exp(-1) + math.exp(-2)), places=6)
        self.assertAlmostEqual(float(loss), 0.4076059644443806, places=6)

    def test_batch_mean_and_positive_in_column_zero(self) -> None:
        pos = torch.tensor([0.0, 5.0])
        neg = torch.tensor([[5.0], [0.0]])
        # row 0: log(1 + e^-5); row 1: log(1 + e^5)
        expected = (math.log(1 + math.exp(-5)) + math.log(1 + math.exp(5))) / 2
        self.assertAlmostEqual(float(info_nce_loss(pos, neg)), expected, places=5)

    def test_has_no_temperature_argument(self) -> None:
        self.assertEqual(list(inspect.signature(info_nce_loss).parameters), ["pos_energy", "neg_energies"])

    def test_shape_errors_name_the_shapes(self) -> None:
        with self.assertRaisesRegex(ValueError, r"\(3, 2\)"):
            info_nce_loss(torch.zeros(2), torch.zeros(3, 2))

    def test_gradient_lowers_positive_raises_negatives(self) -> None:
        pos = torch.zeros(1, requires_grad=True)
        neg = torch.zeros(1, 2, requires_grad=True)
        info_nce_loss(pos, neg).backward()
        self.assertAlmostEqual(float(pos.grad[0]), 2 / 3, places=6)  # dL/dE_pos = 1 - p_pos
        self.assertAlmostEqual(float(neg.grad[0, 0]), -1 / 3, places=6)


class MarginRankingTest(unittest.TestCase):
    def test_terms_and_active_ratio(self) -> None:
        pos = torch.tensor([0.0, 0.0, 1.0])
        neg = torch.tensor([0.5, 2.0, 1.0])
        self.assertEqual(margin_ranking_terms(pos, neg, margin=1.0).tolist(), [0.5, 0.0, 1.0])
        self.assertAlmostEqual(active_ratio(pos, neg, margin=1.0), 2 / 3, places=6)


if __name__ == "__main__":
    unittest.main()
