"""What training reads from a resolved run config (see iam_repro.config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iam_repro.ppo.config import PPOConfig


@dataclass
class RunSpec:
    """One run's settings, typed: its environment, model, PPO settings, seed and budget."""

    run_id: str
    env_name: str
    env_options: dict[str, Any]
    model: dict[str, Any]
    ppo: PPOConfig
    seed: int
    steps_per_worker: int
    schedule_steps_per_worker: int
    frames: int = 1
    #: What the config asks for ("fp32" when it says nothing); the trainer may fall back.
    precision: str = "fp32"

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
            precision=str(resolved.get("precision", "fp32")),
        )
