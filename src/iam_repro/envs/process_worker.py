"""Worker process of :class:`iam_repro.envs.process_vec.ProcessVecEnv`: one environment per process.

Run as ``python -m iam_repro.envs.process_worker <index>`` by the parent, never by hand. The worker
talks to its parent over its stdin/stdout pipes with this framed protocol (the constants live in
``process_vec``, imported by both sides, so they cannot drift apart):

- every message, both ways, is a header ``<cI`` (one opcode or status byte, body length) and the
  body;
- parent -> worker opcodes: ``i`` init (pickled dict: factory ``"module:attr"``, its keyword
  arguments, observation shape/dtype, action shape/dtype), ``r`` reset (``<?q``: has seed, seed),
  ``s`` step (the action's raw bytes), ``g`` get_state, ``t`` set_state (pickled state), ``c``
  close;
- worker -> parent status: ``k`` ok or ``e`` error (body: the traceback text, UTF-8). A step's
  body is ``<d??`` (reward, terminated, truncated), then the observation's bytes, then -- only if
  the episode ended -- the finished episode's last observation (the worker has already reset, so
  the first observation is the new episode's: same-step autoreset). A reset's body is the
  observation; get_state's is the pickled state.

Step traffic is raw struct/numpy bytes; pickle is used only for the rare init/state messages, and
only between a parent and the worker it started.

Why the worker guards its streams and signals:

- The protocol pipes are moved off fds 0 and 1 at start-up, fd 1 then points at stderr and fd 0
  at /dev/null: C libraries (SUMO prints to stdout) and child processes (TraCI's sumo) cannot
  corrupt the protocol or hold the pipes open.
- SIGINT is ignored: the parent, not the worker, decides how to shut down (it sends ``c``).
  The parent also starts each worker in its own process group, so a terminal's Ctrl-C (sent to
  the foreground group) reaches only the parent, and the worker is safe from it even before this
  module has run.
- SIGTERM is ignored while the worker serves its parent and honoured once it is closing. Slurm
  (``scancel --signal=TERM``, a time limit) signals every process of a job, workers included:
  the training process then saves a checkpoint after its current update, which needs the
  workers alive until it closes them. Once closing (close message or end of input), SIGTERM
  raises ``SystemExit`` so that the environment (and a TraCI sumo child) is still closed; the
  parent's shutdown sends it only then, and kills a worker that does not go.
- End of input (the parent exited, even by ``kill -9``) ends the worker at once, closing its
  environment.

The worker imports numpy and gymnasium (through ``process_vec``) but never torch: it starts in a
fraction of a second.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from iam_repro.envs.process_vec import (
    HEADER,
    OP_CLOSE,
    OP_GET_STATE,
    OP_INIT,
    OP_RESET,
    OP_SET_STATE,
    OP_STEP,
    RESET_BODY,
    STATUS_ERROR,
    STATUS_OK,
    STEP_HEAD,
)

__all__ = ["load_factory", "main"]


def load_factory(spec: str) -> Callable[..., Any]:
    """Import ``"package.module:attr"`` and return the attribute.

    Raises:
        ValueError: ``spec`` has no ``:``.
        ImportError, AttributeError: The module or attribute does not exist.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"factory must be 'module:attr', got {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class _Worker:
    """Holds the environment and answers the parent's messages."""

    def __init__(self, reader: io.BufferedReader, writer: io.BufferedWriter) -> None:
        self.reader, self.writer = reader, writer
        self.env: Any = None
        self.factory: Callable[..., Any] | None = None
        self.kwargs: dict[str, Any] = {}
        self.obs_dtype = np.dtype(np.float32)
        self.obs_shape: tuple[int, ...] = ()
        self.action_dtype = np.dtype(np.int64)
        self.action_shape: tuple[int, ...] = ()

    # ------------------------------------------------------------------ framing

    def read_message(self) -> tuple[bytes, bytes] | None:
        """The next (opcode, body), or None at end of input (the parent has gone)."""
        header = self.reader.read(HEADER.size)
        if len(header) < HEADER.size:
            return None
        opcode, length = HEADER.unpack(header)
        body = self.reader.read(length) if length else b""
        if len(body) < length:
            return None
        return opcode, body

    def reply(self, status: bytes, *parts: bytes) -> None:
        length = sum(len(p) for p in parts)
        self.writer.write(HEADER.pack(status, length))
        for part in parts:
            self.writer.write(part)
        self.writer.flush()

    # ------------------------------------------------------------------ commands

    def obs_bytes(self, obs: Any) -> bytes:
        array = np.asarray(obs, dtype=self.obs_dtype)
        if array.shape != self.obs_shape:
            raise ValueError(
                f"the environment returned an observation of shape {array.shape}, "
                f"the vector env expects {self.obs_shape}"
            )
        return array.tobytes()

    def init(self, body: bytes) -> None:
        config = pickle.loads(body)
        self.factory = load_factory(config["factory"])
        self.kwargs = dict(config["kwargs"])
        self.obs_shape = tuple(config["obs_shape"])
        self.obs_dtype = np.dtype(config["obs_dtype"])
        self.action_shape = tuple(config["action_shape"])
        self.action_dtype = np.dtype(config["action_dtype"])
        self.env = self.factory(**self.kwargs)

    def reset(self, body: bytes) -> bytes:
        has_seed, seed = RESET_BODY.unpack(body)
        if has_seed:  # rebuild, as if constructed with this seed
            assert self.factory is not None
            self.close_env()
            self.kwargs["seed"] = seed
            self.env = self.factory(**self.kwargs)
        return self.obs_bytes(_first(self.env.reset()))

    def step(self, body: bytes) -> tuple[bytes, ...]:
        action = np.frombuffer(body, dtype=self.action_dtype).reshape(self.action_shape)
        result = self.env.step(action.item() if action.ndim == 0 else action)
        obs, reward, terminated, truncated = result[:4]  # a gymnasium-style info is dropped
        head = STEP_HEAD.pack(float(reward), bool(terminated), bool(truncated))
        if not (terminated or truncated):
            return head, self.obs_bytes(obs)
        final = self.obs_bytes(obs)
        return head, self.obs_bytes(_first(self.env.reset())), final

    def close_env(self) -> None:
        env, self.env = self.env, None
        if env is not None:
            env.close()

    def serve(self) -> None:
        """Answer messages until close or end of input; the environment is closed either way."""
        try:
            while (message := self.read_message()) is not None:
                opcode, body = message
                try:
                    if opcode == OP_STEP:
                        parts: tuple[bytes, ...] = self.step(body)
                    elif opcode == OP_RESET:
                        parts = (self.reset(body),)
                    elif opcode == OP_GET_STATE:
                        parts = (pickle.dumps(self.env.get_state(), protocol=5),)
                    elif opcode == OP_SET_STATE:
                        self.env.set_state(pickle.loads(body))
                        parts = ()
                    elif opcode == OP_INIT:
                        self.init(body)
                        parts = ()
                    elif opcode == OP_CLOSE:
                        _start_closing()
                        self.close_env()
                        self.reply(STATUS_OK)
                        return
                    else:
                        raise ValueError(f"unknown opcode {opcode!r}")
                except Exception:
                    # The parent shuts every worker down after an error; until then, keep answering.
                    self.reply(STATUS_ERROR, traceback.format_exc().encode("utf-8", "replace"))
                    continue
                self.reply(STATUS_OK, *parts)
        except BrokenPipeError:
            pass  # the parent has gone while we were replying
        finally:
            _start_closing()
            self.close_env()


def _start_closing() -> None:
    global _closing
    _closing = True


def _first(result: Any) -> Any:
    """The observation of a ``reset()`` result (plain or gymnasium's ``(obs, info)``)."""
    return result[0] if isinstance(result, tuple) else result


_closing = False
"""Set once the worker has been told to close (or its parent has gone): SIGTERM then exits."""


def _on_sigterm(signum: int, frame: Any) -> None:
    if _closing:
        raise SystemExit(128 + signum)


def main() -> None:
    """Set up the streams and signals (see the module docstring), then serve the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Private, non-inheritable copies of the protocol pipes; fds 0/1 become harmless.
    reader = io.BufferedReader(io.FileIO(os.dup(0), "rb"), buffer_size=1 << 16)
    writer = io.BufferedWriter(io.FileIO(os.dup(1), "wb"), buffer_size=1 << 16)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (lives as long as the process)
    sys.stdout = sys.stderr
    _Worker(reader, writer).serve()


if __name__ == "__main__":
    main()
