"""Stable-Baselines3's VecEnv interface around one of our batched gymnasium environments.

Benchmark code only (bench_peer_sb3.py): Stable-Baselines3 is the `bench` extra, not a
dependency of the library.

Our environments (iam_repro.envs) are gymnasium ``VectorEnv``\\ s with same-step autoreset: a
finished environment is reset inside ``step``, the returned observation is the new episode's
first, and ``infos["final_obs"]`` (masked by ``infos["_final_obs"]``) holds the finished
episode's last observation. Stable-Baselines3 expects the same autoreset with another layout:

- ``step`` returns ``(obs, rewards, dones, infos)`` with ``dones = terminated | truncated``;
- ``infos`` is a list of one dict per environment; a finished environment's dict holds
  ``"terminal_observation"`` (its last observation) and ``"TimeLimit.truncated"``
  (``truncated and not terminated``: True makes SB3 bootstrap the return with the value of the
  terminal observation, as for a time limit; False treats the end as a real termination).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import VectorEnv
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn


class SB3VecEnv(VecEnv):
    """Stable-Baselines3 view of a same-step-autoreset gymnasium ``VectorEnv``.

    The wrapped environment is one batched object, so the per-environment calls
    (``get_attr``, ``set_attr``, ``env_method``) act on it and repeat its answer for every
    index. ``seed(s)`` (which SB3 calls when the model gets a seed) re-seeds the wrapped
    environment with ``s`` at the next ``reset``, as ``env.reset(seed=s)`` would.

    Args:
        venv: The batched environment (gymnasium ``AutoresetMode.SAME_STEP``).
    """

    def __init__(self, venv: VectorEnv) -> None:
        self.venv = venv  # before VecEnv.__init__, which reads render_mode through get_attr
        self._actions: np.ndarray | None = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    def reset(self) -> np.ndarray:
        seed = self._seeds[0]  # VecEnv.seed(s) stores s, s + 1, ...: s seeds the whole batch
        obs, _ = self.venv.reset(seed=seed, options=self._options[0] or None)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final_obs = info["final_obs"]
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = final_obs[i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        # SB3 adds the bootstrap value to the rewards in place: hand it float32 it may change.
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        result = getattr(self.venv, method_name)(*method_args, **kwargs)
        return [result] * len(self._get_indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))
