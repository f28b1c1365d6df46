"""Tests of the traffic observation (spec section 5): positions -> 30 cell counts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from iam_repro.envs.traffic.controller import TrafficLightController
from iam_repro.envs.traffic.observation import (
    D_SET,
    OBS_DIM,
    map_observation,
    observation_from_positions,
    occupancy_map,
    pixel_index,
)
from iam_repro.envs.traffic.sim import TrafficSim

LANE = 38.4  # centre line of both roads through the junction


def lit(obs: np.ndarray) -> list[int]:
    return np.flatnonzero(obs).tolist()


def test_pixel_borders_round_half_to_even() -> None:
    # pixel k covers [4k - 10, 4k - 6]; a coordinate on a border goes to the even k
    coords = [2.0, 6.0, 10.0, 38.0, 42.0, 46.0, 66.0, 70.0, 37.99, 42.01, 39.9]
    assert pixel_index(coords).tolist() == [2, 4, 4, 12, 12, 14, 18, 20, 11, 13, 12]


def test_north_queue_lights_5_3_1_and_west_queue_21_19_17_15() -> None:
    # queued cars 7.5 m apart, first front at y 45.0 (north) or x 31.8 (west); the 4th north car
    # (y 67.5) is outside the window
    north = [(LANE, 45.0 + 7.5 * i) for i in range(4)]
    west = [(31.8 - 7.5 * i, LANE) for i in range(4)]
    assert lit(observation_from_positions(north)) == [1, 3, 5]
    assert lit(observation_from_positions(west)) == [15, 17, 19, 21]
    both = observation_from_positions(north + west)
    assert lit(both) == [1, 3, 5, 15, 17, 19, 21]
    assert both.dtype == np.float32 and both.shape == (OBS_DIM,)


def test_hand_computed_cells() -> None:
    cases = {
        (LANE, 64.0): 0,  # y 62-66
        (LANE, 40.0): 6,  # the junction centre counts twice: obs 6 and obs 23
        (LANE, 32.0): 8,
        (LANE, 12.0): 13,  # d-set
        (LANE, 8.0): 14,  # d-set
        (8.0, LANE): 15,
        (44.0, LANE): 24,
        (60.0, LANE): 28,  # d-set
        (64.0, LANE): 29,  # d-set
    }
    for position, index in cases.items():
        obs = observation_from_positions([position])
        expected = [6, 23] if index == 6 else [index]
        assert lit(obs) == expected, position
    assert D_SET == (13, 14, 28, 29)


def test_counts_not_bits_and_empty_and_far_away() -> None:
    obs = observation_from_positions([(LANE, 45.0), (39.0, 44.5)])
    assert obs[5] == 2.0
    assert not observation_from_positions(np.empty((0, 2))).any()
    assert not observation_from_positions([(101.6, 70.0), (1.6, 20.0), (70.0, 101.6)]).any()


def random_positions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Positions on the net, many near the junction, with exact pixel-border ties mixed in."""
    xy = rng.uniform(0.0, 103.2, size=(n, 2))
    near = rng.random(n) < 0.6
    xy[near, rng.integers(0, 2, size=near.sum())] = LANE
    ties = rng.random((n, 2)) < 0.2
    xy[ties] = 4.0 * rng.integers(0, 27, size=ties.sum()) + 2.0
    return xy


def test_equals_the_original_full_map_slicing() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        xy = random_positions(rng, int(rng.integers(0, 9)))
        obs = observation_from_positions(xy)
        np.testing.assert_array_equal(obs, map_observation(occupancy_map(xy)))
        assert obs[6] == obs[23]


class FakeVehicles:
    """The three libsumo calls TrafficSim.step reads, over fixed positions."""

    def __init__(self, positions: np.ndarray, waiting: list[float]) -> None:
        self.ids = tuple(str(i) for i in range(len(positions)))
        pairs = zip(self.ids, positions, strict=True)
        self.positions = {i: (float(x), float(y)) for i, (x, y) in pairs}
        self.waiting = dict(zip(self.ids, waiting, strict=True))


def fake_sim(vehicles: FakeVehicles) -> TrafficSim:
    """A TrafficSim whose step reads the fake vehicles (no SUMO needed)."""
    sim = object.__new__(TrafficSim)
    sim.backend = "traci"  # so that close() only calls the fake's close
    sim._tmpdir = None
    sim._evicted = False
    sim._controller = TrafficLightController()
    sim._actions = []
    sim._api = SimpleNamespace(close=lambda: None)
    sim._set_signal = lambda tls, state: None
    sim._simulation_step = lambda: None
    sim._get_ids = lambda: vehicles.ids
    sim._get_position = vehicles.positions.__getitem__
    sim._get_waiting = vehicles.waiting.__getitem__
    sim._min_expected = lambda: len(vehicles.ids)
    sim._get_time = lambda: 1.0
    return sim


def test_the_step_loop_computes_the_same_observation_and_reward() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(0, 8))
        xy = random_positions(rng, n)
        waiting = rng.choice([0.0, 1.0, 2.0, 37.0], size=n).tolist()
        vehicles = FakeVehicles(xy, waiting)
        obs, reward, terminated, truncated = fake_sim(vehicles).step(0)
        np.testing.assert_array_equal(obs, observation_from_positions(xy))
        assert obs.dtype == np.float32
        assert reward == pytest.approx(-sum(min(w, 1.0) for w in waiting) / 10, abs=1e-12)
        assert terminated == (n == 0) and not truncated
