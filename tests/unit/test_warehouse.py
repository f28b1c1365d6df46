"""Tests of the batched warehouse environment against golden data and a literal oracle."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode
from scipy import stats

from iam_repro.envs import WAREHOUSE_ID, make_vec_env
from iam_repro.envs.warehouse import (
    D_SET,
    SLOT_COLS,
    SLOT_ROWS,
    WarehouseEnv,
    WarehouseVecEnv,
)
from tests.unit.warehouse_reference import ReferenceWarehouse, obs_index_of_item

GOLDEN_PATH = Path(__file__).parent.parent / "data" / "warehouse_golden.json"
P_THRESHOLD = 0.01  # two-sample tests: reject "same distribution" below this p-value


@cache
def golden() -> dict:
    return json.loads(GOLDEN_PATH.read_text())


def indices(obs_row: np.ndarray) -> list[int]:
    """Observation (73,) -> sorted indices that are 1 (the golden file's format)."""
    return np.flatnonzero(obs_row).tolist()


def final_items(info: dict, env_id: int) -> list[tuple[int, int, int]]:
    """(row, col, age) of a finished episode's last items, from ``infos["final_item_ages"]``."""
    ages = info["final_item_ages"][env_id]
    return [(int(SLOT_ROWS[s]), int(SLOT_COLS[s]), int(ages[s])) for s in np.flatnonzero(ages >= 0)]


def replay_golden(removal_quirk: bool) -> list[str]:
    """Replay all golden trajectories in one batched legacy-mode env; returns the mismatches."""
    trajectories = golden()["trajectories"]
    env = WarehouseVecEnv(
        len(trajectories),
        legacy_rng_seeds=[t["seed"] for t in trajectories],
        removal_quirk=removal_quirk,
    )
    mismatches = []
    obs, _ = env.reset()
    for ep in range(3):
        episodes = [t["episodes"][ep] for t in trajectories]
        returns = np.zeros(len(trajectories))
        for i, e in enumerate(episodes):
            if indices(obs[i]) != sorted(e["obs0"]):
                mismatches.append(f"episode {ep} env {i}: obs0")
        for step in range(100):
            actions = np.array([e["actions"][step] for e in episodes])
            obs, rewards, terminated, truncated, info = env.step(actions)
            returns += rewards
            last = step == 99
            assert not terminated.any()
            assert (truncated == last).all()
            items = None if last else env.item_ages()
            for i, e in enumerate(episodes):
                where = f"episode {ep} env {i} step {step}"
                step_obs = info["final_obs"][i] if last else obs[i]
                if indices(step_obs) != sorted(e["obs"][step]):
                    mismatches.append(f"{where}: obs")
                if rewards[i] != e["rewards"][step]:
                    mismatches.append(f"{where}: reward")
                env_items = final_items(info, i) if last else items[i]
                if sorted(env_items) != sorted(map(tuple, e["item_ages"][step])):
                    mismatches.append(f"{where}: items")
        for i, e in enumerate(episodes):
            if returns[i] != e["return"]:
                mismatches.append(f"episode {ep} env {i}: return")
    return mismatches


# ---------------------------------------------------------------------------- golden data


def test_golden_replay_is_exact() -> None:
    trajectories = golden()["trajectories"]
    assert [t["seed"] for t in trajectories] == list(range(8))  # nothing to skip silently
    assert all(len(e["actions"]) == 100 for t in trajectories for e in t["episodes"])
    assert {len(t["episodes"]) for t in trajectories} == {3}
    mismatches = replay_golden(removal_quirk=True)
    assert mismatches == [], mismatches[:10]


def test_golden_contains_the_repeated_rewards_of_the_quirk() -> None:
    # The spec's count of same-item rewards on consecutive steps (robot stayed put).
    repeated = 0
    for trajectory in golden()["trajectories"]:
        for e in trajectory["episodes"]:
            robot = [min(o) for o in e["obs"]]  # the robot bit is the only index < 49
            repeated += sum(
                e["rewards"][s] == e["rewards"][s - 1] == 1 and robot[s] == robot[s - 1]
                for s in range(1, 100)
            )
    assert repeated == 11


def test_golden_replay_diverges_without_quirk() -> None:
    mismatches = replay_golden(removal_quirk=False)
    assert any(m.endswith("reward") for m in mismatches)


# ---------------------------------------------------------------------------- literal oracle


def wall_heavy_actions(rng: np.random.Generator, steps: int, num_envs: int) -> np.ndarray:
    """Random actions with long same-direction bursts, which push into walls (quirk territory)."""
    bursts = rng.integers(0, 4, size=(steps // 4 + 1, num_envs))
    return np.repeat(bursts, 4, axis=0)[:steps]


@pytest.mark.parametrize("removal_quirk", [True, False])
@pytest.mark.parametrize("policy", ["uniform", "wall_bursts"])
def test_matches_literal_oracle(removal_quirk: bool, policy: str) -> None:
    seeds = [3, 17, 2024, 99991, 5, 123456]
    steps = 350  # crosses three episode boundaries
    rng = np.random.default_rng(0)
    if policy == "uniform":
        actions = rng.integers(0, 4, size=(steps, len(seeds)))
    else:
        actions = wall_heavy_actions(rng, steps, len(seeds))
    env = WarehouseVecEnv(len(seeds), legacy_rng_seeds=seeds, removal_quirk=removal_quirk)
    oracles = [ReferenceWarehouse(np.random.RandomState(s), removal_quirk) for s in seeds]
    obs, _ = env.reset()
    np.testing.assert_array_equal(obs, np.stack([o.reset() for o in oracles]))
    max_age_seen = 0
    for step in range(steps):
        obs, rewards, _, truncated, info = env.step(actions[step])
        for i, oracle in enumerate(oracles):
            o_obs, o_reward, o_done = oracle.step(actions[step, i])
            assert truncated[i] == o_done, (step, i)
            assert rewards[i] == o_reward, (step, i)
            if o_done:
                np.testing.assert_array_equal(info["final_obs"][i], o_obs)
                assert sorted(final_items(info, i)) == sorted(oracle.item_list())
                o_obs = oracle.reset()
            else:
                # Same items in the same list order: the order drives the quirk.
                assert env.item_ages()[i] == oracle.item_list(), (step, i)
                max_age_seen = max([max_age_seen] + [age for *_, age in oracle.item_list()])
            np.testing.assert_array_equal(obs[i], o_obs, err_msg=f"step {step} env {i}")
    # Only the quirk lets an item outlive a removal pass at age >= 8: it was exercised.
    assert (max_age_seen >= 8) == removal_quirk


def test_staggered_episodes_match_oracle() -> None:
    # Autoreset must not assume that all environments finish together.
    seeds = [11, 12, 13]
    offsets = [0, 37, 99]  # steps already taken in the first episode
    env = WarehouseVecEnv(len(seeds), legacy_rng_seeds=seeds)
    oracles = [ReferenceWarehouse(np.random.RandomState(s)) for s in seeds]
    env.reset()
    for oracle, offset in zip(oracles, offsets, strict=True):
        oracle.reset()
        oracle.steps = offset
    env._t[:] = offsets  # white-box: fast-forward the step counters
    env._t_max = max(offsets)
    rng = np.random.default_rng(1)
    ends = []
    for step in range(250):
        actions = rng.integers(0, 4, size=len(seeds))
        obs, rewards, _, truncated, _ = env.step(actions)
        for i, oracle in enumerate(oracles):
            o_obs, o_reward, o_done = oracle.step(actions[i])
            assert (truncated[i], rewards[i]) == (o_done, o_reward), (step, i)
            if o_done:
                ends.append((step, i))
                o_obs = oracle.reset()
            np.testing.assert_array_equal(obs[i], o_obs)
    assert ends[:3] == [(0, 2), (62, 1), (99, 0)]


def test_running_count_implementations_agree() -> None:
    # Small batches count spawns with a matmul, large ones with shifted adds: same dynamics.
    envs = [WarehouseVecEnv(96, seed=4) for _ in range(2)]
    envs[0]._matmul_max_envs, envs[1]._matmul_max_envs = 10**6, 0  # force each implementation
    first = [env.reset()[0] for env in envs]
    np.testing.assert_array_equal(*first)
    for actions in np.random.default_rng(4).integers(0, 4, size=(250, 96)):
        (obs_a, rew_a, *_), (obs_b, rew_b, *_) = (env.step(actions) for env in envs)
        np.testing.assert_array_equal(obs_a, obs_b)
        np.testing.assert_array_equal(rew_a, rew_b)
        np.testing.assert_array_equal(envs[0].item_rank, envs[1].item_rank)


# ---------------------------------------------------------------------------- return statistics


def greedy_actions(env: WarehouseVecEnv, rng: np.random.Generator) -> np.ndarray:
    """The golden file's greedy policy, vectorised over environments.

    Walk towards the nearest present item (Manhattan distance; ties: oldest, i.e. earliest in
    the item list), vertical move before horizontal; a uniform random action when there is no
    item or the robot stands on one.
    """
    robot_row, robot_col = env.robot_positions.T[:, :, None]  # (N, 1) each
    rank = env.item_rank  # (N, 24), -1 = empty
    dist = np.abs(SLOT_ROWS - robot_row) + np.abs(SLOT_COLS - robot_col)
    key = np.where(rank >= 0, dist * 64 + rank, np.iinfo(np.int64).max)
    target = key.argmin(axis=1)
    target_row, target_col = SLOT_ROWS[target], SLOT_COLS[target]
    robot_row, robot_col = robot_row[:, 0], robot_col[:, 0]
    actions = np.select(
        [target_row < robot_row, target_row > robot_row, target_col < robot_col],
        [0, 1, 2],
        default=3,
    )
    no_target = (rank < 0).all(axis=1) | (dist[np.arange(len(target)), target] == 0)
    return np.where(no_target, rng.integers(0, 4, size=len(actions)), actions)


def episode_returns(
    policy: str,
    num_episodes: int,
    seed: int,
    spawn_prob: float | None = None,
    removal_quirk: bool = True,
) -> np.ndarray:
    """Returns of ``num_episodes`` episodes run side by side, shape (num_episodes,)."""
    env = WarehouseVecEnv(num_episodes, seed=seed, removal_quirk=removal_quirk)
    if spawn_prob is not None:
        env._spawn_prob = spawn_prob  # a deliberately wrong environment
    rng = np.random.default_rng(seed + 1)
    env.reset()
    returns = np.zeros(num_episodes)
    for _ in range(100):
        if policy == "random":
            actions = rng.integers(0, 4, size=num_episodes)
        else:
            actions = greedy_actions(env, rng)
        _, rewards, _, truncated, _ = env.step(actions)
        returns += rewards
    assert truncated.all()
    return returns


def same_distribution_p_values(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """p-values of Mann-Whitney U (location) and two-sample Kolmogorov-Smirnov (shape)."""
    return (
        stats.mannwhitneyu(ours, reference).pvalue,
        stats.ks_2samp(ours, reference).pvalue,
    )


@pytest.mark.parametrize("policy", ["random", "greedy"])
def test_return_distribution_matches_original(policy: str) -> None:
    key = "random" if policy == "random" else "greedy_nearest"
    reference = np.array(golden()["policy_return_stats"][key]["returns"])
    assert len(reference) == 2000
    ours = episode_returns(policy, num_episodes=2000, seed=20240611)
    p_location, p_shape = same_distribution_p_values(ours, reference)
    assert p_location > P_THRESHOLD and p_shape > P_THRESHOLD, (ours.mean(), reference.mean())


@pytest.mark.parametrize("policy", ["random", "greedy"])
@pytest.mark.parametrize(
    "wrong_env",
    [
        {"spawn_prob": 0.10},  # items twice as often
        {"removal_quirk": False},  # items under removal live shorter: returns drop by ~1
    ],
    ids=["spawn_prob_0.10", "no_removal_quirk"],
)
def test_return_distribution_test_rejects_a_wrong_env(policy: str, wrong_env: dict) -> None:
    # The same test must fail for a deliberately wrong environment.
    key = "random" if policy == "random" else "greedy_nearest"
    reference = np.array(golden()["policy_return_stats"][key]["returns"])
    ours = episode_returns(policy, num_episodes=2000, seed=20240611, **wrong_env)
    p_location, p_shape = same_distribution_p_values(ours, reference)
    assert p_location < P_THRESHOLD and p_shape < P_THRESHOLD


# ---------------------------------------------------------------------------- spec facts


def test_reset_observation_layout() -> None:
    env = WarehouseVecEnv(64, seed=0)
    obs, _ = env.reset()
    assert obs.shape == (64, 73) and obs.dtype == np.float32
    assert obs in env.observation_space
    np.testing.assert_array_equal(obs[:, :49].argmax(axis=1), 24)  # robot at (3, 3)
    np.testing.assert_array_equal(obs[:, :49].sum(axis=1), 1)
    # Items at reset are fresh, and their bits sit where the spec's table says.
    for i, items in enumerate(env.item_ages()):
        assert all(age == 0 for _, _, age in items)
        expected = sorted(obs_index_of_item(row, col) for row, col, _ in items)
        assert indices(obs[i, 49:]) == [k - 49 for k in expected]


def test_item_bit_mapping_matches_spec_table() -> None:
    spec_table = {49: (0, 0), 55: (0, 6), 56: (6, 0), 62: (6, 6), 63: (1, 0), 64: (1, 6)}
    spec_table |= {65: (2, 0), 71: (5, 0), 72: (5, 6)}
    for index, cell in spec_table.items():
        assert (SLOT_ROWS[index - 49], SLOT_COLS[index - 49]) == cell
    slots = [(int(r), int(c)) for r, c in zip(SLOT_ROWS, SLOT_COLS, strict=True)]
    assert [obs_index_of_item(r, c) for r, c in slots] == list(range(49, 73))
    perimeter = {(r, c) for r in range(7) for c in range(7) if r in (0, 6) or c in (0, 6)}
    assert set(slots) == perimeter


def test_d_set_is_the_papers() -> None:
    assert (0, *range(49, 73)) == D_SET
    assert len(D_SET) == 25


@pytest.mark.parametrize(
    ("action", "expected_path"),
    [
        (0, [(2, 3), (1, 3), (0, 3), (0, 3), (0, 3)]),
        (1, [(4, 3), (5, 3), (6, 3), (6, 3), (6, 3)]),
        (2, [(3, 2), (3, 1), (3, 0), (3, 0), (3, 0)]),
        (3, [(3, 4), (3, 5), (3, 6), (3, 6), (3, 6)]),
    ],
)
def test_moves_and_walls(action: int, expected_path: list[tuple[int, int]]) -> None:
    env = WarehouseVecEnv(2, seed=1)
    env.reset()
    for row, col in expected_path:
        obs, *_ = env.step(np.full(2, action))
        np.testing.assert_array_equal(env.robot_positions, [[row, col]] * 2)
        np.testing.assert_array_equal(obs[:, :49].argmax(axis=1), 7 * row + col)


def test_truncation_and_same_step_autoreset() -> None:
    assert WarehouseVecEnv.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    env = WarehouseVecEnv(16, seed=5)
    obs, _ = env.reset()
    rng = np.random.default_rng(5)
    for episode in range(2):
        for step in range(1, 101):
            previous_items = env.item_age_grid
            obs, rewards, terminated, truncated, info = env.step(rng.integers(0, 4, size=16))
            assert rewards.dtype == np.float32 and rewards.shape == (16,)
            assert not terminated.any()
            if step < 100:
                assert not truncated.any() and info == {}
                continue
            assert truncated.all(), episode
            assert info["_final_obs"].all()
            final_obs = info["final_obs"]
            # final_obs is the old episode's last state: items aged by one (or new)...
            final_ages = info["final_item_ages"]
            aged = previous_items >= 0
            survived = aged & (final_ages >= 0) & (final_ages != 0)
            np.testing.assert_array_equal(final_ages[survived], previous_items[survived] + 1)
            np.testing.assert_array_equal(final_obs[:, 49:], final_ages >= 0)
            # ...while the returned obs is a fresh episode: robot at the centre, fresh items.
            np.testing.assert_array_equal(obs[:, :49].argmax(axis=1), 24)
            fresh = env.item_age_grid
            assert (fresh <= 0).all()
            np.testing.assert_array_equal(obs[:, 49:], fresh == 0)


def test_determinism() -> None:
    def trajectory(seed: int) -> np.ndarray:
        env = make_vec_env("warehouse", 4, seed)
        obs, _ = env.reset()
        actions = np.random.default_rng(0).integers(0, 4, size=(150, 4))
        frames = [obs] + [env.step(a)[0] for a in actions]
        return np.stack(frames)

    np.testing.assert_array_equal(trajectory(7), trajectory(7))
    assert not np.array_equal(trajectory(7), trajectory(8))


def test_reset_seed_reseeds() -> None:
    env = WarehouseVecEnv(8, seed=0)
    first, _ = env.reset(seed=42)
    env.step(np.zeros(8, dtype=np.int64))
    again, _ = env.reset(seed=42)
    np.testing.assert_array_equal(first, again)


def test_invalid_actions_and_order_are_rejected() -> None:
    env = WarehouseVecEnv(3, seed=0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, dtype=np.int64))
    env.reset()
    for bad in (np.array([0, 1, 4]), np.array([0, -1, 2]), np.zeros(2, dtype=int), np.zeros(3)):
        with pytest.raises(ValueError, match="actions"):
            env.step(bad)
    with pytest.raises(ValueError, match="legacy_rng_seeds"):
        WarehouseVecEnv(3, legacy_rng_seeds=[1, 2])


def test_make_vec_env_names() -> None:
    env = make_vec_env("warehouse", 5, seed=0, removal_quirk=False)
    assert isinstance(env, WarehouseVecEnv) and env.num_envs == 5 and not env.removal_quirk
    with pytest.raises(ValueError, match="'warehouse'"):
        make_vec_env("warehose", 5, seed=0)


def test_registered_single_env_passes_gymnasium_checks() -> None:
    env = gymnasium.make(WAREHOUSE_ID)
    assert isinstance(env.unwrapped, WarehouseEnv)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    assert obs.shape == (73,) and obs[24] == 1
    for step in range(1, 101):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert isinstance(reward, float) and not terminated
        assert truncated == (step == 100)
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(0)


def test_registered_vector_entry_point() -> None:
    envs = gymnasium.make_vec(WAREHOUSE_ID, num_envs=3, vectorization_mode="vector_entry_point")
    assert isinstance(envs, WarehouseVecEnv)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, 73)


@pytest.mark.parametrize("legacy", [False, True], ids=["pcg64", "legacy-rng"])
def test_state_round_trip_continues_identically(legacy):
    """get_state/set_state (training checkpoints): a fresh env continues like the original."""
    kwargs = {"legacy_rng_seeds": list(range(10, 16))} if legacy else {}
    original = WarehouseVecEnv(6, seed=3, **kwargs)
    original.reset(seed=None if legacy else 3)
    actions = np.random.default_rng(0).integers(0, 4, size=(400, 6))
    for a in actions[:137]:  # mid-episode, after some resets
        original.step(a)
    restored = WarehouseVecEnv(6, seed=99, **({"legacy_rng_seeds": [0] * 6} if legacy else {}))
    restored.set_state(original.get_state())
    for a in actions[137:]:
        expected, got = original.step(a), restored.step(a)
        for e, g in zip(expected[:4], got[:4], strict=True):
            np.testing.assert_array_equal(e, g)
    np.testing.assert_array_equal(original.item_age_grid, restored.item_age_grid)


def test_state_of_another_size_is_refused():
    with pytest.raises(ValueError, match="6 environments"):
        WarehouseVecEnv(4).set_state(WarehouseVecEnv(6).get_state())
