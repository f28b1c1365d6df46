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
imports neither torch nor the caller's script, so it starts in a fraction of a second.

Step protocol (the hot path; the worker module has the details, ``process_protocol`` the wire
format). The step data live in one shared-memory block
(:class:`~iam_repro.envs.process_protocol.StepBlock`: actions, observations, final observations,
rewards, terminated, truncated; one row per worker), an anonymous file (``memfd_create``, else an
unlinked temporary file) that parent and workers map; it has no name, so nothing is left to clean up
whatever way the processes end. A step writes every worker's action into the block, wakes each
worker with one byte on its own command pipe (its stdin), then waits until every worker has
written its results into its row and sent a two-byte token (its index) into one reply pipe
shared by all workers: the parent drains that pipe with one ``read`` per wake-up, so the workers
step in parallel and the parent sleeps until they are done. The parent waits with ``poll`` on the
reply pipe *and* on every worker's own reply pipe (its stdout): a worker whose environment raises
sends its traceback there instead of a token, and a worker that dies closes it, so neither can
hang the parent. The pipe syscalls order the memory accesses (a worker writes its row before its
token, the parent reads the block after the tokens); no lock-free flags are involved. Returned
arrays are copies: the next step may overwrite the block. Rare messages (init, reset,
get_state, set_state, close) and errors are framed messages on the workers' own pipes.

Shutdown. ``close()`` (also via ``with``, garbage collection or interpreter exit) sends every
worker a close message, closes the pipes, waits briefly, then terminates and finally kills
stragglers. Workers run in their own process groups and ignore SIGINT: a Ctrl-C reaches only the
parent, whose ``KeyboardInterrupt`` closes the environment. A worker whose parent dies, even by
``kill -9``, sees the end of its input and exits by itself, closing its environment. An exception
inside a worker closes every worker and is raised in the parent as :class:`WorkerError`, with the
worker's index, pid and traceback text; so is the death of a worker. Any exception (or
``KeyboardInterrupt``) that interrupts the parent while it talks to the workers also closes them,
since the pipes are then out of step.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
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

from iam_repro.envs.process_protocol import (
    COMMAND_NAMES,
    HEADER,
    MAX_WORKERS,
    OP_CLOSE,
    OP_GET_STATE,
    OP_INIT,
    OP_RESET,
    OP_SET_STATE,
    OP_STEP,
    RESET_BODY,
    STATUS_ERROR,
    TOKEN,
    StepBlock,
    above_stdio,
    anonymous_file,
    read_exact,
    write_all,
)

__all__ = ["ProcessVecEnv", "WorkerError"]

WORKER_MODULE = "iam_repro.envs.process_worker"


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


