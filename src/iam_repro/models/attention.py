"""IAM's memory on images: spatial soft attention conditioned on the previous recurrent state
(spec/models.md, note "Atari attention").

Per step t and sequence: regions r_1..r_R (R = 49 for a 7x7 map, each C = 64 channels),
``w = softmax_i(v · tanh(W_r r_i + W_h h_{t-1}))``, ``d = Σ_i w_i r_i``, and the recurrent core
gets ``concat(d, w)`` (C + R values). All three projections have no bias and Glorot-uniform
weights (``tf.layers.dense`` defaults, as the original's ``Networks.fcn``). Because the weights
at t depend on h_{t-1}, the memory is unrolled step by step over T; the region projection
``W_r r`` does not depend on h and is computed for all T steps in one matmul.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from iam_repro.models.base import State
from iam_repro.models.layers import CellType, RecurrentCore, glorot_uniform_


class SpatialAttention(nn.Module):
    """One attention head over regions, queried by a recurrent hidden state. No biases.

    Parameters: ``(region_size + hidden_size) * units + units``; e.g. 64, 16, 32: 2,592.

    Args:
        region_size: C, the width of one region.
        hidden_size: H, the width of the querying state.
        units: U, the attention's hidden width.
    """

    def __init__(self, region_size: int, hidden_size: int, units: int) -> None:
        super().__init__()
        self.region_proj = nn.Linear(region_size, units, bias=False)
        self.state_proj = nn.Linear(hidden_size, units, bias=False)
        self.score = nn.Linear(units, 1, bias=False)
        for layer in (self.region_proj, self.state_proj, self.score):
            glorot_uniform_(layer.weight)

    def project_regions(self, regions: Tensor) -> Tensor:
        """``W_r r``: (..., R, C) -> (..., R, U)."""
        return F.linear(regions, self.region_proj.weight)

    def forward(self, projected: Tensor, h: Tensor) -> Tensor:
        """Projected regions (B, R, U) and state h (B, H) -> weights (B, R), summing to 1."""
        query = F.linear(h, self.state_proj.weight).unsqueeze(1)  # (B, 1, U)
        scores = torch.matmul(torch.tanh(projected + query), self.score.weight[0])  # (B, R)
        return scores.softmax(-1)


class AttentionMemory(nn.Module):
    """Attention over a feature map's regions, then one recurrent step; unrolled over T.

    Parameters: attention + ``4 * (C + R + H + 1) * H`` (LSTM, single bias); e.g. C = 64,
    R = 49, H = 16, U = 32: 2,592 + 8,320 = 10,912.

    Attributes:
        last_weights: Attention weights (T, B, R) of the last forward call (detached), or None.

    Args:
        region_size: C, channels of the feature map.
        num_regions: R, regions per map (H' * W').
        units: U, attention units.
        hidden_size: H, recurrent hidden size.
        cell: "lstm" (the paper's) or "gru" (option).
        forget_bias: Initial LSTM forget-gate bias (see `RecurrentCore`).
    """

    def __init__(
        self,
        region_size: int,
        num_regions: int,
        units: int,
        hidden_size: int,
        cell: CellType = "lstm",
        forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        self.region_size = region_size
        self.num_regions = num_regions
        self.hidden_size = hidden_size
        self.attention = SpatialAttention(region_size, hidden_size, units)
        self.core = RecurrentCore(region_size + num_regions, hidden_size, cell, forget_bias)
        self._weights: list[Tensor] = []

    def initial_state(self, batch: int) -> State:
        """Zero state of the core: ``(h, c)`` (LSTM) or ``(h,)`` (GRU), each (batch, H)."""
        return self.core.initial_state(batch)

    @property
    def last_weights(self) -> Tensor | None:
        """Attention weights (T, B, R) of the last forward call (detached); None before any."""
        return torch.stack(self._weights) if self._weights else None

    def forward(
        self, regions: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, State]:
        """Run the memory over T steps.

        Args:
            regions: (T, B, R, C) feature-map regions (row-major over the map).
            state: Core state before step 0, each (B, H).
            episode_start: (T, B) bool/float or None; the state is zeroed before step t where
                true, so the attention at an episode's first step is queried with h = 0.

        Returns:
            h_t for every step (T, B, H) and the state after step T-1.
        """
        if regions.dim() != 4 or regions.shape[2:] != (self.num_regions, self.region_size):
            raise ValueError(
                f"AttentionMemory expects regions (T, B, {self.num_regions}, "
                f"{self.region_size}), got {tuple(regions.shape)}"
            )
        T, B = regions.shape[:2]
        expected = (B, self.hidden_size)
        if len(state) != self.core.num_state_tensors or any(s.shape != expected for s in state):
            raise ValueError(
                f"{self.core.cell} state must be {self.core.num_state_tensors} tensor(s) of "
                f"shape {expected}, got {[tuple(s.shape) for s in state]}"
            )
        if episode_start is not None and episode_start.shape != (T, B):
            raise ValueError(
                f"episode_start must have shape {(T, B)}, got {tuple(episode_start.shape)}"
            )
        flags = [False] * T if episode_start is None else episode_start.any(1).tolist()
        keep = (
            (episode_start == 0).to(regions.dtype).unsqueeze(-1) if any(flags) else None
        )  # (T, B, 1)
        projected = self.attention.project_regions(regions)  # (T, B, R, U), all steps at once
        outs, weights = [], []
        # unbind, not [t]: the backward of T selects would zero-fill T full-size gradients.
        steps = zip(projected.unbind(0), regions.unbind(0), strict=True)
        for t, (projected_t, regions_t) in enumerate(steps):
            if flags[t]:
                state = tuple(s * keep[t] for s in state)
            w = self.attention(projected_t, state[0])  # (B, R), queried with h_{t-1}
            d = torch.bmm(w.unsqueeze(1), regions_t).squeeze(1)  # (B, C)
            out, state = self.core(torch.cat((d, w), 1).unsqueeze(0), state, None)
            outs.append(out)
            weights.append(w.detach())
        self._weights = weights
        return (outs[0] if T == 1 else torch.cat(outs)), state

    def extra_repr(self) -> str:
        return f"regions={self.num_regions}, region_size={self.region_size}"
