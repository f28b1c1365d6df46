"""The wire format shared by :class:`~iam_repro.envs.process_vec.ProcessVecEnv` and its workers
(:mod:`iam_repro.envs.process_worker`): message framing, opcodes, the shared step block and the
file-descriptor helpers both sides use. The protocol itself is described in the worker module.

Its own module, imported by both sides, so that the two cannot drift apart; not the worker
module, which runs as ``python -m`` and must never be imported by the package (runpy would warn
in every worker).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import tempfile
from typing import Any

import numpy as np

__all__ = [
    "COMMAND_NAMES",
    "HEADER",
    "LENGTH",
    "MAX_WORKERS",
    "OP_CLOSE",
    "OP_GET_STATE",
    "OP_INIT",
    "OP_RESET",
    "OP_SET_STATE",
    "OP_STEP",
    "RESET_BODY",
    "STATUS_ERROR",
    "STATUS_OK",
    "TOKEN",
    "StepBlock",
    "above_stdio",
    "anonymous_file",
    "read_exact",
    "write_all",
]

HEADER = struct.Struct("<cI")  # opcode/status, body length (framed messages)
LENGTH = struct.Struct("<I")  # the body length alone, after an opcode byte
RESET_BODY = struct.Struct("<?q")  # has seed, seed
TOKEN = struct.Struct("<H")  # a worker's "step done" token in the shared reply pipe: its index
MAX_WORKERS = 1 << (8 * TOKEN.size)
OP_INIT = b"i"
OP_RESET = b"r"
OP_STEP = b"s"  # alone, unframed: the step's data are in the shared block
OP_GET_STATE = b"g"
OP_SET_STATE = b"t"
OP_CLOSE = b"c"
STATUS_OK = b"k"
STATUS_ERROR = b"e"

COMMAND_NAMES = {
    OP_INIT: "init",
    OP_RESET: "reset",
    OP_STEP: "step",
    OP_GET_STATE: "get_state",
    OP_SET_STATE: "set_state",
}
_ALIGN = 64  # every array of the block starts on its own cache line


class StepBlock:
    """Numpy views of the shared step block, the same layout in the parent and the workers.

    One row per worker: ``actions`` (N, *action_shape), ``obs`` and ``final_obs`` (N,
    *obs_shape), ``rewards`` float64 (N,), ``terminated`` and ``truncated`` bool (N,). A row is
    written by one side at a time: actions by the parent before it wakes the worker, the rest by
    the worker before it sends its token (``final_obs`` only when the step ended an episode).

    Args:
        buffer: A writable buffer of at least :meth:`nbytes` bytes (the mapped file).
        num_envs: Number of workers N.
        obs_shape, obs_dtype, action_shape, action_dtype: One environment's spaces.
    """

    def __init__(
        self,
        buffer: Any,
        num_envs: int,
        obs_shape: tuple[int, ...],
        obs_dtype: Any,
        action_shape: tuple[int, ...],
        action_dtype: Any,
    ) -> None:
        offset = 0
        views = {}
        for name, dtype, shape in self._fields(
            num_envs, obs_shape, obs_dtype, action_shape, action_dtype
        ):
            count = int(np.prod(shape, dtype=np.int64))
            views[name] = np.frombuffer(buffer, dtype, count, offset).reshape(shape)
            offset += _aligned_nbytes(dtype, shape)
        self.actions: np.ndarray = views["actions"]
        self.obs: np.ndarray = views["obs"]
        self.final_obs: np.ndarray = views["final_obs"]
        self.rewards: np.ndarray = views["rewards"]
        self.terminated: np.ndarray = views["terminated"]
        self.truncated: np.ndarray = views["truncated"]

    @staticmethod
    def _fields(
        num_envs: int,
        obs_shape: tuple[int, ...],
        obs_dtype: Any,
        action_shape: tuple[int, ...],
        action_dtype: Any,
    ) -> list[tuple[str, np.dtype, tuple[int, ...]]]:
        n, obs = num_envs, (num_envs, *obs_shape)
        return [
            ("actions", np.dtype(action_dtype), (n, *action_shape)),
            ("obs", np.dtype(obs_dtype), obs),
            ("final_obs", np.dtype(obs_dtype), obs),
            ("rewards", np.dtype(np.float64), (n,)),
            ("terminated", np.dtype(bool), (n,)),
            ("truncated", np.dtype(bool), (n,)),
        ]

    @classmethod
    def nbytes(cls, *args: Any) -> int:
        """Size of the block for the same arguments as the constructor's, less the buffer."""
        return sum(_aligned_nbytes(dtype, shape) for _, dtype, shape in cls._fields(*args))


def _aligned_nbytes(dtype: np.dtype, shape: tuple[int, ...]) -> int:
    """Bytes an array of the block takes, rounded up to whole cache lines (``_ALIGN``)."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    return -(-nbytes // _ALIGN) * _ALIGN


def anonymous_file(size: int) -> int:
    """A file descriptor of a fresh ``size``-byte file with no name (nothing to clean up)."""
    memfd_create = getattr(os, "memfd_create", None)
    fd = -1
    if memfd_create is not None:
        with contextlib.suppress(OSError):  # e.g. a seccomp filter that forbids it
            fd = memfd_create("iam-repro-step-block")
    if fd < 0:
        with tempfile.TemporaryFile() as file:  # unlinked at once on POSIX
            fd = os.dup(file.fileno())
    fd = above_stdio(fd)
    try:
        os.ftruncate(fd, size)
    except BaseException:
        os.close(fd)
        raise
    return fd


def above_stdio(fd: int) -> int:
    """``fd``, or a copy numbered 3 or more if it is 0, 1 or 2 (a parent started with a standard
    stream closed): a descriptor passed to a worker must not collide with its stdin/stdout."""
    if fd > 2:
        return fd
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a pipe may take a large write in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, or fewer if the end of input comes first."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
