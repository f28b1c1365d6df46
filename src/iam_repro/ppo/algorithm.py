"""PPO as the original trains it (spec/ppo.md), in one class: collect a rollout, then update.

An iteration is `collect()` then `update()`. `collect()` fills `memory_size` rollout slots from
each of the `num_workers` envs; for recurrent models the zero padding after an episode ends takes
slots, as in the original. `update()` computes chunked GAE and runs `num_epoch` epochs of
sequence minibatches, with the learning rate and clip range decayed over the schedule's span
(which may be longer than the budget). `state()` / `load_state()` hold everything a resume needs
to continue byte for byte. When to checkpoint, what to log and when to stop is the run loop's
business (`iam_repro.ppo.trainer`), not this class's.

Shapes: T = memory_size slots, N = num_workers, D = one (frame-stacked) observation's length,
A = actions, H = a recurrent state's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium.vector import VectorEnv
from torch import Tensor

from iam_repro.envs.frame_stack import FrameStack
from iam_repro.models import build_policy
from iam_repro.models.base import Policy
from iam_repro.ppo.batching import PAD, minibatches, sequence_index
from iam_repro.ppo.checkpoint import numpy_to_torch, torch_to_numpy
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.device import to_host
from iam_repro.ppo.episodes import Episodes, EpisodeTracker
from iam_repro.ppo.gae import chunk_ends, chunked_gae
from iam_repro.ppo.loss import ppo_loss
from iam_repro.ppo.optim import FlatAdam
from iam_repro.ppo.rollout import Rollout, State
from iam_repro.ppo.run_spec import RunSpec
from iam_repro.ppo.sampling import sample_actions
from iam_repro.ppo.schedule import linear_decay


@dataclass(frozen=True)
class Collected:
    """What one `collect()` did."""

    steps: int  # per-worker env steps taken (padding slots are no steps)
    episodes: Episodes  # the episodes that ended meanwhile, in order (for the monitor)
    complete: bool  # all T slots filled; False: the budget ran out first, no update follows


class PPO:
    """One run's PPO: policy, optimiser, rollout buffer, and where collecting continues.

    Start it with `start()` (fresh envs) or `load_state()` (a checkpoint), then alternate
    `collect()` and `update()` while `step < steps_per_worker`.

    Args:
        cfg: PPO settings.
        policy: the actor-critic (`iam_repro.models.base.Policy`); moved to `device`.
        envs: N envs stepped in lockstep, with same-step autoreset and get_state/set_state.
        seed: seeds the env reset, minibatch shuffling and action sampling.
        steps_per_worker: the budget; collecting stops there, even mid-rollout.
        schedule_steps_per_worker: the span of the learning-rate and clip-range decay.
        frames: observations stacked per model input (1: none).
        device: where the model and its tensors live.
    """

    def __init__(
        self,
        cfg: PPOConfig,
        policy: Policy,
        envs: VectorEnv,
        *,
        seed: int,
        steps_per_worker: int,
        schedule_steps_per_worker: int,
        frames: int = 1,
        device: torch.device | str = "cpu",
    ) -> None:
        self.cfg = cfg
        self.steps_per_worker = steps_per_worker
        self.schedule_steps_per_worker = schedule_steps_per_worker
        self.device = torch.device(device)
        self._seed = seed
        self._envs = envs
        self._envs_step = EnvStep(envs)
        self._policy = policy.to(self.device)
        self._optimizer = FlatAdam(
            self._policy.parameters(), lr=cfg.learning_rate, eps=cfg.adam_epsilon
        )
        self._shuffle = np.random.default_rng(seed)  # minibatch shuffling
        self._sampler = np.random.default_rng([seed, 1])  # action sampling, its own stream
        workers = cfg.num_workers
        space = envs.single_observation_space
        # Pixels stay uint8 from the env to the model (on the device); vectors are float32.
        images = space.dtype == np.uint8
        self._stack = FrameStack(
            workers,
            int(np.prod(space.shape)),
            frames,
            dtype=np.uint8 if images else np.float32,
            # Atari (the original): a new episode's stack still holds the last one's frames.
            clear_at_episode_start=getattr(envs, "clear_frame_stack", True),
        )
        self._rollout = Rollout.allocate(
            cfg.memory_size,
            workers,
            self._stack.stacked_dim,
            self._policy.initial_state(workers),
            device=self.device,
            obs_dtype=torch.uint8 if images else torch.float32,
        )
        self._episodes = EpisodeTracker(workers)
        # Where collecting continues; set by start() or load_state().
        self._obs: Tensor | None = None  # (N, D) the observation the next step acts on
        self._obs_host = np.zeros(0)  # the same on the host (what the rollout stores)
        self._episode_start = np.ones(workers, dtype=bool)  # (N,) _obs begins an episode
        # (N,) _obs's step index in its training episode (Atari: a life, while the monitor's
        # episode is the whole game), for GAE chunks counted from episode starts.
        self._episode_step = np.zeros(workers, dtype=np.int64)
        self._recurrent: State = ()  # each (N, H): state before _obs, not reset for starts yet
        self._step = 0  # per-worker env steps done
        self._updates = 0
        self._slots_filled = 0  # of the rollout, since the last update

    @classmethod
    def for_run(
        cls, spec: RunSpec, envs: VectorEnv, device: torch.device, precision: str = "fp32"
    ) -> PPO:
        """The run's PPO with a freshly initialised policy (torch seeded with the run's seed),
        its convolutions in `precision` (the one the trainer resolved for this device)."""
        torch.manual_seed(spec.seed)  # parameter init
        obs_dim = int(np.prod(envs.single_observation_space.shape)) * spec.frames
        policy = build_policy(
            spec.model,
            obs_dim,
            int(envs.single_action_space.n),
            frame_shape=getattr(envs, "frame_shape", None),  # (H, W) when obs are images
            frames=spec.frames,
            precision=precision,
        )
        return cls(
            spec.ppo,
            policy,
            envs,
            seed=spec.seed,
            steps_per_worker=spec.steps_per_worker,
            schedule_steps_per_worker=spec.schedule_steps_per_worker,
            frames=spec.frames,
            device=device,
        )

    # ---- read-only views ----------------------------------------------------------------------

    @property
    def step(self) -> int:
        """Per-worker env steps done."""
        return self._step

    @property
    def updates(self) -> int:
        """PPO updates done."""
        return self._updates

    @property
    def episodes(self) -> int:
        """Episodes finished."""
        return self._episodes.episodes

    @property
    def recent_returns(self) -> Sequence[float]:
        """Returns of the last (up to 100) finished episodes."""
        return self._episodes.recent

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def rollout(self) -> Rollout:
        """The buffer as the last `collect()` left it."""
        return self._rollout

    @property
    def seq_len(self) -> int:
        """Steps per minibatch sequence: cfg.seq_len for recurrent models, else 1."""
        return self.cfg.seq_len if self._policy.is_recurrent else 1

    @property
    def pad_to(self) -> int:
        """After an episode ends, the rollout is padded to a multiple of this many slots."""
        # Padding (recurrent models) takes rollout slots only with the original's bookkeeping.
        return self.seq_len if self.cfg.padding_in_rollout else 1

    @property
    def time_horizon(self) -> int:
        """GAE chunk length (the whole rollout with the `gae_over_rollout` deviation)."""
        return self.cfg.memory_size if self.cfg.gae_over_rollout else self.cfg.time_horizon

    # ---- the algorithm ------------------------------------------------------------------------

    def start(self) -> None:
        """Begin at step 0: seeded env reset, empty frame stacks, zero recurrent state."""
        obs, _ = self._envs.reset(seed=self._seed)
        self._begin_episodes(obs)

    def _begin_episodes(self, obs: np.ndarray) -> None:
        """Every worker starts an episode at `obs` (N, D): fresh frame stacks and state."""
        self._set_obs(self._stack.reset(obs))
        self._episode_start = np.ones(self.cfg.num_workers, dtype=bool)
        self._episode_step[:] = 0
        self._recurrent = self._policy.initial_state(self.cfg.num_workers)

    def _set_obs(self, stacked: np.ndarray) -> None:
        """The (N, D) observation the next step acts on, on the host and on the device."""
        self._obs_host = stacked
        self._obs = torch.from_numpy(stacked).to(self.device)

    def collect(self) -> Collected:
        """Fill the rollout with the next T slots of every worker, or until the budget is spent.

        After a step that ends any worker's episode, every worker's rollout is zero-padded up to
        the next multiple of `pad_to` slots (the original; 1 = no padding), so each episode
        starts a fresh sequence.
        """
        assert self._obs is not None, "call start() or load_state() first"
        rollout, first_step = self._rollout, self._step
        ended: list[Episodes] = []
        slot = 0
        with torch.inference_mode():
            while slot < rollout.slots and self._step < self.steps_per_worker:
                state = _reset_where(self._recurrent, self._episode_start)
                # State was reset just above, so the model need not check episode starts.
                logits, value, self._recurrent = self._policy.step(self._obs, state)
                actions, log_probs = sample_actions(logits, self._sampler)
                self._envs_step.start(actions)
                # The slot's inputs and outputs are stored while worker processes step.
                rollout.obs_host[slot] = self._obs_host
                rollout.episode_start[slot] = self._episode_start
                rollout.episode_step[slot] = self._episode_step
                rollout.valid[slot] = True
                for stored, s in zip(rollout.states, state, strict=True):
                    stored[slot] = s
                rollout.actions_host[slot] = actions
                rollout.log_probs_host[slot] = log_probs
                rollout.values[slot] = value
                obs, rewards, terminated, truncated, info = self._envs_step.finish()
                dones = np.logical_or(terminated, truncated)
                self._step += 1
                # The monitor logs what the env says an episode is (Atari: the whole game and
                # its unclipped score), which may differ from what PPO trains on (a life,
                # clipped rewards).
                finished = self._episodes.record(
                    info.get("log_reward", rewards), info.get("log_done", dones), self._step
                )
                if finished is not None:
                    ended.append(finished)
                rollout.rewards[slot] = rewards
                rollout.dones[slot] = dones
                self._episode_start = dones
                self._episode_step += 1
                self._episode_step[dones] = 0
                self._set_obs(self._stack.step(obs, dones))
                slot += 1
                if dones.any():
                    padded = min(-(-slot // self.pad_to) * self.pad_to, rollout.slots)
                    rollout.pad(slot, padded)
                    slot = padded
        rollout.upload()
        self._slots_filled = slot
        complete = slot == rollout.slots
        return Collected(self._step - first_step, Episodes.concat(ended), complete)

    def update(self) -> dict[str, float]:
        """Advantages of the full rollout, then num_epoch epochs of sequence minibatches.

        The learning rate and clip range are read from the step counter now, at update time
        (the original), not when the rollout began.

        Returns:
            the last minibatch's policy, value, entropy, clip_fraction and approx_kl.
        """
        if self._slots_filled != self._rollout.slots:
            raise RuntimeError("update() needs a full rollout: collect() did not complete one")
        cfg = self.cfg
        progress = self._step / self.schedule_steps_per_worker
        self._optimizer.lr = linear_decay(cfg.learning_rate, cfg.learning_rate_final, progress)
        epsilon = linear_decay(cfg.epsilon, cfg.epsilon_final, progress)
        advantages, returns = self._advantages()
        losses = self._minibatch_epochs(advantages, returns, epsilon)
        self._updates += 1
        self._slots_filled = 0
        return losses

    def _advantages(self) -> tuple[Tensor, Tensor]:
        """Chunked GAE (`iam_repro.ppo.gae`): advantages and returns, each (T, N) on the device."""
        cfg, rollout = self.cfg, self._rollout
        with torch.inference_mode():
            bootstrap = _reset_where(self._recurrent, self._episode_start)
            _, last_value, _ = self._policy.step(self._obs, bootstrap)
        advantages, returns = chunked_gae(
            rollout.rewards,
            to_host(rollout.values),
            rollout.dones,
            to_host(last_value),
            gamma=cfg.gamma,
            lam=cfg.lam,
            chunk_end=chunk_ends(
                rollout.episode_step,
                rollout.valid,
                time_horizon=self.time_horizon,
                from_episode_start=cfg.gae_chunks_from_episode_start and not cfg.gae_over_rollout,
            ),
            valid=rollout.valid,
        )
        return (
            torch.from_numpy(advantages).to(self.device),
            torch.from_numpy(returns).to(self.device),
        )

    def _minibatch_epochs(
        self, advantages: Tensor, returns: Tensor, epsilon: float
    ) -> dict[str, float]:
        """num_epoch epochs of sequence minibatches over the rollout; returns the last losses.

        Args:
            advantages, returns: (T, N) from `_advantages`.
            epsilon: this update's clip range.
        """
        cfg, rollout, policy, optimizer = self.cfg, self._rollout, self._policy, self._optimizer
        steps, workers = rollout.actions.shape
        sequences = sequence_index(rollout.episode_start, self.seq_len)  # (S, seq_len)
        valid = torch.from_numpy(rollout.valid.reshape(-1)).to(self.device)  # (T*N,)
        flat = {  # each (T*N, ...), indexed by t * N + worker
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
            for batch in minibatches(sequences, cfg.num_minibatches, self._shuffle, workers):
                # Time-major (seq_len, S) index; padding points at transition 0 and is masked out.
                index = torch.from_numpy(batch.T.copy()).to(self.device)
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
                # No sequence holds an episode start after its first step (batching pads
                # episodes apart), and the stored initial states are already reset: no resets.
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
                    optimizer.clip_grad_norm_(cfg.max_grad_norm)
                optimizer.step()
        assert terms is not None
        return terms.summary()

    # ---- checkpoints --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything needed to continue byte for byte, at an update boundary.

        Tensors and plain values only (checkpoints load with weights_only). The keys are those
        of checkpoint format 1; the env-side position is under "loop", to which the run loop
        adds its own bookkeeping.
        """
        if self._slots_filled:
            raise RuntimeError("state() between collect() and update() would lose the rollout")
        return {
            "loop": {
                "obs": self._obs.cpu(),
                "episode_start": torch.from_numpy(self._episode_start.copy()),
                "episode_step": torch.from_numpy(self._episode_step.copy()),
                "recurrent": [s.cpu() for s in self._recurrent],
                "step": self._step,
                "update": self._updates,
            },
            "policy": {k: v.cpu() for k, v in self._policy.state_dict().items()},
            "optimizer": self._optimizer.state_dict(),
            "random": {
                "torch": torch.get_rng_state(),
                "shuffle": self._shuffle.bit_generator.state,
                "sampler": self._sampler.bit_generator.state,
            },
            "env": numpy_to_torch(self._envs.get_state()),
            "frame_stack": torch.from_numpy(self._stack.get_state()),
            "episodes": self._episodes.state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a `state()`; keys it does not own (the run loop's) are ignored."""
        self._policy.load_state_dict(state["policy"])  # copies into the optimiser's flat buffer
        self._optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["random"]["torch"])
        self._shuffle.bit_generator.state = state["random"]["shuffle"]
        self._sampler.bit_generator.state = state["random"]["sampler"]
        self._envs.set_state(torch_to_numpy(state["env"]))
        self._stack.set_state(to_host(state["frame_stack"]))
        self._episodes.load_state(state["episodes"])
        position = state["loop"]
        self._set_obs(to_host(position["obs"]).copy())
        self._episode_start = to_host(position["episode_start"])
        self._recurrent = tuple(s.to(self.device) for s in position["recurrent"])
        # Checkpoints from before episode_step was kept: the tracker's lengths were it then.
        self._episode_step = (
            to_host(position["episode_step"]).copy()
            if "episode_step" in position
            else self._episodes.lengths.copy()
        )
        self._step = int(position["step"])
        self._updates = int(position["update"])
        self._slots_filled = 0
        fresh = getattr(self._envs, "resume_obs", None)
        if fresh is not None:
            # An env that cannot restore its games (Atari's C++ backend) started new ones:
            # every worker begins an episode there, and the games in progress are lost.
            self._begin_episodes(fresh)
            self._episodes.returns[:] = 0.0
            self._episodes.lengths[:] = 0


class EnvStep:
    """One env step in two halves, so that the rollout's bookkeeping runs while the envs step.

    Envs in worker processes (`step_async`/`step_wait`, e.g. traffic's `ProcessVecEnv`) start
    the step in `start()` and the caller's work overlaps theirs; an in-process env steps in
    `finish()`. The order of every computation, hence every result, is the same either way.
    """

    def __init__(self, envs: VectorEnv) -> None:
        self._envs = envs
        self._async = callable(getattr(envs, "step_async", None))
        self._actions: np.ndarray | None = None

    def start(self, actions: np.ndarray) -> None:
        if self._async:
            self._envs.step_async(actions)
        else:
            self._actions = actions

    def finish(self) -> tuple[Any, ...]:
        if self._async:
            return self._envs.step_wait()
        actions, self._actions = self._actions, None
        return self._envs.step(actions)


def _reset_where(state: State, episode_start: np.ndarray) -> State:
    """Zero the recurrent state of workers whose episode starts now (`episode_start`: (N,))."""
    if not state or not episode_start.any():
        return state
    keep = torch.from_numpy(~episode_start).to(state[0].device, state[0].dtype).unsqueeze(-1)
    return tuple(s * keep for s in state)
