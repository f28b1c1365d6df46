"""ProcessVecEnv: protocol, same-step autoreset, checkpoints and shutdown, with a fake env.

The shutdown tests really do what they check: a driver script in its own session builds the
environment, prints its worker pids, and is then left to exit, made to raise, sent Ctrl-C (SIGINT
to its process group) or killed with SIGKILL; ``/proc`` must then show no worker left.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from iam_repro.envs.process_vec import ProcessVecEnv, WorkerError
from iam_repro.ppo.checkpoint import (
    load_checkpoint,
    numpy_to_torch,
    save_checkpoint,
    torch_to_numpy,
)
from tests.unit.fake_process_env import (
    ECHO_FACTORY,
    FACTORY,
    OBS_DIM,
    FakeEnv,
    alive,
    assert_same_steps,
    descendants,
    driver_code,
    read_pids,
    signal_group,
    start_driver,
    wait_gone,
)

OBS_SPACE = spaces.Box(-np.inf, np.inf, (OBS_DIM,), dtype=np.float32)
EPISODE = 4


def make_env(num_envs: int = 3, seed: int = 10, **kwargs: object) -> ProcessVecEnv:
    worker_kwargs = [
        {"seed": seed + w, "episode_length": EPISODE, **kwargs} for w in range(num_envs)
    ]
    return ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2))


def fake_driver(num_envs: int = 2) -> str:
    return driver_code(
        f"ProcessVecEnv(FACTORY, [{{'seed': w}} for w in range({num_envs})], "
        f"spaces.Box(-np.inf, np.inf, (3,), np.float32), spaces.Discrete(2))"
    )


def worker_pids_of_this_process() -> list[int]:
    """Live worker processes started by this (pytest) process."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"iam_repro.envs.process_worker" in cmdline:
            found.append(pid)
    return found


@pytest.fixture
def env():
    env = make_env()
    yield env
    env.close()


# ---------------------------------------------------------------------- API and dynamics


def test_spaces_and_metadata(env: ProcessVecEnv) -> None:
    assert env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert env.num_envs == 3
    assert env.observation_space.shape == (3, OBS_DIM)
    assert env.single_action_space == spaces.Discrete(2)
    assert len(set(env.worker_pids)) == 3 and all(alive(p) for p in env.worker_pids)


def test_steps_match_in_process_envs_with_same_step_autoreset(env: ProcessVecEnv) -> None:
    refs = [FakeEnv(10 + w, episode_length=EPISODE) for w in range(3)]
    obs, info = env.reset()
    assert info == {}
    np.testing.assert_array_equal(obs, np.stack([r.reset() for r in refs]))
    rng = np.random.default_rng(0)
    ends = 0
    for t in range(2 * EPISODE + 1):
        actions = rng.integers(0, 2, size=3)
        obs, rewards, terminated, truncated, infos = env.step(actions)
        assert obs.dtype == np.float32 and rewards.dtype == np.float64
        for w, ref in enumerate(refs):
            ref_obs, ref_reward, ref_term, ref_trunc = ref.step(int(actions[w]))
            assert rewards[w] == ref_reward  # bit-exact
            assert (terminated[w], truncated[w]) == (ref_term, ref_trunc)
            if ref_term or ref_trunc:
                np.testing.assert_array_equal(infos["final_obs"][w], ref_obs)
                ref_obs = ref.reset()
            np.testing.assert_array_equal(obs[w], ref_obs)
        if (t + 1) % EPISODE == 0:
            ends += 1
            assert truncated.all() and infos["_final_obs"].all()
            assert obs[:, 2].tolist() == [0, 0, 0]  # the new episode's first observation
        else:
            assert infos == {}
    assert ends == 2


