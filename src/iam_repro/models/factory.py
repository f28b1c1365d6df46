"""Build a policy from a config dict, and count parameters the way spec/models.md does."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from torch import nn

from iam_repro.models.base import Policy
from iam_repro.models.conv import NATURE_CNN, ConvLayer, ConvTrunk
from iam_repro.models.image_policies import AttentionIAMPolicy, ConvPolicy
from iam_repro.models.layers import CELLS, RecurrentCore
from iam_repro.models.policies import FNNPolicy, IAMPolicy, LSTMPolicy

# Per kind: (required keys, optional keys). Sizes are required so that a config that forgets one
# fails loudly instead of silently getting another environment's architecture.
IMAGE_KEYS: tuple[str, ...] = ("conv", "scale_pixels")
"""Optional keys of every kind for image observations: ``conv`` (list of [channels, kernel,
stride]) puts a conv trunk before the model; ``scale_pixels: true`` divides pixels by 255."""
MODEL_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fnn": (("hidden",), IMAGE_KEYS),
    "lstm": (("fc", "hidden"), ("cell", *IMAGE_KEYS)),
    "iam": (("fnn", "memory", "dset"), ("cell", "attention", *IMAGE_KEYS)),
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


def _conv_layers(kind: str, value: Any) -> list[ConvLayer]:
    message = (
        f"model spec ({kind}): 'conv' must be a non-empty list of [channels, kernel, stride] "
        f"layers of positive integers, got {value!r}"
    )

    def is_list(v: Any) -> bool:
        return not isinstance(v, str | bytes | Mapping) and hasattr(v, "__iter__")

    if not is_list(value):
        raise ValueError(message)
    layers = []
    for layer in value:
        items = list(layer) if is_list(layer) else []
        if len(items) != 3 or any(
            isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in items
        ):
            raise ValueError(message)
        layers.append((items[0], items[1], items[2]))
    if not layers:
        raise ValueError(message)
    return layers


def _conv_trunk(
    kind: str,
    spec: Mapping[str, Any],
    obs_dim: int,
    frame_shape: tuple[int, int] | None,
    frames: int,
    precision: str,
) -> ConvTrunk | None:
    """The spec's conv trunk for (frames, *frame_shape) images, or None for a vector model."""
    if "conv" not in spec:
        if precision != "fp32":
            raise ValueError(
                f"model spec ({kind}): precision {precision!r} applies to conv trunks, and this "
                "vector model has none (use fp32)"
            )
        if frame_shape is not None:
            raise ValueError(
                f"model spec ({kind}): frame_shape={tuple(frame_shape)} says the observations "
                f"are images, but the spec has no 'conv' trunk (e.g. 'conv': "
                f"{[list(layer) for layer in NATURE_CNN]})"
            )
        if "scale_pixels" in spec:
            raise ValueError(f"model spec ({kind}): 'scale_pixels' needs a 'conv' trunk")
        return None
    if frame_shape is None:
        raise ValueError(
            f"model spec ({kind}): 'conv' needs image observations: pass "
            f"frame_shape=(height, width) (and frames) to build_policy"
        )
    try:  # numpy integers (an observation space's shape) are fine
        shape = tuple(operator.index(v) for v in frame_shape)
        frames = operator.index(frames)
    except TypeError:
        raise ValueError(
            f"frame_shape must be (height, width) and frames an integer, got "
            f"{frame_shape!r}, {frames!r}"
        ) from None
    if len(shape) != 2 or min(shape) <= 0 or frames <= 0:
        raise ValueError(
            f"frame_shape must be (height, width) and frames positive, got {shape!r}, {frames!r}"
        )
    if spec.get("frames", frames) != frames:
        raise ValueError(
            f"model spec ({kind}): 'frames' is {spec['frames']!r} but build_policy got "
            f"frames={frames}"
        )
    if obs_dim != frames * shape[0] * shape[1]:
        raise ValueError(
            f"obs_dim={obs_dim} is not frames x height x width = {frames} x {shape[0]} x "
            f"{shape[1]} = {frames * shape[0] * shape[1]}"
        )
    scale = spec.get("scale_pixels", False)
    if not isinstance(scale, bool):
        raise ValueError(
            f"model spec ({kind}): 'scale_pixels' must be true or false, got {scale!r}"
        )
    layers = _conv_layers(kind, spec["conv"])
    return ConvTrunk(frames, (shape[0], shape[1]), layers, scale, precision)


