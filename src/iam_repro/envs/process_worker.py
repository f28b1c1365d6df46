"""Worker process of :class:`iam_repro.envs.process_vec.ProcessVecEnv`: one environment per process.

Run as ``python -m iam_repro.envs.process_worker <index> <block fd> <reply fd>`` by the parent,
never by hand. The worker inherits two descriptors besides its stdin/stdout pipes: the anonymous
file of the shared step block (:class:`~iam_repro.envs.process_protocol.StepBlock`), which it maps
once and closes, and the write end of the reply pipe that all workers share. The constants live
in ``process_protocol``, imported by both sides, so they cannot drift apart.

Steps (the hot path), no framing and no copies through pipes:

- the parent writes the action into the worker's row of the block, then the single byte ``s``
  on the worker's stdin;
- the worker steps its environment and writes the results into its row: observation, reward,
  terminated, truncated and -- only if the episode ended -- the finished episode's last
  observation in ``final_obs`` (the worker has already reset, so ``obs`` is the new episode's
  first observation: same-step autoreset);
- it then writes its token, its index as ``<H``, into the shared reply pipe (one atomic write,
  so the tokens of several workers never interleave). The pipe syscalls order the memory
  accesses: the parent reads the block only after it has read the token;
- if the environment raises, the worker writes no token but an error message on its stdout (see
  below), where the parent, which polls every worker's stdout during a step, finds it.

Everything else is a framed message on the worker's own pipes:

- a message is a header ``<cI`` (one opcode or status byte, body length) and the body;
- parent -> worker opcodes: ``i`` init (pickled dict: factory ``"module:attr"``, its keyword
  arguments, number of workers, observation shape/dtype, action shape/dtype: the block's
  layout), ``r`` reset (``<?q``: has seed, seed), ``g`` get_state, ``t`` set_state (pickled
  state), ``c`` close;
- worker -> parent status: ``k`` ok or ``e`` error (body: the traceback text, UTF-8). A reset's
  body is the observation's bytes; get_state's is the pickled state.

Pickle is used only for the rare init/state messages, and only between a parent and the worker
it started.

Why the worker guards its streams and signals:

- The protocol pipes are moved off fds 0 and 1 at start-up, fd 1 then points at stderr and fd 0
  at /dev/null; the inherited reply pipe is made non-inheritable and the block's descriptor is
  closed once mapped: C libraries (SUMO prints to stdout) and child processes (TraCI's sumo)
  cannot corrupt the protocol or hold the pipes open (the parent detects a dead worker by the
  end of its stdout).
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
  environment; so does a closed reply pipe (the parent has shut down mid-step).

The worker imports numpy and gymnasium (through the ``iam_repro.envs`` package) but never torch:
it starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
import io
import mmap
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from iam_repro.envs.process_protocol import (
    HEADER,
    LENGTH,
    OP_CLOSE,
    OP_GET_STATE,
    OP_INIT,
    OP_RESET,
    OP_SET_STATE,
    OP_STEP,
    RESET_BODY,
    STATUS_ERROR,
    STATUS_OK,
    TOKEN,
    StepBlock,
    read_exact,
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
    """Holds the environment and answers the parent's messages.

    Args:
        index: This worker's index (its row of the step block, its token).
        command_fd: The pipe from the parent (read unbuffered: one ``read`` per step).
        writer: The pipe to the parent (framed replies).
        reply_fd: Write end of the reply pipe shared by all workers (step tokens).
        block_map: The mapped step block.
    """

    def __init__(
        self,
        index: int,
        command_fd: int,
        writer: io.BufferedWriter,
        reply_fd: int,
        block_map: mmap.mmap,
    ) -> None:
        self.index = index
        self.command_fd, self.writer = command_fd, writer
        self.reply_fd = reply_fd
        self.token = TOKEN.pack(index)
        self.block_map = block_map
        self.block: StepBlock | None = None
        self.env: Any = None
        self.factory: Callable[..., Any] | None = None
        self.kwargs: dict[str, Any] = {}
        self.obs_dtype = np.dtype(np.float32)
        self.obs_shape: tuple[int, ...] = ()
        self.scalar_action = True

    # ------------------------------------------------------------------ framing

    def read_body(self) -> bytes | None:
        """The body of a framed message whose opcode has been read; None at end of input."""
        header = read_exact(self.command_fd, LENGTH.size)
        if len(header) < LENGTH.size:
            return None
        (length,) = LENGTH.unpack(header)
        body = read_exact(self.command_fd, length) if length else b""
        return body if len(body) == length else None

    def reply(self, status: bytes, *parts: bytes) -> None:
        length = sum(len(p) for p in parts)
        self.writer.write(HEADER.pack(status, length))
        for part in parts:
            self.writer.write(part)
        self.writer.flush()

    # ------------------------------------------------------------------ commands

    def checked_obs(self, obs: Any) -> np.ndarray:
        array = np.asarray(obs, dtype=self.obs_dtype)
        if array.shape != self.obs_shape:
            raise ValueError(
                f"the environment returned an observation of shape {array.shape}, "
                f"the vector env expects {self.obs_shape}"
            )
        return array

    def init(self, body: bytes) -> None:
        config = pickle.loads(body)
        self.factory = load_factory(config["factory"])
        self.kwargs = dict(config["kwargs"])
        self.obs_shape = tuple(config["obs_shape"])
        self.obs_dtype = np.dtype(config["obs_dtype"])
        action_shape = tuple(config["action_shape"])
        self.scalar_action = action_shape == ()
        self.block = StepBlock(
            self.block_map,
            int(config["num_envs"]),
            self.obs_shape,
            self.obs_dtype,
            action_shape,
            np.dtype(config["action_dtype"]),
        )
        self.env = self.factory(**self.kwargs)

    def reset(self, body: bytes) -> bytes:
        has_seed, seed = RESET_BODY.unpack(body)
        if has_seed:  # rebuild, as if constructed with this seed
            assert self.factory is not None
            self.close_env()
            self.kwargs["seed"] = seed
            self.env = self.factory(**self.kwargs)
        return self.checked_obs(_first(self.env.reset())).tobytes()

    def step(self) -> None:
        """Step with the action in our row of the block; write the results into the row."""
        w, block = self.index, self.block
        assert block is not None, "step before init"
        if self.scalar_action:
            action: Any = block.actions.item(w)  # a Python int (float): as the env expects
        else:
            action = block.actions[w].copy()  # the env may keep it; the parent reuses the row
            action.flags.writeable = False
        result = self.env.step(action)
        obs, reward, terminated, truncated = result[:4]  # a gymnasium-style info is dropped
        reward, terminated, truncated = float(reward), bool(terminated), bool(truncated)
        obs = self.checked_obs(obs)
        if terminated or truncated:
            block.final_obs[w] = obs  # before the reset, which may reuse the env's array
            obs = self.checked_obs(_first(self.env.reset()))
        block.obs[w] = obs
        block.rewards[w] = reward
        block.terminated[w] = terminated
        block.truncated[w] = truncated

    def close_env(self) -> None:
        env, self.env = self.env, None
        if env is not None:
            env.close()

    def serve(self) -> None:
        """Answer messages until close or end of input; the environment is closed either way."""
        try:
            read, command_fd = os.read, self.command_fd
            while opcode := read(command_fd, 1):
                if opcode == OP_STEP:
                    try:
                        self.step()
                    except Exception:
                        self.reply(STATUS_ERROR, traceback.format_exc().encode("utf-8", "replace"))
                    else:
                        os.write(self.reply_fd, self.token)  # <= PIPE_BUF: atomic
                    continue
                body = self.read_body()
                if body is None:
                    return
                try:
                    if opcode == OP_RESET:
                        parts: tuple[bytes, ...] = (self.reset(body),)
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
            pass  # the parent has gone (or shut down) while we were replying
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
    index, block_fd, reply_fd = (int(arg) for arg in sys.argv[1:4])
    # Inherited for us alone: the block is mapped (the map keeps its own reference) and its
    # descriptor closed; the reply pipe stays, but no child of ours inherits it.
    block_map = mmap.mmap(block_fd, 0)
    os.close(block_fd)
    os.set_inheritable(reply_fd, False)
    # Private, non-inheritable copies of the protocol pipes; fds 0/1 become harmless.
    command_fd = os.dup(0)
    writer = io.BufferedWriter(io.FileIO(os.dup(1), "wb"), buffer_size=1 << 16)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (lives as long as the process)
    sys.stdout = sys.stderr
    _Worker(index, command_fd, writer, reply_fd, block_map).serve()


if __name__ == "__main__":
    main()
