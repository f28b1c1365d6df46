"""Building blocks: bias-free MLP trunk, single-bias recurrent core, policy and value heads.

Initialisation follows the TensorFlow defaults of the authors' code (read off a stored copy of
INFLUENCEorg/influence-aware-memory; spec/models.md fixes only the shapes):

- hidden fully connected layers: ``tf.layers.dense`` default, Glorot-uniform, no bias;
- policy head: ``variance_scaling_initializer(factor=0.01)`` (fan-in, truncated normal with
  stddev ``sqrt(1.3 * 0.01 / fan_in)``), no bias;
- value head: Glorot-uniform, bias 0;
- recurrent core: ``BasicLSTMCell``'s kernel is one Glorot-uniform matrix of shape
  ``(in + hidden, 4 * hidden)``, so both of our weight blocks are drawn with that matrix's bound;
  bias 0 except the LSTM forget block, which starts at ``forget_bias`` (default 1.0).
  ``BasicLSTMCell`` adds a *constant* 1.0 to a zero-initialised bias; a trainable bias that
  starts at 1.0 gets the same gradients and Adam updates, so the two are the same model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from iam_repro.models.base import State

CellType = Literal["lstm", "gru"]
CoreImpl = Literal["auto", "loop", "fused"]

CELLS: tuple[str, ...] = ("lstm", "gru")
POLICY_INIT_FACTOR = 0.01

# Above this input_size x hidden_size the fused kernel's backward (oneDNN on CPU) was slower than
# the Python loop on one thread (measured: LSTM 640->256 slower, 256->256 and smaller faster).
_FUSED_MAX_WEIGHT = 65536


def glorot_uniform_(
    weight: Tensor, fan_in: int | None = None, fan_out: int | None = None
) -> Tensor:
    """Glorot-uniform in place: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (TF's default)."""
    fan_out_default, fan_in_default = weight.shape
    bound = math.sqrt(6.0 / ((fan_in or fan_in_default) + (fan_out or fan_out_default)))
    with torch.no_grad():
        return weight.uniform_(-bound, bound)


def variance_scaling_(weight: Tensor, factor: float) -> Tensor:
    """TF contrib ``variance_scaling_initializer(factor)`` in fan-in mode: truncated normal
    (cut at 2 stddev) with stddev sqrt(1.3 * factor / fan_in)."""
    std = math.sqrt(1.3 * factor / weight.shape[1])
    return nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


class MLP(nn.Module):
    """Stack of bias-free Linear + ReLU layers (the original FC layers have no bias).

    Parameters: sum of ``in_i * out_i`` over layers. Init: Glorot-uniform (TF default).

    Args:
        in_features: Input width.
        sizes: Output width of each layer; empty = identity.
    """

    def __init__(self, in_features: int, sizes: Sequence[int]) -> None:
        super().__init__()
        widths = [in_features, *sizes]
        self.layers = nn.ModuleList(
            nn.Linear(i, o, bias=False) for i, o in zip(widths[:-1], widths[1:], strict=True)
        )
        self.out_features = widths[-1]
        for layer in self.layers:
            glorot_uniform_(layer.weight)

    def forward(self, x: Tensor) -> Tensor:
        """(N, in_features) -> (N, out_features)."""
        for layer in self.layers:
            # F.linear on the weight skips nn.Module.__call__ overhead (this runs per env step);
            # ReLU in place on the fresh matmul output saves a buffer (the matmul's backward
            # needs only its inputs, ReLU's only its result).
            x = F.relu(F.linear(x, layer.weight), inplace=True)
        return x


class PolicyValueHeads(nn.Module):
    """Linear logits head (no bias, gain 0.01) and linear value head (bias, gain 1).

    Parameters: ``in * num_actions + in + 1``.
    """

    def __init__(self, in_features: int, num_actions: int) -> None:
        super().__init__()
        self.policy = nn.Linear(in_features, num_actions, bias=False)
        self.value = nn.Linear(in_features, 1)
        variance_scaling_(self.policy.weight, POLICY_INIT_FACTOR)
        glorot_uniform_(self.value.weight)
        nn.init.zeros_(self.value.bias)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z (N, in) -> logits (N, num_actions), value (N,)."""
        logits = F.linear(z, self.policy.weight)
        value = F.linear(z, self.value.weight, self.value.bias).squeeze(-1)
        return logits, value


class RecurrentCore(nn.Module):
    """One recurrent layer run over a (T, B, in) block, with per-step episode resets.

    Unlike ``torch.nn.LSTM``/``GRU`` (two bias vectors) it has a **single bias vector**, as
    TensorFlow's cells do, so its parameter count is the paper's:

    - LSTM: ``4 * (in + H + 1) * H``; gates in torch's order (input, forget, cell, output);
      state ``(h, c)``. Equals ``torch.nn.LSTMCell`` with ``b_ih = bias`` and ``b_hh = 0``.
    - GRU (an option, not the paper's cell): ``3 * (in + H + 1) * H``; gates (reset, update,
      new) with torch's "reset after" candidate ``n = tanh(W_in x + b_n + r * (W_hn h))``;
      state ``(h,)``. Equals ``torch.nn.GRUCell`` with ``b_ih = bias`` and ``b_hh = 0``.

    Two numerically equivalent implementations (tested against each other): ``loop`` projects
    the inputs of all T steps in one matmul, then does one ``addmm`` per step in Python;
    ``fused`` calls ATen's kernels: ``torch.lstm_cell``/``gru_cell`` for T = 1 (rollouts; about
    half the loop's overhead) and ``torch.lstm``/``gru`` (oneDNN on CPU) between episode starts
    for T > 1. ``auto`` is ``fused`` except for T > 1 on large layers (input_size x H above
    65,536, e.g. warehouse LSTM_fc's 640 -> 256), where oneDNN's backward is slower than the loop
    on one thread; for IAM's memory and traffic LSTM_fc's 256 -> 128 the fused training pass is
    2-9x faster.
    Note: FLOP counters (``torch.utils.flop_counter``) do not see the fused kernel; set
    ``impl = "loop"`` when counting FLOPs.

    Attributes:
        weight_ih: (G*H, in). weight_hh: (G*H, H). bias: (G*H,); G = 4 (LSTM) or 3 (GRU).

    Args:
        input_size: Input width.
        hidden_size: H.
        cell: "lstm" (default, the paper's) or "gru".
        forget_bias: Initial value of the LSTM forget-gate bias (1.0 = TF BasicLSTMCell).
        impl: "auto", "loop" or "fused".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: CellType = "lstm",
        forget_bias: float = 1.0,
        impl: CoreImpl = "auto",
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; known cells: {', '.join(CELLS)}")
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_gates = 4 if cell == "lstm" else 3
        gh = self.num_gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gh, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gh, hidden_size))
        self.bias = nn.Parameter(torch.zeros(gh))
        # torch.lstm/gru require a second bias; a zero buffer is neither trained nor counted.
        self.register_buffer("_zero_bias", torch.zeros(gh), persistent=False)
        for w in (self.weight_ih, self.weight_hh):  # one TF kernel (in + hidden, gates * hidden)
            glorot_uniform_(w, fan_in=input_size + hidden_size, fan_out=gh)
        if cell == "lstm":
            with torch.no_grad():
                self.bias[hidden_size : 2 * hidden_size] = forget_bias
        self.impl = impl

    @property
    def impl(self) -> CoreImpl:
        """Implementation choice; may be changed after construction (results are the same)."""
        return self._impl

    @impl.setter
    def impl(self, impl: CoreImpl) -> None:
        if impl not in ("auto", "loop", "fused"):
            raise ValueError(f"unknown impl {impl!r}; known: auto, loop, fused")
        self._impl = impl
        # Whether sequences longer than one step go through the fused kernel.
        self._fused_long = impl == "fused" or (
            impl == "auto" and self.input_size * self.hidden_size <= _FUSED_MAX_WEIGHT
        )

    @property
    def num_state_tensors(self) -> int:
        """2 for LSTM (h, c), 1 for GRU (h,)."""
        return 2 if self.cell == "lstm" else 1

    def initial_state(self, batch: int) -> State:
        """Zero state: ``(h, c)`` for LSTM, ``(h,)`` for GRU, each (batch, H)."""
        w = self.weight_hh
        return tuple(
            torch.zeros(batch, self.hidden_size, dtype=w.dtype, device=w.device)
            for _ in range(self.num_state_tensors)
        )

    def forward(
        self, x: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, State]:
        """Run the layer over T steps.

        Args:
            x: (T, B, input_size) inputs.
            state: State before step 0, each (B, H).
            episode_start: (T, B) bool/float or None; state is zeroed before step t where true.

        Returns:
            Outputs h_t for every step (T, B, H) and the state after step T-1.
        """
        # torch.lstm/gru do not check shapes: a wrong width reads out of bounds and a wrong
        # batch corrupts the heap, so check here (a few integer compares per call).
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(
                f"RecurrentCore expects input (T, B, {self.input_size}), got {tuple(x.shape)}"
            )
        T, B = x.shape[0], x.shape[1]
        expected = (B, self.hidden_size)
        if len(state) != self.num_state_tensors or any(s.shape != expected for s in state):
            raise ValueError(
                f"{self.cell} state must be {self.num_state_tensors} tensor(s) of shape "
                f"{expected}, got {[tuple(s.shape) for s in state]}"
            )
        if episode_start is not None and episode_start.shape != x.shape[:2]:
            raise ValueError(
                f"episode_start must have shape {(T, B)}, got {tuple(episode_start.shape)}"
            )
        if episode_start is None:
            flags = [False] * T
            keep = None
        else:
            # One reduction + tolist tells which steps need the reset multiply at all.
            flags = episode_start.any(1).tolist()
            keep = (episode_start == 0).to(x.dtype).unsqueeze(-1) if any(flags) else None
        if T == 1 and self._impl != "loop":
            if flags[0]:
                state = tuple(v * keep[0] for v in state)
            h, state = self._cell_step(x[0], state)
            return h.unsqueeze(0), state
        if T > 1 and self._fused_long:
            return self._fused(x, state, flags, keep)
        return self._loop(x, state, flags, keep)

    def step(self, x: Tensor, state: State) -> tuple[Tensor, State]:
        """One step of B sequences with no reset, unchecked (the rollout's hot path): x (B, in)
        -> h (B, H) and the new state; the same numbers as ``forward(x[None], state, None)``."""
        if self._impl == "loop":
            out, state = self._loop(x[None], state, [False], None)
            return out[0], state
        return self._cell_step(x, state)

    def _cell_step(self, x: Tensor, state: State) -> tuple[Tensor, State]:
        # One ATen call for the whole step: about half the time of the Python loop at T=1.
        if self.cell == "lstm":
            h, c = torch.lstm_cell(
                x, state, self.weight_ih, self.weight_hh, self.bias, self._zero_bias
            )
            return h, (h, c)
        h = torch.gru_cell(x, state[0], self.weight_ih, self.weight_hh, self.bias, self._zero_bias)
        return h, (h,)

    def _loop(
        self, x: Tensor, state: State, flags: list[bool], keep: Tensor | None
    ) -> tuple[Tensor, State]:
        T, B, _ = x.shape
        gh = self.weight_ih.shape[0]
        # Input projection for all T steps in one matmul; per step only h @ W_hh remains.
        xw = torch.addmm(self.bias, x.reshape(T * B, -1), self.weight_ih.t()).view(T, B, gh)
        w_hh = self.weight_hh.t()
        outs = []
        if self.cell == "lstm":
            h, c = state
            for t, xt in enumerate(xw.unbind(0)):
                if flags[t]:
                    h = h * keep[t]
                    c = c * keep[t]
                i, f, g, o = torch.addmm(xt, h, w_hh).chunk(4, 1)
                c = torch.addcmul(f.sigmoid() * c, i.sigmoid(), g.tanh())
                h = o.sigmoid() * c.tanh()
                outs.append(h)
            new_state: State = (h, c)
        else:
            (h,) = state
            for t, xt in enumerate(xw.unbind(0)):
                if flags[t]:
                    h = h * keep[t]
                xr, xz, xn = xt.chunk(3, 1)
                hr, hz, hn = torch.mm(h, w_hh).chunk(3, 1)
                r = torch.sigmoid(xr + hr)
                z = torch.sigmoid(xz + hz)
                n = torch.tanh(torch.addcmul(xn, r, hn))
                h = torch.addcmul(n, z, h - n)  # (1 - z) * n + z * h
                outs.append(h)
            new_state = (h,)
        out = outs[0].unsqueeze(0) if T == 1 else torch.stack(outs)
        return out, new_state

    def _fused(
        self, x: Tensor, state: State, flags: list[bool], keep: Tensor | None
    ) -> tuple[Tensor, State]:
        T = x.shape[0]
        params = (self.weight_ih, self.weight_hh, self.bias, self._zero_bias)
        train = torch.is_grad_enabled()
        # The fused kernel cannot reset mid-sequence: run it once per stretch between starts.
        bounds = [0, *(t for t in range(1, T) if flags[t]), T]
        outs = []
        for s, e in zip(bounds[:-1], bounds[1:], strict=False):
            if flags[s]:
                state = tuple(v * keep[s] for v in state)
            seg = x if e - s == T else x[s:e]
            if self.cell == "lstm":
                h, c = state
                out, hn, cn = torch.lstm(
                    seg, (h.unsqueeze(0), c.unsqueeze(0)), params, True, 1, 0.0, train, False, False
                )
                state = (hn[0], cn[0])
            else:
                out, hn = torch.gru(
                    seg, state[0].unsqueeze(0), params, True, 1, 0.0, train, False, False
                )
                state = (hn[0],)
            outs.append(out)
        return (outs[0] if len(outs) == 1 else torch.cat(outs)), state

    def extra_repr(self) -> str:
        return (
            f"{self.cell}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"single bias, impl={self.impl}"
        )
