"""Several seeds of one model in one process: what batching their calls would buy on one thread.

    .venv/bin/python benchmarks/bench_batched_seeds.py [--seeds 1 2 4 8] [--seconds 1.0]

Not built (a run trains one seed in its own process); this measures whether it is worth
building. The S seeds of warehouse FNN1 (the paper preset's sizes) keep their S weight sets as
one batched tensor per layer, so that one call serves them all: the rollout call (S x 8 rows,
torch.bmm, no grad), the minibatch forward+backward (S x 256 rows, a stand-in loss) and the
env step (S x 8 warehouses in one WarehouseVecEnv). Per seed, a PPO iteration then costs
(memory_size x (rollout call + env step) + num_epoch x num_minibatches x minibatch) / S; the
table gives that, the transitions/s it allows on the thread, and the speed-up over S = 1.
Sampling, loss, Adam and bookkeeping are left out, as in bench_training.py's model-alone
column. bmm sums in another order than the pipeline's mm, so batched runs would not repeat
today's results bit for bit.
"""

from __future__ import annotations

import argparse

import torch
from bench_env import measure_env_throughput
from paper_runs import paper_runs, with_steps
from policy_timing import PerIteration, minibatch_shape, per_call

from iam_repro.envs.warehouse import OBS_DIM
from iam_repro.ppo.config import PPOConfig

ACTIONS = 4


class BatchedFNN:
    """S bias-free ReLU MLPs with their policy and value heads, one bmm per layer for all."""

    def __init__(self, seeds: int, obs_dim: int, hidden: list[int], actions: int) -> None:
        widths = [obs_dim, *hidden]
        self.layers = [
            (torch.randn(seeds, out, inp) / inp**0.5).requires_grad_()
            for inp, out in zip(widths[:-1], widths[1:], strict=True)
        ]
        self.policy = (torch.randn(seeds, actions, widths[-1]) * 0.01).requires_grad_()
        self.value = (torch.randn(seeds, 1, widths[-1]) / widths[-1] ** 0.5).requires_grad_()
        self.value_bias = torch.zeros(seeds, 1, 1, requires_grad=True)

    def __call__(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """obs (S, B, obs_dim) -> logits (S, B, A), values (S, B, 1)."""
        x = obs
        for weight in self.layers:
            x = torch.relu_(torch.bmm(x, weight.transpose(1, 2)))
        logits = torch.bmm(x, self.policy.transpose(1, 2))
        return logits, torch.baddbmm(self.value_bias, x, self.value.transpose(1, 2))


def seconds_per_iteration(seeds: int, hidden: list[int], ppo: PPOConfig, seconds: float) -> dict:
    """One PPO iteration's model calls and env steps for `seeds` batched seeds, in seconds."""
    model = BatchedFNN(seeds, OBS_DIM, hidden, ACTIONS)
    _, rows = minibatch_shape(ppo, recurrent=False)
    rollout_obs = torch.randn(seeds, ppo.num_workers, OBS_DIM)
    minibatch_obs = torch.randn(seeds, rows, OBS_DIM)

    def rollout() -> None:
        with torch.no_grad():
            model(rollout_obs)

    def minibatch() -> None:
        logits, values = model(minibatch_obs)
        (logits.logsumexp(-1).mean() + values.square().mean()).backward()

    envs = seeds * ppo.num_workers
    env_step = envs / measure_env_throughput(envs, steps=max(200, int(2000 * seconds)))
    rollout_call = per_call(rollout, seconds / 3, lambda: None)
    minibatch_call = per_call(minibatch, seconds, lambda: None)
    total = PerIteration.of_calls(ppo, rollout_call + env_step, minibatch_call).total
    return {"rollout": rollout_call, "minibatch": minibatch_call, "env": env_step, "total": total}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per call timed")
    args = parser.parse_args(argv)
    if min(args.seeds) < 1:
        parser.error("--seeds: every count must be at least 1")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    (run,) = paper_runs("warehouse", ["FNN1"])
    resolved = with_steps(run, 0)
    ppo, hidden = PPOConfig.from_dict(resolved["ppo"]), list(resolved["model"]["hidden"])

    print(f"warehouse FNN1 {hidden}, torch {torch.__version__}, 1 thread")
    print(
        f"{'seeds':>5} {'rollout call us':>15} {'env step us':>11} {'minibatch ms':>12} "
        f"{'ms/iteration/seed':>17} {'transitions/s':>13} {'speed-up':>8}"
    )
    first = None
    for seeds in args.seeds:
        t = seconds_per_iteration(seeds, hidden, ppo, args.seconds)
        per_seed = t["total"] / seeds
        first = per_seed if first is None else first
        print(
            f"{seeds:>5} {t['rollout'] * 1e6:>15.0f} {t['env'] * 1e6:>11.1f} "
            f"{t['minibatch'] * 1e3:>12.2f} {per_seed * 1e3:>17.1f} "
            f"{ppo.transitions_per_update / per_seed:>13,.0f} {first / per_seed:>7.2f}x"
        )


if __name__ == "__main__":
    main()
