"""A gymnasium ``VectorEnv`` that runs one single-environment object per worker subprocess.

Built for environments that cannot share a process (libsumo allows one simulation per process),
but generic: a worker builds its environment from an importable factory (``"module:attr"`` plus
keyword arguments) and drives it through a small *single-environment protocol*:

- ``reset() -> obs`` (a gymnasium-style ``(obs, info)`` is accepted too);
- ``step(action) -> (obs, reward, terminated, truncated)`` (a fifth item, gymnasium's info, is
  ignored);
- ``get_state() -> state`` (picklable) and ``set_state(state)``, for checkpoints;
- ``close()``;
- the factory accepts a ``seed`` keyword: ``reset(seed=...)`` rebuilds the environment with it.

Why subprocesses started with ``subprocess.Popen`` and pipes, not ``multiprocessing``: the trainer
may run as a Snakemake script whose ``__main__`` must not be re-imported by a spawned child, and
forking a process that runs torch threads is unsafe. The worker (``iam_repro.envs.process_worker``)
imports neither torch nor the caller's script, so it starts in a fraction of a second. Step traffic
is a few raw bytes each way (see the worker module for the protocol); a step writes every worker's
action first and only then reads the replies, so the workers step in parallel.

Shutdown. ``close()`` (also via ``with``, garbage collection or interpreter exit) sends every
worker a close message, closes the pipes, waits briefly, then terminates and finally kills
stragglers. Workers run in their own process groups and ignore SIGINT: a Ctrl-C reaches only the
parent, whose ``KeyboardInterrupt`` closes the environment. A worker whose parent dies, even by
``kill -9``, sees the end of its input and exits by itself, closing its environment. An exception
inside a worker closes every worker and is raised in the parent as :class:`WorkerError`, with the
worker's index, pid and traceback text. Any exception (or ``KeyboardInterrupt``) that interrupts
the parent while it talks to the workers also closes them, since the pipes are then out of step.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

__all__ = ["ProcessVecEnv", "WorkerError"]

# ---------------------------------------------------------------------- protocol (see the worker)
# Defined here, not in the worker module: the package must never import the module that runs as
# ``python -m`` (runpy would warn in every worker once ``iam_repro.envs`` imports this file).
HEADER = struct.Struct("<cI")  # opcode/status, body length
RESET_BODY = struct.Struct("<?q")  # has seed, seed
STEP_HEAD = struct.Struct("<d??")  # reward, terminated, truncated
OP_INIT = b"i"
OP_RESET = b"r"
OP_STEP = b"s"
OP_GET_STATE = b"g"
OP_SET_STATE = b"t"
OP_CLOSE = b"c"
STATUS_OK = b"k"
STATUS_ERROR = b"e"

WORKER_MODULE = "iam_repro.envs.process_worker"
_COMMAND_NAMES = {
    OP_INIT: "init",
    OP_RESET: "reset",
    OP_STEP: "step",
    OP_GET_STATE: "get_state",
    OP_SET_STATE: "set_state",
}


class WorkerError(RuntimeError):
    """A worker failed: its environment raised, or the worker process died.

    Attributes:
        worker: Index of the worker (0..N-1).
        pid: Its process id.
        command: What it was doing (``"init"``, ``"reset"``, ``"step"``, ...).
        detail: The worker's traceback text, or how the process ended.
    """

    def __init__(self, worker: int, pid: int, command: str, detail: str) -> None:
        self.worker, self.pid, self.command, self.detail = worker, pid, command, detail
        super().__init__(
            f"environment worker {worker} (pid {pid}) failed during {command}; all workers "
            f"have been shut down. Worker {worker} reported:\n{detail.rstrip()}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.worker, self.pid, self.command, self.detail))


def _child_environ() -> dict[str, str]:
    """The workers' environment: ours, with our extra import paths in PYTHONPATH.

    A worker must import whatever factory module the parent can import (e.g. a test helper found
    through pytest's rootdir, or a script's folder); paths inside the Python installation or the
    virtual environment are found by the worker's own start-up anyway.
    """
    environ = dict(os.environ)
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    extra = []
    for entry in sys.path:
        path = os.path.abspath(entry or os.getcwd())
        if not path.startswith(prefixes) and path not in extra:
            extra.append(path)
    if environ.get("PYTHONPATH"):
        extra.append(environ["PYTHONPATH"])
    if extra:
        environ["PYTHONPATH"] = os.pathsep.join(extra)
    return environ


def _shutdown(
    procs: list[subprocess.Popen[bytes]],
    writers: list[io.BufferedWriter],
    readers: list[io.BufferedReader],
    timeout_s: float,
) -> None:
    """Close every worker: close message, pipes closed, brief wait, then SIGTERM, then SIGKILL.

    Takes no reference to the environment object, so that it can serve as its finalizer.
    """
    for writer in writers:
        try:
            writer.write(HEADER.pack(OP_CLOSE, 0))
            writer.flush()
        except (OSError, ValueError):
            pass  # the worker is already gone (or the pipe was closed)
    for stream in (*writers, *readers):
        # Closing our read end too: a worker blocked writing a large reply gets EPIPE and exits.
        with contextlib.suppress(OSError, ValueError):
            stream.close()
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, deadline - time.monotonic()))
    stragglers = [proc for proc in procs if proc.poll() is None]
    for proc in stragglers:
        proc.terminate()  # a closing worker turns SIGTERM into SystemExit and closes its env
    for proc in stragglers:
        try:
            proc.wait(1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ProcessVecEnv(VectorEnv):
    """Vector environment with one worker subprocess per environment (same-step autoreset).

    Observations are ``(N, *obs_shape)`` arrays of the observation space's dtype, rewards float64
    ``(N,)``, terminated/truncated bool ``(N,)``. When a step ends an episode the worker resets at
    once: the returned observation is the new episode's first one, ``infos["final_obs"]`` holds
    the finished episode's last observation (rows of unfinished environments hold their current
    observation) and ``infos["_final_obs"]`` (N,) marks the finished ones; both keys appear only
    on steps where some episode ended (the conventions of ``WarehouseVecEnv``).

    Args:
        factory: ``"module:attr"`` of a callable building one environment (see the module
            docstring for the protocol it must follow).
        worker_kwargs: Keyword arguments of the factory, one mapping per worker (N of them, plain
            picklable values).
        single_observation_space: One environment's observation space (a ``Box``).
        single_action_space: One environment's action space (``Discrete`` or ``Box``).
        close_timeout_s: How long ``close()`` waits for the workers to exit by themselves
            before terminating them.

    Raises:
        ValueError: No workers, or a space of an unsupported type.
        WorkerError: A worker failed to start or to build its environment.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        factory: str,
        worker_kwargs: Sequence[Mapping[str, Any]],
        single_observation_space: spaces.Box,
        single_action_space: spaces.Space,
        *,
        close_timeout_s: float = 2.0,
    ) -> None:
        if len(worker_kwargs) < 1:
            raise ValueError("ProcessVecEnv needs at least one worker")
        if not isinstance(single_observation_space, spaces.Box):
            raise ValueError(
                f"observation space must be a Box, got {type(single_observation_space).__name__}"
            )
        if isinstance(single_action_space, spaces.Discrete):
            self._action_dtype, self._action_shape = np.dtype(np.int64), ()
        elif isinstance(single_action_space, spaces.Box):
            self._action_dtype = np.dtype(single_action_space.dtype)
            self._action_shape = tuple(single_action_space.shape)
        else:
            raise ValueError(
                f"action space must be Discrete or Box, got {type(single_action_space).__name__}"
            )
        self.num_envs = n = len(worker_kwargs)
        self.factory = factory
        self.single_observation_space = single_observation_space
        self.single_action_space = single_action_space
        self.observation_space = batch_space(single_observation_space, n)
        self.action_space = batch_space(single_action_space, n)
        self.render_mode = None
        self._obs_dtype = np.dtype(single_observation_space.dtype)
        self._obs_shape = tuple(single_observation_space.shape)
        self._obs_nbytes = int(np.prod(self._obs_shape, dtype=np.int64)) * self._obs_dtype.itemsize
        self._needs_reset = True

        self._procs: list[subprocess.Popen[bytes]] = []
        self._writers: list[io.BufferedWriter] = []
        self._readers: list[io.BufferedReader] = []
        # Registered before anything starts: whatever has started is shut down on garbage
        # collection or at interpreter exit, even if this constructor fails half-way.
        self._finalizer = weakref.finalize(
            self, _shutdown, self._procs, self._writers, self._readers, close_timeout_s
        )
        environ = _child_environ()
        try:
            for w in range(n):
                proc = subprocess.Popen(
                    [sys.executable, "-m", WORKER_MODULE, str(w)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=environ,
                    process_group=0,  # terminal signals (Ctrl-C) reach only the parent
                )
                assert proc.stdin is not None and proc.stdout is not None
                self._procs.append(proc)
                self._writers.append(proc.stdin)  # type: ignore[arg-type]
                self._readers.append(proc.stdout)  # type: ignore[arg-type]
            for w, kwargs in enumerate(worker_kwargs):
                config = {
                    "factory": factory,
                    "kwargs": dict(kwargs),
                    "obs_shape": self._obs_shape,
                    "obs_dtype": self._obs_dtype.str,
                    "action_shape": self._action_shape,
                    "action_dtype": self._action_dtype.str,
                }
                self._send(w, OP_INIT, pickle.dumps(config, protocol=5))
            self._receive_all(OP_INIT)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ gymnasium API

    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode in every worker.

        Args:
            seed: None: each worker starts its environment's next episode. An int ``s``: worker
                ``w``'s environment is rebuilt by the factory with ``seed=s + w`` (gymnasium's
                convention), then reset; a sequence of N ints gives each worker its seed.
            options: Unused.

        Returns:
            Observations (N, *obs_shape) and an empty info dict.

        Raises:
            WorkerError: A worker failed (every worker is then shut down).
        """
        self._check_open()
        if seed is None:
            bodies = [RESET_BODY.pack(False, 0)] * self.num_envs
        else:
            if isinstance(seed, int | np.integer):
                seeds = [int(seed) + w for w in range(self.num_envs)]
            else:
                seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"need {self.num_envs} seeds, got {len(seeds)}")
            bodies = [RESET_BODY.pack(True, s) for s in seeds]
        obs = np.empty((self.num_envs, *self._obs_shape), dtype=self._obs_dtype)
        with self._closing_on_error():
            for w, body in enumerate(bodies):
                self._send(w, OP_RESET, body)
            for w, reply in enumerate(self._receive_all(OP_RESET)):
                obs[w] = self._decode_obs(reply, 0)
        self._needs_reset = False
        return obs, {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every worker's environment by one step (workers run in parallel).

        Args:
            actions: Shape (N,) integers for a Discrete action space, (N, *shape) for a Box.

        Returns:
            ``(obs, rewards, terminated, truncated, infos)``; see the class docstring for the
            autoreset and the ``infos`` keys.

        Raises:
            RuntimeError: ``reset()`` has not been called, or the environment is closed.
            ValueError: Actions of the wrong shape, type or range.
            WorkerError: A worker failed (every worker is then shut down).
        """
        self._check_open()
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        actions = self._check_actions(actions)
        n = self.num_envs
        obs = np.empty((n, *self._obs_shape), dtype=self._obs_dtype)
        rewards = np.empty(n, dtype=np.float64)
        terminated = np.empty(n, dtype=bool)
        truncated = np.empty(n, dtype=bool)
        final: dict[int, np.ndarray] = {}
        with self._closing_on_error():
            for w in range(n):
                self._send(w, OP_STEP, actions[w].tobytes())
            for w, reply in enumerate(self._receive_all(OP_STEP)):
                rewards[w], terminated[w], truncated[w] = STEP_HEAD.unpack_from(reply)
                obs[w] = self._decode_obs(reply, STEP_HEAD.size)
                if len(reply) > STEP_HEAD.size + self._obs_nbytes:
                    final[w] = self._decode_obs(reply, STEP_HEAD.size + self._obs_nbytes)
        infos: dict[str, Any] = {}
        if final:
            final_obs = obs.copy()
            for w, last in final.items():
                final_obs[w] = last
            infos["final_obs"] = final_obs
            infos["_final_obs"] = np.logical_or(terminated, truncated)
        return obs, rewards, terminated, truncated, infos

    def get_state(self) -> dict[str, Any]:
        """Every worker's environment state plus this object's (plain values and numpy arrays).

        Used by training checkpoints; `set_state` on an environment built with the same
        arguments restores it, and the two then continue identically.
        """
        self._check_open()
        with self._closing_on_error():
            for w in range(self.num_envs):
                self._send(w, OP_GET_STATE, b"")
            workers = [pickle.loads(reply) for reply in self._receive_all(OP_GET_STATE)]
        return {"num_envs": self.num_envs, "needs_reset": self._needs_reset, "workers": workers}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state` returned.

        Raises:
            ValueError: The state is for another number of workers.
            WorkerError: A worker could not restore its part (every worker is then shut down).
        """
        self._check_open()
        workers = state["workers"]
        if int(state["num_envs"]) != self.num_envs or len(workers) != self.num_envs:
            raise ValueError(
                f"state is for {int(state['num_envs'])} environments, this one has {self.num_envs}"
            )
        with self._closing_on_error():
            for w, worker_state in enumerate(workers):
                self._send(w, OP_SET_STATE, pickle.dumps(worker_state, protocol=5))
            self._receive_all(OP_SET_STATE)
        self._needs_reset = bool(state["needs_reset"])

    def close_extras(self, **kwargs: Any) -> None:
        """Shut every worker down (idempotent; see the module docstring)."""
        self._finalizer()

    def close(self, **kwargs: Any) -> None:
        """Close the environment and its workers; safe to call more than once."""
        if getattr(self, "_finalizer", None) is None:  # the constructor failed early
            self.closed = True
            return
        super().close(**kwargs)

    def __enter__(self) -> ProcessVecEnv:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ inspection

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the workers, by index."""
        return [proc.pid for proc in self._procs]

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self.closed or not self._finalizer.alive:
            raise RuntimeError("the environment is closed")

    def _check_actions(self, actions: Any) -> np.ndarray:
        actions = np.asarray(actions)
        expected = (self.num_envs, *self._action_shape)
        if actions.shape != expected:
            raise ValueError(f"actions must have shape {expected}, got {actions.shape}")
        space = self.single_action_space
        if isinstance(space, spaces.Discrete):
            if actions.dtype.kind not in "iu":
                raise ValueError(f"actions must be integers, got {actions.dtype}")
            low, high = int(space.start), int(space.start + space.n - 1)
            if actions.min() < low or actions.max() > high:
                raise ValueError(f"actions must be in {low}..{high}, got {actions!r}")
        return np.ascontiguousarray(actions, dtype=self._action_dtype)

    @contextlib.contextmanager
    def _closing_on_error(self) -> Iterator[None]:
        """Any exception while talking to the workers shuts them all down: the pipes are then
        out of step (replies unread), so the environment cannot be used again."""
        try:
            yield
        except BaseException:
            self.close()
            raise

    def _send(self, w: int, opcode: bytes, body: bytes) -> None:
        writer = self._writers[w]
        try:
            writer.write(HEADER.pack(opcode, len(body)))
            writer.write(body)
            writer.flush()
        except BrokenPipeError:
            raise self._died(w, _COMMAND_NAMES[opcode]) from None

    def _receive_all(self, opcode: bytes) -> list[bytes]:
        """Every worker's reply body, in order; raises the first failure after reading all."""
        replies: list[bytes] = []
        errors: list[WorkerError] = []
        for w, reader in enumerate(self._readers):
            header = reader.read(HEADER.size)
            if len(header) < HEADER.size:
                errors.append(self._died(w, _COMMAND_NAMES[opcode]))
                replies.append(b"")
                continue
            status, length = HEADER.unpack(header)
            body = reader.read(length) if length else b""
            if len(body) < length:
                errors.append(self._died(w, _COMMAND_NAMES[opcode]))
            elif status == STATUS_ERROR:
                text = body.decode("utf-8", "replace")
                errors.append(WorkerError(w, self._procs[w].pid, _COMMAND_NAMES[opcode], text))
            replies.append(body)
        if errors:
            raise errors[0]
        return replies

    def _died(self, w: int, command: str) -> WorkerError:
        proc = self._procs[w]
        try:
            code = proc.wait(1.0)
            how = f"the worker process exited with code {code} (its stderr is above)"
        except subprocess.TimeoutExpired:
            how = "the worker process closed its pipe but is still running"
        return WorkerError(w, proc.pid, command, how)

    def _decode_obs(self, body: bytes, offset: int) -> np.ndarray:
        return np.frombuffer(
            body,
            dtype=self._obs_dtype,
            count=self._obs_nbytes // self._obs_dtype.itemsize,
            offset=offset,
        ).reshape(self._obs_shape)
