"""Our PPO against Stable-Baselines3's PPO: warehouse FNN1, our protocol, one process.

    .venv/bin/python benchmarks/bench_peer_sb3.py [--steps 25600]

Trains the warehouse experiment's FNN1 run (seed 0, `paper` preset, cut to `--steps` steps per
worker; default 25,600 = 204,800 transitions) twice in this process, one torch thread each:
first with our trainer (`iam_repro.ppo.trainer.train`, exactly as the pipeline runs it, episode
log included), then with Stable-Baselines3's PPO on the same environment (our
`WarehouseVecEnv` through the `sb3_vec_env.SB3VecEnv` adapter, wrapped in SB3's `VecMonitor`
for the episode returns) and the same settings where SB3 has them: 8 environments, 128 steps
per rollout, minibatches of 256 transitions, 3 epochs, ReLU MLP of the run's hidden sizes,
learning rate and clip range decayed linearly over the paper's budget (read at update time, as
ours), value clipping with the same clip range, gamma, GAE lambda, entropy and value
coefficients, Adam epsilon, no gradient clipping, no advantage normalisation, CPU. Each side is
timed end to end, setup included (but not torch.optim's one-time import of torch._dynamo, paid
before the clocks start), by wall clock and by this process's CPU time (time.process_time), and
the table gives transitions/s, CPU-microseconds per transition, the rollout's share of the wall
time (SB3's includes its GAE) and the mean return of the last 100 episodes (a sanity check that
both learn, not a comparison). The team's target is ours / SB3 >= 3x in transitions/s.

What SB3 cannot match (so the two runs do not do the same work or learn the same way):

- Network: SB3 2.x's MlpPolicy builds separate policy and value MLPs (no shared trunk), so for
  the same hidden sizes it does about twice the network arithmetic per forward and backward
  pass, and its layers have biases (ours: one bias-free trunk shared by both heads).
- Time limit: SB3 bootstraps a truncated episode's return from the value of its terminal
  observation (one extra single-observation forward per finished episode); ours treats the
  warehouse's 100-step limit as a termination, as the original did.
- GAE over the whole 128-step rollout; ours in chunks of time_horizon = 8 steps, each
  bootstrapped from the next value (spec/ppo.md).
- Value clipping: SB3's loss is (R - v_clip)^2; ours max((R - v)^2, (R - v_clip)^2).
- Adam: torch.optim.Adam (epsilon added to the bias-corrected sqrt(v)); ours TensorFlow's
  update rule on one flat parameter buffer.
- "No gradient clipping" is max_grad_norm=inf: SB3 still computes the gradient norm each
  minibatch; it also computes clip fraction, approximate KL and loss values (.item()) for its
  logger every minibatch.
- Initialisation: SB3's orthogonal init; ours the original's (models/layers.py).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stable_baselines3
import torch
from paper_runs import paper_runs, with_steps
from sb3_vec_env import SB3VecEnv
from stable_baselines3 import PPO as SB3PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor
from torch import nn

from iam_repro.envs import make_vec_env
from iam_repro.io.monitor import read_monitor
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.schedule import linear_decay
from iam_repro.ppo.trainer import train

EXPERIMENT, MODEL = "warehouse", "FNN1"
DEFAULT_STEPS = 25_600  # per worker: 204,800 transitions
RETURN_WINDOW = 100  # episodes in the mean return (SB3's ep_info_buffer default)

DIFFERENCES = (
    "SB3 builds separate policy and value MLPs (no shared trunk): ~2x the network arithmetic; "
    "its layers have biases",
    "SB3 bootstraps truncated episodes (one extra value forward per finished episode); ours "
    "treats the 100-step limit as terminal (the original)",
    "SB3: GAE over the whole rollout; ours: 8-step chunks (time_horizon)",
    "SB3 value clipping: (R - v_clip)^2; ours: max((R - v)^2, (R - v_clip)^2)",
    "SB3: torch Adam, grad norm computed (max_grad_norm=inf), per-minibatch logging stats; "
    "ours: TF-style flat Adam, no norm",
)


@dataclass
class Result:
    """One framework's timed training run."""

    framework: str
    transitions: int
    wall_s: float
    cpu_s: float
    rollout_s: float
    parameters: int
    mean_return: float

    @property
    def transitions_per_s(self) -> float:
        return self.transitions / self.wall_s

    @property
    def cpu_us_per_transition(self) -> float:
        return 1e6 * self.cpu_s / self.transitions


