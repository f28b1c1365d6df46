"""Per-call cost of each policy on one torch thread (the models alone, no env, no PPO).

    .venv/bin/python benchmarks/bench_models.py [--env warehouse|traffic] [--seconds 1.0]

Two calls matter for PPO (spec/ppo.md): the rollout call (`Policy.step`, B=8 workers,
inference mode), made ``memory_size`` = 128 times per iteration, and the minibatch
forward+backward (256 transitions: FNN 1 x 256, recurrent models seq_len x 256/seq_len), made
num_epoch x 4 = 12 times. The last column combines them into the transitions/s ceiling the
model alone allows (1024 transitions per iteration; env, buffer and Adam excluded). Recurrent
models are timed with each core implementation; ``auto`` is what the pipeline uses.
"""

from __future__ import annotations

import argparse

import torch
from policy_timing import time_policy

from iam_repro.models import build_policy, count_parameters

WAREHOUSE_DSET = [0, *range(49, 73)]
MODELS = {
    "warehouse": (
        73,
        4,
        8,
        {
            "FNN1": {"kind": "fnn", "hidden": [640, 256]},
            "FNN8": {"kind": "fnn", "hidden": [640, 256], "frames": 8},
            "LSTM": {"kind": "lstm", "fc": [], "hidden": 256},
            "LSTM_fc": {"kind": "lstm", "fc": [640], "hidden": 256},
            "IAM": {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": WAREHOUSE_DSET},
            "IAM_static": {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": "all"},
        },
    ),
    "traffic": (
        30,
        2,
        32,
        {
            "FNN1": {"kind": "fnn", "hidden": [256, 64]},
            "FNN32": {"kind": "fnn", "hidden": [256, 64], "frames": 32},
            "LSTM": {"kind": "lstm", "fc": [], "hidden": 128},
            "LSTM_fc": {"kind": "lstm", "fc": [256], "hidden": 128},
            "IAM": {"kind": "iam", "fnn": [248, 64], "memory": 8, "dset": [13, 14, 28, 29]},
            "IAM_static": {"kind": "iam", "fnn": [248, 64], "memory": 8, "dset": "all"},
        },
    ),
}
WORKERS, MINIBATCH, ROLLOUT_CALLS, MINIBATCHES = 8, 256, 128, 12


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=sorted(MODELS), default="warehouse")
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    frame_dim, actions, seq_len, specs = MODELS[args.env]

    print(f"{args.env}, torch {torch.__version__}, 1 thread; times in microseconds")
    print(f"{'model':<12}{'impl':<7}{'params':>9}{'rollout':>10}{'train':>10}{'trans/s':>10}")
    for name, spec in specs.items():
        obs_dim = frame_dim * spec.get("frames", 1)
        impls = ["auto", "loop", "fused"] if spec["kind"] != "fnn" else ["-"]
        for impl in impls:
            policy = build_policy(spec, obs_dim, actions)
            if impl != "-":
                (policy.core if spec["kind"] == "lstm" else policy.memory).impl = impl
            t, b = (seq_len, MINIBATCH // seq_len) if policy.is_recurrent else (1, MINIBATCH)

            def inputs(t: int, b: int, obs_dim: int = obs_dim) -> torch.Tensor:
                return torch.randn(t, b, obs_dim)

            r, tr = time_policy(policy, inputs, workers=WORKERS, t=t, b=b, seconds=args.seconds)
            rate = WORKERS * ROLLOUT_CALLS / (ROLLOUT_CALLS * r + MINIBATCHES * tr)
            print(
                f"{name:<12}{impl:<7}{count_parameters(policy):>9,}{r * 1e6:>10.0f}"
                f"{tr * 1e6:>10.0f}{rate:>10,.0f}"
            )


if __name__ == "__main__":
    main()
