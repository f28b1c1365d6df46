"""Tests of FrameStack against a naive per-environment deque implementation."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from iam_repro.envs import FrameStack


class NaiveFrameStack:
    """One deque of the last k frames per environment; missing frames are zeros."""

    def __init__(self, num_envs: int, obs_dim: int, k: int) -> None:
        self.obs_dim, self.k = obs_dim, k
        self.histories = [deque(maxlen=k) for _ in range(num_envs)]

    def push(self, obs: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        rows = []
        for history, frame, start in zip(self.histories, obs, episode_start, strict=True):
            if start:
                history.clear()
            history.appendleft(frame.copy())  # newest first
            frames = list(history) + [np.zeros(self.obs_dim)] * (self.k - len(history))
            rows.append(np.concatenate(frames))
        return np.stack(rows)


@pytest.mark.parametrize("k", [1, 2, 8])
def test_matches_naive_deques(k: int) -> None:
    num_envs, obs_dim = 5, 7
    rng = np.random.default_rng(k)
    stack, naive = FrameStack(num_envs, obs_dim, k), NaiveFrameStack(num_envs, obs_dim, k)
    obs = rng.random((num_envs, obs_dim), dtype=np.float32)
    np.testing.assert_array_equal(stack.reset(obs), naive.push(obs, np.ones(num_envs, bool)))
    for _ in range(60):
        obs = rng.random((num_envs, obs_dim), dtype=np.float32)
        episode_start = rng.random(num_envs) < 0.15
        np.testing.assert_array_equal(
            stack.step(obs, episode_start), naive.push(obs, episode_start)
        )


def test_k1_is_a_copy_of_the_observation() -> None:
    stack = FrameStack(3, 4, 1)
    obs = np.arange(12, dtype=np.float32).reshape(3, 4)
    out = stack.reset(obs)
    np.testing.assert_array_equal(out, obs)
    assert not np.shares_memory(out, obs)
    np.testing.assert_array_equal(stack.step(obs + 1, np.array([True, False, True])), obs + 1)


def test_warehouse_layout_newest_first_zeros_at_start() -> None:
    stack = FrameStack(2, 73, 8)
    first = np.zeros((2, 73), dtype=np.float32)
    first[:, 24] = 1
    out = stack.reset(first)
    assert out.shape == (2, 584) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, :73], first)
    assert not out[:, 73:].any()
    second = np.zeros((2, 73), dtype=np.float32)
    second[:, 17] = 1
    out = stack.step(second, np.array([False, True]))
    np.testing.assert_array_equal(out[0, :73], second[0])  # newest first...
    np.testing.assert_array_equal(out[0, 73:146], first[0])  # ...then the previous frame
    assert not out[1, 73:].any()  # a new episode forgets its history


def test_returned_arrays_are_not_reused() -> None:
    stack = FrameStack(2, 3, 4)
    out = stack.reset(np.ones((2, 3)))
    out[:] = 99  # a caller scribbling on its copy must not leak into the history
    nxt = stack.step(np.zeros((2, 3)), np.zeros(2, bool))
    np.testing.assert_array_equal(nxt[:, 3:6], 1)


def test_shape_errors() -> None:
    stack = FrameStack(2, 3, 4)
    with pytest.raises(ValueError, match="obs"):
        stack.reset(np.zeros((3, 3)))
    stack.reset(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="episode_start"):
        stack.step(np.zeros((2, 3)), np.zeros(3, bool))
    with pytest.raises(ValueError, match=">= 1"):
        FrameStack(2, 3, 0)


def test_state_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    original = FrameStack(3, 4, 3)
    original.reset(rng.random((3, 4)))
    original.step(rng.random((3, 4)), np.array([False, True, False]))
    restored = FrameStack(3, 4, 3)
    restored.set_state(original.get_state())
    obs, starts = rng.random((3, 4)), np.array([True, False, False])
    np.testing.assert_array_equal(original.step(obs, starts), restored.step(obs, starts))
    with pytest.raises(ValueError, match="shape"):
        FrameStack(2, 4, 3).set_state(original.get_state())


def test_a_stack_that_is_not_cleared_keeps_the_last_episodes_frames():
    """The original Atari stack: only the first reset zeroes it; a new episode's first
    observation lands in front of the previous episode's last frames."""
    stack = FrameStack(2, 1, 3, dtype=np.uint8, clear_at_episode_start=False)
    stack.reset(np.array([[1], [1]], np.uint8))
    stack.step(np.array([[2], [2]], np.uint8), np.array([False, False]))
    out = stack.step(np.array([[9], [3]], np.uint8), np.array([True, False]))
    assert out.dtype == np.uint8
    assert out.tolist() == [[9, 2, 1], [3, 2, 1]]
    cleared = FrameStack(2, 1, 3)
    cleared.reset(np.array([[1], [1]]))
    cleared.step(np.array([[2], [2]]), np.array([False, False]))
    assert cleared.step(np.array([[9], [3]]), np.array([True, False])).tolist() == [
        [9, 0, 0],
        [3, 2, 1],
    ]