def test_step_async_then_wait_equals_step_and_guards_its_order() -> None:
    """A step split in two (the trainer books the last step while the workers run the next)
    gives what step() gives; anything else in between is refused, and the env stays usable."""
    rng = np.random.default_rng(1)
    with make_env() as split, make_env() as whole:
        split.reset(seed=5)
        whole.reset(seed=5)
        for _ in range(2 * EPISODE + 1):
            actions = rng.integers(0, 2, size=3)
            split.step_async(actions)
            with pytest.raises(RuntimeError, match="step is in progress"):
                split.step_async(actions)
            with pytest.raises(RuntimeError, match="step is in progress"):
                split.get_state()
            got, want = split.step_wait(), whole.step(actions)
            for a, b in zip(got[:4], want[:4], strict=True):
                np.testing.assert_array_equal(a, b)
            assert got[4].keys() == want[4].keys()
            for key in got[4]:
                np.testing.assert_array_equal(got[4][key], want[4][key])
        with pytest.raises(RuntimeError, match="without step_async"):
            split.step_wait()
        split.get_state()  # usable again after the wait


def test_final_obs_rows_of_running_envs_hold_current_obs() -> None:
    worker_kwargs = [{"seed": 0, "episode_length": 2}, {"seed": 1, "episode_length": 3}]
    with ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2)) as env:
        env.reset()
        env.step(np.zeros(2, dtype=np.int64))
        obs, _, _, truncated, infos = env.step(np.zeros(2, dtype=np.int64))
        assert truncated.tolist() == [True, False]
        assert infos["_final_obs"].tolist() == [True, False]
        np.testing.assert_array_equal(infos["final_obs"][0], [0, 1, 2])
        np.testing.assert_array_equal(infos["final_obs"][1], obs[1])


def test_many_steps_with_episode_ends_match_in_process_envs_and_stay_put() -> None:
    """Episodes of different lengths end on different steps; every output is checked only
    after the last step, so a later step must not have changed an earlier step's arrays."""
    lengths = [2, 3, 5]
    worker_kwargs = [{"seed": 30 + w, "episode_length": k} for w, k in enumerate(lengths)]
    refs = [FakeEnv(30 + w, episode_length=k) for w, k in enumerate(lengths)]
    actions = np.random.default_rng(2).integers(0, 2, size=(61, 3))
    with ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2)) as env:
        first, _ = env.reset()
        outputs = [env.step(a) for a in actions]
        shared = env._block  # the step block: no returned array may be a view of it
        for out in outputs:
            for array in (*out[:4], *out[4].values()):
                assert not any(
                    np.shares_memory(array, view)
                    for view in (shared.obs, shared.final_obs, shared.rewards, shared.truncated)
                )
    np.testing.assert_array_equal(first, np.stack([r.reset() for r in refs]))
    ended_steps = 0
    for a, (obs, rewards, terminated, truncated, infos) in zip(actions, outputs, strict=True):
        ended = np.zeros(3, dtype=bool)
        final_obs = np.empty((3, OBS_DIM), dtype=np.float32)
        for w, ref in enumerate(refs):
            ref_obs, ref_reward, ref_term, ref_trunc = ref.step(int(a[w]))
            assert rewards[w] == ref_reward
            assert (terminated[w], truncated[w]) == (ref_term, ref_trunc)
            final_obs[w] = ref_obs
            if ref_term or ref_trunc:
                ended[w] = True
                ref_obs = ref.reset()
            np.testing.assert_array_equal(obs[w], ref_obs)
        if ended.any():
            ended_steps += 1
            assert infos.keys() == {"final_obs", "_final_obs"}
            np.testing.assert_array_equal(infos["_final_obs"], ended)
            np.testing.assert_array_equal(infos["final_obs"][ended], final_obs[ended])
            np.testing.assert_array_equal(infos["final_obs"][~ended], obs[~ended])
        else:
            assert infos == {}
    # Some episode ends on the steps 1..61 that are multiples of 2, 3 or 5.
    assert ended_steps == 30 + 20 + 12 - 10 - 6 - 4 + 2


