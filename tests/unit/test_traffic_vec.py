"""TrafficVecEnv: N TrafficSims in worker processes.

Checks that worker ``w`` replays an in-process ``TrafficSim(seed + w)`` step for step, the
250-step episodes with same-step autoreset (zero reset observation), the seed schedules,
checkpoints through the trainer's save/load path, and that no worker or sumo process outlives
the parent (real signals, real SUMO). The SUMO tests are skipped when SUMO is not installed.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import pytest

from iam_repro.envs.process_vec import WorkerError
from iam_repro.envs.traffic.vector import (
    DISJOINT_STRIPE,
    MAX_DISJOINT_WORKERS,
    TrafficVecEnv,
    worker_seeds,
)
from iam_repro.ppo.checkpoint import (
    load_checkpoint,
    numpy_to_torch,
    save_checkpoint,
    torch_to_numpy,
)
from tests.sumo import require_sumo_or_skip
from tests.unit.fake_process_env import (
    assert_same_steps,
    descendants,
    driver_code,
    read_pids,
    signal_group,
    start_driver,
    wait_gone,
)

EPISODE = 250


@pytest.fixture(scope="module")
def sumo() -> None:
    require_sumo_or_skip()


def sim_trajectory(seed: int, actions: np.ndarray) -> list[tuple]:
    """In-process TrafficSim(seed): (obs, reward, terminated, truncated) per step, autoreset
    done by hand (the reset observation replaces obs; the last one is kept as a 5th item)."""
    from iam_repro.envs.traffic.sim import TrafficSim

    sim = TrafficSim(seed)
    try:
        sim.reset()
        out = []
        for a in actions:
            obs, reward, terminated, truncated = sim.step(int(a))
            final = None
            if terminated or truncated:
                final, obs = obs, sim.reset()
            out.append((obs, reward, terminated, truncated, final))
        return out
    finally:
        sim.close()


# ---------------------------------------------------------------------- seeds (no SUMO)


def test_overlapping_worker_seeds_are_the_originals() -> None:
    assert worker_seeds(42, 4) == [42, 43, 44, 45]


def test_disjoint_worker_seeds() -> None:
    seeds = worker_seeds(42, 8, overlapping=False)
    assert seeds == worker_seeds(42, 8, overlapping=False)  # deterministic
    assert seeds != worker_seeds(43, 8, overlapping=False)
    stripes = {s // DISJOINT_STRIPE for s in seeds}
    assert len(stripes) == 8  # one stripe each
    assert all(s % DISJOINT_STRIPE < DISJOINT_STRIPE // 2 for s in seeds)  # room for 2**23 episodes
    assert all(s >= 0 and s + DISJOINT_STRIPE // 2 < 2**31 for s in seeds)
    full = worker_seeds(0, MAX_DISJOINT_WORKERS, overlapping=False)
    assert len({s // DISJOINT_STRIPE for s in full}) == MAX_DISJOINT_WORKERS
    with pytest.raises(ValueError, match="at most 128"):
        worker_seeds(0, MAX_DISJOINT_WORKERS + 1, overlapping=False)


# ---------------------------------------------------------------------- dynamics


def test_workers_replay_in_process_sims_with_same_step_autoreset(sumo: None) -> None:
    seed, steps = 3, EPISODE + 12
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, 2))
    with TrafficVecEnv(2, seed=seed) as env:
        assert env.observation_space.shape == (2, 30) and env.single_action_space.n == 2
        obs, _ = env.reset()
        assert obs.shape == (2, 30) and not obs.any()
        outputs = [env.step(a) for a in actions]
    for w in range(2):
        expected = sim_trajectory(seed + w, actions[:, w])
        for t, ((obs, rewards, terminated, truncated, infos), ref) in enumerate(
            zip(outputs, expected, strict=True)
        ):
            np.testing.assert_array_equal(obs[w], ref[0], err_msg=f"worker {w} step {t}")
            assert rewards[w] == ref[1] and terminated[w] == ref[2] and truncated[w] == ref[3]
            if ref[4] is not None:
                np.testing.assert_array_equal(infos["final_obs"][w], ref[4])
    dones = [np.logical_or(o[2], o[3]) for o in outputs]
    assert [t for t, d in enumerate(dones) if d.any()] == [EPISODE - 1]  # exactly 250 steps
    obs, _, terminated, truncated, infos = outputs[EPISODE - 1]
    assert truncated.all() and not terminated.any() and infos["_final_obs"].all()
    assert not obs.any()  # the reset observation: zeros
    assert infos["final_obs"].any()  # cars near the junction at t = 250


def test_reset_seeds(sumo: None) -> None:
    def episode_seeds(env: TrafficVecEnv) -> list[int]:
        return [w["episode_seed"] for w in env.get_state()["workers"]]

    with TrafficVecEnv(2, seed=7) as env:
        env.reset()
        assert episode_seeds(env) == [8, 9]  # worker w, episode j: seed + w + j
        env.reset()
        assert episode_seeds(env) == [9, 10]
        env.reset(seed=20)
        assert episode_seeds(env) == [21, 22]
    with TrafficVecEnv(2, seed=7, overlapping_worker_seeds=False) as env:
        env.reset()
        assert episode_seeds(env) == [s + 1 for s in worker_seeds(7, 2, overlapping=False)]


def test_checkpoint_round_trip_continues_bit_exactly(sumo: None, tmp_path: Path) -> None:
    actions = np.random.default_rng(1).integers(0, 2, size=(EPISODE + 20, 2))
    k = 40
    with TrafficVecEnv(2, seed=11) as first, TrafficVecEnv(2, seed=99) as second:
        first.reset()
        for a in actions[:k]:
            first.step(a)
        save_checkpoint(tmp_path / "ckpt.pt", {"env": numpy_to_torch(first.get_state())})
        second.set_state(torch_to_numpy(load_checkpoint(tmp_path / "ckpt.pt")["env"]))
        # crosses the episode end and the reset's carry-over
        assert_same_steps(first, second, actions[k:])


def test_worker_error_from_trafficsim(sumo: None) -> None:
    with pytest.raises(WorkerError, match="backend must be one of") as caught:
        TrafficVecEnv(2, seed=0, backend="nonsense")
    assert caught.value.command == "init"


# ---------------------------------------------------------------------- shutdown, real signals


def traffic_driver(backend: str) -> str:
    return driver_code(
        "__import__('iam_repro.envs.traffic.vector', fromlist=['TrafficVecEnv'])"
        f".TrafficVecEnv(2, seed=0, backend={backend!r})"
    )


def _run(backend: str, mode: str, signum: int) -> tuple[list[int], list[int]]:
    """Start a driver, signal its group mid-stepping; returns (worker pids, every descendant)."""
    driver = start_driver(traffic_driver(backend), mode)
    try:
        pids = read_pids(driver)
        time.sleep(0.3)  # let it step for a while
        tree = descendants(driver.pid)
        signal_group(driver, signum)
        _, err = driver.communicate(timeout=15)
        assert driver.returncode == -signum, err
        assert wait_gone(tree, 2.0) == [], err
        return pids, tree
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()


@pytest.mark.parametrize("mode", ["loop", "with-loop"])
def test_ctrl_c_leaves_no_worker_libsumo(sumo: None, mode: str) -> None:
    _run("libsumo", mode, signal.SIGINT)


def test_kill_9_leaves_no_worker_libsumo(sumo: None) -> None:
    _run("libsumo", "loop", signal.SIGKILL)


def test_kill_9_leaves_no_worker_or_sumo_traci(sumo: None) -> None:
    # Idle, not stepping: a stepping worker restarts its sumo every episode (~0.6 s with TraCI),
    # and one started after the snapshot of the process tree would escape the check.
    pids, tree = _run("traci", "idle", signal.SIGKILL)
    sumo_children = [p for p in tree if p not in pids]
    assert len(sumo_children) == 2  # one sumo per worker, gone with its worker
