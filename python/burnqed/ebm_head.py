"""GoalConditionedEnergyHead: E(state, goal), the energy head of plan Task 0.0.

The same module is used by the decoupled trainer (iter_0, config B) and by joint training (iter_1),
so both sides of the Day-11 comparison share one architecture:

    x = [z_state; z_goal; z_state ⊙ z_goal]                 (B, 3d)
    h = SiLU(W1 x + b1) → dropout → SiLU(W2 h + b2) → dropout → SiLU(W3 h + b3) → dropout
    E = (w4 · h + b4) / T,   T = exp(clamp(log_temperature, log 0.1, log 10))

Every Wk is spectrally normalised (‖Wk‖₂ = 1). Lower energy = closer to a proof.

First-layer ×0.1 (plan Gotcha 2). Under spectral normalisation the layer uses W/σ(W), which is
invariant to a rescaling of the raw weight, so ``weight.data *= 0.1`` would change nothing. Here a
fixed scale is chained *after* the spectral norm (a second parametrization): W1_eff = 0.1 · W1/σ(W1),
so the first layer's spectral norm is 0.1 — ten times smaller than every other layer — at
initialisation and after it. A fixed (not learnable) scale keeps the Lipschitz bound that spectral
normalisation exists for; the learnable temperature provides the overall energy scale.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from burnqed.strict_config import config_from_dict

PLAN_HIDDEN_DIMS = (2048, 1024, 512)
# Power iterations run once at construction so ‖W/σ̂‖₂ is within ~0.3% of 1 from the first step
# (torch's own 15 leave it ~2% high for these shapes); training then does 1 per forward.
INIT_POWER_ITERATIONS = 200


@dataclass(frozen=True)
class EnergyHeadConfig:
    d_model: int  # embedding width d (4096 for DeepSeek-Prover-V1.5; 64 in the demo)
    hidden_dims: tuple[int, ...] = PLAN_HIDDEN_DIMS
    dropout: float = 0.15
    first_layer_scale: float = 0.1
    temperature_min: float = 0.1
    temperature_max: float = 10.0
    init_temperature: float = 1.0

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "EnergyHeadConfig":
        return config_from_dict(EnergyHeadConfig, raw, where="energy head config")

    def validate(self) -> None:
        if not (isinstance(self.d_model, int) and self.d_model >= 1):
            raise ValueError(f"energy head config: d_model must be a positive integer, got {self.d_model!r}")
        if not self.hidden_dims or any(h < 1 for h in self.hidden_dims):
            raise ValueError(f"energy head config: hidden_dims must be positive, got {self.hidden_dims!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"energy head config: dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 < self.temperature_min <= self.init_temperature <= self.temperature_max:
            raise ValueError(
                f"energy head config: need 0 < temperature_min <= init_temperature <= temperature_max, got "
                f"{self.temperature_min}, {self.init_temperature}, {self.temperature_max}"
            )
        if not self.first_layer_scale > 0:
            raise ValueError(f"energy head config: first_layer_scale must be > 0, got {self.first_layer_scale}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden_dims"] = list(self.hidden_dims)
        return d


class FixedScale(nn.Module):
    """Parametrization W ↦ s·W with a constant s (a buffer, saved in the state dict)."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return self.scale * weight


def goal_conditioned_features(z_state: torch.Tensor, z_goal: torch.Tensor) -> torch.Tensor:
    """[z_state; z_goal; z_state ⊙ z_goal]: (B, d), (B, d) → (B, 3d)."""
    if not torch.jit.is_tracing() and (z_state.shape != z_goal.shape or z_state.dim() != 2):
        raise ValueError(f"goal_conditioned_features: z_state {tuple(z_state.shape)} and z_goal {tuple(z_goal.shape)} must both be (B, d)")
    return torch.cat([z_state, z_goal, z_state * z_goal], dim=-1)


