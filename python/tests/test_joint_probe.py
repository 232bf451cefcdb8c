"""The separation probe: centroid_l2 on exact small tensors, scikit-learn's stratified folds, the
logistic probe (separable → 1.0, noise → about the base rate, scikit-learn's accuracy where it is
installed), and the planted collapse."""
from __future__ import annotations

import math
import unittest

import numpy as np
import torch

from burnqed.joint.probe import centroid_l2, collapse, linear_probe, stratified_folds

try:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
except ImportError:  # the GPU machine and Debian have it; a bare venv may not
    LogisticRegression = None


class CentroidTest(unittest.TestCase):
    def test_exact(self) -> None:
        z = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0], [0.0, 5.0]])
        y = torch.tensor([True, True, False, False])
        self.assertAlmostEqual(centroid_l2(z, y), math.sqrt(1.0 + 16.0))  # (1, 0) vs (0, 4)
        self.assertTrue(math.isnan(centroid_l2(z, torch.ones(4, dtype=torch.bool))))

    def test_collapse_shrinks_the_distance(self) -> None:
        g = torch.Generator().manual_seed(0)
        z = torch.randn(20, 5, generator=g, dtype=torch.float64)
        y = torch.arange(20) % 3 == 0
        self.assertAlmostEqual(centroid_l2(collapse(z), y), 1e-3 * centroid_l2(z, y), places=9)


class FoldsTest(unittest.TestCase):
    def test_folds_by_class(self) -> None:
        y = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1])
        folds = stratified_folds(y, 5)
        self.assertEqual(folds.tolist(), [0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 3, 4])  # negatives get 2, 2, 1, 1, 1 per fold, positives 1 each
        if LogisticRegression is not None:
            want = np.empty(len(y), dtype=np.int64)
            for f, (_, test) in enumerate(StratifiedKFold(5).split(np.zeros((len(y), 1)), y)):
                want[test] = f
            self.assertEqual(folds.tolist(), want.tolist())


class LinearProbeTest(unittest.TestCase):
    def data(self, n: int, signal: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        y = torch.rand(n, generator=g) < 0.3
        z = torch.randn(n, 8, generator=g, dtype=torch.float64)
        z[:, 0] += signal * (y.double() * 2 - 1)
        return z, y

    def test_separable_and_noise(self) -> None:
        z, y = self.data(100, 5.0)
        r = linear_probe(z, y, folds=5)
        assert r is not None
        self.assertEqual(r.accuracy, 1.0)
        share = float(y.double().mean())
        self.assertAlmostEqual(r.base_rate, max(share, 1 - share))
        self.assertEqual((r.n_rows, r.n_positive), (100, int(y.sum())))
        noise, yn = self.data(200, 0.0, seed=1)
        r0 = linear_probe(noise, yn)
        assert r0 is not None
        self.assertLess(r0.accuracy, r0.base_rate + 0.1)

    def test_too_few_of_a_class(self) -> None:
        z = torch.randn(10, 3)
        y = torch.tensor([True] * 4 + [False] * 6)
        self.assertIsNone(linear_probe(z, y, folds=5))

    @unittest.skipIf(LogisticRegression is None, "scikit-learn is not installed here")
    def test_matches_scikit_learn(self) -> None:
        z, y = self.data(150, 1.0, seed=2)
        want = float(np.mean(cross_val_score(LogisticRegression(max_iter=1000), z.numpy(), y.numpy(), cv=5)))
        r = linear_probe(z, y)
        assert r is not None
        self.assertAlmostEqual(r.accuracy, want, delta=0.02)  # same objective and folds; another optimiser


if __name__ == "__main__":
    unittest.main()
