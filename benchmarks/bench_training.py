"""Training throughput per model, against the machine's compute-bound limit.

    .venv/bin/python benchmarks/bench_training.py [--experiment warehouse|traffic|breakout_flicker]
        [--steps 8192] [--models FNN1 IAM] [--repeats 3] [--device cpu|cuda]

For each model of the experiment, one short PPO run on one torch thread through the same
`train()` the pipeline uses, reporting transitions/s. The compute-bound limit of the same model
is its matmul FLOPs per update (counted by torch's FlopCounterMode: 128 rollout forwards of the
8 workers, plus num_epoch x num_minibatches forward+backward passes) divided by this machine's
measured single-thread matmul rate. The ratio says how close the loop gets to pure arithmetic.
With ``--repeats N`` each model trains N times, each run against a rate measured just before it,
and the table gives the median ratio and its range (the median run's figures beside it).
With ``--device cuda`` the runs train on the GPU (the run config's `device`); the bound is a CPU
thread's, so only transitions/s and the rollout share are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from paper_runs import paper_runs, with_steps
from torch.utils.flop_counter import FlopCounterMode

from iam_repro.envs import ENVS
from iam_repro.models import RecurrentCore, build_policy
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.trainer import train

ENV_ACTIONS = {"warehouse": 4, "traffic": 2, "atari": 4}  # atari: Breakout's minimal action set


def matmul_rate(size: tuple[int, int, int] = (256, 640, 256), seconds: float = 1.0) -> float:
    """Measured single-thread float32 matmul rate in FLOP/s for an (m,k)@(k,n) product."""
    m, k, n = size
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(20):
        a @ b
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            a @ b
        reps += 50
    return 2 * m * k * n * reps / (time.perf_counter() - start)


def update_flops(
    model_spec: dict,
    ppo: PPOConfig,
    obs_dim: int,
    actions: int,
    frame_shape: tuple[int, int] | None = None,
) -> int:
    """Matmul (and convolution) FLOPs of one PPO iteration (rollout forwards + all minibatch
    passes)."""
    frames = int(model_spec.get("frames", 1))
    policy = build_policy(model_spec, obs_dim, actions, frame_shape=frame_shape, frames=frames)
    for module in policy.modules():  # FlopCounterMode does not see the fused LSTM kernels
        if isinstance(module, RecurrentCore):
            module.impl = "loop"
    workers = ppo.num_workers
    seq_len = ppo.seq_len if policy.is_recurrent else 1
    sequences = ppo.batch_size * workers // seq_len
    counter = FlopCounterMode(display=False)
    with counter:
        with torch.no_grad():
            state = policy.initial_state(workers)
            policy(
                torch.zeros(1, workers, obs_dim), state, torch.zeros(1, workers, dtype=torch.bool)
            )
        rollout_flops = counter.get_total_flops()
        state = policy.initial_state(sequences)
        logits, value, _ = policy(
            torch.randn(seq_len, sequences, obs_dim),
            state,
            torch.zeros(seq_len, sequences, dtype=torch.bool),
        )
        (logits.sum() + value.sum()).backward()
    minibatch_flops = counter.get_total_flops() - rollout_flops
    return ppo.memory_size * rollout_flops + ppo.num_epoch * ppo.num_minibatches * minibatch_flops


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="warehouse")
    parser.add_argument("--steps", type=int, default=8192, help="per-worker steps per model")
    parser.add_argument("--models", nargs="*", help="subset of model names")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="runs per model; the table gives the median and the range of the ratios",
    )
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")

    torch.set_num_threads(1)
    where = torch.cuda.get_device_name() if args.device == "cuda" else "1 thread"
    print(f"torch {torch.__version__}, {where}, {args.repeats} run(s) per model")
    print(
        f"{'model':<11} {'transitions/s':>14} {'GFLOP/s':>8} {'bound /s':>10} {'ratio':>6} "
        f"{'range':>11} {'rollout %':>9} {'GFLOP/update':>13}"
    )
    for run in paper_runs(args.experiment, args.models):
        resolved = with_steps(run, args.steps)
        resolved["device"] = args.device
        ppo = PPOConfig.from_dict(resolved["ppo"])
        env = ENVS[resolved["env"]["name"]]
        single = env.obs_dim or env.frame_shape[0] * env.frame_shape[1]
        obs_dim = single * int(resolved["model"].get("frames", 1))
        flops = update_flops(
            resolved["model"], ppo, obs_dim, ENV_ACTIONS[env.name], env.frame_shape
        )
        # The machine's speed drifts (a shared VM: +-10 % between minutes), so every run is
        # put against a matmul rate measured just before it.
        measured = []  # (transitions/s, matmul rate, rollout share)
        for _ in range(args.repeats):
            rate = matmul_rate(seconds=0.5)
            with tempfile.TemporaryDirectory() as tmp:
                metrics = train(
                    resolved,
                    Path(tmp) / "monitor.csv",
                    emit=lambda _l: None,
                    progress_interval_s=1e9,
                )
            busy = metrics["rollout_s"] + metrics["update_s"]
            measured.append((metrics["transitions_per_s"], rate, metrics["rollout_s"] / busy))
        ratios = sorted(sps * flops / (ppo.transitions_per_update * r) for sps, r, _ in measured)
        sps, rate, rollout_share = sorted(measured)[len(measured) // 2]
        if args.device != "cpu":  # a CPU thread's bound says nothing about a GPU run
            print(
                f"{run.model:<11} {sps:>14,.0f} {'—':>8} {'—':>10} {'—':>6} {'—':>11} "
                f"{100 * rollout_share:>8.0f}% {flops / 1e9:>13.2f}"
            )
            continue
        bound = ppo.transitions_per_update / (flops / rate)
        print(
            f"{run.model:<11} {sps:>14,.0f} {rate / 1e9:>8.1f} {bound:>10,.0f} "
            f"{statistics.median(ratios):>6.2f} {ratios[0]:>5.2f}-{ratios[-1]:<5.2f} "
            f"{100 * rollout_share:>8.0f}% {flops / 1e9:>13.2f}"
        )


if __name__ == "__main__":
    main()
