"""Flickering Atari (iam_repro.envs.atari): fast C++ backend vs the reference wrappers, protocol."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ale_py")

from iam_repro.envs.atari import OBS_DIM, AtariVecEnv, resolve_game  # noqa: E402
from iam_repro.envs.atari_wrappers import FIRE, NOOP, uniform_int  # noqa: E402

FIELDS = ("obs", "reward", "terminated", "truncated", "log_reward", "log_done", "log_return")


def rollout(
    env: AtariVecEnv, actions: np.ndarray, seed: int | None = None
) -> list[dict[str, np.ndarray]]:
    """Reset, then step through ``actions`` (T, N); every output of every step."""
    obs, info = env.reset(seed=seed)
    out = [{"obs": obs, "lives": info["lives"]}]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        record = {"obs": obs, "reward": reward, "terminated": terminated, "truncated": truncated}
        record.update({k: v for k, v in info.items() if not k.startswith("_")})
        out.append(record)
    return out


def fire_heavy_actions(num_actions: int, steps: int, n: int, seed: int = 0) -> np.ndarray:
    """Random actions with FIRE half the time (the ball is in play, lives are lost)."""
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, num_actions, (steps, n))
    actions[rng.random((steps, n)) < 0.5] = FIRE
    return actions


def assert_same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x.keys() == y.keys(), t
        for key in x:
            np.testing.assert_array_equal(x[key], y[key], err_msg=f"step {t}, {key}")


@pytest.mark.parametrize(
    ("game", "steps"), [("breakout", 500), ("pong", 150), ("space_invaders", 200)]
)
def test_vector_backend_equals_wrapper_pipeline(game: str, steps: int) -> None:
    # Same seed, same actions: every output agrees exactly, no-ops included (noop_max=30: the
    # wrappers draw the no-op count like ale-py's C++ env, see test_noop_draws_match_ale).
    kwargs = {"game": game, "flicker": True, "noop_max": 30}
    fast = AtariVecEnv(2, 11, backend="vector", **kwargs)
    ref = AtariVecEnv(2, 11, backend="wrappers", **kwargs)
    actions = fire_heavy_actions(fast.single_action_space.n, steps, 2)
    a, b = rollout(fast, actions), rollout(ref, actions)
    assert_same(a, b)
    if game == "breakout":  # the comparison covered lost lives and whole games
        assert sum(r["terminated"].sum() for r in a[1:]) >= 10
        assert sum(r["log_done"].sum() for r in a[1:]) >= 1
        assert any("final_obs" in r for r in a)


def test_noop_draws_match_ale() -> None:
    # uniform_int reproduces the C++ env's no-op counts (its episode frame number after reset).
    from ale_py.vector_env import AtariVectorEnv

    env = AtariVectorEnv(
        "breakout", 1, num_threads=1, stack_num=1, noop_max=30, use_fire_reset=False
    )
    counts = []
    for seed in range(5):
        _, info = env.reset(seed=seed)
        got = [int(info["episode_frame_number"][0])]
        got += [int(env.reset()[1]["episode_frame_number"][0]) for _ in range(3)]
        rng = np.random.RandomState(seed)
        assert got == [uniform_int(rng, 29) for _ in range(4)]
        counts += got
    assert min(counts) >= 0 and max(counts) <= 29 and len(set(counts)) > 5
    env.close()


def test_seeded_reset_is_reproducible_and_seeds_differ() -> None:
    for backend in ("vector", "wrappers"):
        env = AtariVecEnv(2, 5, backend=backend, flicker=True)
        actions = fire_heavy_actions(4, 40, 2, seed=1)
        first = rollout(env, actions)
        again = rollout(env, actions, seed=5)  # re-seeding replays the run
        assert_same(first, again)
        other = AtariVecEnv(2, 6, backend=backend, flicker=True)
        blanks = [r["blanked"] for r in rollout(other, actions)[1:]]
        assert not np.array_equal(blanks, [r["blanked"] for r in first[1:]])


def test_flicker_rate_independence_and_first_observations() -> None:
    n, steps = 8, 150
    env = AtariVecEnv(n, 3, flicker=True, flicker_prob=0.5, backend="vector")
    out = rollout(env, fire_heavy_actions(4, steps, n))
    assert out[0]["obs"].shape == (n, OBS_DIM) and out[0]["obs"].dtype == np.uint8
    assert out[0]["obs"].all(axis=1).sum() == 0 and out[0]["obs"].any(axis=1).all()  # no blank
    blanked = np.array([r["blanked"] for r in out[1:]])  # (T, N)
    obs = np.array([r["obs"] for r in out[1:]])
    np.testing.assert_array_equal(~obs.any(axis=2), blanked)  # blanked <=> all zeros
    rate = blanked.mean()
    assert abs(rate - 0.5) < 4 * np.sqrt(0.25 / blanked.size)
    # Independent across envs: the agreement between two envs is ~ 1/2, not 0 or 1.
    agree = (blanked[:, 0] == blanked[:, 1]).mean()
    assert abs(agree - 0.5) < 4 * np.sqrt(0.25 / steps)
    # A later episode's first observation (returned by step) can be blank.
    starts = np.array([r["terminated"] | r["truncated"] for r in out[1:]])
    assert starts.sum() >= 10 and blanked[starts].any() and not blanked[starts].all()
    # No flicker: nothing blanked.
    plain = AtariVecEnv(2, 3, flicker=False)
    assert not any(r["blanked"].any() for r in rollout(plain, fire_heavy_actions(4, 30, 2))[1:])


def test_fire_after_lost_life_and_episodic_life() -> None:
    # NOOP only: the ball is served by the env's own FIRE steps at the start and after every
    # lost life, so the agent loses all 5 lives without ever pressing FIRE.
    env = AtariVecEnv(1, 0, flicker=False, backend="vector")
    _, info = env.reset()
    assert info["lives"][0] == 5
    lives, life_ends, game_ends = [], 0, 0
    for _ in range(600):
        _, reward, terminated, truncated, info = env.step(np.array([NOOP]))
        lives.append(int(info["lives"][0]))
        assert not truncated[0]
        life_ends += int(terminated[0])
        if info["log_done"][0]:
            game_ends += 1
            assert terminated[0]
            break
        if terminated[0]:  # the training episode ended, the logged game did not
            assert not info["log_done"][0] and 0 < lives[-1] < 5
    assert game_ends == 1 and life_ends == 5
    assert lives[-2] == 1 and lives[-1] == 5  # the last step returns the next game's first obs


def test_reward_clipping_vs_logged_score() -> None:
    # Space Invaders' aliens are worth 5 to 30 points: training rewards stay in {0, 1} while
    # the logged score counts the points.
    env = AtariVecEnv(2, 1, flicker=False, game="space_invaders")
    out = rollout(env, fire_heavy_actions(6, 150, 2, seed=2))
    reward = np.array([r["reward"] for r in out[1:]])
    log_reward = np.array([r["log_reward"] for r in out[1:]])
    assert set(np.unique(reward)) <= {0.0, 1.0} and reward.dtype == np.float32
    np.testing.assert_array_equal(reward, np.sign(log_reward))
    assert log_reward.max() >= 5


def test_log_return_is_the_full_game_score() -> None:
    # log_return at a game's end = the sum of its log rewards since the previous game's end
    # (over all its lives), while training episodes end at every lost life.
    env = AtariVecEnv(2, 1, flicker=False, game="breakout")
    out = rollout(env, fire_heavy_actions(4, 400, 2, seed=2))
    log_reward = np.array([r["log_reward"] for r in out[1:]])
    log_done = np.array([r["log_done"] for r in out[1:]])
    returns = np.array([r["log_return"] for r in out[1:]])
    terminated = np.array([r["terminated"] for r in out[1:]])
    assert log_done.sum() >= 2 and terminated.sum() >= 5 * log_done.sum()
    for i in range(2):
        ends = np.flatnonzero(log_done[:, i])
        starts = np.concatenate([[0], ends[:-1] + 1])
        for s, e in zip(starts, ends, strict=True):
            assert returns[e, i] == log_reward[s : e + 1, i].sum()
            assert terminated[s : e + 1, i].sum() == 5  # one training episode per life
    assert (returns[~log_done] == 0).all()


def test_wrapper_backend_state_round_trip() -> None:
    env = AtariVecEnv(2, 9, backend="wrappers", flicker=True)
    actions = fire_heavy_actions(4, 120, 2, seed=4)
    rollout(env, actions[:60])
    state = env.get_state()
    assert state["exact"] is True
    tail = [env.step(a) for a in actions[60:]]
    env2 = AtariVecEnv(2, 1234, backend="wrappers", flicker=True)
    env2.reset()
    env2.step(np.zeros(2, dtype=np.int64))  # diverge first, then restore
    env2.set_state(state)
    for a, expected in zip(actions[60:], tail, strict=True):
        got = env2.step(a)
        for x, y in zip(got[:4], expected[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        for key in ("log_reward", "log_done", "log_return", "lives", "blanked"):
            np.testing.assert_array_equal(got[4][key], expected[4][key])


def test_vector_backend_state_restores_what_it_can() -> None:
    env = AtariVecEnv(2, 9, backend="vector", flicker=True)
    rollout(env, fire_heavy_actions(4, 30, 2))
    state = env.get_state()
    assert state["exact"] is False and not env.restores_exactly
    blanks = [env.step(np.ones(2, dtype=np.int64))[4]["blanked"] for _ in range(20)]
    env2 = AtariVecEnv(2, 9, backend="vector", flicker=True)
    env2.reset()
    env2.set_state(state)
    assert env2.resume_obs is not None and env2.resume_obs.shape == (2, OBS_DIM)
    assert env2.resume_obs.any(axis=1).all()  # fresh games, not blanked
    # The flicker stream continues exactly; the emulators start fresh games.
    again = [env2.step(np.ones(2, dtype=np.int64))[4]["blanked"] for _ in range(20)]
    np.testing.assert_array_equal(blanks, again)


def test_spaces_game_names_and_errors() -> None:
    env = AtariVecEnv(3, 0, game="SpaceInvaders")
    assert env.game == "space_invaders" and env.frame_shape == (84, 84)
    assert env.single_observation_space.shape == (7056,)
    assert env.single_observation_space.dtype == np.uint8
    assert env.observation_space.shape == (3, 7056) and env.single_action_space.n == 6
    assert resolve_game("BreakoutNoFrameskip-v4") == "breakout"
    assert resolve_game("ALE/Pong-v5") == "pong"
    with pytest.raises(ValueError, match="breakout, pong, space_invaders"):
        AtariVecEnv(1, 0, game="brekout")
    with pytest.raises(ValueError, match="backend"):
        AtariVecEnv(1, 0, backend="gpu")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, dtype=np.int64))
    env.reset()
    with pytest.raises(ValueError, match="actions must be in"):
        env.step(np.full(3, 6))
