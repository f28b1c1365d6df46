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
The next two columns split the ratio by phase: the rollout's and the update's own bound time
(their FLOPs at the same rate) over the time the run spent in them, so they say which phase
holds the gap. The last column is the most the model's own calls allow: its rollout call and
its minibatch forward+backward timed alone in a loop (benchmarks/policy_timing.py; env,
sampling, loss, Adam and bookkeeping left out), as a ratio to the same bound (the median of
``--repeats`` timings). No training loop around that model can beat it with the same torch
kernels.
With ``--device cuda`` the runs train on the GPU (the run config's `device`); the bound is a CPU
thread's, so only transitions/s and the rollout share are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from paper_runs import paper_runs, train_quietly, with_steps
from policy_timing import PerIteration, minibatch_shape, time_policy
from torch.utils.flop_counter import FlopCounterMode

from iam_repro.envs import ENVS
from iam_repro.models import RecurrentCore, build_policy
from iam_repro.models.base import Policy
from iam_repro.ppo.config import PPOConfig

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


def run_policy(
    model_spec: dict, obs_dim: int, actions: int, frame_shape: tuple[int, int] | None
) -> Policy:
    """The run's policy, built as the trainer builds it (frames from the spec)."""
    frames = int(model_spec.get("frames", 1))
    return build_policy(model_spec, obs_dim, actions, frame_shape=frame_shape, frames=frames)


def update_flops(
    model_spec: dict,
    ppo: PPOConfig,
    obs_dim: int,
    actions: int,
    frame_shape: tuple[int, int] | None = None,
) -> PerIteration:
    """Matmul (and convolution) FLOPs of one PPO iteration (rollout forwards + all minibatch
    passes)."""
    policy = run_policy(model_spec, obs_dim, actions, frame_shape)
    for module in policy.modules():  # FlopCounterMode does not see the fused LSTM kernels
        if isinstance(module, RecurrentCore):
            module.impl = "loop"
    workers = ppo.num_workers
    seq_len, sequences = minibatch_shape(ppo, policy.is_recurrent)
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
    return PerIteration.of_calls(ppo, rollout_flops, minibatch_flops)


def model_alone_seconds(
    model_spec: dict,
    ppo: PPOConfig,
    obs_dim: int,
    actions: int,
    frame_shape: tuple[int, int] | None = None,
    seconds: float = 1.0,
) -> float:
    """Seconds per PPO iteration that the model's own calls take, timed alone on this thread:
    memory_size rollout calls (num_workers rows, no grad) and num_epoch x num_minibatches
    minibatch forward+backward passes (a stand-in loss)."""
    policy = run_policy(model_spec, obs_dim, actions, frame_shape)
    seq_len, sequences = minibatch_shape(ppo, policy.is_recurrent)

    def inputs(t: int, b: int) -> torch.Tensor:
        if frame_shape is not None:  # pixels arrive as uint8
            return torch.randint(0, 256, (t, b, obs_dim), dtype=torch.uint8)
        return torch.randn(t, b, obs_dim)

    calls = time_policy(
        policy, inputs, workers=ppo.num_workers, t=seq_len, b=sequences, seconds=seconds
    )
    return PerIteration.of_calls(ppo, *calls).total


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
        f"{'range':>11} {'rollout %':>9} {'GFLOP/update':>13} {'rollout ratio':>13} "
        f"{'update ratio':>12} {'model alone':>11}"
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
        measured = []  # (transitions/s, matmul rate, rollout share, rollout s, update s)
        for _ in range(args.repeats):
            rate = matmul_rate(seconds=0.5)
            metrics = train_quietly(resolved)
            busy = metrics["rollout_s"] + metrics["update_s"]
            measured.append(
                (
                    metrics["transitions_per_s"],
                    rate,
                    metrics["rollout_s"] / busy,
                    metrics["rollout_s"] / metrics["updates"],
                    metrics["update_s"] / metrics["updates"],
                )
            )
        ratios = sorted(
            sps * flops.total / (ppo.transitions_per_update * r) for sps, r, *_ in measured
        )
        sps, rate, rollout_share, rollout_s, update_s = sorted(measured)[len(measured) // 2]
        if args.device != "cpu":  # a CPU thread's bound says nothing about a GPU run
            print(
                f"{run.model:<11} {sps:>14,.0f} {'—':>8} {'—':>10} {'—':>6} {'—':>11} "
                f"{100 * rollout_share:>8.0f}% {flops.total / 1e9:>13.2f}"
            )
            continue
        bound = ppo.transitions_per_update / (flops.total / rate)
        alone = []  # the model's calls alone, each against a rate measured just before them
        for _ in range(args.repeats):
            alone_rate = matmul_rate(seconds=0.5)
            alone_s = model_alone_seconds(
                resolved["model"], ppo, obs_dim, ENV_ACTIONS[env.name], env.frame_shape
            )
            alone.append(flops.total / alone_rate / alone_s)
        print(
            f"{run.model:<11} {sps:>14,.0f} {rate / 1e9:>8.1f} {bound:>10,.0f} "
            f"{statistics.median(ratios):>6.2f} {ratios[0]:>5.2f}-{ratios[-1]:<5.2f} "
            f"{100 * rollout_share:>8.0f}% {flops.total / 1e9:>13.2f} "
            f"{flops.rollout / rate / rollout_s:>13.2f} {flops.update / rate / update_s:>12.2f} "
            f"{statistics.median(alone):>11.2f}"
        )


if __name__ == "__main__":
    main()
