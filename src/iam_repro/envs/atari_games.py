"""One Atari game per worker, on either backend, with the protocol's life and FIRE logic.

`AtariVecEnv` (``iam_repro.envs.atari``) steps N of these in lockstep and adds flicker:

- `VectorGame`: ale-py's C++ ``AtariVectorEnv`` with one env, which does emulation, frame skip,
  max-pool, greyscale and resize; the life, FIRE and score bookkeeping is here.
- `WrapperGame`: the reference pipeline of ``iam_repro.envs.atari_wrappers``; its state can be
  saved and restored exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from iam_repro.envs.atari_wrappers import FIRE, FRAME_SHAPE, NOOP

__all__ = ["OBS_DIM", "Monitor", "VectorGame", "WrapperGame"]

OBS_DIM = FRAME_SHAPE[0] * FRAME_SHAPE[1]  # 7056: one 84x84 frame, flattened row by row


class Monitor:
    """Full-game reward bookkeeping of the fast backend (as GameMonitor in the wrappers)."""

    __slots__ = ("ended", "ended_unread", "unread")

    def __init__(self) -> None:
        self.unread, self.ended_unread, self.ended = 0.0, 0.0, False

    def game_reset(self) -> None:
        self.ended_unread += self.unread
        self.unread, self.ended = 0.0, True

    def read(self) -> tuple[float, bool]:
        if self.ended:
            reward, self.ended_unread, self.ended = self.ended_unread, 0.0, False
            return reward, True
        reward, self.unread = self.unread, 0.0
        return reward, False


class VectorGame:
    """One env on its own C++ ``AtariVectorEnv`` instance, with the life and FIRE logic.

    Mirrors the wrapper pipeline's control flow (EpisodicLife, FireReset, GameMonitor) on top of
    a C++ env that resets the game by itself (same step) when it ends.
    """

    def __init__(self, rom_id: str, noop_max: int, max_frames: int) -> None:
        from ale_py.vector_env import AtariVectorEnv

        self.env = AtariVectorEnv(
            rom_id,
            1,
            num_threads=1,
            max_num_frames_per_episode=max_frames,
            repeat_action_probability=0.0,
            autoreset_mode=AutoresetMode.SAME_STEP,
            img_height=FRAME_SHAPE[0],
            img_width=FRAME_SHAPE[1],
            grayscale=True,
            stack_num=1,
            frameskip=4,
            maxpool=True,
            noop_max=noop_max,
            episodic_life=False,
            reward_clipping=False,
            use_fire_reset=False,
        )
        actions = self.env.ale.get_action_set()
        self.num_actions = len(actions)
        self.fire_reset = self.num_actions >= 3 and actions[FIRE].value == FIRE
        self._action = np.zeros(1, dtype=np.int64)
        self._strength = np.ones(1, dtype=np.float32)
        self.monitor = Monitor()
        self.lives = 0
        self.was_real_done = True
        self.obs = np.zeros(OBS_DIM, dtype=np.uint8)

    # The C++ step, split so that several instances can run at once (send all, then recv).
    def send(self, action: int) -> None:
        self._action[0] = action
        self.env.ale.send(self._action, self._strength)

    def recv(self) -> tuple[np.ndarray, float, bool, bool, np.ndarray | None]:
        """(observation, game reward, training terminated, truncated, final obs if the game
        ended) of the step sent last, with the EpisodicLife and GameMonitor bookkeeping."""
        obs, reward, terminated, truncated, info = self.env.ale.recv()
        reward = float(reward[0])
        game_over, truncated = bool(terminated[0]), bool(truncated[0])
        self.monitor.unread += reward
        final = None
        self.was_real_done = game_over or truncated
        lives = int(info["lives"][0])
        if self.was_real_done:  # the C++ env has already reset the game (no-ops included)
            self.monitor.game_reset()
            final = info["final_obs"].reshape(-1)
        elif 0 < lives < self.lives:
            game_over = True  # a lost life ends the training episode
        self.lives = lives
        self.obs = obs.reshape(-1)
        return self.obs, reward, game_over, truncated, final

    def _step(self, action: int) -> bool:
        self.send(action)
        _, _, terminated, truncated, _ = self.recv()
        return terminated or truncated

    def reset(self, seed: int | None) -> np.ndarray:
        """Vector env reset: a new game (re-seeded when ``seed`` is given) and its FIRE steps."""
        obs, info = self.env.reset(seed=None if seed is None else np.array([seed]))
        self.obs = obs.reshape(-1)
        self.monitor = Monitor()
        self.was_real_done = False
        self.lives = int(info["lives"][0])
        return self._fire_steps()

    def episode_reset(self) -> np.ndarray:
        """Start the next training episode (EpisodicLife.reset, then FireReset's steps)."""
        self._life_reset()
        return self._fire_steps()

    def _life_reset(self) -> None:
        # After a game end the C++ env has reset the game already; after a lost life one NOOP
        # step (which may lose a life or end the game: the wrappers carry on the same way).
        if not self.was_real_done:
            self._step(NOOP)
        self.was_real_done = False

    def _fire_steps(self) -> np.ndarray:
        if self.fire_reset:
            for action in (FIRE, 2):
                if self._step(action):
                    self._life_reset()
        return self.obs


class WrapperGame:
    """One env of the reference wrapper pipeline (:func:`make_reference_env`)."""

    def __init__(self, rom_id: str, noop_max: int, max_frames: int) -> None:
        from iam_repro.envs.atari_wrappers import make_reference_env

        self.env, self.monitor = make_reference_env(
            rom_id, noop_max=noop_max, max_frames=max_frames
        )
        self.num_actions = int(self.env.action_space.n)
        self.ale = self.env.unwrapped.ale
        self._pending: int = 0

    def send(self, action: int) -> None:
        self._pending = action

    def recv(self) -> tuple[np.ndarray, float, bool, bool, np.ndarray | None]:
        obs, reward, terminated, truncated, _ = self.env.step(self._pending)
        return obs, float(reward), bool(terminated), bool(truncated), None

    @property
    def lives(self) -> int:
        return int(self.ale.lives())

    def reset(self, seed: int | None) -> np.ndarray:
        _find(self.env, "EpisodicLife").was_real_done = True  # a new game, not a life
        obs, _ = self.env.reset(seed=seed)
        self.monitor.discard()
        return obs

    def episode_reset(self) -> np.ndarray:
        obs, _ = self.env.reset()
        return obs

    def get_state(self) -> dict[str, Any]:
        """Exact state: emulator, no-op RNG, frame buffers, life and monitor bookkeeping."""
        inner = self.env.unwrapped
        noop = _find(self.env, "NoopReset")
        skip = _find(self.env, "MaxAndSkip")
        life = _find(self.env, "EpisodicLife")
        _, key, pos, _, _ = noop.rng.get_state(legacy=True)
        return {
            "ale": np.frombuffer(
                inner.ale.cloneState(include_rng=True).serialize(), np.uint8
            ).copy(),
            "noop_key": key.astype(np.int64),  # int64: checkpoints store arrays as tensors
            "noop_pos": int(pos),
            "buffers": skip.buffers.copy(),
            "elapsed": skip.elapsed,
            "lives": life.lives,
            "was_real_done": life.was_real_done,
            "monitor": (self.monitor.unread, self.monitor.ended_unread, self.monitor.ended),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        import ale_py

        self.ale.restoreState(ale_py.ALEState(np.asarray(state["ale"], np.uint8).tobytes()))
        noop = _find(self.env, "NoopReset")
        key = np.asarray(state["noop_key"]).astype(np.uint32)
        noop.rng.set_state(("MT19937", key, int(state["noop_pos"]), 0, 0.0))
        skip = _find(self.env, "MaxAndSkip")
        np.copyto(skip.buffers, state["buffers"])
        skip.elapsed = int(state["elapsed"])
        life = _find(self.env, "EpisodicLife")
        life.lives, life.was_real_done = int(state["lives"]), bool(state["was_real_done"])
        unread, ended_unread, ended = state["monitor"]
        self.monitor.unread, self.monitor.ended_unread = float(unread), float(ended_unread)
        self.monitor.ended = bool(ended)


def _find(env: Any, name: str) -> Any:
    while type(env).__name__ != name:
        env = env.env
    return env
