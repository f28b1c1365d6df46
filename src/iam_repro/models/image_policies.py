"""Policies on image observations (Flickering Atari; spec/models.md, atari rows).

Observations are flat pixel vectors (T, B, frames*H*W), uint8 or float holding 0-255 values;
`ConvTrunk` turns them into a conv feature map. `ConvPolicy` runs a vector policy (FNN, LSTM,
IAM_static) on the flattened map; `AttentionIAMPolicy` is IAM with spatial attention.

The flattened map is in NCHW order (channel-major). The original flattened NHWC; the two differ
by a fixed permutation of the next layer's input rows, which Glorot init does not see, so the
models are the same up to relabelling.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from iam_repro.models.attention import AttentionMemory
from iam_repro.models.base import Policy, State
from iam_repro.models.conv import ConvTrunk
from iam_repro.models.layers import MLP, CellType, PolicyValueHeads


class ConvPolicy(Policy):
    """Conv trunk on pixels, then a vector policy on the flattened feature map.

    Parameters: conv + body; e.g. Breakout (4 actions), Nature CNN: FNN on 4 frames ->
    FC 512: 77,984 + 3136*512 + 512*4 + 513 = 1,686,177; LSTM 512 on 1 frame:
    71,840 + 4*(3136+512+1)*512 + 2,561 = 7,547,553; IAM_static (FC 256 ∥ LSTM 256):
    71,840 + 3136*256 + 4*(3136+256+1)*256 + 2,561 = 4,351,649.

    Args:
        conv: The trunk; ``conv.in_features`` is this policy's obs_dim.
        body: A vector policy whose obs_dim is ``conv.out_features``.
    """

    def __init__(self, conv: ConvTrunk, body: Policy) -> None:
        super().__init__()
        if body.obs_dim != conv.out_features:
            raise ValueError(
                f"body expects {body.obs_dim} inputs, the conv map has {conv.out_features}"
            )
        self.conv = conv
        self.body = body
        self.obs_dim = conv.in_features
        self.num_actions = body.num_actions
        self.is_recurrent = body.is_recurrent

    def initial_state(self, batch: int) -> State:
        """The body's zero state (``()`` for FNN)."""
        return self.body.initial_state(batch)

    def forward(
        self, obs: Tensor, state: State = (), episode_start: Tensor | None = None
    ) -> tuple[Tensor, Tensor, State]:
        """obs (T, B, obs_dim) pixels (FNN: any leading dims) -> logits (T, B, A), value (T, B),
        state; see `Policy.forward`."""
        self._check_obs(obs)
        lead = obs.shape[:-1]
        features = self.conv(obs.reshape(-1, self.obs_dim)).flatten(1)  # (N, C*H'*W')
        return self.body(features.view(*lead, -1), state, episode_start)


class AttentionIAMPolicy(Policy):
    """IAM on images: shared conv map -> FC branch ∥ attention memory; heads on both.

    FNN branch: flattened map -> bias-free ReLU MLP. Memory branch: the map's H'*W' regions of
    C channels (NCHW permuted to NHWC, row-major) -> `AttentionMemory`.

    Parameters: conv + MLP + attention + core + heads; e.g. Breakout, Nature CNN on 1 frame,
    FC 256, 32 units, LSTM 16: 71,840 + 802,816 + 2,592 + 8,320 + 1,361 = 886,929.

    Args:
        conv: The trunk (shared by both branches).
        fnn: Widths of the FC branch (may be empty: the flattened map goes to the heads).
        memory: Recurrent hidden size H.
        attention: Attention units U.
        num_actions: Number of discrete actions.
        cell: "lstm" (the paper's) or "gru" (option).
        forget_bias: Initial LSTM forget-gate bias (see `RecurrentCore`).
    """

    is_recurrent = True

    def __init__(
        self,
        conv: ConvTrunk,
        fnn: Sequence[int] = (256,),
        memory: int = 16,
        attention: int = 32,
        *,
        num_actions: int,
        cell: CellType = "lstm",
        forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        self.obs_dim = conv.in_features
        self.num_actions = num_actions
        self.conv = conv
        channels, height, width = conv.out_shape
        self.fnn = MLP(conv.out_features, fnn)
        self.memory = AttentionMemory(
            channels, height * width, attention, memory, cell, forget_bias
        )
        self.heads = PolicyValueHeads(self.fnn.out_features + memory, num_actions)

    def initial_state(self, batch: int) -> State:
        """Zero memory state: ``(h, c)`` each (batch, H) for LSTM, ``(h,)`` for GRU."""
        return self.memory.initial_state(batch)

    @property
    def last_attention(self) -> Tensor | None:
        """Attention weights (T, B, regions) of the last forward call (detached), or None."""
        return self.memory.last_weights

    def forward(
        self, obs: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, Tensor, State]:
        """See `Policy.forward`: obs (T, B, obs_dim) pixels -> logits (T, B, A), value (T, B),
        state."""
        self._check_obs(obs)
        T, B, _ = obs.shape
        fmap = self.conv(obs.reshape(T * B, self.obs_dim))  # (N, C, H', W')
        ff = self.fnn(fmap.flatten(1))
        regions = fmap.flatten(2).transpose(1, 2)  # (N, H'*W', C): NHWC, row-major regions
        mem, state = self.memory(regions.reshape(T, B, *regions.shape[1:]), state, episode_start)
        logits, value = self.heads(torch.cat((ff, mem.reshape(T * B, -1)), 1))
        return logits.view(T, B, self.num_actions), value.view(T, B), state
