"""Warehouse environment of Suau et al., natively batched in numpy.

The dynamics follow ``shared/spec/warehouse.md`` exactly (7x7 grid, 24 perimeter shelf cells,
items that vanish at age 8, 100-step episodes, 28 uniform draws per spawn pass), including the
original's *removal quirk*: it removed items from a Python list while iterating over it, so the
item right after a removed one is not examined in that pass.

State layout. All ``N`` environments live in a few arrays. Shelf cells are addressed by *slot*
``s`` in ``0..23``, ordered exactly like the item bits of the observation (slot ``s`` is
observation index ``49 + s``); a 25th, always-empty slot stands in for "robot is not on a shelf"
so that gathers at the robot's slot need no masking:

- ``_cell`` ``(N,)``: robot position as flat cell index ``7 * row + col``.
- ``_age`` ``(N, 25)`` int16: item age per slot; empty slots hold a large negative sentinel, so a
  blanket ``+= 1`` per step keeps them negative (an episode has at most 100 steps).
- ``_rank`` ``(N, 25)`` int16: the item's position in the original's item list (0 = first);
  meaningless for empty slots.
- ``_count`` ``(N,)``: number of items (the list length).

Why the list position is enough for a vectorised removal pass: every item ages by one per step, so
the list (appearance order) is sorted by age, oldest first, and the items with ``age >= 8`` form a
prefix of length ``m``. The only other item meeting the removal condition is the one under the
robot (list position ``r``). Iterating-and-removing over a maximal run of consecutive items that
meet the condition removes exactly its 1st, 3rd, 5th... items, so the pass removes the even
positions of the prefix run ``[0, L)`` with ``L = m + 1`` if ``r == m`` else ``m``, plus the robot's
item when it stands alone (``r > m``). The new list positions then follow in closed form, without
sorting or a loop over items.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

__all__ = [
    "D_SET",
    "EPISODE_LENGTH",
    "GRID_SIZE",
    "MAX_ITEM_AGE",
    "NUM_SLOTS",
    "OBS_DIM",
    "SLOT_COLS",
    "SLOT_ROWS",
    "SPAWN_PROB",
    "START_CELL",
    "WarehouseEnv",
    "WarehouseVecEnv",
]

GRID_SIZE = 7
NUM_CELLS = GRID_SIZE * GRID_SIZE
NUM_SLOTS = 24
OBS_DIM = NUM_CELLS + NUM_SLOTS  # 73
EPISODE_LENGTH = 100
MAX_ITEM_AGE = 8  # an item is removed once its age is >= this
SPAWN_PROB = 0.05
DRAWS_PER_PASS = 28
START_CELL = 3 * GRID_SIZE + 3  # (3, 3) -> observation index 24

#: IAM's d-set for the warehouse, exactly as in the paper's runs: the 24 item bits plus index 0
#: (the robot bit of the top-left corner -- very probably a slip for the centre, 24, in the
#: original configuration, kept for fidelity).
D_SET: tuple[int, ...] = (0, *range(NUM_CELLS, OBS_DIM))


def _slot_layout() -> tuple[np.ndarray, np.ndarray]:
    """Slot -> (row, col), in observation order: row 0, row 6, then rows 1..5 interleaved."""
    cells = [(0, c) for c in range(7)] + [(6, c) for c in range(7)]
    cells += [(r, c) for r in range(1, 6) for c in (0, 6)]
    rows, cols = np.array(cells, dtype=np.int64).T
    return rows, cols


#: Row and column of each of the 24 shelf slots, shape (24,); slot s is observation index 49 + s.
SLOT_ROWS, SLOT_COLS = _slot_layout()
SLOT_ROWS.flags.writeable = False
SLOT_COLS.flags.writeable = False

_SENTINEL_AGE = -30000  # empty slot; stays negative for far more than 100 increments
_NO_SLOT = NUM_SLOTS  # index of the always-empty padding slot

# Cell -> slot (or the padding slot for interior cells).
_CELL_TO_SLOT = np.full(NUM_CELLS, _NO_SLOT, dtype=np.int64)
_CELL_TO_SLOT[SLOT_ROWS * GRID_SIZE + SLOT_COLS] = np.arange(NUM_SLOTS)

# Next cell for (cell, action); a move off the grid leaves the robot in place.
_rows, _cols = np.divmod(np.arange(NUM_CELLS), GRID_SIZE)
_NEXT_CELL = np.stack(
    [
        np.maximum(_rows - 1, 0) * GRID_SIZE + _cols,  # 0 up
        np.minimum(_rows + 1, GRID_SIZE - 1) * GRID_SIZE + _cols,  # 1 down
        _rows * GRID_SIZE + np.maximum(_cols - 1, 0),  # 2 left
        _rows * GRID_SIZE + np.minimum(_cols + 1, GRID_SIZE - 1),  # 3 right
    ],
    axis=1,
)

# The 28 draws of a spawn pass, as slots: first rows {0, 6} x columns 0..6 row-major (slots
# 0..13), then rows 0..6 x columns {0, 6} row-major, which revisits the four corners.
_SWEEP_SLOTS = np.array(
    [*range(14), 0, 6, *range(14, 24), 7, 13],
    dtype=np.int64,
)
# Sweep positions of the corners' second and first visits.
_CORNER_SECOND = np.array([14, 15, 26, 27])
_CORNER_FIRST = _SWEEP_SLOTS[_CORNER_SECOND]  # == [0, 6, 7, 13]
# Slot -> its first and last sweep position (equal except for the corners).
_SLOT_FIRST_DRAW = np.array([*range(14), *range(16, 26)], dtype=np.int64)
_SLOT_LAST_DRAW = _SLOT_FIRST_DRAW.copy()
_SLOT_LAST_DRAW[_CORNER_FIRST] = _CORNER_SECOND

_EYE_CELLS = np.eye(NUM_CELLS, dtype=np.float32)


class WarehouseVecEnv(VectorEnv):
    """Batched warehouse environment (gymnasium ``VectorEnv``, same-step autoreset).

    Observations are float32 of shape (N, 73); actions are ints of shape (N,) in ``0..3``
    (up, down, left, right). Every episode lasts exactly 100 steps and ends with
    ``truncated=True`` (``terminated`` is always False). A finished environment is reset inside
    the same ``step`` call: the returned observation is the new episode's first one and
    ``infos["final_obs"]`` (N, 73) holds the last observation of the finished episode (rows of
    unfinished environments hold their current observation; ``infos["_final_obs"]`` (N,) marks the
    finished ones). ``infos["final_item_ages"]`` (N, 24) likewise holds the finished episode's last
    item ages per slot (-1 = empty). Both keys appear only on steps where some episode ended.

    Randomness: in normal mode one ``np.random.Generator`` (PCG64) draws an (N, 28) block of
    uniforms per step. In legacy mode (``legacy_rng_seeds`` given) environment ``i`` draws its 28
    uniforms per reset and per step from its own ``np.random.RandomState(legacy_rng_seeds[i])``,
    which replays the original implementation bit-exactly. The dynamics code is shared.

    Args:
        num_envs: Number of environments N.
        seed: Seed of the normal-mode generator (None: fresh entropy). Unused in legacy mode.
        removal_quirk: Reproduce the original's skip-after-remove bug (True, the default) or
            remove every item meeting the removal condition (False).
        legacy_rng_seeds: One seed per environment for legacy mode, length N.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int,
        seed: int | None = None,
        *,
        removal_quirk: bool = True,
        legacy_rng_seeds: Sequence[int] | None = None,
    ) -> None:
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = int(num_envs)
        self.removal_quirk = bool(removal_quirk)
        self.single_observation_space = spaces.Box(0.0, 1.0, (OBS_DIM,), dtype=np.float32)
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None

        # Private knobs: a test uses them to build deliberately wrong variants of the env, and
        # the single-env wrapper switches autoreset off.
        self._spawn_prob = SPAWN_PROB
        self._autoreset = True

        self._legacy: list[np.random.RandomState] | None = None
        if legacy_rng_seeds is not None:
            self._legacy = self._make_legacy_streams(legacy_rng_seeds)
        self._np_random = np.random.default_rng(seed)
        self._np_random_seed = seed

        n = self.num_envs
        self._rows = np.arange(n)
        self._cell = np.full(n, START_CELL, dtype=np.int64)
        self._age = np.full((n, NUM_SLOTS + 1), _SENTINEL_AGE, dtype=np.int16)
        self._rank = np.zeros((n, NUM_SLOTS + 1), dtype=np.int16)
        self._count = np.zeros(n, dtype=np.int16)
        self._t = np.zeros(n, dtype=np.int64)
        self._obs = np.zeros((n, OBS_DIM), dtype=np.float32)
        self._uniforms = np.empty((n, DRAWS_PER_PASS), dtype=np.float64)
        self._needs_reset = True

    # ------------------------------------------------------------------ gymnasium API

    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every environment.

        Args:
            seed: Normal mode: an int re-seeds the generator. Legacy mode: a sequence of N ints
                replaces the per-environment streams, an int ``s`` gives environment ``i`` the
                stream ``RandomState(s + i)`` (gymnasium's convention). None continues the
                current streams.
            options: Unused.

        Returns:
            Observations (N, 73) float32 and an empty info dict.
        """
        if seed is not None:
            if self._legacy is not None:
                seeds = (
                    [int(seed) + i for i in range(self.num_envs)]
                    if isinstance(seed, int | np.integer)
                    else seed
                )
                self._legacy = self._make_legacy_streams(seeds)
            else:
                if not isinstance(seed, int | np.integer):
                    raise TypeError(f"seed must be an int in normal mode, got {type(seed)}")
                self._np_random = np.random.default_rng(int(seed))
                self._np_random_seed = int(seed)
        self._reset_rows(self._rows)
        self._write_obs()
        self._needs_reset = False
        return self._obs.copy(), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every environment by one step.

        Args:
            actions: Integer actions, shape (N,), values in 0..3.

        Returns:
            ``(obs, rewards, terminated, truncated, infos)`` with obs (N, 73) float32, rewards
            (N,) float32, terminated and truncated (N,) bool. See the class docstring for the
            autoreset and the ``infos`` keys.
        """
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"actions must have shape ({self.num_envs},), got {actions.shape}")
        if actions.dtype.kind not in "iu" or actions.min() < 0 or actions.max() > 3:
            raise ValueError(f"actions must be integers in 0..3, got {actions!r}")

        rows, age, rank = self._rows, self._age, self._rank
        # 1. move; 2. age every item (empty slots stay hugely negative).
        self._cell = cell = _NEXT_CELL[self._cell, actions]
        robot_slot = _CELL_TO_SLOT[cell]
        age += 1
        # 3. reward: is there an item under the robot?
        on_item = age[rows, robot_slot] >= 0
        rewards = on_item.astype(np.float32)
        # 4. removal pass, then 5. spawn pass.
        self._remove_items(robot_slot, on_item)
        self._draw_uniforms(self._uniforms, None)
        self._spawn(age, rank, self._count, self._uniforms)
        # 6. observation and time limit.
        self._write_obs()
        self._t += 1
        truncated = self._t >= EPISODE_LENGTH
        terminated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        if truncated.any():
            if self._autoreset:
                infos["final_obs"] = self._obs.copy()
                infos["_final_obs"] = truncated.copy()
                infos["final_item_ages"] = self.item_age_grid
                infos["_final_item_ages"] = truncated.copy()
                done_rows = np.flatnonzero(truncated)
                self._reset_rows(done_rows)
                self._write_obs()
            else:
                self._needs_reset = True
        return self._obs.copy(), rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        """Nothing to release: the environment holds only numpy arrays."""

    # ------------------------------------------------------------------ inspection (tests)

    @property
    def robot_positions(self) -> np.ndarray:
        """Robot (row, col) per environment, shape (N, 2), int64."""
        return np.stack(np.divmod(self._cell, GRID_SIZE), axis=1)

    @property
    def item_age_grid(self) -> np.ndarray:
        """Item age per slot, shape (N, 24) int16, -1 where the slot is empty.

        Slot ``s`` is the shelf cell ``(SLOT_ROWS[s], SLOT_COLS[s])`` (observation index 49 + s).
        """
        ages = self._age[:, :NUM_SLOTS]
        return np.where(ages >= 0, ages, -1).astype(np.int16)

    @property
    def item_rank(self) -> np.ndarray:
        """Position of each slot's item in the original's item list, shape (N, 24) int16.

        0 is the first (oldest) item; -1 where the slot is empty.
        """
        present = self._age[:, :NUM_SLOTS] >= 0
        return np.where(present, self._rank[:, :NUM_SLOTS], -1).astype(np.int16)

    def item_ages(self) -> list[list[tuple[int, int, int]]]:
        """Present items per environment as ``(row, col, age)``, in the original's list order."""
        ranks, ages = self.item_rank, self.item_age_grid
        result = []
        for env_ranks, env_ages in zip(ranks, ages, strict=True):
            slots = np.flatnonzero(env_ranks >= 0)
            slots = slots[np.argsort(env_ranks[slots], kind="stable")]
            result.append([(int(SLOT_ROWS[s]), int(SLOT_COLS[s]), int(env_ages[s])) for s in slots])
        return result

    # ------------------------------------------------------------------ dynamics

    def _remove_items(self, robot_slot: np.ndarray, on_item: np.ndarray) -> None:
        """Removal pass (step 4 of the spec), in place, for all environments.

        Args:
            robot_slot: Slot under the robot per environment (24 = none), shape (N,).
            on_item: Whether an item lies under the robot, shape (N,) bool.
        """
        age, rank, rows = self._age, self._rank, self._rows
        present = age >= 0
        old = age >= MAX_ITEM_AGE  # a prefix of the list, since the list is sorted by age
        m = old.sum(axis=1, dtype=np.int16)  # (N,)
        r = rank[rows, robot_slot]  # robot item's list position (garbage where ~on_item)
        if self.removal_quirk:
            # The run starting at position 0 covers the old prefix, plus the robot's item when it
            # directly follows it; within it only even positions are examined, hence removed.
            run = m + (on_item & (r == m))
            lone = on_item & (r > m)  # robot's item as a one-item run of its own: removed
            run_col = run[:, None]
            removed = (rank < run_col) & ((rank & 1) == 0) & present
            # Items before position p that this pass removes: ceil(min(p, run) / 2) (+ lone).
            shift = (np.minimum(rank, run_col) + 1) >> 1
            n_removed = ((run + 1) >> 1) + lone
        else:
            lone = on_item & (r >= m)
            removed = old.copy()
            shift = np.minimum(rank, m[:, None])
            n_removed = m + lone
        removed[rows, robot_slot] |= lone
        shift += lone[:, None] & (rank > r[:, None])
        rank -= shift.astype(np.int16, copy=False)
        age[removed] = _SENTINEL_AGE
        self._count -= n_removed.astype(np.int16, copy=False)

    def _spawn(
        self, age: np.ndarray, rank: np.ndarray, count: np.ndarray, uniforms: np.ndarray
    ) -> None:
        """Spawn pass (step 5 of the spec), in place on the given rows' state.

        Args:
            age: Item ages, shape (n, 25) int16.
            rank: Item list positions, shape (n, 25) int16.
            count: Item counts, shape (n,) int16.
            uniforms: The pass's 28 uniforms per row in draw order, shape (n, 28).
        """
        # A draw spawns when u < p and the cell is free; the free set is taken before each sweep,
        # which only matters for the corners visited by both sweeps.
        spawn = uniforms < self._spawn_prob
        spawn &= age[:, _SWEEP_SLOTS] < 0
        spawn[:, _CORNER_SECOND] &= ~spawn[:, _CORNER_FIRST]
        # New items are appended to the list in draw order.
        order = np.cumsum(spawn, axis=1, dtype=np.int16)  # 1-based within the pass
        first, last = spawn[:, _SLOT_FIRST_DRAW], spawn[:, _SLOT_LAST_DRAW]
        spawned = first | last
        new_rank = np.where(first, order[:, _SLOT_FIRST_DRAW], order[:, _SLOT_LAST_DRAW])
        new_rank += (count - 1)[:, None]
        np.copyto(rank[:, :NUM_SLOTS], new_rank, where=spawned)
        np.copyto(age[:, :NUM_SLOTS], 0, where=spawned)
        count += order[:, -1]

    def _reset_rows(self, rows: np.ndarray) -> None:
        """Reset the given environments: empty shelves, robot at the centre, one spawn pass."""
        n = len(rows)
        age = np.full((n, NUM_SLOTS + 1), _SENTINEL_AGE, dtype=np.int16)
        rank = np.zeros((n, NUM_SLOTS + 1), dtype=np.int16)
        count = np.zeros(n, dtype=np.int16)
        uniforms = np.empty((n, DRAWS_PER_PASS), dtype=np.float64)
        self._draw_uniforms(uniforms, rows)
        self._spawn(age, rank, count, uniforms)
        self._age[rows] = age
        self._rank[rows] = rank
        self._count[rows] = count
        self._cell[rows] = START_CELL
        self._t[rows] = 0

    def _draw_uniforms(self, out: np.ndarray, rows: np.ndarray | None) -> None:
        """Fill ``out`` (n, 28) with the next 28 uniforms of each environment in ``rows``.

        ``rows=None`` means all environments (``out`` then has N rows).
        """
        if self._legacy is None:
            self._np_random.random(out=out)
            return
        env_ids = range(self.num_envs) if rows is None else rows
        for row, env_id in enumerate(env_ids):
            # random_sample(28) yields the same doubles as 28 scalar np.random.uniform() calls.
            out[row] = self._legacy[env_id].random_sample(DRAWS_PER_PASS)

    def _write_obs(self) -> None:
        """Rebuild the (N, 73) observation buffer from the state."""
        np.take(_EYE_CELLS, self._cell, axis=0, out=self._obs[:, :NUM_CELLS])
        np.greater_equal(
            self._age[:, :NUM_SLOTS], 0, out=self._obs[:, NUM_CELLS:], casting="unsafe"
        )

    def _make_legacy_streams(self, seeds: Sequence[int]) -> list[np.random.RandomState]:
        seeds = list(seeds)
        if len(seeds) != self.num_envs:
            raise ValueError(
                f"legacy_rng_seeds needs one seed per environment ({self.num_envs}), "
                f"got {len(seeds)}"
            )
        return [np.random.RandomState(int(s)) for s in seeds]


