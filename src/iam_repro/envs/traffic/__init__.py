"""Traffic-light control on SUMO's figure-eight loop network (``shared/spec/traffic.md``).

- :mod:`.network`: the plain-XML inputs and the cached ``netconvert`` build of the net.
- :mod:`.routes`: the six-car route file of one episode seed.
- :mod:`.controller`: the junction's green/yellow controller (with the carry-over quirk).
- :mod:`.observation`: vehicle positions -> the 30 cell counts.
- :mod:`.sim`: :class:`TrafficSim`, one SUMO simulation stepped in this process.
- :mod:`.vector`: :class:`TrafficVecEnv`, one worker subprocess per environment.
"""

from __future__ import annotations

from iam_repro.envs.traffic.controller import (
    PHASES,
    YELLOW_TIME,
    TrafficLightController,
    yellow_of,
)
from iam_repro.envs.traffic.network import NetworkBuildError, loop_network_file
from iam_repro.envs.traffic.observation import D_SET, OBS_DIM, observation_from_positions
from iam_repro.envs.traffic.routes import ROUTE_STRINGS, route_choices, route_file_text
from iam_repro.envs.traffic.sim import MAX_EPISODE_STEPS, TrafficSim, sumo_arguments
from iam_repro.envs.traffic.vector import TrafficVecEnv, worker_seeds

__all__ = [
    "D_SET",
    "MAX_EPISODE_STEPS",
    "OBS_DIM",
    "PHASES",
    "ROUTE_STRINGS",
    "YELLOW_TIME",
    "NetworkBuildError",
    "TrafficLightController",
    "TrafficSim",
    "TrafficVecEnv",
    "loop_network_file",
    "observation_from_positions",
    "route_choices",
    "route_file_text",
    "sumo_arguments",
    "worker_seeds",
    "yellow_of",
]
