"""The three policies compared in the paper (spec/models.md): FNN, LSTM and IAM.

All implement `iam_repro.models.base.Policy`. Frame stacking for the FNN baselines happens
outside the model (the trainer stacks; ``obs_dim = k * 73`` for k warehouse frames).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch
from torch import Tensor

from iam_repro.models.base import Policy, State
from iam_repro.models.layers import MLP, CellType, CoreImpl, PolicyValueHeads, RecurrentCore


def _check_sizes(name: str, sizes: Sequence[int], allow_empty: bool = True) -> tuple[int, ...]:
    sizes = tuple(sizes)
    if not allow_empty and not sizes:
        raise ValueError(f"{name} must list at least one layer width")
    for s in sizes:
        _check_positive(name, s)
    return sizes


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def validate_dset(dset: Sequence[int], obs_dim: int) -> tuple[int, ...]:
    """Check a d-set (observation indices fed to IAM's memory) and return it as a tuple.

    Raises:
        ValueError: if it is empty, has a repeated or non-integer entry, or an index outside
            ``0..obs_dim-1`` (the message names the index and the valid range).
    """
    if isinstance(dset, str | bytes) or not isinstance(dset, Sequence):
        raise ValueError(f"dset must be a list of observation indices, got {dset!r}")
    if len(dset) == 0:
        raise ValueError("dset is empty: the memory needs at least one observation index")
    out: list[int] = []
    seen: set[int] = set()
    for pos, item in enumerate(dset):
        if isinstance(item, bool):
            raise ValueError(f"dset[{pos}] = {item!r} is not an integer index")
        try:
            index = operator.index(item)
        except TypeError:
            raise ValueError(f"dset[{pos}] = {item!r} is not an integer index") from None
        if not 0 <= index < obs_dim:
            raise ValueError(
                f"dset index {index} (dset[{pos}]) is out of range: valid indices are "
                f"0..{obs_dim - 1} for obs_dim={obs_dim}"
            )
        if index in seen:
            raise ValueError(f"dset index {index} appears more than once (dset[{pos}])")
        seen.add(index)
        out.append(index)
    return tuple(out)


class FNNPolicy(Policy):
    """Feed-forward policy: bias-free ReLU MLP trunk, then the two heads; no memory.

    Parameters: MLP weights + ``hidden[-1] * (num_actions + 1) + 1``; e.g. warehouse, 1 frame:
    73*640 + 640*256 + 256*4 + 256 + 1 = 211,841.

    Args:
        obs_dim: Observation width (k * single-frame width when frames are stacked).
        hidden: Hidden layer widths.
        num_actions: Number of discrete actions.
    """

    is_recurrent = False

    def __init__(
        self, obs_dim: int, hidden: Sequence[int] = (640, 256), *, num_actions: int
    ) -> None:
        super().__init__()
        self.obs_dim = _check_positive("obs_dim", obs_dim)
        self.num_actions = _check_positive("num_actions", num_actions)
        self.hidden = _check_sizes("hidden", hidden)
        self.trunk = MLP(obs_dim, self.hidden)
        self.heads = PolicyValueHeads(self.trunk.out_features, num_actions)

    def initial_state(self, batch: int) -> State:
        """No state: the empty tuple."""
        return ()

    def forward(
        self, obs: Tensor, state: State = (), episode_start: Tensor | None = None
    ) -> tuple[Tensor, Tensor, State]:
        """obs (..., obs_dim), any leading dims (e.g. (T, B)) -> logits (..., A), value (...).

        ``state`` is returned unchanged and ``episode_start`` is ignored.
        """
        self._check_obs(obs)
        lead = obs.shape[:-1]
        logits, value = self.heads(self.trunk(obs.reshape(-1, self.obs_dim)))
        return logits.view(*lead, self.num_actions), value.view(lead), state

    def step(self, obs: Tensor, state: State) -> tuple[Tensor, Tensor, State]:
        """See `Policy.step`: the trunk and heads on (B, obs_dim) as they are."""
        logits, value = self.heads.forward(self.trunk.forward(obs))
        return logits, value, state


class LSTMPolicy(Policy):
    """Recurrent baseline: optional bias-free FC trunk, one recurrent layer, heads on its output.

    ``fc=()`` feeds the raw observation to the cell: the LSTM baseline as the original code ran
    it (its FC output was overwritten before the LSTM; spec/models.md, notes).

    Parameters: FC weights + ``4 * (in + H + 1) * H`` (LSTM, single bias; ``in`` = ``fc[-1]``,
    or ``obs_dim`` without FC) + heads; e.g. warehouse, no FC (model LSTM):
    4*(73+256+1)*256 + 256*4 + 257 = 339,201; FC 640 (model LSTM_fc):
    73*640 + 4*(640+256+1)*256 + 256*4 + 257 = 966,529.

    Args:
        obs_dim: Observation width.
        fc: FC trunk widths before the recurrent layer (empty: the observation goes to the cell).
        hidden: Recurrent hidden size H.
        num_actions: Number of discrete actions.
        cell: "lstm" (the paper's) or "gru" (option).
        forget_bias: Initial LSTM forget-gate bias (see `RecurrentCore`).
        impl: Recurrent implementation (see `RecurrentCore`).
    """

    is_recurrent = True

    def __init__(
        self,
        obs_dim: int,
        fc: Sequence[int] = (),
        hidden: int = 256,
        *,
        num_actions: int,
        cell: CellType = "lstm",
        forget_bias: float = 1.0,
        impl: CoreImpl = "auto",
    ) -> None:
        super().__init__()
        self.obs_dim = _check_positive("obs_dim", obs_dim)
        self.num_actions = _check_positive("num_actions", num_actions)
        self.fc = _check_sizes("fc", fc)
        self.trunk = MLP(obs_dim, self.fc)
        self.core = RecurrentCore(
            self.trunk.out_features, _check_positive("hidden", hidden), cell, forget_bias, impl
        )
        self.heads = PolicyValueHeads(hidden, num_actions)

    def initial_state(self, batch: int) -> State:
        """Zeros: ``(h, c)`` each (batch, H) for LSTM, ``(h,)`` for GRU."""
        return self.core.initial_state(batch)

    def forward(
        self, obs: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, Tensor, State]:
        """See `Policy.forward`: obs (T, B, obs_dim) -> logits (T, B, A), value (T, B), state."""
        self._check_obs(obs)
        T, B, _ = obs.shape
        x = self.trunk(obs.reshape(T * B, self.obs_dim)).view(T, B, -1)
        out, state = self.core(x, state, episode_start)
        logits, value = self.heads(out.reshape(T * B, -1))
        return logits.view(T, B, self.num_actions), value.view(T, B), state

    def step(self, obs: Tensor, state: State) -> tuple[Tensor, Tensor, State]:
        """See `Policy.step`."""
        h, state = self.core.step(self.trunk.forward(obs), state)
        logits, value = self.heads.forward(h)
        return logits, value, state


class IAMPolicy(Policy):
    """Influence-aware memory: FNN on the whole observation ∥ recurrent memory on the d-set.

    The FNN branch sees all of ``obs_t`` and keeps nothing; the recurrent branch sees only
    ``obs_t[dset]``. Their outputs are concatenated into the heads. ``dset=None`` feeds the whole
    observation to the memory (IAM_static, the "FNN + RNN" ablation).

    Parameters: FNN weights + ``4 * (|dset| + M + 1) * M`` + ``(fnn[-1] + M) * (A + 1) + 1``;
    e.g. warehouse, 25-index d-set: 73*576 + 576*256 + 4*(25+64+1)*64 + 320*4 + 321 = 214,145.

    Args:
        obs_dim: Observation width.
        fnn: Widths of the feed-forward branch (may be empty: the raw obs goes to the heads).
        memory: Recurrent hidden size M.
        dset: Observation indices fed to the memory (in this order), or None for all of them.
        num_actions: Number of discrete actions.
        cell: "lstm" (the paper's) or "gru" (option).
        forget_bias: Initial LSTM forget-gate bias (see `RecurrentCore`).
        impl: Recurrent implementation (see `RecurrentCore`).
    """

    is_recurrent = True

    def __init__(
        self,
        obs_dim: int,
        fnn: Sequence[int] = (576, 256),
        memory: int = 64,
        dset: Sequence[int] | None = None,
        *,
        num_actions: int,
        cell: CellType = "lstm",
        forget_bias: float = 1.0,
        impl: CoreImpl = "auto",
    ) -> None:
        super().__init__()
        self.obs_dim = _check_positive("obs_dim", obs_dim)
        self.num_actions = _check_positive("num_actions", num_actions)
        self.fnn_sizes = _check_sizes("fnn", fnn)
        self.dset: tuple[int, ...] | None = None if dset is None else validate_dset(dset, obs_dim)
        self.fnn = MLP(obs_dim, self.fnn_sizes)
        mem_in = obs_dim if self.dset is None else len(self.dset)
        self.memory = RecurrentCore(
            mem_in, _check_positive("memory", memory), cell, forget_bias, impl
        )
        self.heads = PolicyValueHeads(self.fnn.out_features + memory, num_actions)
        # The identity d-set needs no gather; otherwise one index_select per call.
        select = self.dset is not None and self.dset != tuple(range(obs_dim))
        self.register_buffer(
            "dset_index",
            torch.tensor(self.dset, dtype=torch.long) if select else None,
            persistent=False,
        )

    def initial_state(self, batch: int) -> State:
        """Zero memory state: ``(h, c)`` each (batch, M) for LSTM, ``(h,)`` for GRU."""
        return self.memory.initial_state(batch)

    def memory_input(self, obs: Tensor) -> Tensor:
        """What the memory sees: obs (..., obs_dim) -> (..., |dset|)."""
        if self.dset_index is None:
            return obs
        return obs.index_select(-1, self.dset_index)

    def forward(
        self, obs: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, Tensor, State]:
        """See `Policy.forward`: obs (T, B, obs_dim) -> logits (T, B, A), value (T, B), state."""
        self._check_obs(obs)
        T, B, _ = obs.shape
        n = T * B
        ff = self.fnn(obs.reshape(n, self.obs_dim))
        mem, state = self.memory(self.memory_input(obs), state, episode_start)
        logits, value = self.heads(torch.cat((ff, mem.reshape(n, -1)), 1))
        return logits.view(T, B, self.num_actions), value.view(T, B), state

    def step(self, obs: Tensor, state: State) -> tuple[Tensor, Tensor, State]:
        """See `Policy.step`."""
        mem, state = self.memory.step(self.memory_input(obs), state)
        logits, value = self.heads.forward(torch.cat((self.fnn.forward(obs), mem), 1))
        return logits, value, state
