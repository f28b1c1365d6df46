"""Convolutional trunk for image observations (Flickering Atari): pixel handling + conv stack.

Observations arrive as flat vectors of ``frames * H * W`` pixel values (uint8 0-255, or float
holding them; newest frame first, as the FrameStack orders them). The trunk views them as
(N, frames, H, W), converts to the parameters' dtype on their device and, only with
``scale_pixels``, divides by 255 (the golden revision fed raw 0-255 values; scaling is a named
deviation).

With ``precision="bf16"`` the convolutions run under bfloat16 autocast on channels-last
input (oneDNN's and cuDNN's fast path): the weights stay fp32 and the map returns as fp32, so
everything after the trunk is unchanged. A deviation, listed in the report; about twice as fast
on CPUs with AVX512-BF16 (``benchmarks/bench_image_models.py``).

Initialisation follows ``tf.layers.conv2d``'s defaults, as the original ``Networks.cnn`` used
them: Glorot-uniform kernels (fan_in = k*k*in_channels, fan_out = k*k*out_channels), zero bias.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ConvLayer = tuple[int, int, int]
"""One conv layer: (out_channels, kernel, stride); square kernel, valid padding, ReLU."""

PRECISIONS: tuple[str, ...] = ("fp32", "bf16")
"""What a trunk may compute its convolutions in: fp32 (the original's) or bf16."""

NATURE_CNN: tuple[ConvLayer, ...] = ((32, 8, 4), (64, 4, 2), (64, 3, 1))
"""The Nature-DQN trunk of the paper's Atari models: on 84x84 frames its map is 64 x 7 x 7."""


def conv_output_shape(
    in_channels: int, frame_shape: tuple[int, int], layers: Sequence[ConvLayer]
) -> tuple[int, int, int]:
    """(C, H', W') of the map that ``layers`` (valid padding) make of (in_channels, H, W).

    Raises:
        ValueError: if a layer's kernel does not fit the map it gets.
    """
    c, (h, w) = in_channels, frame_shape
    for i, (channels, kernel, stride) in enumerate(layers):
        if kernel > h or kernel > w:
            raise ValueError(
                f"conv layer {i} (kernel {kernel}) does not fit its {h}x{w} input "
                f"(frame shape {tuple(frame_shape)}, valid padding)"
            )
        c, h, w = channels, (h - kernel) // stride + 1, (w - kernel) // stride + 1
    return c, h, w


class ConvTrunk(nn.Module):
    """Flat pixels -> conv feature map: (N, frames*H*W) -> (N, C, H', W') float.

    Conv2d layers with bias, valid padding, ReLU. Parameters: sum of
    ``out * (in * k * k + 1)`` over layers; e.g. Nature CNN on 4 frames 77,984, on 1 frame 71,840.

    Attributes:
        in_features: frames * H * W, the flat observation width.
        out_shape: (C, H', W') of the feature map; out_features = C * H' * W'.

    Args:
        frames: Stacked frames (input channels).
        frame_shape: (H, W) of one frame.
        layers: (out_channels, kernel, stride) per layer; must not be empty.
        scale_pixels: Divide pixel values by 255 (a deviation; the original fed 0-255).
        precision: "fp32" (the original) or "bf16" (convolutions in bfloat16, see module doc).
    """

    def __init__(
        self,
        frames: int,
        frame_shape: tuple[int, int],
        layers: Sequence[ConvLayer] = NATURE_CNN,
        scale_pixels: bool = False,
        precision: str = "fp32",
    ) -> None:
        super().__init__()
        if not layers:
            raise ValueError("conv must list at least one layer")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be fp32 or bf16, got {precision!r}")
        self.precision = precision
        #: Channels-last input (NHWC in memory): bf16's fast path. For fp32 a benchmark option
        #: only (benchmarks/bench_image_models.py): it changes float order for a small gain.
        self.channels_last = precision == "bf16"
        self.frames = frames
        self.frame_shape = (int(frame_shape[0]), int(frame_shape[1]))
        self.in_features = frames * self.frame_shape[0] * self.frame_shape[1]
        self.out_shape = conv_output_shape(frames, self.frame_shape, layers)
        self.out_features = math.prod(self.out_shape)
        self.scale_pixels = bool(scale_pixels)
        self.strides = tuple(s for _, _, s in layers)
        channels = [frames, *(c for c, _, _ in layers)]
        self.layers = nn.ModuleList(
            nn.Conv2d(i, o, k, s)
            for i, o, (_, k, s) in zip(channels[:-1], channels[1:], layers, strict=True)
        )
        for conv in self.layers:
            out_c, in_c, kh, kw = conv.weight.shape
            bound = math.sqrt(6.0 / ((in_c + out_c) * kh * kw))
            with torch.no_grad():
                conv.weight.uniform_(-bound, bound)
                conv.bias.zero_()

    def pixels(self, obs: Tensor) -> Tensor:
        """Flat observations (N, frames*H*W), any dtype -> images (N, frames, H, W) float,
        on the parameters' device, divided by 255 only with ``scale_pixels``."""
        ref = self.layers[0].weight
        x = obs.reshape(-1, self.frames, *self.frame_shape).to(device=ref.device, dtype=ref.dtype)
        return x * (1.0 / 255.0) if self.scale_pixels else x

    def forward(self, obs: Tensor) -> Tensor:
        """(N, frames*H*W) pixels -> (N, C, H', W') feature map (after the last ReLU)."""
        x = self.pixels(obs)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.precision == "bf16":
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                x = self._convolve(x)
            x = x.float()
        else:
            x = self._convolve(x)
        return x.contiguous()  # NCHW for the layers after the trunk (a no-op for fp32 NCHW)

    def _convolve(self, x: Tensor) -> Tensor:
        for conv, stride in zip(self.layers, self.strides, strict=True):
            # F.conv2d on the weights skips nn.Module.__call__ overhead.
            x = F.relu(F.conv2d(x, conv.weight, conv.bias, stride), inplace=True)
        return x

    def extra_repr(self) -> str:
        return (
            f"frames={self.frames}, frame_shape={self.frame_shape}, out_shape={self.out_shape}, "
            f"scale_pixels={self.scale_pixels}, precision={self.precision}"
        )
