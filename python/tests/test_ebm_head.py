"""GoalConditionedEnergyHead: the plan's Task 0.0 unit tests plus parameter count and gradient flow."""
from __future__ import annotations

import io
import math
import unittest

import torch

from burnqed.ebm_head import (
    EnergyHeadConfig,
    GoalConditionedEnergyHead,
    count_parameters,
    expected_parameter_count,
    goal_conditioned_features,
    head_checkpoint,
    load_head,
)

D = 16


def spectral_norm_of(w: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(w.double(), ord=2))


def make_head(d: int = D, **kw: object) -> GoalConditionedEnergyHead:
    torch.manual_seed(0)
    return GoalConditionedEnergyHead(EnergyHeadConfig(d_model=d, **kw))  # type: ignore[arg-type]


class HeadShapeTest(unittest.TestCase):
    def test_random_input_gives_batch_by_one(self) -> None:
        head = make_head()
        x = torch.randn(5, 3 * D)
        self.assertEqual(tuple(head(x).shape), (5, 1))
        self.assertEqual(tuple(head.score(torch.randn(5, D), torch.randn(5, D)).shape), (5,))

    def test_layer_widths_are_the_plans(self) -> None:
        head = make_head()
        widths = [(l.in_features, l.out_features) for l in head.layers]
        self.assertEqual(widths, [(3 * D, 2048), (2048, 1024), (1024, 512), (512, 1)])

    def test_features_are_state_goal_and_product(self) -> None:
        s = torch.tensor([[1.0, 2.0]])
        g = torch.tensor([[3.0, -1.0]])
        self.assertEqual(goal_conditioned_features(s, g).tolist(), [[1.0, 2.0, 3.0, -1.0, 3.0, -2.0]])

    def test_wrong_width_names_the_expected_shape(self) -> None:
        with self.assertRaisesRegex(ValueError, r"expected \(B, 48\) input, got \(2, 47\)"):
            make_head()(torch.randn(2, 47))

    def test_unknown_config_key_is_an_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "unknown key"):
            EnergyHeadConfig.from_dict({"d_model": 8, "hiden_dims": [4]})


class SpectralNormTest(unittest.TestCase):
    def test_layers_after_the_first_have_spectral_norm_one(self) -> None:
        head = make_head().eval()
        for i, w in enumerate(head.effective_weights()[1:], start=1):
            self.assertAlmostEqual(spectral_norm_of(w), 1.0, delta=0.005, msg=f"layer {i}")

    def test_first_layer_is_scaled_to_one_tenth(self) -> None:
        head = make_head().eval()
        norms = [spectral_norm_of(w) for w in head.effective_weights()]
        self.assertAlmostEqual(norms[0], 0.1, delta=0.0005)
        for other in norms[1:]:
            self.assertAlmostEqual(norms[0] / other, 0.1, delta=0.001)

    def test_raw_weight_times_point_one_is_a_no_op_under_spectral_norm(self) -> None:
        # Gotcha 2 as the plan wrote it (weight.data *= 0.1) changes nothing; the head's scale does.
        head = make_head().eval()
        x = torch.randn(4, 3 * D)
        before = head(x)
        with torch.no_grad():
            head.layers[0].parametrizations.weight.original.mul_(0.1)
        torch.testing.assert_close(head(x), before, rtol=1e-5, atol=1e-6)

    def test_the_scale_takes_effect_on_the_first_layer_output(self) -> None:
        scaled = make_head(first_layer_scale=0.1).eval()
        plain = make_head(first_layer_scale=1.0).eval()  # same seed: same raw weights
        x = torch.randn(3, 3 * D)
        b = scaled.layers[0].bias
        torch.testing.assert_close(scaled.layers[0](x) - b, 0.1 * (plain.layers[0](x) - b), rtol=1e-5, atol=1e-6)

    def test_training_steps_keep_spectral_norms(self) -> None:
        head = make_head()
        opt = torch.optim.AdamW(head.parameters(), lr=1e-3)
        for _ in range(10):
            opt.zero_grad()
            head(torch.randn(8, 3 * D)).sum().backward()
            opt.step()
        head.eval()
        norms = [spectral_norm_of(w) for w in head.effective_weights()]
        # one power iteration per training forward tracks the moving weights to within a few %
        self.assertAlmostEqual(norms[0], 0.1, delta=0.003)
        for n in norms[1:]:
            self.assertAlmostEqual(n, 1.0, delta=0.03)


class TemperatureTest(unittest.TestCase):
    def test_forward_divides_raw_energy_by_exp_log_temperature(self) -> None:
        head = make_head().eval()
        with torch.no_grad():
            head.log_temperature.fill_(math.log(2.5))
        x = torch.randn(6, 3 * D)
        self.assertAlmostEqual(float(head.temperature()), 2.5, places=5)
        torch.testing.assert_close(head(x), head.raw_energy(x) / 2.5)

    def test_temperature_is_clamped_to_point_one_and_ten(self) -> None:
        head = make_head().eval()
        for log_t, expected in [(math.log(100.0), 10.0), (math.log(0.001), 0.1), (0.0, 1.0)]:
            with torch.no_grad():
                head.log_temperature.fill_(log_t)
            self.assertAlmostEqual(float(head.temperature()), expected, places=5)
            x = torch.randn(2, 3 * D)
            torch.testing.assert_close(head(x), head.raw_energy(x) / expected)

    def test_temperature_is_a_learnable_parameter(self) -> None:
        head = make_head()
        self.assertIn("log_temperature", dict(head.named_parameters()))
        self.assertEqual(float(head.temperature()), 1.0)


class ParametersAndGradientsTest(unittest.TestCase):
    def test_parameter_count_at_d_4096(self) -> None:
        head = GoalConditionedEnergyHead(EnergyHeadConfig(d_model=4096))
        # 12288·2048+2048 + 2048·1024+1024 + 1024·512+512 + 512+1 + log_temperature
        self.assertEqual(count_parameters(head), 27_791_362)
        self.assertEqual(expected_parameter_count(4096), 27_791_362)

    def test_gradients_reach_every_parameter(self) -> None:
        head = make_head(dropout=0.0)
        s, g = torch.randn(8, D), torch.randn(8, D)
        head.score(s, g).pow(2).mean().backward()
        for name, p in head.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(torch.isfinite(p.grad).all(), name)
            self.assertGreater(float(p.grad.abs().sum()), 0.0, name)

    def test_gradients_reach_state_and_goal(self) -> None:
        head = make_head(dropout=0.0)
        s = torch.randn(4, D, requires_grad=True)
        g = torch.randn(4, D, requires_grad=True)
        head.score(s, g).sum().backward()
        self.assertGreater(float(s.grad.abs().sum()), 0.0)
        self.assertGreater(float(g.grad.abs().sum()), 0.0)

    def test_dropout_in_training_only(self) -> None:
        head = make_head()
        x = torch.randn(16, 3 * D)
        head.train()
        self.assertFalse(torch.equal(head(x), head(x)))
        head.eval()
        self.assertTrue(torch.equal(head(x), head(x)))

    def test_checkpoint_round_trip(self) -> None:
        head = make_head().eval()
        buf = io.BytesIO()
        torch.save(head_checkpoint(head), buf)
        import tempfile, os

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "h.pt")
            with open(path, "wb") as f:
                f.write(buf.getvalue())
            again = load_head(path)
        x = torch.randn(3, 3 * D)
        torch.testing.assert_close(again(x), head(x), rtol=0, atol=0)


if __name__ == "__main__":
    unittest.main()
