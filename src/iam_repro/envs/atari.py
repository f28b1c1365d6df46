"""Flickering Atari as a batched gymnasium ``VectorEnv`` (``shared/spec/atari.md``).

Protocol (DeepMind / OpenAI baselines ``wrap_deepmind``, frame details of ale-py 0.12.1's C++
env): no sticky actions; at a game reset U{0..noop_max-1} single NOOP frames; 4 frames per
action with the max of the last two raw frames; a lost life ends the *training* episode while the
game goes on (the next training episode starts after one NOOP step); FIRE then action 2 after
every training reset in games with FIRE (Breakout serves the ball); 84x84 greyscale (INTER_AREA);
training reward = sign of the game reward; a game is truncated after ``max_episode_frames``
frames (108,000 = 30 minutes). See :mod:`iam_repro.envs.atari_wrappers` for the exact rules.

Flicker (after preprocessing, before any frame stacking, which happens outside this env): each
env's observation is replaced by zeros with probability ``flicker_prob``, independently per env
and step, from a numpy Generator seeded from the run seed. ``reset()`` observations are never
blanked; later episodes' first observations (returned by ``step``) are flickered like any other.

Two backends, identical step for step (tested):

- ``"vector"``: ale-py's C++ ``AtariVectorEnv`` does emulation, frame skip, max-pool, greyscale
  and resize. Its own ``episodic_life`` resets the *whole game* on every lost life (ale-py
  0.12.1), which is not the protocol, and it presses FIRE only at a game reset; so it runs with
  ``episodic_life=False, use_fire_reset=False, reward_clipping=False``, one C++ instance per env
  (the extra NOOP/FIRE steps after a lost life must step one env alone), and the life/FIRE logic
  lives here. Its emulator state cannot be saved (no clone in ``AtariVectorEnv``).
- ``"wrappers"``: the reference wrapper pipeline in this process; checkpoints restore exactly
  (``ALEInterface.cloneState``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from iam_repro.envs.atari_games import OBS_DIM, VectorGame, WrapperGame
from iam_repro.envs.atari_wrappers import FRAME_SHAPE
from iam_repro.envs.requirements import atari_rom_id, require_atari_rom

__all__ = ["BACKENDS", "FRAME_SHAPE", "GAMES", "OBS_DIM", "AtariVecEnv", "resolve_game"]

#: The games of the original code's history (spec/atari.md); any ale-py ROM id also works.
GAMES: tuple[str, ...] = ("breakout", "pong", "space_invaders")
BACKENDS: tuple[str, ...] = ("vector", "wrappers")
_SEED_MASK = 0x7FFFFFFF  # ale-py takes seeds as C ints


def resolve_game(game: str) -> str:
    """ale-py's ROM id of a game name ("breakout", "Breakout", "BreakoutNoFrameskip-v4", ...).

    Raises:
        ValueError: ale-py knows no such game (the message lists the paper's games and close
            matches).
        AtariRomNotFoundError: ale-py or the game's ROM is missing (with the install command).
    """
    rom_id = atari_rom_id(game)
    require_atari_rom(GAMES[0])  # ale-py itself is there (or a message saying how to get it)
    from ale_py import roms

    known = list(roms.get_all_rom_ids())
    if rom_id not in known:
        close = difflib.get_close_matches(rom_id, known, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"unknown Atari game {game!r} (ROM id {rom_id!r}).{hint} The paper's games: "
            f"{', '.join(GAMES)} (also written Breakout, BreakoutNoFrameskip-v4, SpaceInvaders); "
            f"ale-py {len(known)} ROM ids in all, see ale_py.roms.get_all_rom_ids()"
        )
    require_atari_rom(rom_id)
    return rom_id


class AtariVecEnv(VectorEnv):
    """N Atari games in lockstep (gymnasium ``VectorEnv``, same-step autoreset).

    Observations: uint8 (N, 7056), each an 84x84 frame flattened row by row
    (:attr:`frame_shape`); pixels are raw 0..255. Actions: ints (N,) in the game's minimal action
    set (Breakout: NOOP, FIRE, RIGHT, LEFT). Rewards: float32, the sign of the game reward.
    ``terminated`` marks a lost life or game over, ``truncated`` the time limit. When a training
    episode ends the returned observation is the next episode's first (after the NOOP/FIRE steps)
    and ``infos["final_obs"]`` (N, 7056) holds the finished one's last (unflickered; rows of
    running envs hold their current observation; ``infos["_final_obs"]`` marks the finished ones).

    Every step's ``infos`` also holds, for logging full games while training on lives:

    - ``log_reward`` (N,) float64: unclipped game reward of the step (including the reward of
      the NOOP/FIRE steps after a lost life; rewards of a new game's FIRE steps count for the
      next step);
    - ``log_done`` (N,) bool: a game ended (all lives lost, or the time limit);
    - ``log_return`` (N,) float64: the ended game's score where ``log_done``, else 0;
    - ``lives`` (N,) int64 after the step; ``blanked`` (N,) bool: observation zeroed by flicker.

    Args:
        num_envs: Number of games N.
        seed: Run seed (None: fresh entropy). Env ``i``'s emulator/no-op seed and the flicker
            generator derive from it (``numpy.random.SeedSequence``).
        game: Game name, e.g. "breakout", "pong", "space_invaders" (see :func:`resolve_game`).
        flicker: Blank observations at random (the partially observable variant).
        flicker_prob: Probability that an observation is blanked.
        backend: "vector" (ale-py's C++ env, fast) or "wrappers" (reference, exact checkpoints).
        noop_max: No-op frames at a game reset are drawn from 0..noop_max-1.
        max_episode_frames: Time limit of a game in frames, counted after the no-ops.
        num_threads: Vector backend: how many envs step at once, each on its own C++ thread
            (1: one after another, one core).

    Raises:
        ValueError: Unknown game or backend, bad arguments.
        AtariRomNotFoundError: ale-py or the ROM is missing.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP}
    frame_shape: tuple[int, int] = FRAME_SHAPE

    def __init__(
        self,
        num_envs: int,
        seed: int | None = None,
        *,
        game: str = "breakout",
        flicker: bool = True,
        flicker_prob: float = 0.5,
        clear_frame_stack: bool = False,
        backend: str = "wrappers",
        noop_max: int = 30,
        max_episode_frames: int = 108_000,
        num_threads: int = 1,
    ) -> None:
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown Atari backend {backend!r}; choose one of {BACKENDS}")
        if not 0.0 <= float(flicker_prob) <= 1.0:
            raise ValueError(f"flicker_prob must be in [0, 1], got {flicker_prob}")
        if int(noop_max) < 0 or int(max_episode_frames) < 1 or int(num_threads) < 1:
            raise ValueError(
                "noop_max must be >= 0, max_episode_frames and num_threads >= 1; got "
                f"{noop_max}, {max_episode_frames}, {num_threads}"
            )
        self.num_envs = n = int(num_envs)
        self.game = resolve_game(game)
        self.backend = backend
        self.flicker, self.flicker_prob = bool(flicker), float(flicker_prob)
        #: Read by the trainer's frame stack: the original kept the last episode's frames.
        self.clear_frame_stack = bool(clear_frame_stack)
        self.num_threads = int(num_threads)
        game_class = VectorGame if backend == "vector" else WrapperGame
        self._games = [
            game_class(self.game, int(noop_max), int(max_episode_frames)) for _ in range(n)
        ]
        self.single_observation_space = spaces.Box(0, 255, (OBS_DIM,), dtype=np.uint8)
        self.single_action_space = spaces.Discrete(self._games[0].num_actions)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.render_mode = None
        self.seed = seed if seed is None else int(seed)
        self._flicker_rng = np.random.default_rng()
        self._scores = np.zeros(n, dtype=np.float64)
        self._needs_reset = True
        self._seeded = False
        self._resumes = 0
        #: Vector backend after set_state: the fresh games' first observations (see set_state).
        self.resume_obs: np.ndarray | None = None

    # ------------------------------------------------------------------ gymnasium API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """New games in every env; never blanked.

        Args:
            seed: Re-seed the run (emulators, no-op draws, flicker) as if constructed with it.
                None: the constructor's seed at the first reset, later the current streams.
            options: Unused.

        Returns:
            Observations (N, 7056) uint8 and ``{"lives": (N,)}``.
        """
        if seed is not None:
            self.seed = int(seed)
        env_seeds: Sequence[int | None] = [None] * self.num_envs
        if seed is not None or not self._seeded:
            env_seeds = self._reseed(self.seed)
            self._seeded = True
        obs = np.stack([g.reset(s) for g, s in zip(self._games, env_seeds, strict=True)])
        self._scores[:] = 0.0
        self._needs_reset = False
        self.resume_obs = None
        return obs, {"lives": self._lives()}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One step of every game; see the class docstring for the outputs."""
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        n = self.num_envs
        if actions.shape != (n,) or actions.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({n},), got {actions.dtype} of shape "
                f"{actions.shape}"
            )
        if actions.min() < 0 or actions.max() >= self.single_action_space.n:
            raise ValueError(
                f"actions must be in 0..{self.single_action_space.n - 1}, got {actions}"
            )
        obs = np.empty((n, OBS_DIM), dtype=np.uint8)
        rewards = np.zeros(n, dtype=np.float32)
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        final_obs: np.ndarray | None = None
        width = self.num_threads if self.backend == "vector" else 1
        for start in range(0, n, width):
            chunk = range(start, min(start + width, n))
            for i in chunk:
                self._games[i].send(int(actions[i]))
            for i in chunk:
                game = self._games[i]
                obs[i], reward, terminated[i], truncated[i], final = game.recv()
                rewards[i] = reward
                if terminated[i] or truncated[i]:
                    if final_obs is None:
                        final_obs = obs.copy()
                    final_obs[i] = obs[i] if final is None else final
                    obs[i] = game.episode_reset()
        np.sign(rewards, out=rewards)  # (the wrappers' rewards are clipped already)
        infos = self._log_infos()
        if final_obs is not None:
            done = terminated | truncated
            final_obs[~done] = obs[~done]
            infos["final_obs"], infos["_final_obs"] = final_obs, done
        self._apply_flicker(obs, infos)
        return obs, rewards, terminated, truncated, infos

    @property
    def stepping_threads(self) -> int:
        """Threads the games step on: ``num_threads`` with the vector backend, else 1."""
        return self.num_threads if self.backend == "vector" else 1

    # ------------------------------------------------------------------ checkpoints

    @property
    def restores_exactly(self) -> bool:
        """Whether :meth:`set_state` continues byte-identically (only the wrappers backend)."""
        return self.backend == "wrappers"

    def get_state(self) -> dict[str, Any]:
        """What a checkpoint needs (numpy arrays and plain values).

        Wrappers backend: everything (emulators via ``cloneState``): a resumed run continues
        byte-identically. Vector backend: ale-py's C++ env cannot save its emulators, so the
        state holds the flicker generator and the bookkeeping only, with ``exact=False``.
        """
        state: dict[str, Any] = {
            "backend": self.backend,
            "game": self.game,
            "num_envs": self.num_envs,
            "exact": self.restores_exactly,
            "seed": self.seed,
            "seeded": self._seeded,
            "needs_reset": self._needs_reset,
            "flicker_rng": self._flicker_rng.bit_generator.state,
            "scores": self._scores.copy(),
            "resumes": self._resumes,
        }
        if self.backend == "wrappers":
            state["games"] = [g.get_state() for g in self._games]
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state`'s dict on an env built with the same arguments.

        Vector backend (``state["exact"]`` False): the flicker generator and counters are
        restored, but every env starts a fresh game (emulators re-seeded from the run seed and
        the number of resumes, so a resumed run is reproducible). Their first observations
        (unblanked) are in :attr:`resume_obs`: the caller must use them instead of the
        checkpoint's last observations and treat them as episode starts (recurrent state and
        frame stack reset); the games in progress at the checkpoint are dropped from the log.
        """
        if (state["backend"], state["game"], state["num_envs"]) != (
            self.backend,
            self.game,
            self.num_envs,
        ):
            raise ValueError(
                f"state is for backend={state['backend']!r}, game={state['game']!r}, "
                f"{state['num_envs']} envs; this env has {self.backend!r}, {self.game!r}, "
                f"{self.num_envs}"
            )
        self.seed, self._seeded = state["seed"], bool(state["seeded"])
        self._needs_reset = bool(state["needs_reset"])
        self._resumes = int(state["resumes"])
        np.copyto(self._scores, state["scores"])
        self.resume_obs = None
        if self.backend == "wrappers":
            for game, saved in zip(self._games, state["games"], strict=True):
                game.set_state(saved)
        elif not self._needs_reset:
            self._resumes += 1
            seeds = self._env_seeds(self.seed, tag=self._resumes)
            self.resume_obs = np.stack(
                [g.reset(s) for g, s in zip(self._games, seeds, strict=True)]
            )
            self._scores[:] = 0.0
        self._flicker_rng.bit_generator.state = state["flicker_rng"]

    def close_extras(self, **kwargs: Any) -> None:
        """Close the emulators."""
        for game in self._games:
            game.env.close()
        self._games = []

    # ------------------------------------------------------------------ internals

    def _env_seeds(self, seed: int, tag: int = 0) -> list[int]:
        words = np.random.SeedSequence([seed, 0, tag]).generate_state(self.num_envs)
        return [int(w) & _SEED_MASK for w in words]

    def _reseed(self, seed: int | None) -> list[int]:
        if seed is None:  # fresh entropy, remembered so that the run can be reproduced
            self.seed = seed = int(np.random.SeedSequence().entropy) & _SEED_MASK
        self._flicker_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        self._resumes = 0
        return self._env_seeds(seed)

    def _lives(self) -> np.ndarray:
        return np.array([g.lives for g in self._games], dtype=np.int64)

    def _log_infos(self) -> dict[str, Any]:
        log_reward = np.empty(self.num_envs, dtype=np.float64)
        log_done = np.empty(self.num_envs, dtype=bool)
        for i, game in enumerate(self._games):
            log_reward[i], log_done[i] = game.monitor.read()
        self._scores += log_reward
        log_return = np.where(log_done, self._scores, 0.0)
        self._scores[log_done] = 0.0
        return {
            "log_reward": log_reward,
            "log_done": log_done,
            "log_return": log_return,
            "lives": self._lives(),
        }

    def _apply_flicker(self, obs: np.ndarray, infos: dict[str, Any]) -> None:
        if self.flicker:
            blanked = self._flicker_rng.random(self.num_envs) < self.flicker_prob
            obs[blanked] = 0
        else:
            blanked = np.zeros(self.num_envs, dtype=bool)
        infos["blanked"] = blanked
