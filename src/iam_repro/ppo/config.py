"""PPO settings: the defaults are the authors' protocol (spec/ppo.md, warehouse column).

Every field that departs from the original protocol when changed is a *named deviation*:
`deviations()` lists the fields whose value differs from these defaults, and the report
prints that list.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class PPOConfig:
    """One PPO run's algorithm settings (names follow the original code; see `NAME_MAP`)."""

    num_workers: int = 8
    """Environments stepped in lockstep."""
    memory_size: int = 128
    """Steps per worker collected before each update (rollout length)."""
    time_horizon: int = 8
    """GAE is computed in chunks of this many steps, each bootstrapped from the next value."""
    batch_size: int = 32
    """Steps per worker per minibatch (a minibatch holds batch_size x num_workers slots)."""
    num_epoch: int = 3
    """Passes over the rollout per update."""
    seq_len: int = 8
    """Sequence length for recurrent models (ignored by feed-forward models)."""
    learning_rate: float = 2.5e-4
    """Initial Adam learning rate, decayed linearly to `learning_rate_final` over the budget."""
    learning_rate_final: float = 1e-10
    """End value of the linear learning-rate decay (the original's polynomial_decay end)."""
    epsilon: float = 0.1
    """Initial clip range (policy ratio and value clipping), decayed linearly."""
    epsilon_final: float = 1e-5
    """End value of the linear clip-range decay (the original's polynomial_decay end)."""
    gamma: float = 0.99
    """Discount factor."""
    lam: float = 0.95
    """GAE lambda."""
    beta: float = 0.01
    """Entropy bonus coefficient (constant)."""
    c1: float = 1.0
    """Value-loss coefficient."""
    value_loss_half: bool = False
    """Deviation: multiply the value loss by 0.5 (other libraries do; the original does not)."""
    value_clipping: bool = True
    """Clip the value prediction around the rollout's value, like the policy ratio."""
    adam_epsilon: float = 1e-8
    """Adam epsilon (TensorFlow's default)."""
    max_grad_norm: float | None = None
    """Deviation: clip the global gradient norm (None = no clipping, as the original)."""
    normalize_advantages: bool = False
    """Deviation: normalise advantages per minibatch (the original does not)."""
    gae_over_rollout: bool = False
    """Deviation: one GAE pass over the whole rollout instead of `time_horizon` chunks."""
    gae_chunks_from_episode_start: bool = True
    """GAE chunks restart at every episode start (the original); False: at fixed rollout
    positions (deviation)."""
    padding_in_rollout: bool = True
    """Recurrent models: the zero padding after an episode end takes rollout slots, so an
    update comes every `memory_size` slots, padding included (the original: ~123 real steps per
    worker in the warehouse); False: every rollout holds `memory_size` real steps (deviation)."""

    def __post_init__(self) -> None:
        problems = []
        for name in (
            "num_workers",
            "memory_size",
            "time_horizon",
            "batch_size",
            "num_epoch",
            "seq_len",
        ):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be a positive integer, got {getattr(self, name)}")
        if problems:  # the divisibility checks below need positive sizes
            raise ValueError("invalid PPO settings: " + "; ".join(problems))
        if self.memory_size % self.batch_size:
            problems.append(
                f"memory_size ({self.memory_size}) must be a multiple of batch_size "
                f"({self.batch_size})"
            )
        if self.memory_size % self.time_horizon:
            problems.append(
                f"memory_size ({self.memory_size}) must be a multiple of time_horizon "
                f"({self.time_horizon})"
            )
        if self.batch_size % self.seq_len:
            problems.append(
                f"batch_size ({self.batch_size}) must be a multiple of seq_len ({self.seq_len})"
            )
        for name in ("learning_rate", "epsilon", "gamma", "lam", "c1", "adam_epsilon"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        if problems:
            raise ValueError("invalid PPO settings: " + "; ".join(problems))

    @property
    def num_minibatches(self) -> int:
        """Minibatches per epoch (memory_size / batch_size)."""
        return self.memory_size // self.batch_size

    @property
    def transitions_per_update(self) -> int:
        """Env transitions collected per update (memory_size x num_workers)."""
        return self.memory_size * self.num_workers

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PPOConfig:
        """Build from a plain mapping; unknown keys raise a ValueError naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown PPO key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Fields that are the environment-specific part of the protocol (spec/ppo.md table), not
#: deviations when an experiment sets them.
PROTOCOL_PER_ENV = ("time_horizon", "seq_len")

#: Our field name -> (the original code's key, the usual name elsewhere).
NAME_MAP: dict[str, tuple[str, str]] = {
    "num_workers": ("num_workers", "num_envs"),
    "memory_size": ("memory_size", "num_steps / n_steps (rollout length)"),
    "time_horizon": ("time_horizon", "no equivalent (GAE over the whole rollout)"),
    "batch_size": ("batch_size (steps per worker)", "batch_size x num_envs transitions"),
    "num_epoch": ("num_epoch", "update_epochs / n_epochs"),
    "seq_len": ("seq_len", "bptt / sequence length"),
    "learning_rate": ("learning_rate", "learning_rate / lr"),
    "epsilon": ("epsilon", "clip_coef / clip_range"),
    "gamma": ("gamma", "gamma"),
    "lam": ("lambda", "gae_lambda"),
    "beta": ("beta", "ent_coef"),
    "c1": ("c1", "vf_coef"),
}


def deviations(config: PPOConfig) -> dict[str, tuple[Any, Any]]:
    """Fields that differ from the original protocol: name -> (value, original value)."""
    default = PPOConfig()
    return {
        f.name: (getattr(config, f.name), getattr(default, f.name))
        for f in fields(PPOConfig)
        if f.name not in PROTOCOL_PER_ENV and getattr(config, f.name) != getattr(default, f.name)
    }
