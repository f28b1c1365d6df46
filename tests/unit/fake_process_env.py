"""Helpers for the ProcessVecEnv tests: a tiny deterministic environment and process inspection.

``FakeEnv`` follows the single-environment protocol of ``iam_repro.envs.process_vec`` (the
workers build it from ``"tests.unit.fake_process_env:FakeEnv"``); it needs no SUMO. ``EchoEnv``
does the same for a ``Box`` action space: it echoes its actions and keeps them. The process
helpers drive a small script in its own session and look at ``/proc`` to check that nothing it
started is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ECHO_FACTORY",
    "FACTORY",
    "OBS_DIM",
    "SIGINT_IGNORED",
    "EchoEnv",
    "FakeEnv",
    "alive",
    "assert_same_steps",
    "driver_code",
    "descendants",
    "read_pids",
    "signal_group",
    "start_driver",
    "wait_gone",
]

FACTORY = "tests.unit.fake_process_env:FakeEnv"
ECHO_FACTORY = "tests.unit.fake_process_env:EchoEnv"
OBS_DIM = 3
#: Prefix of a command line that runs the rest with SIGINT ignored, as a script's `cmd &` (no
#: job control) or `nohup cmd &` from one leaves it: `trap '' INT` sets SIG_IGN, which `exec`
#: keeps. (Not `timeout`: it catches SIGINT, so its child starts with the default again.)
SIGINT_IGNORED = ["bash", "-c", "trap '' INT; exec \"$@\"", "bash"]
REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeEnv:
    """Deterministic toy environment with a private RNG, so that its state matters.

    Observation ``[seed, episode, t]`` (float32); reward ``action + uniform`` from a PCG64 stream
    seeded with ``seed``; the episode ends (truncated) after ``episode_length`` steps. A reset
    observation is ``[seed, episode, 0]``.

    Args:
        seed: Seed of the reward stream (also shown in the observation).
        episode_length: Steps per episode.
        fail_on_step: Raise ``ValueError`` on this step of the environment's life (1-based).
        exit_on_step: Kill the whole process (``os._exit(3)``) on this step.
        hang_on_step: Sleep for a minute on this step (for a test to kill the worker mid-step).
        chatter: Write junk to stdout (Python and fd 1) on every step and reset, as C libraries
            like SUMO do; the protocol must survive it.
        fail_on_init: Raise in the constructor.
        hang_on_close: ``close()`` sleeps for a minute; ``"deaf"`` also ignores SIGTERM first, so
            that only SIGKILL ends the worker.
    """

    def __init__(
        self,
        seed: int,
        *,
        episode_length: int = 5,
        fail_on_step: int | None = None,
        exit_on_step: int | None = None,
        hang_on_step: int | None = None,
        chatter: bool = False,
        fail_on_init: bool = False,
        hang_on_close: bool | str = False,
    ) -> None:
        if fail_on_init:
            raise RuntimeError(f"fake env refuses to start (seed {seed})")
        self.seed = seed
        self.episode_length = episode_length
        self.fail_on_step = fail_on_step
        self.exit_on_step = exit_on_step
        self.hang_on_step = hang_on_step
        self.chatter = chatter
        self.rng = np.random.default_rng(seed)
        self.episode = 0
        self.t = 0
        self.life_steps = 0
        self.hang_on_close = hang_on_close
        self.closed = False

    def _chat(self) -> None:
        if self.chatter:
            print("fake env chatter on sys.stdout", flush=True)
            os.write(1, b"fake env chatter on fd 1\n")

    def reset(self) -> np.ndarray:
        self._chat()
        self.episode += 1
        self.t = 0
        return np.array([self.seed, self.episode, 0], dtype=np.float32)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        self._chat()
        self.life_steps += 1
        if self.life_steps == self.fail_on_step:
            raise ValueError(f"fake env failure at step {self.life_steps}")
        if self.life_steps == self.exit_on_step:
            os._exit(3)
        if self.life_steps == self.hang_on_step:
            time.sleep(60)
        self.t += 1
        reward = float(action) + float(self.rng.random())
        obs = np.array([self.seed, self.episode, self.t], dtype=np.float32)
        return obs, reward, False, self.t >= self.episode_length

    def get_state(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "episode": self.episode,
            "t": self.t,
            "life_steps": self.life_steps,
            "rng": self.rng.bit_generator.state,
            "history": np.arange(4, dtype=np.int64) * self.t,  # an array, as real states hold
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.episode = int(state["episode"])
        self.t = int(state["t"])
        self.life_steps = int(state["life_steps"])
        self.rng.bit_generator.state = state["rng"]

    def close(self) -> None:
        self.closed = True
        if self.hang_on_close == "deaf":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if self.hang_on_close:
            time.sleep(60)


class EchoEnv:
    """Environment with a ``Box(shape=(3,))`` action: the observation is the action (float32),
    the reward its sum; the episode ends (truncated) after ``episode_length`` steps and a reset
    observation is all ``-1``. It keeps every action it was given, as an environment may: its
    state holds them, and whether each was writeable."""

    def __init__(self, seed: int, *, episode_length: int = 3) -> None:
        self.seed = seed
        self.episode_length = episode_length
        self.t = 0
        self.received: list[np.ndarray] = []

    def reset(self) -> np.ndarray:
        self.t = 0
        return np.full(3, -1.0, dtype=np.float32)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool]:
        self.received.append(action)
        self.t += 1
        return action.astype(np.float32), float(action.sum()), False, self.t >= self.episode_length

    def get_state(self) -> dict[str, Any]:
        return {
            "received": [a.copy() for a in self.received],
            "writeable": [bool(a.flags.writeable) for a in self.received],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.received = list(state["received"])

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------- comparing two envs


def assert_same_steps(first: Any, second: Any, actions: Any) -> None:
    """Step two vector envs with the same actions; every output and info entry must be equal."""
    for a in actions:
        out1, out2 = first.step(a), second.step(a)
        for x, y in zip(out1[:4], out2[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        assert out1[4].keys() == out2[4].keys()
        for key in out1[4]:
            np.testing.assert_array_equal(out1[4][key], out2[4][key])


# ---------------------------------------------------------------------- process inspection


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Live descendants of ``pid`` (children, grandchildren, ...), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return [p for p in found if alive(p)]


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """Poll until every pid is gone; returns those still alive after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def start_driver(code: str, *args: str, sigint_ignored: bool = False) -> subprocess.Popen[str]:
    """Run ``code`` in a fresh Python in its own session (so signals to its group hit only it).

    The repository root is on its import path, so it can build ``FakeEnv`` workers. With
    ``sigint_ignored`` it starts with SIGINT ignored (:data:`SIGINT_IGNORED`).
    """
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), environ.get("PYTHONPATH")) if p
    )
    prefix = SIGINT_IGNORED if sigint_ignored else []
    return subprocess.Popen(
        [*prefix, sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=environ,
        start_new_session=True,
    )


def read_pids(driver: subprocess.Popen[str], timeout_s: float = 30.0) -> list[int]:
    """Read the driver's ``PIDS <pid> <pid> ...`` line (it prints it once its env is ready)."""
    assert driver.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = driver.stdout.readline()
        if line.startswith("PIDS"):
            return [int(p) for p in line.split()[1:]]
        if not line:
            break
    driver.kill()
    _, err = driver.communicate()
    raise AssertionError(f"driver did not report its workers; stderr:\n{err}")


def signal_group(driver: subprocess.Popen[str], signum: int) -> None:
    """Send ``signum`` to the driver's whole process group, as a terminal's Ctrl-C does."""
    os.killpg(driver.pid, signum)


def driver_code(make_env: str, steps_per_print: int = 0) -> str:
    """Source of a driver script: builds ``make_env`` (an expression), resets, prints
    ``PIDS ...`` and then behaves as its first argument says:

    - ``exit``: leaves without closing (interpreter exit must clean up);
    - ``raise``: raises an uncaught exception;
    - ``loop``: steps forever (for signals), outside any ``with``;
    - ``with-loop``: steps forever inside ``with env:``;
    - ``idle``: sleeps forever (the workers' processes, e.g. TraCI's sumo children, stay put).
    """
    return f"""
import signal
import sys
import time
import numpy as np
# Ctrl-C must raise KeyboardInterrupt here however the test run was started: a shell that
# starts it in the background (`cmd &`, no job control) leaves SIGINT ignored, and Python
# keeps an inherited SIG_IGN instead of installing this handler itself.
signal.signal(signal.SIGINT, signal.default_int_handler)
from gymnasium import spaces
from iam_repro.envs.process_vec import ProcessVecEnv
from tests.unit.fake_process_env import FACTORY
env = {make_env}
env.reset()
print("PIDS", *env.worker_pids, flush=True)
mode = sys.argv[1]
actions = np.zeros(env.num_envs, dtype=np.int64)
if mode == "raise":
    raise RuntimeError("parent failure")
elif mode == "loop":
    while True:
        env.step(actions)
elif mode == "with-loop":
    with env:
        while True:
            env.step(actions)
elif mode == "idle":
    while True:
        time.sleep(1)
"""
