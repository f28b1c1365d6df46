"""Traffic demand of one episode (``shared/spec/traffic.md`` section 2): six looping cars.

The original seeds Python's global generator with the episode seed and makes three draws per car;
a private ``random.Random(k)`` gives the same sequence without touching global state. Ids, file
order and depart times matter: SUMO's driver-imperfection draws follow its processing order.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

__all__ = [
    "NUM_CARS",
    "ROUTE_A",
    "ROUTE_B",
    "ROUTE_STRINGS",
    "route_choices",
    "route_file_text",
    "write_route_file",
]

NUM_CARS = 6
#: Route index 0: starts on L67 (reaches the junction from the north first), 36 edges.
ROUTE_A = " ".join(["L67 L68 L61 L62 L63 L64 L65 L66"] * 4 + ["L67 L68 L61 L62"])
#: Route index 1: starts on L63 (reaches the junction from the west first), 44 edges.
ROUTE_B = " ".join(["L63 L64 L65 L66 L67 L68 L61 L62"] * 5 + ["L63 L64 L65 L66"])
#: The original's ``route_segments``, in its order (the draw picks by position).
ROUTE_STRINGS: tuple[str, str] = (ROUTE_A, ROUTE_B)


def route_choices(episode_seed: int) -> list[int]:
    """Route index (0 = A, 1 = B) of each car ``1_0`` .. ``6_5`` for one episode seed.

    Three draws per car, in this order (section 2.2): ``randint(0, 100)`` (does a car appear;
    with ``car_pr = 1`` always, value unused), ``choice(range(1, 2))`` (number of route segments,
    always 1, but it consumes random bits), ``choice(ROUTE_STRINGS)``.
    """
    rng = random.Random(episode_seed)
    routes = list(ROUTE_STRINGS)
    choices = []
    for _ in range(NUM_CARS):
        rng.randint(0, 100)
        rng.choice(range(1, 2))
        choices.append(routes.index(rng.choice(routes)))
    return choices


def route_file_text(episode_seed: int) -> str:
    """The SUMO route file of one episode: six routes "1".."6", then vehicles "<t+1>_<t>"."""
    choices = route_choices(episode_seed)
    lines = ["<routes>"]
    lines += [
        f'    <route id="{t + 1}" edges="{ROUTE_STRINGS[c]}"/>' for t, c in enumerate(choices)
    ]
    lines += [
        f'    <vehicle id="{t + 1}_{t}" route="{t + 1}" depart="{t}"/>' for t in range(NUM_CARS)
    ]
    lines.append("</routes>")
    return "\n".join(lines) + "\n"


def write_route_file(episode_seed: int, path: str | os.PathLike[str]) -> Path:
    """Write :func:`route_file_text` of ``episode_seed`` to ``path``; returns the path."""
    path = Path(path)
    path.write_text(route_file_text(episode_seed))
    return path