def test_box_actions_reach_the_env_exactly_and_stay_put() -> None:
    action_space = spaces.Box(-10.0, 10.0, (3,), dtype=np.float32)
    actions = np.random.default_rng(3).uniform(-10, 10, size=(7, 2, 3)).astype(np.float32)
    worker_kwargs = [{"seed": 0}, {"seed": 1, "episode_length": 4}]
    with ProcessVecEnv(ECHO_FACTORY, worker_kwargs, OBS_SPACE, action_space) as env:
        obs, _ = env.reset()
        assert (obs == -1).all()
        for t, a in enumerate(actions):
            obs, rewards, _, truncated, infos = env.step(a)
            assert truncated.tolist() == [(t + 1) % 3 == 0, (t + 1) % 4 == 0]
            for w in range(2):
                assert rewards[w] == float(a[w].sum())
                if truncated[w]:
                    np.testing.assert_array_equal(infos["final_obs"][w], a[w])
                    assert (obs[w] == -1).all()
                else:
                    np.testing.assert_array_equal(obs[w], a[w])
        states = env.get_state()["workers"]
    for w, state in enumerate(states):
        # The env kept each action it was given: later steps did not overwrite them.
        np.testing.assert_array_equal(np.stack(state["received"]), actions[:, w])
        assert not any(state["writeable"])


def test_reset_with_seed_rebuilds_and_reset_without_continues(env: ProcessVecEnv) -> None:
    obs, _ = env.reset(seed=100)
    assert obs[:, :2].tolist() == [[100, 1], [101, 1], [102, 1]]  # fresh envs, first episode
    obs, _ = env.reset()
    assert obs[:, :2].tolist() == [[100, 2], [101, 2], [102, 2]]
    obs, _ = env.reset(seed=[7, 8, 9])
    assert obs[:, :2].tolist() == [[7, 1], [8, 1], [9, 1]]
    # The other factory arguments survive a rebuild.
    for _ in range(EPISODE):
        _, _, _, truncated, _ = env.step(np.zeros(3, dtype=np.int64))
    assert truncated.all()


def test_step_before_reset_and_bad_actions(env: ProcessVecEnv) -> None:
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, dtype=np.int64))
    env.reset()
    for bad in (
        np.zeros(2, dtype=np.int64),
        np.array([0, 1, 2]),
        np.zeros(3),
        np.array([-1, 0, 0]),
    ):
        with pytest.raises(ValueError):
            env.step(bad)
    env.step(np.array([0, 1, 1]))  # still usable: bad actions are caught before any I/O


def test_chatter_on_stdout_does_not_break_the_protocol() -> None:
    with make_env(2, chatter=True) as env:
        env.reset()
        for _ in range(EPISODE + 1):
            obs, *_ = env.step(np.ones(2, dtype=np.int64))
        assert obs[:, 2].tolist() == [1, 1]


def test_checkpoint_round_trip_continues_bit_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 2, size=(3 * EPISODE, 3))
    with make_env() as first, make_env(seed=50) as second:
        first.reset(seed=20)
        for a in actions[:5]:
            first.step(a)
        save_checkpoint(tmp_path / "ckpt.pt", {"env": numpy_to_torch(first.get_state())})
        second.set_state(torch_to_numpy(load_checkpoint(tmp_path / "ckpt.pt")["env"]))
        # crosses two episode ends
        assert_same_steps(first, second, actions[5:])


def test_set_state_rejects_other_worker_count(env: ProcessVecEnv) -> None:
    env.reset()
    with make_env(2) as other:
        other.reset()
        with pytest.raises(ValueError, match="3 environments, this one has 2"):
            other.set_state(env.get_state())


# ---------------------------------------------------------------------- failures


def test_exception_in_worker_names_it_and_closes_all() -> None:
    env = ProcessVecEnv(
        FACTORY,
        [{"seed": 0}, {"seed": 1, "fail_on_step": 3}, {"seed": 2}],
        OBS_SPACE,
        spaces.Discrete(2),
    )
    pids = env.worker_pids
    env.reset()
    env.step(np.zeros(3, dtype=np.int64))
    env.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(WorkerError) as caught:
        env.step(np.zeros(3, dtype=np.int64))
    error = caught.value
    assert (error.worker, error.pid, error.command) == (1, pids[1], "step")
    assert "Traceback" in str(error) and "fake env failure at step 3" in str(error)
    assert "worker 1" in str(error)
    assert env.closed and wait_gone(pids, 0.1) == []  # close() has waited for them
    with pytest.raises(RuntimeError, match="closed"):
        env.step(np.zeros(3, dtype=np.int64))