@dataclass(frozen=True)
class PaperSchedule:
    """An SB3 schedule (a function of the remaining progress of `learn`) that decays linearly
    over the paper's budget like ours, though `learn` covers only `learn_transitions` of it."""

    initial: float
    final: float
    learn_transitions: int
    schedule_transitions: int

    def __call__(self, progress_remaining: float) -> float:
        done = (1.0 - progress_remaining) * self.learn_transitions
        return linear_decay(self.initial, self.final, done / self.schedule_transitions)


class _RolloutTimer(BaseCallback):
    """Adds up the wall time SB3 spends in collect_rollouts (GAE included)."""

    def __init__(self) -> None:
        super().__init__()
        self.rollout_s = 0.0
        self._tick = 0.0

    def _on_rollout_start(self) -> None:
        self._tick = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.rollout_s += time.perf_counter() - self._tick

    def _on_step(self) -> bool:
        return True


def fnn1_config(steps_per_worker: int) -> dict[str, Any]:
    """The warehouse FNN1 run's resolved config, cut to `steps_per_worker`."""
    (run,) = paper_runs(EXPERIMENT, [MODEL])
    return with_steps(run, steps_per_worker)


def build_sb3(resolved: dict[str, Any]) -> SB3PPO:
    """SB3's PPO on our environment with the run's settings (see the module docstring)."""
    cfg = PPOConfig.from_dict(resolved["ppo"])
    model = resolved["model"]
    if model["kind"] != "fnn" or int(model.get("frames", 1)) != 1:
        raise ValueError(f"the SB3 side supports single-frame FNN models only, got {model}")
    budget = resolved["budget"]
    learn = int(budget["steps_per_worker"]) * cfg.num_workers
    schedule = int(budget["schedule_steps_per_worker"]) * cfg.num_workers
    lr = PaperSchedule(cfg.learning_rate, cfg.learning_rate_final, learn, schedule)
    clip = PaperSchedule(cfg.epsilon, cfg.epsilon_final, learn, schedule)
    seed = int(resolved["seed"])
    env = make_vec_env(
        resolved["env"]["name"], cfg.num_workers, seed=seed, **resolved["env"].get("options", {})
    )
    return SB3PPO(
        "MlpPolicy",
        VecMonitor(SB3VecEnv(env)),
        learning_rate=lr,
        n_steps=cfg.memory_size,
        batch_size=cfg.batch_size * cfg.num_workers,  # ours counts steps per worker
        n_epochs=cfg.num_epoch,
        gamma=cfg.gamma,
        gae_lambda=cfg.lam,
        clip_range=clip,
        clip_range_vf=clip if cfg.value_clipping else None,
        normalize_advantage=cfg.normalize_advantages,
        ent_coef=cfg.beta,
        vf_coef=cfg.c1 * (0.5 if cfg.value_loss_half else 1.0),  # SB3's mse has no 0.5 either
        max_grad_norm=math.inf if cfg.max_grad_norm is None else cfg.max_grad_norm,
        policy_kwargs={
            "net_arch": [int(w) for w in model["hidden"]],  # SB3 2.x: one MLP each for pi, vf
            "activation_fn": nn.ReLU,
            "optimizer_kwargs": {"eps": cfg.adam_epsilon},
        },
        seed=seed,
        device="cpu",
        verbose=0,
    )


