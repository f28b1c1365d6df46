"""One SUMO simulation of the loop network, driven step by step (``shared/spec/traffic.md``).

:class:`TrafficSim` is the environment core: one episode = six cars on the figure-eight network,
250 steps of 1 s, action = which approach gets green, observation = 30 cell counts around the
junction, reward = -0.1 x the number of cars halted for at least one step.

SUMO runs in this process through libsumo (fast; one simulation per process, so parallel
environments need one process each) or, for debugging, as a ``sumo`` subprocess through TraCI
(``backend="traci"``, about 100x slower). Episode seeds advance like the original's (section 2.4):
an object built with seed ``s`` plays episode seeds ``s + 1``, ``s + 2``, ... (the original's
constructor starts SUMO once with seed ``s`` to measure the observation space; that start is
skipped here).

State for checkpoints is kept by *replay*: the running episode's seed, the controller memory at
its start and the actions taken so far determine everything, because SUMO is deterministic given
its seed and the signal states sent to it. :meth:`TrafficSim.set_state` restarts SUMO and replays
the actions -- exact by construction, and independent of SUMO's own state files.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from iam_repro.envs.requirements import require_sumo
from iam_repro.envs.traffic.controller import TrafficLightController
from iam_repro.envs.traffic.network import loop_network_file
from iam_repro.envs.traffic.observation import OBS_DIM, count_vehicle
from iam_repro.envs.traffic.routes import write_route_file

__all__ = [
    "BACKENDS",
    "MAX_EPISODE_STEPS",
    "SCALING_FACTOR",
    "TLS_ID",
    "TrafficSim",
    "sumo_arguments",
]

MAX_EPISODE_STEPS = 250  # SUMO seconds; the traffic configs override default.yaml's 5000
SCALING_FACTOR = 10.0  # reward = -sum(min(waiting time, 1)) / SCALING_FACTOR
TLS_ID = "0"  # the only traffic light
BACKENDS = ("libsumo", "traci")
_STATE_FORMAT = "iam_repro.TrafficSim/1"

# Quiet and fast, without changing trajectories (checked against the golden replay): no per-step
# progress line, no end-of-run performance report. "-W" (no warnings) is the original's own.
_QUIET = ("--no-step-log", "--duration-log.disable")

# libsumo holds one simulation per process: the TrafficSim that started it.
_libsumo_owner: weakref.ReferenceType[TrafficSim] | None = None
_traci_labels = itertools.count()


def sumo_arguments(
    net_file: str | os.PathLike[str],
    route_file: str | os.PathLike[str],
    episode_seed: int,
    *,
    depart_speed_zero: bool = True,
) -> list[str]:
    """SUMO's options for one episode (section 2.3), without the program name.

    ``depart_speed_zero`` adds ``--default.departspeed 0`` (variant ``legacy_departspeed0``: cars
    start at rest, as in the SUMO of the paper's runs; SUMO >= 1.27 defaults to "avg").
    """
    args = ["-n", os.fspath(net_file), "-r", os.fspath(route_file), "-W"]
    args += ["--default.speeddev", "0.0", "--seed", str(int(episode_seed))]
    if depart_speed_zero:
        args += ["--default.departspeed", "0"]
    return [*args, *_QUIET]


class TrafficSim:
    """The traffic-light environment on one SUMO simulation.

    Args:
        seed: Constructor seed ``s``; the first episode uses episode seed ``s + 1``.
        depart_speed_zero: Cars depart at speed 0 (the primary variant, see
            :func:`sumo_arguments`); False keeps SUMO 1.28's defaults.
        carry_over_quirk: Keep the controller memory across resets, as the original does.
        backend: ``"libsumo"`` (in this process) or ``"traci"`` (a ``sumo`` subprocess; slow,
            for debugging).
        net_file: The built loop network; default :func:`loop_network_file` (a vector env
            builds it once and hands the path to every worker).

    Nothing is started by the constructor; :meth:`reset` starts SUMO.
    """

    def __init__(
        self,
        seed: int,
        *,
        depart_speed_zero: bool = True,
        carry_over_quirk: bool = True,
        backend: str = "libsumo",
        net_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self._api: Any = None  # first, so that close() works even if the checks below fail
        self._tmpdir: Path | None = None
        self._evicted = False
        self.backend = backend
        self.depart_speed_zero = bool(depart_speed_zero)
        self.carry_over_quirk = bool(carry_over_quirk)
        installation = require_sumo(("sumo", "netconvert"), libsumo=backend == "libsumo")
        self._sumo_binary = os.fspath(installation.programs["sumo"])
        self._net_file = Path(net_file) if net_file is not None else loop_network_file()
        self._next_seed = int(seed) + 1
        self._episode_seed: int | None = None
        self._controller = TrafficLightController(carry_over_quirk=self.carry_over_quirk)
        self._start_controller = self._controller.get_state()
        self._actions: list[int] = []
        self._route_file: Path | None = None

    # ----------------------------------------------------------------------------------------
    # public API

    @property
    def episode_seed(self) -> int | None:
        """Episode seed of the running episode (None before the first reset and after close)."""
        return self._episode_seed

    @property
    def next_episode_seed(self) -> int:
        """Episode seed the next :meth:`reset` will use."""
        return self._next_seed

    @property
    def controller(self) -> TrafficLightController:
        """The traffic-light controller (its memory is part of the state)."""
        return self._controller

    def reset(self) -> np.ndarray:
        """Start the next episode; returns the all-zero observation (nothing has moved yet)."""
        self._controller.new_episode()
        self._start_controller = self._controller.get_state()
        self._start(self._next_seed)
        self._next_seed += 1
        return np.zeros(OBS_DIM, dtype=np.float32)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        """Advance one second with ``action`` (0: green north, ``GGrr``; 1: green west, ``rrGG``).

        Returns:
            ``(obs, reward, terminated, truncated)``: obs (30,) float32 cell counts; reward
            ``-sum_v min(waiting_v, 1) / 10`` over every vehicle in the net; terminated when
            no vehicle is left or pending; truncated when SUMO time >= 250 and not terminated.
        """
        if self._api is None:
            self._raise_not_running()
        signal = self._controller.step(action)
        self._actions.append(int(action))
        self._set_signal(TLS_ID, signal)
        self._simulation_step()

        obs = np.zeros(OBS_DIM, dtype=np.float32)
        waiting = 0.0
        get_position, get_waiting = self._get_position, self._get_waiting
        for vehicle in self._get_ids():
            x, y = get_position(vehicle)
            count_vehicle(obs, x, y)
            waiting -= min(get_waiting(vehicle), 1.0)
        reward = waiting / SCALING_FACTOR
        terminated = self._min_expected() <= 0
        truncated = not terminated and self._get_time() >= MAX_EPISODE_STEPS
        return obs, reward, terminated, truncated

    def get_state(self) -> dict[str, Any]:
        """Everything needed to continue bit-exactly (plain values and one int8 array)."""
        start, now = self._start_controller, self._controller.get_state()
        return {
            "format": _STATE_FORMAT,
            "depart_speed_zero": self.depart_speed_zero,
            "carry_over_quirk": self.carry_over_quirk,
            "next_seed": self._next_seed,
            "episode_seed": self._episode_seed,
            "start_current": start["current"],
            "start_countdown": start["countdown"],
            "start_target": start["target"],
            "current": now["current"],
            "countdown": now["countdown"],
            "target": now["target"],
            "actions": np.asarray(self._actions, dtype=np.int8),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`get_state`'s dict: restart SUMO and replay the episode's actions.

        Raises:
            ValueError: The state is not a TrafficSim state, or it was taken with other
                ``depart_speed_zero``/``carry_over_quirk`` settings.
            RuntimeError: The replay did not end in the recorded controller memory.
        """
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"not a TrafficSim state (format {state.get('format')!r}, "
                f"expected {_STATE_FORMAT!r})"
            )
        for key in ("depart_speed_zero", "carry_over_quirk"):
            if bool(state[key]) != getattr(self, key):
                raise ValueError(
                    f"the state was taken with {key}={bool(state[key])}, this TrafficSim has "
                    f"{key}={getattr(self, key)}"
                )
        now = {key: state[key] for key in ("current", "countdown", "target")}
        start = {key: state[f"start_{key}"] for key in ("current", "countdown", "target")}
        self._stop()
        self._next_seed = int(state["next_seed"])
        episode_seed = state["episode_seed"]
        if episode_seed is None:
            self._episode_seed = None
            self._actions = []
            self._controller.set_state(now)
            self._start_controller = self._controller.get_state()
            return
        self._controller.set_state(start)
        self._start_controller = self._controller.get_state()
        self._start(int(episode_seed))
        actions = [int(a) for a in np.asarray(state["actions"]).ravel()]
        controller, set_signal, simulation_step = (
            self._controller,
            self._set_signal,
            self._simulation_step,
        )
        for action in actions:  # reads do not change SUMO's state, so only signal + step
            set_signal(TLS_ID, controller.step(action))
            simulation_step()
        self._actions = actions
        replayed = self._controller.get_state()
        expected = TrafficLightController()
        expected.set_state(now)
        if replayed != expected.get_state():
            raise RuntimeError(
                f"replaying {len(actions)} actions of episode seed {episode_seed} ended with "
                f"controller memory {replayed}, but the state records {expected.get_state()}; "
                f"the state dict is inconsistent"
            )

    def close(self) -> None:
        """Stop SUMO and delete the temporary route files (idempotent)."""
        self._stop()
        self._episode_seed = None
        self._actions = []
        tmpdir, self._tmpdir = self._tmpdir, None
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def __del__(self) -> None:
        # At interpreter shutdown modules may be gone already.
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self) -> str:
        return (
            f"TrafficSim(next_episode_seed={self._next_seed}, episode_seed={self._episode_seed}, "
            f"backend={self.backend!r}, depart_speed_zero={self.depart_speed_zero}, "
            f"carry_over_quirk={self.carry_over_quirk})"
        )

    # ----------------------------------------------------------------------------------------
    # SUMO start and stop

    def _start(self, episode_seed: int) -> None:
        """(Re)start SUMO on episode seed ``episode_seed``'s routes; clears the action list."""
        self._stop()
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="iam-repro-traffic-"))
        route_file = write_route_file(episode_seed, self._tmpdir / f"{episode_seed}.rou.xml")
        args = sumo_arguments(
            self._net_file, route_file, episode_seed, depart_speed_zero=self.depart_speed_zero
        )
        start = self._start_libsumo if self.backend == "libsumo" else self._start_traci
        api = start(args)
        if self._route_file is not None and self._route_file != route_file:
            self._route_file.unlink(missing_ok=True)  # SUMO has read its routes by now
        self._route_file = route_file
        self._bind(api)
        self._episode_seed = episode_seed
        self._actions = []
        self._evicted = False

    def _start_libsumo(self, args: list[str]) -> Any:
        global _libsumo_owner
        import libsumo

        owner = _libsumo_owner() if _libsumo_owner is not None else None
        if owner is not None and owner is not self:
            # libsumo runs one simulation per process: the other TrafficSim loses its own.
            owner._evict()
        elif owner is None and libsumo.simulation.isLoaded():
            libsumo.close()  # left running by someone else (e.g. a bare benchmark loop)
        libsumo.start([self._sumo_binary, *args])
        _libsumo_owner = weakref.ref(self)
        return libsumo

    def _start_traci(self, args: list[str]) -> Any:
        import traci

        label = f"iam-repro-{os.getpid()}-{next(_traci_labels)}"
        traci.start([self._sumo_binary, *args], label=label, stdout=subprocess.DEVNULL)
        return traci.getConnection(label)

    def _bind(self, api: Any) -> None:
        """Keep the per-step functions as attributes: no attribute chains in the step loop."""
        self._api = api
        self._set_signal = api.trafficlight.setRedYellowGreenState
        self._simulation_step = api.simulationStep
        self._get_ids = api.vehicle.getIDList
        self._get_position = api.vehicle.getPosition
        self._get_waiting = api.vehicle.getWaitingTime
        self._min_expected = api.simulation.getMinExpectedNumber
        self._get_time = api.simulation.getTime

    def _stop(self) -> None:
        """Close this object's SUMO, if it runs one."""
        global _libsumo_owner
        api, self._api = self._api, None
        if api is None:
            return
        if self.backend == "libsumo":
            owner = _libsumo_owner() if _libsumo_owner is not None else None
            if owner is self:
                _libsumo_owner = None
                api.close()
        else:
            with contextlib.suppress(Exception):  # the sumo process may have died already
                api.close()

    def _evict(self) -> None:
        """Another TrafficSim in this process takes over libsumo: close and remember why."""
        self._stop()
        self._evicted = True

    def _raise_not_running(self) -> None:
        if self._evicted:
            raise RuntimeError(
                "this TrafficSim's SUMO was closed because another TrafficSim started libsumo "
                "in this process (libsumo runs one simulation per process): use one process "
                "per environment, backend='traci', or set_state() to continue this one"
            )
        raise RuntimeError("no simulation is running: call reset() (or set_state()) first")
