"""Reference Atari pipeline: one gymnasium ``NoFrameskip-v4`` env with DeepMind-style wrappers.

This is the oracle the fast backend of :class:`iam_repro.envs.atari.AtariVecEnv` is tested
against, and its fallback. The wrappers follow OpenAI baselines' ``make_atari`` +
``wrap_deepmind`` (same order, same control flow), with the frame-level details of ale-py's C++
``AtariVectorEnv`` (0.12.1) so that the two backends agree byte for byte:

    AtariEnv (frameskip 1, no sticky actions, greyscale screen)
    -> NoopReset      reset_game, then U{0..noop_max-1} single NOOP frames (ale-py's draw)
    -> MaxAndSkip     4 frames per action, max of the last two raw frames, time limit in frames
    -> GameMonitor    full-game (unclipped) reward and game ends: what a Monitor here records
    -> EpisodicLife   a lost life ends the training episode; reset then plays one NOOP step
    -> FireReset      FIRE, then action 2, after every training reset (games with FIRE)
    -> WarpFrame      84x84 INTER_AREA resize of the pooled frame, flattened to (7056,)
    -> ClipReward     sign of the reward

Where ale-py's C++ env differs from baselines, the C++ behaviour is the protocol (and these
wrappers copy it): the no-op count is 0..noop_max-1 (baselines: 1..noop_max), drawn from a
``std::mt19937`` seeded with the env seed through libstdc++'s ``uniform_int_distribution``
(reproduced by :func:`uniform_int`); the frame loop stops at game over or at the time limit
before grabbing the frame, so a terminal observation may repeat older pooled frames; the time
limit counts frames since the end of the no-ops.
"""

from __future__ import annotations

from typing import Any

import cv2
import gymnasium as gym
import numpy as np

__all__ = [
    "ClipReward",
    "EpisodicLife",
    "FireReset",
    "GameMonitor",
    "MaxAndSkip",
    "NoopReset",
    "WarpFrame",
    "has_fire_reset",
    "make_reference_env",
    "uniform_int",
]

FRAME_SHAPE = (84, 84)
NOOP = 0  # index of NOOP in every minimal action set
FIRE = 1  # baselines' FireResetEnv requires FIRE at index 1


def uniform_int(rng: np.random.RandomState, high: int) -> int:
    """One draw of libstdc++'s ``uniform_int_distribution<int>(0, high)`` from an mt19937.

    ``np.random.RandomState(seed)`` seeds MT19937 exactly like ``std::mt19937(seed)``; the
    distribution is Lemire's nearly divisionless method on 32-bit words (GCC >= 11), which is
    what ale-py's wheel uses for its no-op counts. Consumes one word (more on rare rejections).
    """
    urange = high + 1
    while True:
        word = int(rng.randint(0, 2**32, dtype=np.uint32))
        product = word * urange
        low = product & 0xFFFFFFFF
        if low < urange and low < (2**32 - urange) % urange:
            continue  # rejected: would bias the result
        return product >> 32


def has_fire_reset(env: gym.Env) -> bool:
    """Whether the game gets the FIRE reset (baselines' test: FIRE at index 1, >= 3 actions)."""
    meanings = env.unwrapped.get_action_meanings()
    return len(meanings) >= 3 and meanings[FIRE] == "FIRE"


