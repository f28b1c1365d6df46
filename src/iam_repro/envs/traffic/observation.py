"""Observation of the traffic environment (``shared/spec/traffic.md`` section 5): 30 cell counts.

The original draws every vehicle's front-bumper position into a 30 x 30 occupancy map of 4 m
pixels over x, y in [-10, 110] (the net boundary enlarged by 10 m), cuts out the 15 x 15 window
x, y in [6, 66], turns it north-up and returns the column through the junction (north to south,
``obs[0:15]``) and the row through it (west to east, ``obs[15:30]``). Only the pixels on those
two lines matter, so the map is never built here: a vehicle in map column 12 at map row ``iy``
counts for ``obs[18 - iy]``, one in map row 12 at map column ``ix`` for ``obs[ix + 11]`` (the
junction pixel (12, 12) is both ``obs[6]`` and ``obs[23]``).

Pixel index of a coordinate: ``round_half_even((coord + 10) * 0.25 - 0.5)`` -- Python's
``round`` in the original; ``numpy.rint`` rounds half to even too. The expression is evaluated in
the original's order, so exact ties (coordinates = 2 mod 4 m) land in the same pixel.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "D_SET",
    "GRID_ORIGIN",
    "GRID_SIZE",
    "JUNCTION_PIXEL",
    "OBS_DIM",
    "RESOLUTION",
    "WINDOW",
    "count_vehicle",
    "map_observation",
    "observation_from_positions",
    "occupancy_map",
    "pixel_index",
]

GRID_ORIGIN = -10.0  # metres: net boundary (0, 0) minus 10 m, both axes
RESOLUTION = 0.25  # pixels per metre (4 m pixels)
GRID_SIZE = 30  # pixels per axis: round((110 - (-10)) * 0.25 - 0.5)
#: Window pixels [start, stop) in both axes: box corners (9, 9) and (68, 68) m.
WINDOW: tuple[int, int] = (4, 19)
JUNCTION_PIXEL = 12  # the column (x 38-42 m) and row (y 38-42 m) through the junction
OBS_DIM = 30
#: IAM_manual's d-set: the last two visible cells of each exit road (section 5.4).
D_SET: tuple[int, ...] = (13, 14, 28, 29)


def pixel_index(coord: ArrayLike) -> np.ndarray:
    """Map pixel index (int64) of coordinates in metres, half-to-even as in the original."""
    coord = np.asarray(coord, dtype=np.float64)
    return np.rint((coord - GRID_ORIGIN) * RESOLUTION - 0.5).astype(np.int64)


def occupancy_map(positions: ArrayLike) -> np.ndarray:
    """The original's full (30, 30) count map ``A[ix, iy]`` of front positions ``(n, 2)``.

    Positions outside the map are dropped (the original printed an IndexError; none occur on
    this network, whose shapes stay within [0, 103.2] m).
    """
    xy = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    ix, iy = pixel_index(xy[:, 0]), pixel_index(xy[:, 1])
    inside = (ix >= 0) & (ix < GRID_SIZE) & (iy >= 0) & (iy < GRID_SIZE)
    counts = np.zeros((GRID_SIZE, GRID_SIZE), dtype=np.float64)
    np.add.at(counts, (ix[inside], iy[inside]), 1.0)
    return counts


def map_observation(counts: np.ndarray) -> np.ndarray:
    """The 30-vector from a full map, literally as the original slices it (for checking)."""
    start, stop = WINDOW
    image = counts[start:stop, start:stop].T[::-1]  # M[r][c] = A[4 + c][18 - r]
    middle = JUNCTION_PIXEL - start  # 8
    row = (stop - 1) - JUNCTION_PIXEL  # 6: image row of map row 12
    return np.concatenate([image[:, middle], image[row, :]]).astype(np.float32)


def observation_from_positions(positions: ArrayLike) -> np.ndarray:
    """The (30,) float32 observation of vehicle front positions ``(n, 2)`` in metres.

    Equal to ``map_observation(occupancy_map(positions))`` without building the map.
    """
    xy = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    ix, iy = pixel_index(xy[:, 0]), pixel_index(xy[:, 1])
    start, stop = WINDOW
    column = (ix == JUNCTION_PIXEL) & (iy >= start) & (iy < stop)
    row = (iy == JUNCTION_PIXEL) & (ix >= start) & (ix < stop)
    cells = np.concatenate([(stop - 1) - iy[column], ix[row] + (OBS_DIM // 2 - start)])
    return np.bincount(cells, minlength=OBS_DIM).astype(np.float32)


_FIRST, _LAST = WINDOW[0], WINDOW[1] - 1  # window pixels 4..18, inclusive
_ROW_OFFSET = OBS_DIM // 2 - WINDOW[0]  # map column ix -> obs[ix + 11]


def count_vehicle(obs: np.ndarray, x: float, y: float) -> None:
    """Add one vehicle at front position (x, y) to ``obs`` in place.

    The scalar form of :func:`observation_from_positions`, for the environment's step loop (a
    handful of cars: plain Python is several times faster than numpy here). The pixel index is
    evaluated in the original's order with Python's half-to-even ``round``.
    """
    ix = round((x - GRID_ORIGIN) * RESOLUTION - 0.5)
    iy = round((y - GRID_ORIGIN) * RESOLUTION - 0.5)
    if ix == JUNCTION_PIXEL and _FIRST <= iy <= _LAST:
        obs[_LAST - iy] += 1.0
    if iy == JUNCTION_PIXEL and _FIRST <= ix <= _LAST:
        obs[ix + _ROW_OFFSET] += 1.0