def test_worker_process_death_is_reported() -> None:
    env = make_env(2, exit_on_step=2)
    env.reset()
    env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(WorkerError, match="exited with code 3") as caught:
        env.step(np.zeros(2, dtype=np.int64))
    assert caught.value.worker == 0
    assert env.closed and wait_gone(env.worker_pids, 0.1) == []


def test_worker_killed_mid_step_is_reported_promptly() -> None:
    worker_kwargs = [{"seed": 0}, {"seed": 1, "hang_on_step": 2}, {"seed": 2}]
    env = ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2))
    pids = env.worker_pids
    env.reset()
    env.step(np.zeros(3, dtype=np.int64))
    killer = threading.Timer(0.3, os.kill, (pids[1], signal.SIGKILL))
    killer.start()
    start = time.monotonic()
    try:
        with pytest.raises(WorkerError, match=f"exited with code -{signal.SIGKILL}") as caught:
            env.step(np.zeros(3, dtype=np.int64))  # worker 1 sleeps in its step until killed
    finally:
        killer.cancel()
    assert time.monotonic() - start < 3.0
    assert (caught.value.worker, caught.value.pid, caught.value.command) == (1, pids[1], "step")
    assert env.closed and wait_gone(pids, 0.1) == []


def test_worker_killed_between_steps_is_reported_at_the_next_step() -> None:
    env = make_env(3)
    pids = env.worker_pids
    env.reset()
    env.step(np.zeros(3, dtype=np.int64))
    os.kill(pids[2], signal.SIGKILL)
    assert wait_gone(pids[2:], 5.0) == []
    with pytest.raises(WorkerError, match=f"exited with code -{signal.SIGKILL}") as caught:
        env.step(np.zeros(3, dtype=np.int64))
    assert (caught.value.worker, caught.value.command) == (2, "step")
    assert env.closed and wait_gone(pids, 0.1) == []


@pytest.mark.parametrize(
    ("failures", "match"),
    [
        ({1: {"fail_on_step": 2}, 2: {"fail_on_step": 2}}, "fake env failure at step 2"),
        ({1: {"exit_on_step": 2}, 2: {"fail_on_step": 2}}, "exited with code 3"),
        ({1: {"fail_on_step": 2}, 2: {"exit_on_step": 2}}, "fake env failure at step 2"),
    ],
    ids=["two-raise", "dies-and-raises", "raises-and-dies"],
)
def test_failures_in_one_step_report_the_first_worker(failures: dict, match: str) -> None:
    worker_kwargs = [{"seed": w, **failures.get(w, {})} for w in range(4)]
    env = ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2))
    pids = env.worker_pids
    env.reset()
    env.step(np.zeros(4, dtype=np.int64))
    with pytest.raises(WorkerError, match=match) as caught:
        env.step(np.zeros(4, dtype=np.int64))
    assert (caught.value.worker, caught.value.command) == (1, "step")
    assert env.closed and wait_gone(pids, 0.1) == []


@pytest.mark.parametrize(
    ("factory", "kwargs", "match"),
    [
        (FACTORY, {"fail_on_init": True}, "refuses to start"),
        ("tests.unit.no_such_module:FakeEnv", {}, "ModuleNotFoundError"),
        (FACTORY.replace(":FakeEnv", ":Missing"), {}, "AttributeError"),
    ],
)
def test_failure_to_build_the_env_leaves_no_worker(factory: str, kwargs: dict, match: str) -> None:
    worker_kwargs = [{"seed": 0}, {"seed": 1, **kwargs}]
    with pytest.raises(WorkerError, match=match) as caught:
        ProcessVecEnv(factory, worker_kwargs, OBS_SPACE, spaces.Discrete(2))
    assert caught.value.command == "init"
    assert wait_gone(worker_pids_of_this_process(), 2.0) == []


def test_observation_of_wrong_shape_is_a_clear_error() -> None:
    wrong = spaces.Box(-np.inf, np.inf, (4,), dtype=np.float32)
    env = ProcessVecEnv(FACTORY, [{"seed": 0}], wrong, spaces.Discrete(2))
    with pytest.raises(WorkerError, match=r"shape \(3,\).*expects \(4,\)"):
        env.reset()
    assert env.closed


# ---------------------------------------------------------------------- shutdown in-process