def build_policy(
    spec: Mapping[str, Any],
    obs_dim: int,
    num_actions: int,
    *,
    frame_shape: tuple[int, int] | None = None,
    frames: int = 1,
    precision: str = "fp32",
) -> Policy:
    """Build a policy from a plain config dict (one entry of an experiment's ``models:``).

    Examples of ``spec``::

        {"kind": "fnn", "hidden": [640, 256]}
        {"kind": "lstm", "fc": [], "hidden": 256}     # obs -> LSTM; optional "cell": "gru"
        {"kind": "lstm", "fc": [640], "hidden": 256}  # FC 640 -> LSTM
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": [0, 49, ..., 72]}
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": "all"}    # IAM_static

    Image models (``frame_shape`` given) put a conv trunk first (``conv``: [channels, kernel,
    stride] per layer; bias, valid padding, ReLU; optional ``scale_pixels: true`` divides the
    0-255 pixels by 255, a deviation from the original)::

        {"kind": "fnn", "conv": NATURE, "hidden": [512], "frames": 4}
        {"kind": "lstm", "conv": NATURE, "fc": [], "hidden": 512}
        {"kind": "iam", "conv": NATURE, "fnn": [256], "memory": 16, "dset": "attention",
         "attention": 32}                                                   # spatial attention
        {"kind": "iam", "conv": NATURE, "fnn": [256], "memory": 256, "dset": "all"}

    with ``NATURE = [[32, 8, 4], [64, 4, 2], [64, 3, 1]]``.

    ``frames`` and ``ppo`` (see `TRAINER_KEYS`) are accepted and ignored: the trainer stacks
    frames, so ``obs_dim`` must already be the stacked width (an image model checks that a
    spec's ``frames`` equals the ``frames`` argument).

    Args:
        spec: The model's config mapping.
        obs_dim: Observation width the policy receives (frames * H * W for images).
        num_actions: Number of discrete actions.
        frame_shape: (H, W) of one frame for image observations; None for vectors.
        frames: Stacked frames of an image observation (the conv's input channels); only used
            with ``frame_shape``.
        precision: The conv trunk's: "fp32" (the original) or "bf16" (see `ConvTrunk`); vector
            models take only fp32.

    Raises:
        ValueError: unknown kind, unknown or missing key, or a bad value; the message names it
            and lists what is known. Also ``conv`` without ``frame_shape`` and vice versa.
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
    attention = kind == "iam" and spec["dset"] == "attention"
    if attention and "attention" not in spec:
        raise ValueError("model spec (iam): dset 'attention' needs 'attention' (units), e.g. 32")
    if "attention" in spec and not attention:
        raise ValueError("model spec (iam): 'attention' (units) is only used with dset 'attention'")

    conv = _conv_trunk(kind, spec, obs_dim, frame_shape, frames, precision)
    if conv is None:
        if attention:
            raise ValueError(
                "model spec (iam): dset 'attention' attends over a conv feature map: it needs "
                "a 'conv' trunk and image observations"
            )
        return _vector_policy(kind, spec, obs_dim, num_actions)
    if attention:
        return AttentionIAMPolicy(
            conv,
            _int_list(kind, "fnn", spec["fnn"]),
            _pos_int(kind, "memory", spec["memory"]),
            _pos_int(kind, "attention", spec["attention"]),
            num_actions=_pos_int(kind, "num_actions", num_actions),
            cell=_cell(kind, spec),
        )
    if kind == "iam" and spec["dset"] != "all":
        raise ValueError(
            f"model spec (iam): with a 'conv' trunk, dset must be 'all' (IAM_static) or "
            f"'attention', got {spec['dset']!r}"
        )
    return ConvPolicy(conv, _vector_policy(kind, spec, conv.out_features, num_actions))


def _vector_policy(kind: str, spec: Mapping[str, Any], obs_dim: int, num_actions: int) -> Policy:
    """The FNN / LSTM / IAM policy of a validated spec on (…, obs_dim) vectors."""
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
