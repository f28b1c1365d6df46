"""The PPO training loop (spec/ppo.md), model-agnostic, readable top to bottom.

One call of `train` = one run: collect `memory_size` rollout slots from `num_workers` envs
(recurrent models' episode padding takes slots, as the original), compute chunked GAE, run
`num_epoch` epochs of sequence minibatches, repeat until the per-worker step budget is spent;
the learning rate and clip range decay over the schedule's span, which may be longer than the
budget. Finished episodes go to the run's monitor.csv as they happen.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from iam_repro.config.digest import trajectory_digest
from iam_repro.envs import make_vec_env
from iam_repro.envs.frame_stack import FrameStack
from iam_repro.io.monitor import MonitorWriter, truncate_monitor
from iam_repro.models import build_policy
from iam_repro.ppo.batching import PAD, minibatches, sequence_index
from iam_repro.ppo.checkpoint import numpy_to_torch, save_checkpoint, torch_to_numpy
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.device import resolve_device, to_host
from iam_repro.ppo.gae import chunk_ends, chunked_gae
from iam_repro.ppo.loss import ppo_loss
from iam_repro.ppo.optim import FlatAdam
from iam_repro.ppo.rollout import Rollout, State
from iam_repro.ppo.schedule import linear_decay

CHECKPOINT_INTERVAL_S = 60.0
"""Default least seconds between two checkpoints (config.yaml's `training.checkpoint_interval_s`
repeats it; tests/unit/test_defaults.py keeps them equal). One costs 8-28 ms."""


@dataclass
class RunSpec:
    """What `train` needs from a resolved run config (see iam_repro.config)."""

    run_id: str
    env_name: str
    env_options: dict[str, Any]
    model: dict[str, Any]
    ppo: PPOConfig
    seed: int
    steps_per_worker: int
    schedule_steps_per_worker: int
    frames: int = 1

    @classmethod
    def from_resolved(cls, resolved: dict[str, Any]) -> RunSpec:
        model = dict(resolved["model"])
        return cls(
            run_id=resolved["run_id"],
            env_name=resolved["env"]["name"],
            env_options=dict(resolved["env"].get("options", {})),
            model=model,
            ppo=PPOConfig.from_dict(resolved["ppo"]),
            seed=int(resolved["seed"]),
            steps_per_worker=int(resolved["budget"]["steps_per_worker"]),
            # Its default (the paper's budget) is decided where configs are resolved.
            schedule_steps_per_worker=int(resolved["budget"]["schedule_steps_per_worker"]),
            frames=int(model.get("frames", 1)),
        )


@dataclass
class EpisodeTracker:
    """Per-worker running returns; emits finished episodes to the monitor."""

    workers: int
    returns: np.ndarray = field(init=False)
    lengths: np.ndarray = field(init=False)
    recent: deque = field(default_factory=lambda: deque(maxlen=100))
    episodes: int = 0

    def __post_init__(self) -> None:
        self.returns = np.zeros(self.workers, dtype=np.float64)
        self.lengths = np.zeros(self.workers, dtype=np.int64)

    def record(
        self,
        rewards: np.ndarray,
        dones: np.ndarray,
        step: int,
        elapsed: float,
        monitor: MonitorWriter,
    ) -> None:
        self.returns += rewards
        self.lengths += 1
        if not dones.any():
            return
        finished = np.flatnonzero(dones)
        returns = self.returns[finished]
        monitor.write(
            returns=returns,
            lengths=self.lengths[finished],
            times=np.full(len(finished), elapsed),
            workers=finished,
            steps=np.full(len(finished), step),
        )
        self.recent.extend(returns.tolist())
        self.episodes += len(finished)
        self.returns[finished] = 0.0
        self.lengths[finished] = 0


class ProgressLog:
    """Writes a progress line every `interval_s` seconds (steps, throughput, return, ETA)."""

    def __init__(
        self,
        emit: Callable[[str], None],
        run_id: str,
        total_steps: int,
        workers: int,
        interval_s: float,
        start_step: int = 0,
    ) -> None:
        self.emit, self.run_id, self.total, self.workers = emit, run_id, total_steps, workers
        self.interval, self.start_step = interval_s, start_step
        self.start = self.last = time.monotonic()

    def maybe(self, step: int, recent: deque, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = (step - self.start_step) * self.workers / elapsed  # this segment's rate
        eta = (self.total - step) * self.workers / rate if rate > 0 else math.inf
        recent_return = f"{np.mean(recent):.2f}" if recent else "n/a"
        self.emit(
            f"[{self.run_id}] step {step:,}/{self.total:,} ({100 * step / self.total:.1f}%)  "
            f"{rate:,.0f} transitions/s  return(last {len(recent)} ep) {recent_return}  "
            f"elapsed {_duration(elapsed)}  ETA {_duration(eta)}"
        )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def sample_actions(logits: torch.Tensor, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Categorical sample by inverse CDF, and its log-probability.

    Done in numpy on the (N, A) logits: for 8 workers this is several times cheaper than
    torch.multinomial, and the run's own generator keeps it deterministic.

    Args:
        logits: (N, A) action logits.
        rng: the run's action-sampling generator (N uniforms per call).

    Returns:
        actions (N,) int64 and their log-probabilities (N,) float32.
    """
    log_probs = to_host(torch.log_softmax(logits, dim=-1))
    cdf = np.cumsum(np.exp(log_probs), axis=-1)
    uniforms = rng.random(len(cdf)) * cdf[:, -1]  # scale by the sum: no rounding gap at 1
    actions = (uniforms[:, None] >= cdf).sum(axis=-1)
    return actions, log_probs[np.arange(len(actions)), actions]