class GoalConditionedEnergyHead(nn.Module):
    def __init__(self, config: EnergyHeadConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        dims = [3 * config.d_model, *config.hidden_dims, 1]
        self.layers = nn.ModuleList()
        for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
            layer = spectral_norm(nn.Linear(d_in, d_out))
            _converge_power_iteration(layer, INIT_POWER_ITERATIONS)
            if i == 0:
                parametrize.register_parametrization(layer, "weight", FixedScale(config.first_layer_scale))
            self.layers.append(layer)
        self.act = nn.SiLU()
        self.dropout = nn.Dropout(config.dropout)
        self.log_temperature = nn.Parameter(torch.tensor(math.log(config.init_temperature)))

    @property
    def d_model(self) -> int:
        return self.config.d_model

    def temperature(self) -> torch.Tensor:
        """T = exp(log_temperature) clamped to [temperature_min, temperature_max] (0-d tensor)."""
        lo, hi = math.log(self.config.temperature_min), math.log(self.config.temperature_max)
        return self.log_temperature.clamp(lo, hi).exp()

    def raw_energy(self, x: torch.Tensor) -> torch.Tensor:
        """The MLP output before the temperature: (B, 3d) → (B, 1)."""
        h = x
        for layer in self.layers[:-1]:
            h = self.dropout(self.act(layer(h)))  # (B, hidden)
        return self.layers[-1](h)  # (B, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Energy of goal-conditioned features x = [z_state; z_goal; z_state ⊙ z_goal]: (B, 3d) → (B, 1)."""
        if x.dim() != 2 or x.shape[1] != 3 * self.config.d_model:
            raise ValueError(f"GoalConditionedEnergyHead: expected (B, {3 * self.config.d_model}) input, got {tuple(x.shape)}")
        return self.raw_energy(x) / self.temperature()

    def score(self, z_state: torch.Tensor, z_goal: torch.Tensor) -> torch.Tensor:
        """Energies of (state, goal) pairs: (B, d), (B, d) → (B,)."""
        return self.forward(goal_conditioned_features(z_state, z_goal)).squeeze(-1)

    def effective_weights(self) -> list[torch.Tensor]:
        """The weights each layer actually applies (spectral norm and first-layer scale included)."""
        return [layer.weight.detach() for layer in self.layers]


def _converge_power_iteration(layer: nn.Linear, n: int) -> None:
    """Run extra power iterations of the layer's spectral-norm parametrization (u, v buffers)."""
    sn = layer.parametrizations.weight[0]
    with torch.no_grad():
        sn._power_method(sn._reshape_weight_to_matrix(layer.parametrizations.weight.original), n)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def expected_parameter_count(d_model: int, hidden_dims: Sequence[int] = PLAN_HIDDEN_DIMS) -> int:
    """Weights + biases of every layer, plus log_temperature."""
    dims = [3 * d_model, *hidden_dims, 1]
    return sum(a * b + b for a, b in zip(dims[:-1], dims[1:])) + 1


def head_checkpoint(head: GoalConditionedEnergyHead, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What goal_conditioned_head.pt holds: the config to rebuild the head and its state dict."""
    return {"format": "burnqed.goal_conditioned_head/1", "head_config": head.config.to_dict(), "state_dict": head.state_dict(), **(extra or {})}


def load_head(path: str, map_location: str | torch.device = "cpu") -> GoalConditionedEnergyHead:
    """Rebuild a head from goal_conditioned_head.pt (eval mode)."""
    blob = torch.load(path, map_location=map_location)
    if not isinstance(blob, dict) or blob.get("format") != "burnqed.goal_conditioned_head/1":
        raise ValueError(f"{path}: not a burnqed goal_conditioned_head checkpoint (format {blob.get('format') if isinstance(blob, dict) else type(blob).__name__})")
    head = GoalConditionedEnergyHead(EnergyHeadConfig.from_dict(blob["head_config"]))
    head.load_state_dict(blob["state_dict"])
    return head.eval()
