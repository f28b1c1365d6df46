"""Warehouse environment of Suau et al., natively batched in numpy.

The dynamics follow ``shared/spec/warehouse.md`` exactly (7x7 grid, 24 perimeter shelf cells,
items that vanish at age 8, 100-step episodes, 28 uniform draws per spawn pass), including the
original's *removal quirk*: it removed items from a Python list while iterating over it, so the
item right after a removed one is not examined in that pass.

State layout. Shelf cells are addressed by *slot* ``s`` in ``0..23``, ordered exactly like the item
bits of the observation (slot ``s`` is observation index ``49 + s``); a 25th, always-empty slot
stands in for "the robot is not on a shelf", so gathers at the robot's slot need no masking. The
state of all ``N`` environments is slot-major (one row per slot, one column per environment), so
that per-environment reductions and broadcasts run along contiguous rows:

- ``_cell`` ``(N,)``: robot position as flat cell index ``7 * row + col``.
- ``_pos`` ``(25, N)`` int16: the item's 1-based position in the original's item list; 0 = empty.
- ``_age`` ``(25, N)`` int16: item age; empty slots hold large negative values (a blanket
  ``+= 1`` per step cannot bring them to 0 within an episode).

Why the list position is enough for a vectorised removal pass: every item ages by one per step, so
the list (appearance order) is sorted by age, oldest first, and the items with ``age >= 8`` form a
prefix, positions ``1..m``. The only other item meeting the removal condition is the one under the
robot (position ``q``). So the pass is a function of ``(m, q)`` alone: iterating-and-removing over a
maximal run of consecutive items that meet the condition removes exactly its 1st, 3rd, 5th...
items (the one after each removed item is skipped), i.e. the odd positions of the run ``1..L``
(``L = m + 1`` if ``q == m + 1``, else ``m``), plus the robot's item when it stands alone
(``q > m + 1``). A (25, 25, 25) table, built once by running the original loop on a list of
positions, maps ``(m, q, p)`` to each item's new position: one gather per step, no sorting, no loop
over items.
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

# Empty slots' ages: far below zero, so that ``+= 1`` per step keeps them negative for an episode.
_EMPTY_AGE = -16384
_NO_SLOT = NUM_SLOTS  # index of the always-empty padding slot
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by itemsize

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
# 0..13), then rows 0..6 x columns {0, 6} row-major (slots 0, 6, 14..23, 7, 13), which revisits
# the four corners at draws 14, 15 (slots 0, 6) and 26, 27 (slots 7, 13).
_SWEEP_SLOTS = np.array([*range(14), 0, 6, *range(14, 24), 7, 13], dtype=np.int64)


def _removal_table(removal_quirk: bool) -> np.ndarray:
    """New list position after one removal pass, indexed ``[m, q, p]``, shape (25, 25, 25) int16.

    ``m``: number of items with age >= 8 (list positions 1..m, see the module docstring); ``q``:
    list position of the item under the robot (0 = none); ``p``: an item's list position
    (0 = empty slot). The entry is the item's position after the pass, 0 if it was removed.
    The fate of position p depends only on positions <= p, so the list length is not needed.
    Built by running the original's loop on a list of positions, so the quirk holds by
    construction.
    """
    table = np.zeros((NUM_SLOTS + 1,) * 3, dtype=np.int16)
    for m in range(NUM_SLOTS + 1):
        for q in range(NUM_SLOTS + 1):
            items = list(range(1, NUM_SLOTS + 1))
            if removal_quirk:
                for p in items:  # removing while iterating, as the original does
                    if p <= m or p == q:
                        items.remove(p)
            else:
                items = [p for p in items if not (p <= m or p == q)]
            for new_p, p in enumerate(items, start=1):
                table[m, q, p] = new_p
    return table


_REMOVAL_TABLES = {quirk: _removal_table(quirk) for quirk in (True, False)}
# Same index: how much a removed item's age drops to mark its slot empty (0 for everything else).
_AGE_DROP_TABLES = {
    quirk: np.where((table == 0) & (np.arange(NUM_SLOTS + 1) > 0), -_EMPTY_AGE, 0).astype(np.int16)
    for quirk, table in _REMOVAL_TABLES.items()
}
# (m, q) -> flat offset of the table block [m, q, :].
_REMOVAL_BLOCK = (
    np.arange(NUM_SLOTS + 1)[:, None] * (NUM_SLOTS + 1) + np.arange(NUM_SLOTS + 1)
) * (NUM_SLOTS + 1)

# Observation with only the robot bit set, by robot cell: (49, 73).
_ROBOT_OBS = np.eye(NUM_CELLS, OBS_DIM, dtype=np.float32)

# Slot -> its first-sweep draw (the corners' second draws are added separately).
_SLOT_FIRST_DRAW = np.array([*range(14), *range(16, 26)], dtype=np.int64)
# For the matmul form of the running count: row 0 of the (29, n) operand holds the list length,
# rows 1..28 the spawn flags, so row d + 1 of the product is the position of draw d's new item.
_PREFIX_SUM = np.tril(np.ones((DRAWS_PER_PASS + 1, DRAWS_PER_PASS + 1), dtype=np.float32))
_DRAW_TO_SLOT = np.zeros((NUM_SLOTS, DRAWS_PER_PASS), dtype=np.float32)  # (24, 28) one-hot
_DRAW_TO_SLOT[_SWEEP_SLOTS, np.arange(DRAWS_PER_PASS)] = 1.0
# Up to this many environments the running count is a BLAS matmul (one call: least overhead);
# above it, shifted adds (BLAS would go multithreaded and contend with other work).
_MATMUL_MAX_ENVS = 64


def _new_item_positions(
    spawn: np.ndarray, count: np.ndarray, operand: np.ndarray | None = None
) -> np.ndarray:
    """List positions of a spawn pass's new items, by slot.

    New items are appended to the list in draw order, so draw d's item gets position
    ``count + (number of spawns among draws 0..d)``.

    Args:
        spawn: Whether each draw spawns an item, shape (28, n) bool, sweep order.
        count: Current list length per environment, shape (n,) int16.
        operand: Scratch space of shape (29, n) float32: compute the running count as a matmul
            in it; None: as shifted adds. Same result.

    Returns:
        New positions per slot, shape (24, n), 0 where nothing spawned.
    """
    if operand is not None:
        operand[0] = count
        operand[1:] = spawn
        running = (_PREFIX_SUM @ operand)[1:]
        running *= operand[1:]  # 0 where the draw spawned nothing
        return _DRAW_TO_SLOT @ running  # float32 holding small integers exactly
    # Inclusive prefix sum in log2(28) shifted adds; numpy evaluates an overlapping in-place
    # add as if its input were copied first.
    running = spawn.astype(np.int16)
    for shift in (1, 2, 4, 8, 16):
        running[shift:] += running[:-shift]
    running += count
    running *= spawn
    new_pos = running.take(_SLOT_FIRST_DRAW, axis=0)  # (24, n)
    new_pos[0:7:6] += running[14:16]  # a corner spawns in at most one of its two draws
    new_pos[7:14:6] += running[26:28]
    return new_pos


class WarehouseVecEnv(VectorEnv):
    """Batched warehouse environment (gymnasium ``VectorEnv``, same-step autoreset).

    Observations are float32 of shape (N, 73); actions are ints of shape (N,) in ``0..3``
    (up, down, left, right). Every episode lasts exactly 100 steps and ends with
    ``truncated=True`` (``terminated`` is always False). A finished environment is reset inside
    the same ``step`` call: the returned observation is the new episode's first one and
    ``infos["final_obs"]`` (N, 73) holds the last observation of the finished episode (rows of
    unfinished environments hold their current observation; ``infos["_final_obs"]`` (N,) marks
    the finished ones). ``infos["final_item_ages"]`` (N, 24) likewise holds the finished
    episode's last item ages per slot (-1 = empty). Both keys appear only on steps where some
    episode ended.

    Randomness: in normal mode one ``np.random.Generator`` (PCG64) draws a block of 28 x N
    uniforms per step (environment i's 28 draws, in the spec's order, are column i). In legacy
    mode (``legacy_rng_seeds`` given) environment ``i`` draws its 28 uniforms per reset and per
    step from its own ``np.random.RandomState(legacy_rng_seeds[i])``, which replays the original
    implementation bit-exactly. The dynamics code is the same in both modes.

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
        self.num_envs = n = int(num_envs)
        self.removal_quirk = bool(removal_quirk)
        # Flattened [m, q, p] lookups: new list position, and the age drop that empties a slot.
        self._removal_table = _REMOVAL_TABLES[self.removal_quirk].reshape(-1)
        self._age_drop_table = _AGE_DROP_TABLES[self.removal_quirk].reshape(-1)
        self.single_observation_space = spaces.Box(0.0, 1.0, (OBS_DIM,), dtype=np.float32)
        self.single_action_space = spaces.Discrete(4)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.render_mode = None

        # Private knobs: tests build deliberately wrong variants of the environment with
        # _spawn_prob, and the single-environment wrapper switches autoreset off.
        self._spawn_prob = SPAWN_PROB
        self._autoreset = True

        self._legacy: list[np.random.RandomState] | None = None
        if legacy_rng_seeds is not None:
            self._legacy = self._make_legacy_streams(legacy_rng_seeds)
        self._np_random = np.random.default_rng(seed)
        self._np_random_seed = seed

        # State (slot-major, see the module docstring) and per-step constants and buffers.
        self._cell = np.full(n, START_CELL, dtype=np.int64)
        self._pos = np.zeros((NUM_SLOTS + 1, n), dtype=np.int16)
        self._age = np.full((NUM_SLOTS + 1, n), _EMPTY_AGE, dtype=np.int16)
        self._pos_flat = self._pos.reshape(-1)  # view, for gathers at the robot's slot
        self._t = np.zeros(n, dtype=np.int64)
        self._t_max = 0  # max of _t: lets step() skip the time-limit check on most steps
        self._slot_offset = _CELL_TO_SLOT * n  # cell -> flat offset of its slot's row
        self._env_ids = np.arange(n)
        self._matmul_max_envs = _MATMUL_MAX_ENVS
        self._uniforms = np.empty((DRAWS_PER_PASS, n), dtype=np.float64)
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
        self._reset_envs(self._env_ids)
        self._needs_reset = False
        return self._observe(), {}

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
        if actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({self.num_envs},), "
                f"got {actions.dtype} of shape {actions.shape}"
            )
        # As unsigned, negative actions are huge: one max() checks both bounds.
        if actions.view(_UNSIGNED[actions.itemsize]).max() > 3:
            raise ValueError(f"actions must be in 0..3, got {actions!r}")
        cell = _NEXT_CELL[self._cell, actions]

        # 1. move; 2. age every item (empty slots stay hugely negative).
        self._cell = cell
        robot_flat = self._slot_offset[cell] + self._env_ids  # flat index of the robot's slot
        self._age += 1
        # 3. reward: the robot's slot holds an item (list position > 0).
        robot_pos = self._pos_flat.take(robot_flat)
        rewards = (robot_pos > 0).astype(np.float32)
        # 4. removal pass; 5. spawn pass.
        self._remove_items(robot_pos)
        self._draw_uniforms(self._uniforms, None)
        self._spawn(self._age, self._pos, self._uniforms)
        # 6. observation and time limit.
        obs = self._observe()
        self._t += 1
        self._t_max += 1
        terminated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        if self._t_max < EPISODE_LENGTH:  # no episode can end on this step
            truncated = np.zeros(self.num_envs, dtype=bool)
        else:
            truncated = self._t >= EPISODE_LENGTH
            if self._autoreset:
                infos["final_obs"] = obs
                infos["_final_obs"] = truncated.copy()
                infos["final_item_ages"] = self.item_age_grid
                infos["_final_item_ages"] = truncated.copy()
                self._reset_envs(np.flatnonzero(truncated))
                obs = self._observe()
            else:
                self._needs_reset = True
        return obs, rewards, terminated, truncated, infos

    def get_state(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue bit-exactly (numpy arrays and plain values).

        Used by training checkpoints; `set_state` on an environment built with the same
        arguments restores it.
        """
        legacy = None
        if self._legacy is not None:
            legacy = []
            for stream in self._legacy:
                state = stream.get_state(legacy=False)
                # int64, not uint32: checkpoints store arrays as torch tensors.
                state["state"]["key"] = state["state"]["key"].astype(np.int64)
                legacy.append(state)
        return {
            "cell": self._cell.copy(),
            "pos": self._pos.copy(),
            "age": self._age.copy(),
            "t": self._t.copy(),
            "needs_reset": self._needs_reset,
            "np_random": self._np_random.bit_generator.state,
            "legacy": legacy,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state` returned (the environment's arguments must be the same)."""
        if state["cell"].shape != self._cell.shape:
            raise ValueError(
                f"state is for {state['cell'].shape[0]} environments, this one has {self.num_envs}"
            )
        if (state["legacy"] is None) != (self._legacy is None):
            raise ValueError("state and environment disagree on legacy RNG mode")
        self._cell = np.array(state["cell"], dtype=np.int64)
        # In place: _pos_flat is a view of _pos.
        np.copyto(self._pos, state["pos"])
        np.copyto(self._age, state["age"])
        np.copyto(self._t, state["t"])
        self._t_max = int(self._t.max())
        self._needs_reset = bool(state["needs_reset"])
        self._np_random.bit_generator.state = state["np_random"]
        for stream, saved in zip(self._legacy or [], state["legacy"] or [], strict=True):
            saved = {**saved, "state": dict(saved["state"])}
            saved["state"]["key"] = np.asarray(saved["state"]["key"]).astype(np.uint32)
            stream.set_state(saved)

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
        present = self._pos[:NUM_SLOTS] > 0
        return np.where(present, self._age[:NUM_SLOTS], -1).astype(np.int16).T.copy()

    @property
    def item_rank(self) -> np.ndarray:
        """Position of each slot's item in the original's item list, shape (N, 24) int16.

        0 is the first (oldest) item; -1 where the slot is empty.
        """
        return (self._pos[:NUM_SLOTS] - 1).T.copy()

    def item_ages(self) -> list[list[tuple[int, int, int]]]:
        """Present items per environment as ``(row, col, age)``, in the original's list order."""
        result = []
        for env_pos, env_age in zip(self._pos[:NUM_SLOTS].T, self._age[:NUM_SLOTS].T, strict=True):
            slots = np.flatnonzero(env_pos)
            slots = slots[np.argsort(env_pos[slots])]
            result.append([(int(SLOT_ROWS[s]), int(SLOT_COLS[s]), int(env_age[s])) for s in slots])
        return result

    # ------------------------------------------------------------------ dynamics

    def _remove_items(self, robot_pos: np.ndarray) -> None:
        """Removal pass (step 4 of the spec), in place, for all environments.

        Args:
            robot_pos: List position of the item under the robot (0 = none), shape (N,) int16.
        """
        pos, age = self._pos, self._age
        m = (age >= MAX_ITEM_AGE).sum(axis=0, dtype=np.int16)  # old items: positions 1..m
        # Flat index [m, q, p] into the tables, one per (slot, environment).
        index = pos + _REMOVAL_BLOCK[m, robot_pos]
        age -= self._age_drop_table.take(index)  # removed items' slots become empty
        self._removal_table.take(index, out=pos)

    def _spawn(self, age: np.ndarray, pos: np.ndarray, uniforms: np.ndarray) -> None:
        """Spawn pass (step 5 of the spec), in place, for n environments.

        Args:
            age: Item ages, shape (25, n) int16.
            pos: Item list positions (0 = empty), shape (25, n) int16.
            uniforms: The pass's 28 uniforms per environment in draw order, shape (28, n).
        """
        # A draw spawns when u < p and its cell is free. The free set is re-taken before the
        # second sweep, which only matters for the corners: a corner is free there only if its
        # first-sweep draw did not fill it.
        spawn = uniforms < self._spawn_prob
        spawn &= (pos == 0).take(_SWEEP_SLOTS, axis=0)
        np.greater(spawn[14:16], spawn[0:7:6], out=spawn[14:16])  # bools: a > b is a & ~b
        np.greater(spawn[26:28], spawn[7:14:6], out=spawn[26:28])
        operand = None
        if spawn.shape[1] <= self._matmul_max_envs:
            operand = np.empty((DRAWS_PER_PASS + 1, spawn.shape[1]), dtype=np.float32)
        new_pos = _new_item_positions(spawn, pos.max(axis=0), operand)
        np.add(pos[:NUM_SLOTS], new_pos, out=pos[:NUM_SLOTS], casting="unsafe")  # empties: 0
        age[:NUM_SLOTS] *= new_pos == 0  # new items start at age 0

    def _reset_envs(self, env_ids: np.ndarray) -> None:
        """Reset the given environments: empty shelves, robot at the centre, one spawn pass."""
        n = len(env_ids)
        age = np.full((NUM_SLOTS + 1, n), _EMPTY_AGE, dtype=np.int16)
        pos = np.zeros((NUM_SLOTS + 1, n), dtype=np.int16)
        uniforms = np.empty((DRAWS_PER_PASS, n), dtype=np.float64)
        self._draw_uniforms(uniforms, env_ids)
        self._spawn(age, pos, uniforms)
        self._age[:, env_ids] = age
        self._pos[:, env_ids] = pos
        self._cell[env_ids] = START_CELL
        self._t[env_ids] = 0
        self._t_max = int(self._t.max())

    def _observe(self) -> np.ndarray:
        """A fresh (N, 73) float32 observation of the current state (the caller may keep it)."""
        obs = _ROBOT_OBS.take(self._cell, axis=0)  # robot bit set, item bits still 0
        np.copyto(obs[:, NUM_CELLS:], (self._pos[:NUM_SLOTS] > 0).T)
        return obs

    def _draw_uniforms(self, out: np.ndarray, env_ids: np.ndarray | None) -> None:
        """Fill ``out`` (28, n) with the next 28 uniforms of each environment in ``env_ids``.

        ``env_ids=None`` means all environments (``out`` then has N columns).
        """
        if self._legacy is None:
            self._np_random.random(out=out)
            return
        ids = range(self.num_envs) if env_ids is None else env_ids
        for column, env_id in enumerate(ids):
            # random_sample(28) yields the same doubles as 28 scalar np.random.uniform() calls.
            out[:, column] = self._legacy[env_id].random_sample(DRAWS_PER_PASS)

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
        # Share gymnasium's seeded generator, so that env.np_random is the env's randomness.
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