class WarehouseEnv(gymnasium.Env):
    """Single warehouse environment (``iam_repro/Warehouse-v0``): a one-environment batch.

    Observation: float32 (73,); action: ``Discrete(4)``. The 100-step time limit is built in:
    the 100th step returns ``truncated=True`` and the episode must then be reset.

    Args:
        removal_quirk: See :class:`WarehouseVecEnv`.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, *, removal_quirk: bool = True) -> None:
        self._vec = WarehouseVecEnv(1, removal_quirk=removal_quirk)
        self._vec._autoreset = False  # a single env hands the episode end to its caller
        self.observation_space = self._vec.single_observation_space
        self.action_space = self._vec.single_action_space
        self._actions = np.zeros(1, dtype=np.int64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode; returns the first observation (73,) and an empty info dict."""
        super().reset(seed=seed)
        # Share gymnasium's seeded generator so that env.np_random is the env's randomness.
        self._vec._np_random = self.np_random
        obs, _ = self._vec.reset()
        return obs[0], {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One step; returns ``(obs (73,), reward, terminated=False, truncated, {})``."""
        if self._vec._needs_reset:
            raise RuntimeError("the episode has ended (or not started): call reset()")
        self._actions[0] = action
        obs, rewards, terminated, truncated, _ = self._vec.step(self._actions)
        return obs[0], float(rewards[0]), bool(terminated[0]), bool(truncated[0]), {}
