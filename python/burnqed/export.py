"""Export a GoalConditionedEnergyHead for scoring outside torch (TypeScript, onnxruntime-node).

The exported graph is the head in eval mode with everything folded into plain weights:
spectral norm (W/σ with the trained u, v), the first-layer ×0.1, and the temperature (the last
layer divided by T). Inputs and output:

    z_state  float32 (N, d)
    z_goal   float32 (N, d)     the goal row of each state (gathered by the caller)
    energy   float32 (N,)       = head.score(z_state, z_goal) in eval mode
"""
from __future__ import annotations

import inspect
import io
from typing import Any

import torch
from torch import nn

from burnqed.atomic_io import write_bytes_atomic
from burnqed.ebm_head import GoalConditionedEnergyHead, goal_conditioned_features

ONNX_INPUTS = ("z_state", "z_goal")
ONNX_OUTPUT = "energy"
ONNX_OPSET = 13


class FoldedEnergyHead(nn.Module):
    """The eval-mode head as a plain MLP (no parametrizations, no dropout, temperature folded)."""

    def __init__(self, layers: list[nn.Linear]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, z_state: torch.Tensor, z_goal: torch.Tensor) -> torch.Tensor:
        h = goal_conditioned_features(z_state, z_goal)  # (N, 3d)
        for layer in self.layers[:-1]:
            h = torch.nn.functional.silu(layer(h))
        return self.layers[-1](h).squeeze(-1)  # (N,)


def fold_head(head: GoalConditionedEnergyHead) -> FoldedEnergyHead:
    """A FoldedEnergyHead computing exactly ``head.eval().score``; the head itself is not changed.

    Reads each layer's effective weight (W/σ from the stored u, v — eval mode does no power
    iteration — times the first-layer scale) instead of removing the parametrizations from a
    deep copy: a copy shares its parametrized class with the original, and removal would break it.
    """
    was_training = head.training
    head.eval()
    layers: list[nn.Linear] = []
    with torch.no_grad():
        t = head.temperature().float().cpu()
        for i, layer in enumerate(head.layers):
            w = layer.weight.detach().float().cpu()
            b = layer.bias.detach().float().cpu()
            if i == len(head.layers) - 1:
                w, b = w / t, b / t
            plain = nn.Linear(w.shape[1], w.shape[0])
            plain.weight.copy_(w)
            plain.bias.copy_(b)
            layers.append(plain)
    head.train(was_training)
    return FoldedEnergyHead(layers).eval()


def export_onnx(head: GoalConditionedEnergyHead, path: str) -> None:
    """Write the folded head as ONNX (opset 13, dynamic batch) atomically to ``path``."""
    folded = fold_head(head)
    d = head.config.d_model
    example = (torch.zeros(2, d), torch.zeros(2, d))
    kwargs: dict[str, Any] = dict(
        input_names=list(ONNX_INPUTS),
        output_names=[ONNX_OUTPUT],
        dynamic_axes={"z_state": {0: "n"}, "z_goal": {0: "n"}, "energy": {0: "n"}},
        opset_version=ONNX_OPSET,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: no onnxscript needed, same graph on every torch
    buf = io.BytesIO()
    torch.onnx.export(folded, example, buf, **kwargs)
    write_bytes_atomic(path, buf.getvalue())