def run_ours(resolved: dict[str, Any]) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        monitor = Path(tmp) / "monitor.csv"
        wall, cpu = time.perf_counter(), time.process_time()
        metrics = train(resolved, monitor, emit=lambda _line: None, progress_interval_s=1e9)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        episodes = read_monitor(monitor, allow_empty=True)
    returns = episodes["r"].tail(RETURN_WINDOW)
    return Result(
        framework="ours",
        transitions=int(metrics["transitions"]),
        wall_s=wall,
        cpu_s=cpu,
        rollout_s=float(metrics["rollout_s"]),
        parameters=int(metrics["parameters"]),
        mean_return=float(returns.mean()) if len(returns) else math.nan,
    )


def run_sb3(resolved: dict[str, Any]) -> Result:
    cfg = PPOConfig.from_dict(resolved["ppo"])
    transitions = int(resolved["budget"]["steps_per_worker"]) * cfg.num_workers
    timer = _RolloutTimer()
    wall, cpu = time.perf_counter(), time.process_time()
    model = build_sb3(resolved)
    model.learn(total_timesteps=transitions, callback=timer)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    returns = [info["r"] for info in model.ep_info_buffer]
    model.get_env().close()
    return Result(
        framework="SB3",
        transitions=int(model.num_timesteps),
        wall_s=wall,
        cpu_s=cpu,
        rollout_s=timer.rollout_s,
        parameters=sum(p.numel() for p in model.policy.parameters()),
        mean_return=float(sum(returns) / len(returns)) if returns else math.nan,
    )


def main(argv: list[str] | None = None) -> dict[str, Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=DEFAULT_STEPS,
        help=f"per-worker steps per framework, a multiple of 128 (default {DEFAULT_STEPS:,})",
    )
    args = parser.parse_args(argv)
    resolved = fnn1_config(args.steps)
    memory_size = PPOConfig.from_dict(resolved["ppo"]).memory_size
    if args.steps <= 0 or args.steps % memory_size:
        # A partial last rollout: ours stops without an update, SB3 would collect a whole one.
        parser.error(f"--steps must be a positive multiple of the rollout length {memory_size}")

    torch.set_num_threads(1)
    # torch.optim's first optimizer imports torch._dynamo (1-3 s), a one-time cost of the
    # process, not of training: pay it before the clocks start (ours does not use torch.optim).
    torch.optim.Adam([nn.Parameter(torch.zeros(1))])
    print(
        f"{EXPERIMENT} {MODEL} ({resolved['run_id']}), {args.steps:,} steps per worker; "
        f"torch {torch.__version__}, stable-baselines3 {stable_baselines3.__version__}, "
        "1 torch thread"
    )
    results = {"ours": run_ours(resolved), "SB3": run_sb3(resolved)}
    print(
        f"{'framework':<9} {'transitions':>11} {'seconds':>8} {'transitions/s':>13} "
        f"{'CPU-us/trans':>12} {'rollout %':>9} {'parameters':>10} {'return':>7}"
    )
    for r in results.values():
        print(
            f"{r.framework:<9} {r.transitions:>11,} {r.wall_s:>8.1f} {r.transitions_per_s:>13,.0f} "
            f"{r.cpu_us_per_transition:>12.1f} {100 * r.rollout_s / r.wall_s:>8.0f}% "
            f"{r.parameters:>10,} {r.mean_return:>7.2f}"
        )
    ours, sb3 = results["ours"], results["SB3"]
    print(
        f"ours / SB3: {ours.transitions_per_s / sb3.transitions_per_s:.2f}x transitions/s "
        f"(wall), {sb3.cpu_us_per_transition / ours.cpu_us_per_transition:.2f}x by CPU time "
        "(target: >= 3x)"
    )
    print(f"return: mean of the last {RETURN_WINDOW} episodes (sanity check, not a comparison)")
    print("differences SB3 forces (see the module docstring):")
    for line in DIFFERENCES:
        print(f"  - {line}")
    return results


if __name__ == "__main__":
    main()