def _shutdown(procs: list[subprocess.Popen[bytes]], own_fds: list[int], timeout_s: float) -> None:
    """Close every worker: close message, pipes closed, brief wait, then SIGTERM, then SIGKILL.

    ``own_fds`` are the parent's other descriptors (the shared reply pipe's read end; while
    starting, the block's file and the reply pipe's write end). Takes no reference to the
    environment object, so that it can serve as its finalizer.
    """
    for proc in procs:
        if proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):  # the worker is already gone
                write_all(proc.stdin.fileno(), HEADER.pack(OP_CLOSE, 0))
    for proc in procs:
        # Closing our read ends too: a worker blocked writing a large reply, or about to send a
        # step token, gets EPIPE and exits.
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
    while own_fds:
        with contextlib.suppress(OSError):
            os.close(own_fds.pop())
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
    on steps where some episode ended (the conventions of ``WarehouseVecEnv``). Every returned
    array is the caller's own (a copy, not a view of the shared step block).

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
        ValueError: No workers (or more than 65,536), or a space of an unsupported type.
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
        if not 1 <= len(worker_kwargs) <= MAX_WORKERS:
            raise ValueError(f"ProcessVecEnv needs 1 to {MAX_WORKERS} workers")
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
        self._stepping = False  # between step_async() and step_wait()

        self._procs: list[subprocess.Popen[bytes]] = []
        self._fds: list[int] = []  # ours to close, apart from the workers' stdin/stdout
        # Registered before anything starts: whatever has started is shut down on garbage
        # collection or at interpreter exit, even if this constructor fails half-way.
        self._finalizer = weakref.finalize(self, _shutdown, self._procs, self._fds, close_timeout_s)
        environ = _child_environ()
        try:
            layout = (n, self._obs_shape, self._obs_dtype, self._action_shape, self._action_dtype)
            size = StepBlock.nbytes(*layout)
            block_fd = anonymous_file(size)
            self._fds.append(block_fd)
            self._block = StepBlock(mmap.mmap(block_fd, size), *layout)
            reply_fd, reply_write_fd = os.pipe()
            self._fds.append(reply_fd)
            reply_write_fd = above_stdio(reply_write_fd)
            self._fds.append(reply_write_fd)
            self._command_fds: list[int] = []  # the workers' stdin
            self._own_fds: list[int] = []  # the workers' stdout: framed replies, errors, EOF
            for w in range(n):
                proc = subprocess.Popen(
                    [sys.executable, "-m", WORKER_MODULE, *map(str, (w, block_fd, reply_write_fd))],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    bufsize=0,
                    env=environ,
                    process_group=0,  # terminal signals (Ctrl-C) reach only the parent
                    pass_fds=(block_fd, reply_write_fd),
                )
                assert proc.stdin is not None and proc.stdout is not None
                self._procs.append(proc)
                self._command_fds.append(proc.stdin.fileno())
                self._own_fds.append(proc.stdout.fileno())
            # From here on only the workers hold the reply pipe's write end and the block's file.
            for fd in (block_fd, reply_write_fd):
                self._fds.remove(fd)
                os.close(fd)
            self._reply_fd = reply_fd
            self._worker_of_fd = {fd: w for w, fd in enumerate(self._own_fds)}
            self._poller = select.poll()
            for fd in (reply_fd, *self._own_fds):
                self._poller.register(fd, select.POLLIN)
            for w, kwargs in enumerate(worker_kwargs):
                config = {
                    "factory": factory,
                    "kwargs": dict(kwargs),
                    "num_envs": n,
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

        The same as `step_async` then `step_wait`.

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
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: np.ndarray) -> None:
        """Start a step: the workers run it while the caller does other work, until
        `step_wait`. Raises as `step` does; no other call may come in between."""
        self._check_open()
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        actions = self._check_actions(actions)
        try:  # as _closing_on_error(), inline on this hot path
            self._block.actions[...] = actions
            for w, fd in enumerate(self._command_fds):
                try:
                    os.write(fd, OP_STEP)
                except BrokenPipeError:
                    raise self._died(w, "step") from None
        except BaseException:
            self.close()
            raise
        self._stepping = True

    def step_wait(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Finish the step `step_async` started; returns what `step` returns."""
        if not self._stepping:
            raise RuntimeError("step_wait() without step_async()")
        self._stepping = False
        block = self._block
        try:
            self._wait_for_step()
        except BaseException:
            self.close()
            raise
        # Copies: the next step overwrites the block.
        obs = block.obs.copy()
        rewards = block.rewards.copy()
        terminated = block.terminated.copy()
        truncated = block.truncated.copy()
        infos: dict[str, Any] = {}
        ended = np.logical_or(terminated, truncated)
        if ended.any():
            final_obs = obs.copy()
            final_obs[ended] = block.final_obs[ended]
            infos["final_obs"] = final_obs
            infos["_final_obs"] = ended
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
        if self._stepping:
            raise RuntimeError("a step is in progress: call step_wait() first")

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
            if actions.size <= 64:  # Python's min/max: several times faster for a few workers
                values = actions.tolist()
                smallest, largest = min(values), max(values)
            else:
                smallest, largest = actions.min(), actions.max()
            if smallest < low or largest > high:
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

    def _wait_for_step(self) -> None:
        """Wait until every worker has sent its step token; raises the first failure (by worker
        index) once every worker has answered, failed or died.

        ``poll`` watches the shared reply pipe (tokens) and every worker's own pipe, which
        carries nothing during a step unless the worker failed (its error message) or died (end
        of input). A ready shared pipe is drained with one read.
        """
        pending = [True] * self.num_envs
        left = self.num_envs
        errors: dict[int, WorkerError] = {}
        reply_fd = self._reply_fd
        while left:
            for fd, _ in self._poller.poll():
                if fd == reply_fd:
                    data = os.read(fd, TOKEN.size * left)
                    if not data:  # every worker has gone: their own pipes tell how
                        self._poller.unregister(fd)
                        continue
                    if len(data) % TOKEN.size:  # never in practice: tokens are written whole
                        data += read_exact(fd, TOKEN.size - len(data) % TOKEN.size)
                    for (w,) in TOKEN.iter_unpack(data):
                        if pending[w]:
                            pending[w] = False
                            left -= 1
                else:
                    w = self._worker_of_fd[fd]
                    self._poller.unregister(fd)  # the environment closes after this step
                    if pending[w]:
                        pending[w] = False
                        left -= 1
                    _, error = self._read_reply(w, "step")
                    errors[w] = error or WorkerError(
                        w,
                        self._procs[w].pid,
                        "step",
                        "protocol error: a step answered on the worker's own pipe",
                    )
        if errors:
            raise errors[min(errors)]

    def _send(self, w: int, opcode: bytes, body: bytes) -> None:
        try:
            write_all(self._command_fds[w], HEADER.pack(opcode, len(body)) + body)
        except BrokenPipeError:
            raise self._died(w, COMMAND_NAMES[opcode]) from None

    def _read_reply(self, w: int, command: str) -> tuple[bytes, WorkerError | None]:
        """Worker ``w``'s next framed reply on its own pipe: (body, None) if it succeeded,
        (body, error) if it reported a failure or died."""
        fd = self._own_fds[w]
        header = read_exact(fd, HEADER.size)
        if len(header) < HEADER.size:
            return b"", self._died(w, command)
        status, length = HEADER.unpack(header)
        body = read_exact(fd, length) if length else b""
        if len(body) < length:
            return body, self._died(w, command)
        if status == STATUS_ERROR:
            text = body.decode("utf-8", "replace")
            return body, WorkerError(w, self._procs[w].pid, command, text)
        return body, None

    def _receive_all(self, opcode: bytes) -> list[bytes]:
        """Every worker's reply body, in order; raises the first failure after reading all."""
        replies: list[bytes] = []
        errors: list[WorkerError] = []
        for w in range(self.num_envs):
            body, error = self._read_reply(w, COMMAND_NAMES[opcode])
            if error is not None:
                errors.append(error)
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
