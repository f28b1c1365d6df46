"""benchmarks/bench_peer_sb3.py: the Stable-Baselines3 adapter of our vector envs, the SB3 side's
settings, and a tiny end-to-end run of the benchmark."""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium
import numpy as np
import pytest
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3.common.vec_env import VecEnv

from iam_repro.envs.warehouse import EPISODE_LENGTH, OBS_DIM, WarehouseVecEnv
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.schedule import linear_decay

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """bench_peer_sb3, imported as its script would be (benchmarks/ on sys.path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield importlib.import_module("bench_peer_sb3")


@pytest.fixture(autouse=True)
def _global_state() -> Iterator[None]:
    """SB3 seeds the global random generators and the benchmark sets torch's thread count: put
    them back for the tests that run after these in the same process."""
    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    threads = torch.get_num_threads()
    yield
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.random.set_rng_state(states[2])
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def adapter(bench: ModuleType) -> type[VecEnv]:
    return importlib.import_module("sb3_vec_env").SB3VecEnv


def reference_step(
    venv: VectorEnv, actions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """What SB3 should see, written out naively, environment by environment."""
    obs, rewards, terminated, truncated, info = venv.step(actions)
    dones, infos = [], []
    for i in range(venv.num_envs):
        done = bool(terminated[i]) or bool(truncated[i])
        entry: dict[str, Any] = {}
        if done:
            assert info["_final_obs"][i]
            entry["terminal_observation"] = info["final_obs"][i].copy()
            entry["TimeLimit.truncated"] = bool(truncated[i]) and not bool(terminated[i])
        dones.append(done)
        infos.append(entry)
    return obs, rewards.astype(np.float32), np.array(dones), infos


def assert_same_step(got: tuple, want: tuple) -> None:
    obs, rewards, dones, infos = got
    want_obs, want_rewards, want_dones, want_infos = want
    np.testing.assert_array_equal(obs, want_obs)
    np.testing.assert_array_equal(rewards, want_rewards)
    assert rewards.dtype == np.float32
    np.testing.assert_array_equal(dones, want_dones)
    assert dones.dtype == bool
    assert isinstance(infos, list) and len(infos) == len(want_infos)
    for got_info, want_info in zip(infos, want_infos, strict=True):
        assert sorted(got_info) == sorted(want_info)
        if "terminal_observation" in want_info:
            np.testing.assert_array_equal(
                got_info["terminal_observation"], want_info["terminal_observation"]
            )
            assert got_info["TimeLimit.truncated"] is want_info["TimeLimit.truncated"]


def test_adapter_steps_the_warehouse_like_the_naive_reference(adapter):
    envs, seed = 8, 3
    direct = WarehouseVecEnv(envs, seed=seed)
    wrapped = adapter(WarehouseVecEnv(envs, seed=seed))
    assert wrapped.num_envs == envs
    assert wrapped.observation_space.shape == (OBS_DIM,)
    assert wrapped.action_space.n == 4
    want_obs, _ = direct.reset()
    np.testing.assert_array_equal(wrapped.reset(), want_obs)
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(2 * EPISODE_LENGTH + 17):  # two time limits, and on into a third episode
        actions = rng.integers(0, 4, size=envs)
        want = reference_step(direct, actions)
        got = wrapped.step(actions)
        assert_same_step(got, want)
        ends += int(got[2].sum())
    assert ends == 2 * envs
    wrapped.close()


def test_adapter_seed_reaches_the_environment_at_the_next_reset(adapter):
    wrapped = adapter(WarehouseVecEnv(4, seed=None))
    wrapped.seed(11)  # what SB3 does with the model's seed
    want, _ = WarehouseVecEnv(4, seed=11).reset()
    np.testing.assert_array_equal(wrapped.reset(), want)
    assert wrapped._seeds == [None] * 4  # used once


class EndingEnv(VectorEnv):
    """Episodes end at random: terminated, truncated or both (same-step autoreset)."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_envs: int, seed: int) -> None:
        self.num_envs = num_envs
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (2,), dtype=np.float32)
        self.single_action_space = spaces.Discrete(3)
        self.observation_space = gymnasium.vector.utils.batch_space(
            self.single_observation_space, num_envs
        )
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self.render_mode = None
        self._rng = np.random.default_rng(seed)
        self._t = np.zeros(num_envs)
        self._episode = np.zeros(num_envs)

    def reset(self, *, seed=None, options=None):
        self._t[:] = 0
        return self._obs(), {}

    def step(self, actions):
        self._t += 1 + actions
        obs = self._obs()
        terminated = self._rng.random(self.num_envs) < 0.2
        truncated = self._rng.random(self.num_envs) < 0.2
        done = terminated | truncated
        info = {}
        if done.any():
            info = {"final_obs": obs, "_final_obs": done.copy()}
            self._t[done] = 0
            self._episode[done] += 1
            obs = self._obs()
        return obs, self._t.copy(), terminated, truncated, info

    def _obs(self):
        return np.stack([self._t, self._episode], axis=1).astype(np.float32)