class NoopReset(gym.Wrapper):
    """Game reset followed by a random number of single NOOP frames (random start states).

    The count is ``uniform_int(rng, noop_max - 1)`` (0 when ``noop_max <= 1``), one draw per
    game reset; ``rng`` is re-seeded with the env seed by ``reset(seed=...)`` (as ale-py's C++
    env does). A game that ends during the no-ops is reset without a new draw.
    """

    def __init__(self, env: gym.Env, noop_max: int) -> None:
        super().__init__(env)
        self.noop_max = int(noop_max)
        self.rng = np.random.RandomState(0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.RandomState(int(seed))
        obs, info = self.env.reset(seed=seed, options=options)
        for _ in range(uniform_int(self.rng, max(self.noop_max - 1, 0))):
            obs, _, terminated, truncated, info = self.env.step(NOOP)
            if terminated or truncated:
                obs, info = self.env.reset()
        return obs, info


class MaxAndSkip(gym.Wrapper):
    """Repeat the action for ``skip`` frames; observe the max of the last two raw frames.

    Copies ale-py's C++ frame loop: the loop stops at game over or when ``max_frames`` frames
    have passed since the game's reset (then ``truncated``), *before* grabbing that frame; the
    pooled frame is kept in ``buffers[0]`` (as the C++ env does), so a terminal observation can
    hold older frames. Reset observes the reset screen alone.
    """

    def __init__(self, env: gym.Env, skip: int = 4, max_frames: int = 108_000) -> None:
        super().__init__(env)
        self.skip, self.max_frames = int(skip), int(max_frames)
        shape = env.observation_space.shape
        self.buffers = np.zeros((2, *shape), dtype=np.uint8)
        self.elapsed = 0
        self.observation_space = gym.spaces.Box(0, 255, shape, dtype=np.uint8)

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self.buffers[0] = obs
        self.buffers[1] = 0
        self.elapsed = 0
        return self.buffers[0].copy(), info

    def step(self, action: int):
        total, terminated, info = 0.0, False, {}
        for frames_left in range(self.skip, 0, -1):
            obs, reward, terminated, _, info = self.env.step(action)
            total += float(reward)
            self.elapsed += 1
            if terminated or self.elapsed >= self.max_frames:
                break
            if frames_left <= 2:
                self.buffers[frames_left - 1] = obs
        np.maximum(self.buffers[0], self.buffers[1], out=self.buffers[0])
        truncated = self.elapsed >= self.max_frames and not terminated
        return self.buffers[0].copy(), total, bool(terminated), truncated, info


class GameMonitor(gym.Wrapper):
    """Records the unclipped full-game reward, as a Monitor below the life and clip wrappers.

    ``read()`` hands the vector env the reward since the last read and whether a game ended
    since then. Rewards earned after a game's reset (the FIRE steps of the next game) are not
    part of the finished game: they stay unread and go to the next read.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.unread = 0.0  # reward of the current game not yet read
        self.ended_unread = 0.0  # unread reward of games that ended since the last read
        self.ended = False

    def step(self, action: int):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.unread += reward
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any):
        # Called only when a game ended (EpisodicLife), or by the vector env's reset().
        self.ended_unread += self.unread
        self.unread = 0.0
        self.ended = True
        return self.env.reset(**kwargs)

    def read(self) -> tuple[float, bool]:
        """(reward since the last read that belongs to games ended since then, or to this game;
        whether a game ended)."""
        if self.ended:
            reward, self.ended_unread, self.ended = self.ended_unread, 0.0, False
            return reward, True
        reward, self.unread = self.unread, 0.0
        return reward, False

    def discard(self) -> None:
        """Forget the finished-game bookkeeping (the vector env's reset starts a new run)."""
        self.ended_unread, self.ended = 0.0, False


class EpisodicLife(gym.Wrapper):
    """A lost life ends the training episode; the game goes on (baselines' EpisodicLifeEnv).

    After a lost life, reset plays one NOOP step instead of resetting the game. A NOOP step
    that ends the game is followed by a real reset.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.lives = 0
        self.was_real_done = True

    def step(self, action: int):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.was_real_done = terminated or truncated
        lives = self.env.unwrapped.ale.lives()
        if 0 < lives < self.lives:
            terminated = True
        self.lives = lives
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any):
        if self.was_real_done or kwargs.get("seed") is not None:
            obs, info = self.env.reset(**kwargs)
        else:
            obs, _, terminated, truncated, info = self.env.step(NOOP)
            if terminated or truncated:
                obs, info = self.env.reset()
        self.was_real_done = False
        self.lives = self.env.unwrapped.ale.lives()
        return obs, info


class FireReset(gym.Wrapper):
    """FIRE, then action 2, after every training reset (baselines' FireResetEnv).

    Serves the ball in Breakout at the start of a game and after every lost life. A step that
    ends the training episode is followed by another reset (without the FIRE steps), whose
    observation is returned.
    """

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        for action in (FIRE, 2):
            obs, _, terminated, truncated, info = self.env.step(action)
            if terminated or truncated:
                obs, info = self.env.reset()
        return obs, info


class WarpFrame(gym.ObservationWrapper):
    """84x84 greyscale (INTER_AREA, as the C++ env), flattened to (7056,) uint8."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = gym.spaces.Box(
            0, 255, (FRAME_SHAPE[0] * FRAME_SHAPE[1],), np.uint8
        )

    def observation(self, observation: np.ndarray) -> np.ndarray:
        size = (FRAME_SHAPE[1], FRAME_SHAPE[0])
        return cv2.resize(observation, size, interpolation=cv2.INTER_AREA).reshape(-1)


class ClipReward(gym.RewardWrapper):
    """Training reward: the sign of the game reward."""

    def reward(self, reward: float) -> float:
        return float(np.sign(reward))


def make_reference_env(
    rom_id: str, *, noop_max: int = 30, max_frames: int = 108_000
) -> tuple[gym.Env, GameMonitor]:
    """The wrapper stack of the module docstring for one game, and its monitor.

    Args:
        rom_id: ale-py ROM id, e.g. "breakout", "space_invaders".
        noop_max: No-op frames at a game reset are drawn from 0..noop_max-1.
        max_frames: Time limit of a game in frames (after the no-ops).
    """
    import ale_py
    from ale_py.registration import rom_id_to_name

    gym.register_envs(ale_py)
    env_id = f"{rom_id_to_name(rom_id)}NoFrameskip-v4"
    kwargs: dict[str, Any] = {
        "obs_type": "grayscale",
        "max_num_frames_per_episode": 0,  # the time limit is MaxAndSkip's, as in the C++ env
        "disable_env_checker": True,
    }
    if env_id in gym.registry:
        env = gym.make(env_id, **kwargs).unwrapped
    else:  # a ROM outside the legacy v4 family: the same env, built directly
        kwargs.pop("disable_env_checker")
        env = ale_py.env.AtariEnv(game=rom_id, frameskip=1, repeat_action_probability=0.0, **kwargs)
    env = MaxAndSkip(NoopReset(env, noop_max), 4, max_frames)
    monitor = GameMonitor(env)
    env = EpisodicLife(monitor)
    if has_fire_reset(env):
        env = FireReset(env)
    return ClipReward(WarpFrame(env)), monitor
