"""Per-call cost of the Atari image policies (spec/models.md, atari rows) on one torch thread.

    .venv/bin/python benchmarks/bench_image_models.py [--seconds 3.0] [--device cpu|cuda]
        [--variants fp32 fp32-cl bf16]

Variants of the conv trunk, side by side: fp32 (the original's), fp32-cl (fp32 on channels-last
input; a benchmark option only) and bf16 (`precision: bf16`: bfloat16 autocast on
channels-last input). The last columns are each variant's time over fp32's.

Two calls, as in bench_models.py: the rollout call (`Policy.step`, B=8 workers, inference
mode) and the minibatch forward+backward over 256 transitions (FNN 1 x 256; recurrent models
seq_len x 256/seq_len with the spec's sequence lengths: LSTM 4, IAM 8, IAM_static 4).
Observations are uint8 pixels (Breakout, 4 actions, 84x84 frames). Times in milliseconds.
"""

from __future__ import annotations

import argparse

import torch
from policy_timing import time_policy

from iam_repro.models import build_policy, count_parameters
from iam_repro.ppo.device import native_bf16

NATURE = [[32, 8, 4], [64, 4, 2], [64, 3, 1]]
# name -> (spec, frames, seq_len)
MODELS = {
    "FNN": ({"kind": "fnn", "conv": NATURE, "hidden": [512], "frames": 4}, 4, 1),
    "LSTM": ({"kind": "lstm", "conv": NATURE, "fc": [], "hidden": 512}, 1, 4),
    "IAM": (
        {
            "kind": "iam",
            "conv": NATURE,
            "fnn": [256],
            "memory": 16,
            "dset": "attention",
            "attention": 32,
        },
        1,
        8,
    ),
    "IAM_static": (
        {"kind": "iam", "conv": NATURE, "fnn": [256], "memory": 256, "dset": "all"},
        1,
        4,
    ),
}
FRAME, ACTIONS, WORKERS, MINIBATCH = (84, 84), 4, 8, 256
VARIANTS = ("fp32", "fp32-cl", "bf16")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per measurement")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS, help="fp32 first"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    device = torch.device(args.device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    print(f"Atari models, torch {torch.__version__}, {device}, 1 thread; times in ms")
    print(f"native bf16 on this device: {native_bf16(device)}")
    print(
        f"{'model':<12}{'params':>11}{'T x B':>8}{'variant':>9}{'rollout':>10}{'train':>10}"
        f"{'rollout/fp32':>14}{'train/fp32':>12}"
    )
    for name in args.models:
        spec, frames, seq_len = MODELS[name]
        obs_dim = frames * FRAME[0] * FRAME[1]
        t, b = seq_len, MINIBATCH // seq_len

        def pixels(t: int, b: int, obs_dim: int = obs_dim) -> torch.Tensor:
            return torch.randint(0, 256, (t, b, obs_dim), dtype=torch.uint8, device=device)

        base = None
        for variant in args.variants:
            torch.manual_seed(0)
            precision = "bf16" if variant == "bf16" else "fp32"
            policy = build_policy(
                spec, obs_dim, ACTIONS, frame_shape=FRAME, frames=frames, precision=precision
            ).to(device)
            policy.conv.channels_last = variant != "fp32"
            r, tr = time_policy(
                policy, pixels, workers=WORKERS, t=t, b=b, seconds=args.seconds, sync=sync
            )
            base = base or (r, tr)
            print(
                f"{name:<12}{count_parameters(policy):>11,}{f'{t}x{b}':>8}{variant:>9}"
                f"{r * 1e3:>10.2f}{tr * 1e3:>10.1f}{r / base[0]:>14.2f}{tr / base[1]:>12.2f}"
            )


if __name__ == "__main__":
    main()