def test_adapter_marks_only_pure_truncations_as_time_limits(adapter):
    direct, wrapped = EndingEnv(6, seed=1), adapter(EndingEnv(6, seed=1))
    direct.reset()
    wrapped.reset()
    rng = np.random.default_rng(2)
    kinds = set()
    for _ in range(200):
        actions = rng.integers(0, 3, size=6)
        want = reference_step(direct, actions)
        assert_same_step(wrapped.step(actions), want)
        kinds |= {info["TimeLimit.truncated"] for info in want[3] if info}
    assert kinds == {True, False}  # both kinds of episode end came up


def test_paper_schedule_is_ours_read_at_sb3_progress(bench):
    schedule = bench.PaperSchedule(2.5e-4, 1e-10, learn_transitions=8192, schedule_transitions=32e6)
    assert schedule(1.0) == 2.5e-4
    # After 1024 of the 8192 transitions SB3 reports 7/8 of learn() remaining.
    assert schedule(7 / 8) == pytest.approx(linear_decay(2.5e-4, 1e-10, 1024 / 32e6), rel=1e-12)
    long = bench.PaperSchedule(0.1, 1e-5, learn_transitions=64, schedule_transitions=32)
    assert long(0.0) == pytest.approx(1e-5)  # clamped past the schedule's end


def test_sb3_side_uses_the_runs_settings(bench):
    resolved = bench.fnn1_config(128)
    cfg = PPOConfig.from_dict(resolved["ppo"])
    model = bench.build_sb3(resolved)
    assert model.n_envs == cfg.num_workers == 8
    assert (model.n_steps, model.batch_size, model.n_epochs) == (128, 256, 3)
    assert (model.gamma, model.gae_lambda) == (cfg.gamma, cfg.lam)
    assert (model.ent_coef, model.vf_coef) == (cfg.beta, cfg.c1)
    assert model.normalize_advantage is False and math.isinf(model.max_grad_norm)
    assert model.clip_range(1.0) == model.clip_range_vf(1.0) == cfg.epsilon
    assert model.device.type == "cpu"
    hidden = resolved["model"]["hidden"]
    for net in (model.policy.mlp_extractor.policy_net, model.policy.mlp_extractor.value_net):
        widths = [layer.out_features for layer in net if hasattr(layer, "out_features")]
        assert widths == hidden
    assert model.policy.optimizer.defaults["eps"] == cfg.adam_epsilon
    model.learn(total_timesteps=8 * 128)
    # The learning rate at the update: ours after 128 steps per worker, on the paper's schedule.
    progress = 128 / resolved["budget"]["schedule_steps_per_worker"]
    want_lr = linear_decay(cfg.learning_rate, cfg.learning_rate_final, progress)
    assert model.policy.optimizer.param_groups[0]["lr"] == pytest.approx(want_lr, rel=1e-12)
    model.get_env().close()


def test_benchmark_runs_end_to_end(bench, capsys):
    results = bench.main(["--steps", "128"])
    out = capsys.readouterr().out
    assert set(results) == {"ours", "SB3"}
    for result in results.values():
        assert result.transitions == 8 * 128
        assert result.wall_s > 0 and result.cpu_s > 0 and 0 < result.rollout_s < result.wall_s
        assert result.transitions_per_s > 0
    assert results["SB3"].parameters > results["ours"].parameters  # two MLPs against one
    lines = out.splitlines()
    assert any(line.startswith("ours ") and "1,024" in line for line in lines)
    assert any(line.startswith("SB3 ") and "1,024" in line for line in lines)
    assert "ours / SB3: " in out and "differences SB3 forces" in out


def test_benchmark_refuses_a_partial_last_rollout(bench):
    with pytest.raises(SystemExit):
        bench.main(["--steps", "100"])
