"""Slow, literal warehouse environment used as a test oracle.

Written from ``shared/spec/warehouse.md`` in the style of the original: one robot, a Python list of
item objects, and -- for the removal quirk -- ``list.remove`` while iterating over that same list.
It shares no code or tables with ``iam_repro.envs.warehouse``: the observation layout is computed
here straight from the spec's table.
"""

from __future__ import annotations

import numpy as np

GRID = 7
EPISODE_LENGTH = 100
MAX_AGE = 8
SPAWN_PROB = 0.05
MOVES = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}  # up, down, left, right


class Item:
    """A shelf item; compared by identity, like the original's item objects."""

    __slots__ = ("row", "col", "age")

    def __init__(self, row: int, col: int) -> None:
        self.row, self.col, self.age = row, col, 0


def obs_index_of_item(row: int, col: int) -> int:
    """Observation index of the item bit of shelf cell (row, col), from the spec's table."""
    if row == 0:
        return 49 + col
    if row == GRID - 1:
        return 56 + col
    return 63 + 2 * (row - 1) + (0 if col == 0 else 1)


class ReferenceWarehouse:
    """One warehouse environment, step by step, with an explicit item list.

    Args:
        rng: The uniform source; ``RandomState(seed)`` reproduces the golden protocol.
        removal_quirk: Remove while iterating (True, the original) or remove every item that
            meets the condition (False).
    """

    def __init__(self, rng: np.random.RandomState, removal_quirk: bool = True) -> None:
        self.rng = rng
        self.removal_quirk = removal_quirk
        self.robot = (3, 3)
        self.items: list[Item] = []
        self.steps = 0

    def reset(self) -> np.ndarray:
        """Start an episode; returns the (73,) observation."""
        self.robot = (3, 3)
        self.items = []
        self.steps = 0
        self._add_items()
        return self.observation()

    def step(self, action: int) -> tuple[np.ndarray, int, bool]:
        """Returns (observation (73,), reward, episode over)."""
        dr, dc = MOVES[int(action)]
        row, col = self.robot[0] + dr, self.robot[1] + dc
        if 0 <= row < GRID and 0 <= col < GRID:
            self.robot = (row, col)
        for item in self.items:
            item.age += 1
        reward = sum((item.row, item.col) == self.robot for item in self.items)
        self._remove_items()
        self._add_items()
        self.steps += 1
        return self.observation(), reward, self.steps >= EPISODE_LENGTH

    def _remove_items(self) -> None:
        if self.removal_quirk:
            # The original's bug, on purpose: removing from the list being iterated makes the
            # iterator skip the item that follows each removed one.
            for item in self.items:
                if (item.row, item.col) == self.robot or item.age >= MAX_AGE:
                    self.items.remove(item)
        else:
            self.items = [
                item
                for item in self.items
                if (item.row, item.col) != self.robot and item.age < MAX_AGE
            ]

    def _add_items(self) -> None:
        # Exactly 28 draws, one per visited cell whether or not it is free.
        occupied = {(item.row, item.col) for item in self.items}
        for row in (0, GRID - 1):
            for col in range(GRID):
                u = self.rng.uniform()
                if u < SPAWN_PROB and (row, col) not in occupied:
                    self.items.append(Item(row, col))
        occupied = {(item.row, item.col) for item in self.items}
        for row in range(GRID):
            for col in (0, GRID - 1):
                u = self.rng.uniform()
                if u < SPAWN_PROB and (row, col) not in occupied:
                    self.items.append(Item(row, col))

    def observation(self) -> np.ndarray:
        """The (73,) float32 observation: robot one-hot, then the item bits."""
        obs = np.zeros(73, dtype=np.float32)
        obs[GRID * self.robot[0] + self.robot[1]] = 1.0
        for item in self.items:
            obs[obs_index_of_item(item.row, item.col)] = 1.0
        return obs

    def item_list(self) -> list[tuple[int, int, int]]:
        """Items as (row, col, age), in list order."""
        return [(item.row, item.col, item.age) for item in self.items]
