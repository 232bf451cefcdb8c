"""Export of the head: the folded plain MLP equals the eval-mode head; the ONNX file holds that MLP.
(onnxruntime-node runs the file against torch in test/ebm/energy-scorer.test.ts: no Python onnxruntime here.)"""
from __future__ import annotations

import math
import os
import tempfile
import unittest

import numpy as np
import torch

from burnqed.ebm_head import EnergyHeadConfig, GoalConditionedEnergyHead
from burnqed.export import export_onnx, fold_head

try:
    import onnx
    from onnx import numpy_helper
except ImportError:  # pragma: no cover - Debian's python3-onnx is installed by scripts/ensure-python.sh
    onnx = None
try:
    import onnxruntime
except ImportError:
    onnxruntime = None


def trained_looking_head(d: int = 8) -> GoalConditionedEnergyHead:
    torch.manual_seed(1)
    head = GoalConditionedEnergyHead(EnergyHeadConfig(d_model=d, hidden_dims=(32, 16, 8)))
    opt = torch.optim.AdamW(head.parameters(), lr=1e-2)
    for _ in range(3):  # moves u, v and the weights away from their init
        opt.zero_grad()
        head.score(torch.randn(16, d), torch.randn(16, d)).sum().backward()
        opt.step()
    with torch.no_grad():
        head.log_temperature.fill_(math.log(0.7))
    return head.eval()


class FoldTest(unittest.TestCase):
    def test_folded_head_equals_eval_head(self) -> None:
        head = trained_looking_head()
        s, g = torch.randn(50, 8), torch.randn(50, 8)
        expected = head.score(s, g)
        torch.testing.assert_close(fold_head(head)(s, g), expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(head.score(s, g), expected, rtol=0, atol=0)  # folding left the head alone
        self.assertTrue(head.layers[0].parametrizations.weight.original.requires_grad)

    def test_folded_weights_are_the_effective_weights(self) -> None:
        head = trained_looking_head()
        folded = fold_head(head)
        for i, (w, layer) in enumerate(zip(head.effective_weights()[:-1], folded.layers[:-1])):
            self.assertTrue(torch.equal(layer.weight, w), f"layer {i}")
        torch.testing.assert_close(folded.layers[-1].weight, head.effective_weights()[-1] / 0.7, rtol=1e-6, atol=0)


@unittest.skipIf(onnx is None, "python onnx package not installed (apt python3-onnx)")
class OnnxFileTest(unittest.TestCase):
    def test_graph_inputs_outputs_and_weights(self) -> None:
        head = trained_looking_head()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "head.onnx")
            export_onnx(head, path)
            model = onnx.load(path)
            onnx.checker.check_model(model)
        self.assertEqual([i.name for i in model.graph.input], ["z_state", "z_goal"])
        self.assertEqual([o.name for o in model.graph.output], ["energy"])
        dims = [d.dim_value or d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
        self.assertEqual(dims, ["n", 8])
        weights = sorted((numpy_helper.to_array(t) for t in model.graph.initializer if t.dims and len(t.dims) == 2), key=lambda a: -a.size)
        folded = fold_head(head)
        expected = sorted((l.weight.detach().numpy() for l in folded.layers), key=lambda a: -a.size)
        self.assertEqual(len(weights), 4)
        for got, want in zip(weights, expected):
            # the exporter may store W or Wᵀ (MatMul vs Gemm)
            self.assertTrue(np.allclose(got, want, atol=1e-7) or np.allclose(got.T, want, atol=1e-7))



@unittest.skipIf(onnxruntime is None, "python onnxruntime not installed here (the TS test compares onnxruntime-node with torch instead)")
class OnnxRuntimeTest(unittest.TestCase):
    def test_onnxruntime_matches_torch_within_1e_4(self) -> None:
        head = trained_looking_head()
        s, g = torch.randn(64, 8) * 3, torch.randn(64, 8)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "head.onnx")
            export_onnx(head, path)
            sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            (got,) = sess.run(["energy"], {"z_state": s.numpy(), "z_goal": g.numpy()})
        np.testing.assert_allclose(got, head.score(s, g).detach().numpy(), atol=1e-4, rtol=0)


if __name__ == "__main__":
    unittest.main()