def test_close_is_idempotent_and_with_closes() -> None:
    with make_env(2) as env:
        env.reset()
        pids = env.worker_pids
    assert env.closed and wait_gone(pids, 0.1) == []
    env.close()


@pytest.mark.parametrize(("hang", "at_least_s"), [(True, 0.3), ("deaf", 1.3)])
def test_close_terminates_then_kills_stragglers(hang: bool | str, at_least_s: float) -> None:
    worker_kwargs = [{"seed": 0}, {"seed": 1, "hang_on_close": hang}]
    env = ProcessVecEnv(FACTORY, worker_kwargs, OBS_SPACE, spaces.Discrete(2), close_timeout_s=0.3)
    env.reset()
    pids = env.worker_pids
    start = time.monotonic()
    env.close()
    took = time.monotonic() - start
    assert wait_gone(pids, 0.1) == []
    # Waited close_timeout_s, then SIGTERM; a worker deaf to it is killed 1 s later.
    assert at_least_s <= took < at_least_s + 1.0


def test_workers_outlive_a_sigterm_while_serving() -> None:
    """Slurm signals every process of a job: the workers must stay until the trainer (which
    checkpoints after its update) closes them."""
    with make_env(2) as env, make_env(2) as reference:
        env.reset(seed=3)
        reference.reset(seed=3)
        for pid in env.worker_pids:
            os.kill(pid, signal.SIGTERM)
        time.sleep(0.2)
        assert all(alive(pid) for pid in env.worker_pids)
        assert_same_steps(env, reference, [np.array([1, 0])] * 5)
        pids = env.worker_pids
    assert wait_gone(pids, 0.1) == []


def test_garbage_collection_closes_the_workers() -> None:
    env = make_env(2)
    env.reset()
    pids = env.worker_pids
    del env
    gc.collect()
    assert wait_gone(pids, 0.1) == []


def test_workers_ignore_sigint() -> None:
    with make_env(2) as env:
        env.reset()
        os.kill(env.worker_pids[0], signal.SIGINT)
        time.sleep(0.1)
        assert alive(env.worker_pids[0])
        env.step(np.zeros(2, dtype=np.int64))


# ---------------------------------------------------------------------- shutdown, real signals


def _check_driver(
    mode: str, signum: int | None, expect_code: int | None, *, sigint_ignored: bool = False
) -> str:
    driver = start_driver(fake_driver(), mode, sigint_ignored=sigint_ignored)
    try:
        pids = read_pids(driver)
        tree = descendants(driver.pid)
        if driver.poll() is None:  # alive after the snapshot, so its workers were in it
            assert set(pids) <= set(tree)
        # An 'exit' driver may be gone before the snapshot (seen under load), tree and all: its
        # printed workers must go as well.
        tree = sorted(set(tree) | set(pids))
        if signum is not None:
            time.sleep(0.2)  # let it step for a while
            signal_group(driver, signum)
        _, err = driver.communicate(timeout=10)
        if expect_code is not None:
            assert driver.returncode == expect_code, err
        # Workers closed by the parent are gone at once; after SIGKILL they see EOF and exit.
        assert wait_gone(tree, 1.5) == [], err
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    return err


def test_parent_exit_without_close_leaves_no_worker() -> None:
    _check_driver("exit", None, 0)


def test_exception_in_parent_leaves_no_worker() -> None:
    err = _check_driver("raise", None, 1)
    assert "parent failure" in err


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored"])
@pytest.mark.parametrize("mode", ["loop", "with-loop"])
def test_ctrl_c_leaves_no_worker(mode: str, sigint_ignored: bool) -> None:
    # "sigint-ignored": the driver inherits SIG_IGN, as under a test run started with `cmd &`
    # in a script; it must get the Ctrl-C all the same. Python re-raises SIGINT on exit.
    err = _check_driver(mode, signal.SIGINT, -signal.SIGINT, sigint_ignored=sigint_ignored)
    assert "KeyboardInterrupt" in err
    assert "process_worker" not in err  # the workers did not get (or show) the SIGINT


def test_kill_9_of_parent_leaves_no_worker() -> None:
    _check_driver("loop", signal.SIGKILL, -signal.SIGKILL)
