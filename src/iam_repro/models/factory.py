"""Build a policy from a config dict, and count parameters the way spec/models.md does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from iam_repro.models.base import Policy
from iam_repro.models.layers import CELLS, RecurrentCore
from iam_repro.models.policies import FNNPolicy, IAMPolicy, LSTMPolicy

# Per kind: (required keys, optional keys). Sizes are required so that a config that forgets one
# fails loudly instead of silently getting another environment's architecture.
MODEL_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fnn": (("hidden",), ()),
    "lstm": (("fc", "hidden"), ("cell",)),
    "iam": (("fnn", "memory", "dset"), ("cell",)),
}
TRAINER_KEYS: tuple[str, ...] = ("frames", "ppo")
"""Keys a model entry may carry that the trainer consumes (frame stacking, per-model PPO
overrides); `build_policy` accepts and ignores them."""


def _int_list(kind: str, key: str, value: Any) -> list[int]:
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise ValueError(f"model spec ({kind}): {key!r} must be a list of integers, got {value!r}")
    items = list(value)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(
                f"model spec ({kind}): {key!r} must list positive integers, got {value!r}"
            )
    return items


def _pos_int(kind: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"model spec ({kind}): {key!r} must be a positive integer, got {value!r}")
    return value


def _cell(kind: str, spec: Mapping[str, Any]) -> str:
    cell = spec.get("cell", "lstm")
    if cell not in CELLS:
        raise ValueError(
            f"model spec ({kind}): unknown cell {cell!r}; known cells: {', '.join(CELLS)}"
        )
    return cell


def build_policy(spec: Mapping[str, Any], obs_dim: int, num_actions: int) -> Policy:
    """Build a policy from a plain config dict (one entry of an experiment's ``models:``).

    Examples of ``spec``::

        {"kind": "fnn", "hidden": [640, 256]}
        {"kind": "lstm", "fc": [], "hidden": 256}     # obs -> LSTM; optional "cell": "gru"
        {"kind": "lstm", "fc": [640], "hidden": 256}  # FC 640 -> LSTM
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": [0, 49, ..., 72]}
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": "all"}    # IAM_static

    ``frames`` and ``ppo`` (see `TRAINER_KEYS`) are accepted and ignored: the trainer stacks
    frames, so ``obs_dim`` must already be the stacked width.

    Args:
        spec: The model's config mapping.
        obs_dim: Observation width the policy receives.
        num_actions: Number of discrete actions.

    Raises:
        ValueError: unknown kind, unknown or missing key, or a bad value; the message names it
            and lists what is known.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"model spec must be a mapping with a 'kind' key, got {spec!r}")
    kind = spec.get("kind")
    if kind not in MODEL_KEYS:
        raise ValueError(f"model spec: unknown kind {kind!r}; known kinds: {', '.join(MODEL_KEYS)}")
    required, optional = MODEL_KEYS[kind]
    allowed = ("kind", *required, *optional, *TRAINER_KEYS)
    unknown = [k for k in spec if k not in allowed]
    if unknown:
        raise ValueError(
            f"model spec ({kind}): unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known keys for kind {kind!r}: {', '.join(allowed)}"
        )
    missing = [k for k in required if k not in spec]
    if missing:
        raise ValueError(
            f"model spec ({kind}): missing key(s) {', '.join(map(repr, missing))}; "
            f"required: {', '.join(required)}"
            + (f"; optional: {', '.join(optional)}" if optional else "")
        )

    if kind == "fnn":
        return FNNPolicy(
            obs_dim, _int_list(kind, "hidden", spec["hidden"]), num_actions=num_actions
        )
    if kind == "lstm":
        return LSTMPolicy(
            obs_dim,
            _int_list(kind, "fc", spec["fc"]),
            _pos_int(kind, "hidden", spec["hidden"]),
            num_actions=num_actions,
            cell=_cell(kind, spec),
        )
    dset = spec["dset"]
    if isinstance(dset, str):
        if dset != "all":
            raise ValueError(
                f"model spec (iam): dset must be a list of observation indices or 'all', "
                f"got {dset!r}"
            )
        dset = None
    return IAMPolicy(
        obs_dim,
        _int_list(kind, "fnn", spec["fnn"]),
        _pos_int(kind, "memory", spec["memory"]),
        dset,
        num_actions=num_actions,
        cell=_cell(kind, spec),
    )


def count_parameters(model: nn.Module, tf_convention: bool = True) -> int:
    """Number of trainable parameters, as spec/models.md counts them.

    Our recurrent cores have TensorFlow's single bias, so the plain count *is* the TF convention
    (LSTM ``4 * (in + H + 1) * H``). With ``tf_convention=False`` the count is what the same
    architecture built from ``torch.nn.LSTM``/``GRU`` (two bias vectors) would have: each core
    adds another ``gates * H``.
    """
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if not tf_convention:
        n += sum(
            m.num_gates * m.hidden_size for m in model.modules() if isinstance(m, RecurrentCore)
        )
    return n