class TrainingInterrupted(RuntimeError):
    """The run was asked to stop (SIGTERM/SIGINT); a checkpoint holds its progress."""


@dataclass
class LoopState:
    """What changes from one update to the next besides the model, optimiser and RNGs."""

    obs: torch.Tensor  # (N, stacked_dim) the observation the next step acts on
    episode_start: np.ndarray  # (N,) bool: obs is an episode's first observation
    recurrent: State  # recurrent state before obs (not yet reset for episode starts)
    step: int = 0  # per-worker steps done
    update: int = 0  # PPO updates done
    elapsed_s: float = 0.0  # training wall time of earlier segments (before a resume)
    rollout_s: float = 0.0
    update_s: float = 0.0
    resumed_at: list[int] = field(default_factory=list)  # steps where the run was resumed
    last_losses: dict[str, float] = field(default_factory=dict)


def train(
    resolved: dict[str, Any],
    monitor_path: Path,
    *,
    emit: Callable[[str], None] = print,
    progress_interval_s: float = 30.0,
    torch_threads: int = 1,
    checkpoint_path: Path | None = None,
    checkpoint_interval_s: float = CHECKPOINT_INTERVAL_S,
    resume: dict[str, Any] | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Train one run and write its episodes to `monitor_path`.

    Args:
        resolved: the run's resolved config (iam_repro.config).
        monitor_path: where the episode log is written (the caller moves it into place).
        emit: receives progress lines.
        progress_interval_s: seconds between progress lines.
        torch_threads: intra-op threads (1 is fastest for these batch sizes).
        checkpoint_path: where to save checkpoints (None: never).
        checkpoint_interval_s: least seconds between two checkpoints (0: after every update).
        resume: a checkpoint of this run (`load_checkpoint`), to continue from instead of
            starting; the episode log is cut back to the checkpoint's offset and appended to.
        stop_requested: polled after every update; when it returns True the run saves a
            checkpoint and raises `TrainingInterrupted`.

    Returns:
        metrics: wall time, transitions, throughput, time split, last losses, device, resumes.
    """
    spec = RunSpec.from_resolved(resolved)
    cfg = spec.ppo
    device = resolve_device(resolved.get("device", "cpu"), experiment=resolved["experiment"])
    torch.set_num_threads(torch_threads)
    torch.manual_seed(spec.seed)  # parameter init
    rng = np.random.default_rng(spec.seed)  # minibatch shuffling
    sampler = np.random.default_rng([spec.seed, 1])  # action sampling, own stream

    envs = make_vec_env(spec.env_name, cfg.num_workers, seed=spec.seed, **spec.env_options)
    # Worker subprocesses (traffic) must go on every exit path, exceptions and Ctrl-C included.
    try:
        env_obs_dim = int(np.prod(envs.single_observation_space.shape))
        stack = FrameStack(cfg.num_workers, env_obs_dim, spec.frames)
        policy = build_policy(
            spec.model, env_obs_dim * spec.frames, int(envs.single_action_space.n)
        )
        policy.to(device)
        optimizer = FlatAdam(policy.parameters(), lr=cfg.learning_rate, eps=cfg.adam_epsilon)
        seq_len = cfg.seq_len if policy.is_recurrent else 1
        # Padding (recurrent models) takes rollout slots only with the original's bookkeeping.
        pad_to = seq_len if cfg.padding_in_rollout else 1
        time_horizon = cfg.memory_size if cfg.gae_over_rollout else cfg.time_horizon
        budget = spec.steps_per_worker

        rollout = Rollout.allocate(
            cfg.memory_size,
            cfg.num_workers,
            stack.stacked_dim,
            policy.initial_state(cfg.num_workers),
            device=device,
        )
        tracker = EpisodeTracker(cfg.num_workers)
        random_states = {"shuffle": rng.bit_generator, "sampler": sampler.bit_generator}
        resumable = Resumable(policy, optimizer, envs, stack, tracker, random_states)

        if resume is None:
            obs, _ = envs.reset(seed=spec.seed)
            loop = LoopState(
                obs=torch.from_numpy(stack.reset(obs)).to(device),
                episode_start=np.ones(cfg.num_workers, dtype=bool),
                recurrent=policy.initial_state(cfg.num_workers),
            )
            monitor = MonitorWriter(monitor_path, env_id=spec.env_name)
        else:
            loop = resumable.restore(resume, device)
            truncate_monitor(monitor_path, resume["monitor_offset"])
            monitor = MonitorWriter(monitor_path, env_id=spec.env_name, append=True)
            loop.resumed_at.append(loop.step)
            emit(
                f"[{spec.run_id}] resumed from checkpoint at step {loop.step:,} "
                f"(update {loop.update})"
            )

        progress = ProgressLog(
            emit, spec.run_id, budget, cfg.num_workers, progress_interval_s, loop.step
        )
        segment_start = last_checkpoint = time.monotonic()

        def save() -> None:
            assert checkpoint_path is not None
            monitor.flush(fsync=True)  # the log on disk must hold what the checkpoint points at
            elapsed_s = loop.elapsed_s + time.monotonic() - segment_start
            payload = resumable.capture(loop, elapsed_s)
            save_checkpoint(
                checkpoint_path,
                {
                    # Budget aside: a finished run's last checkpoint can grow it further.
                    "config_digest": trajectory_digest(resolved),
                    "monitor_offset": monitor.tell(),
                    **payload,
                },
            )

        with monitor:
            while loop.step < budget:
                # ---- collect memory_size slots from every worker ------------------------------
                tick = time.monotonic()
                complete = _collect(
                    policy, envs, stack, rollout, loop, tracker, monitor, sampler, budget, pad_to
                )
                loop.rollout_s += time.monotonic() - tick
                if not complete:  # the budget ended mid-rollout: no update, as the original
                    break

                # ---- advantages, then num_epoch epochs of minibatches --------------------------
                tick = time.monotonic()
                # Read at update time from the step counter, as the original.
                progress_frac = loop.step / spec.schedule_steps_per_worker
                optimizer.lr = linear_decay(
                    cfg.learning_rate, cfg.learning_rate_final, progress_frac
                )
                epsilon = linear_decay(cfg.epsilon, cfg.epsilon_final, progress_frac)
                with torch.inference_mode():
                    bootstrap = _reset_where(loop.recurrent, loop.episode_start)
                    _, last_value, _ = policy(loop.obs[None], bootstrap, None)
                advantages, returns = chunked_gae(
                    rollout.rewards,
                    to_host(rollout.values),
                    rollout.dones,
                    to_host(last_value[0]),
                    gamma=cfg.gamma,
                    lam=cfg.lam,
                    chunk_end=chunk_ends(
                        rollout.episode_step,
                        rollout.valid,
                        time_horizon=time_horizon,
                        from_episode_start=cfg.gae_chunks_from_episode_start
                        and not cfg.gae_over_rollout,
                    ),
                    valid=rollout.valid,
                )
                loop.last_losses = _update(
                    policy,
                    optimizer,
                    rollout,
                    torch.from_numpy(advantages).to(device),
                    torch.from_numpy(returns).to(device),
                    cfg,
                    seq_len,
                    epsilon,
                    rng,
                )
                loop.update_s += time.monotonic() - tick
                loop.update += 1
                progress.maybe(loop.step, tracker.recent)

                stopping = stop_requested() and loop.step < budget
                due = time.monotonic() - last_checkpoint >= checkpoint_interval_s
                # From here the next rollout may reach the budget: keep this boundary, so that
                # the finished run can be extended from its last update (run.py).
                last_boundary = loop.step + cfg.memory_size >= budget
                if checkpoint_path is not None and (stopping or due or last_boundary):
                    save()
                    last_checkpoint = time.monotonic()
                if stopping:
                    where = "saved a checkpoint" if checkpoint_path is not None else "no checkpoint"
                    raise TrainingInterrupted(
                        f"[{spec.run_id}] stopped on request at step {loop.step:,} ({where})"
                    )
            progress.maybe(loop.step, tracker.recent, force=True)

        wall = loop.elapsed_s + time.monotonic() - segment_start
        transitions = loop.step * cfg.num_workers
        return {
            "wall_time_s": wall,
            "steps_per_worker": loop.step,
            "transitions": transitions,
            "transitions_per_s": transitions / wall if wall > 0 else float("nan"),
            "rollout_s": loop.rollout_s,
            "update_s": loop.update_s,
            "updates": loop.update,
            "episodes": tracker.episodes,
            "torch_threads": torch_threads,
            "parameters": sum(p.numel() for p in policy.parameters()),
            "device": str(device),
            "resumed_at_steps": loop.resumed_at,
            "last_losses": loop.last_losses,
        }
    finally:
        envs.close()


@dataclass
class Resumable:
    """The pieces of a run, besides the loop state, that a checkpoint saves and restores."""

    policy: torch.nn.Module
    optimizer: FlatAdam
    envs: Any
    stack: FrameStack
    tracker: EpisodeTracker
    random_states: dict[str, np.random.BitGenerator]

    def capture(self, loop: LoopState, elapsed_s: float) -> dict[str, Any]:
        """The checkpoint payload (tensors and plain values only) at an update boundary."""
        tracker = self.tracker
        return {
            "loop": {
                "obs": loop.obs.cpu(),
                "episode_start": torch.from_numpy(loop.episode_start.copy()),
                "recurrent": [s.cpu() for s in loop.recurrent],
                "step": loop.step,
                "update": loop.update,
                "elapsed_s": elapsed_s,
                "rollout_s": loop.rollout_s,
                "update_s": loop.update_s,
                "resumed_at": list(loop.resumed_at),
                "last_losses": dict(loop.last_losses),
            },
            "policy": {k: v.cpu() for k, v in self.policy.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "random": {
                "torch": torch.get_rng_state(),
                **{name: bits.state for name, bits in self.random_states.items()},
            },
            "env": numpy_to_torch(self.envs.get_state()),
            "frame_stack": torch.from_numpy(self.stack.get_state()),
            "episodes": {
                "returns": torch.from_numpy(tracker.returns.copy()),
                "lengths": torch.from_numpy(tracker.lengths.copy()),
                "recent": list(tracker.recent),
                "count": tracker.episodes,
            },
        }

    def restore(self, payload: dict[str, Any], device: torch.device) -> LoopState:
        """Put every piece of a checkpoint back; returns the loop state to continue from."""
        self.policy.load_state_dict(payload["policy"])  # copies into the optimiser's buffer
        self.optimizer.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["random"]["torch"])
        for name, bits in self.random_states.items():
            bits.state = payload["random"][name]
        self.envs.set_state(torch_to_numpy(payload["env"]))
        self.stack.set_state(to_host(payload["frame_stack"]))
        episodes, tracker = payload["episodes"], self.tracker
        tracker.returns[:] = to_host(episodes["returns"])
        tracker.lengths[:] = to_host(episodes["lengths"])
        tracker.recent.extend(episodes["recent"])
        tracker.episodes = int(episodes["count"])
        saved = payload["loop"]
        return LoopState(
            obs=saved["obs"].to(device),
            episode_start=to_host(saved["episode_start"]),
            recurrent=tuple(s.to(device) for s in saved["recurrent"]),
            step=int(saved["step"]),
            update=int(saved["update"]),
            elapsed_s=float(saved["elapsed_s"]),
            rollout_s=float(saved["rollout_s"]),
            update_s=float(saved["update_s"]),
            resumed_at=[int(s) for s in saved["resumed_at"]],
            last_losses=dict(saved["last_losses"]),
        )


def _reset_where(state: State, episode_start: np.ndarray) -> State:
    """Zero the recurrent state of workers whose episode starts now (`episode_start`: (N,))."""
    if not state or not episode_start.any():
        return state
    keep = torch.from_numpy(~episode_start).to(state[0].device, state[0].dtype).unsqueeze(-1)
    return tuple(s * keep for s in state)


def _collect(
    policy: torch.nn.Module,
    envs: Any,
    stack: FrameStack,
    rollout: Rollout,
    loop: LoopState,
    tracker: EpisodeTracker,
    monitor: MonitorWriter,
    sampler: np.random.Generator,
    budget: int,
    pad_to: int,
) -> bool:
    """Fill `rollout` with the next memory_size slots of experience, advancing `loop`.

    After a step that ends any worker's episode, every worker's rollout is zero-padded up to
    the next multiple of `pad_to` slots (the original; pad_to = seq_len for recurrent models
    with `padding_in_rollout`, else 1 = no padding), so each episode starts a fresh sequence.

    Returns:
        True when all slots are filled; False when the budget (per-worker steps) ran out first.
    """
    device = loop.obs.device
    obs_t, episode_start, state = loop.obs, loop.episode_start, loop.recurrent
    slot = 0
    with torch.inference_mode():
        while slot < rollout.slots and loop.step < budget:
            state = _reset_where(state, episode_start)
            rollout.obs[slot] = obs_t
            rollout.episode_start[slot] = episode_start
            rollout.episode_step[slot] = tracker.lengths
            rollout.valid[slot] = True
            for stored, s in zip(rollout.states, state, strict=True):
                stored[slot] = s
            # State was reset just above, so the model need not check episode starts.
            logits, value, state = policy(obs_t[None], state, None)
            actions, log_probs = sample_actions(logits[0], sampler)
            obs, rewards, terminated, truncated, _ = envs.step(actions)
            dones = np.logical_or(terminated, truncated)
            loop.step += 1
            tracker.record(rewards, dones, loop.step, time.time() - monitor.t_start, monitor)
            rollout.actions[slot] = torch.from_numpy(actions)
            rollout.log_probs[slot] = torch.from_numpy(log_probs)
            rollout.values[slot] = value[0]
            rollout.rewards[slot] = rewards
            rollout.dones[slot] = dones
            episode_start = dones
            obs_t = torch.from_numpy(stack.step(obs, dones)).to(device)
            slot += 1
            if dones.any():
                padded = min(-(-slot // pad_to) * pad_to, rollout.slots)
                rollout.pad(slot, padded)
                slot = padded
    loop.obs, loop.episode_start, loop.recurrent = obs_t, episode_start, state
    return slot == rollout.slots


def _update(
    policy: torch.nn.Module,
    optimizer: FlatAdam,
    rollout: Rollout,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    cfg: PPOConfig,
    seq_len: int,
    epsilon: float,
    rng: np.random.Generator,
) -> dict[str, float]:
    """num_epoch epochs of sequence minibatches over one rollout; returns the last losses."""
    steps, workers = rollout.actions.shape
    sequences = sequence_index(rollout.episode_start, seq_len)
    valid = torch.from_numpy(rollout.valid.reshape(-1)).to(advantages.device)
    flat = {
        "obs": rollout.obs.reshape(steps * workers, -1),
        "actions": rollout.actions.reshape(-1),
        "log_probs": rollout.log_probs.reshape(-1),
        "values": rollout.values.reshape(-1),
        "advantages": advantages.reshape(-1),
        "returns": returns.reshape(-1),
    }
    flat_states = tuple(s.reshape(steps * workers, -1) for s in rollout.states)
    terms = None
    for _epoch in range(cfg.num_epoch):
        for batch in minibatches(sequences, cfg.num_minibatches, rng, workers):
            # Time-major (seq_len, S) index; padding points at transition 0 and is masked out.
            index = torch.from_numpy(batch.T.copy()).to(advantages.device)
            # Padding slots, of the sequence cutting or the rollout, are masked out.
            index, is_pad = index.clamp_min(0), index == PAD
            mask = (~is_pad & valid[index]).float()
            mb = {key: value[index] for key, value in flat.items()}
            initial = tuple(s[index[0]] for s in flat_states)
            if cfg.normalize_advantages:
                adv = mb["advantages"]
                count = mask.sum()
                mean = (adv * mask).sum() / count
                std = (((adv - mean) * mask).square().sum() / count).sqrt()
                mb["advantages"] = (adv - mean) / (std + 1e-8)
            # No sequence holds an episode start after its first step (batching pads episodes
            # apart), and the stored initial states are already reset: no resets needed.
            logits, values, _ = policy(mb["obs"], initial, None)
            terms = ppo_loss(
                logits,
                values,
                mb["actions"],
                mb["log_probs"],
                mb["values"],
                mb["advantages"],
                mb["returns"],
                mask,
                epsilon=epsilon,
                c1=cfg.c1,
                beta=cfg.beta,
                value_clipping=cfg.value_clipping,
                value_loss_half=cfg.value_loss_half,
            )
            optimizer.zero_grad()
            terms.total.backward()
            if cfg.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            optimizer.step()
    assert terms is not None
    return {
        "policy": terms.policy,
        "value": terms.value,
        "entropy": terms.entropy,
        "clip_fraction": terms.clip_fraction,
        "approx_kl": terms.approx_kl,
    }
