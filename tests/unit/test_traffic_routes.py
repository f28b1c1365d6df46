"""Tests of the per-episode route file (spec section 2.2) against the spec and the golden data."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from iam_repro.envs.traffic.routes import (
    ROUTE_A,
    ROUTE_B,
    ROUTE_STRINGS,
    route_choices,
    route_file_text,
    write_route_file,
)

GOLDEN_PATH = Path(__file__).parent.parent / "data" / "traffic_golden.json"

# spec section 2.2, "Route choices ... for checking"
SPEC_CHOICES = {
    0: [0, 1, 1, 0, 0, 0],
    1: [1, 1, 0, 0, 0, 1],
    2: [0, 1, 0, 1, 1, 1],
    3: [1, 0, 1, 0, 1, 0],
    4: [0, 1, 0, 1, 0, 1],
    5: [1, 1, 0, 1, 1, 0],
    6: [1, 0, 1, 1, 1, 1],
    7: [1, 0, 1, 0, 1, 0],
}


def golden() -> dict:
    return json.loads(GOLDEN_PATH.read_text())


def test_route_strings_equal_the_original() -> None:
    assert list(ROUTE_STRINGS) == golden()["environment_constants"]["route_strings"]
    assert len(ROUTE_A.split()) == 36 and ROUTE_A.split()[0] == "L67"
    assert len(ROUTE_B.split()) == 44 and ROUTE_B.split()[0] == "L63"


@pytest.mark.parametrize("seed", sorted(SPEC_CHOICES))
def test_route_choices_of_the_spec(seed: int) -> None:
    assert route_choices(seed) == SPEC_CHOICES[seed]


def test_route_choices_of_every_golden_episode() -> None:
    for variant in golden()["variants"].values():
        for episode in variant["episodes"]:
            routes = episode["routes"]
            assert [r["id"] for r in routes] == [f"{t + 1}_{t}" for t in range(6)]
            assert [r["depart"] for r in routes] == list(range(6))
            assert route_choices(episode["episode_seed"]) == [r["route_index"] for r in routes]


def test_route_choices_leave_the_global_generator_alone() -> None:
    random.seed(99)
    before = random.getstate()
    route_choices(3)
    assert random.getstate() == before


def test_route_file_layout(tmp_path: Path) -> None:
    path = write_route_file(5, tmp_path / "r.rou.xml")
    assert path.read_text() == route_file_text(5)
    root = ET.parse(path).getroot()
    assert root.tag == "routes"
    assert [e.tag for e in root] == ["route"] * 6 + ["vehicle"] * 6  # routes first, then cars
    routes = root[:6]
    assert [r.attrib["id"] for r in routes] == ["1", "2", "3", "4", "5", "6"]
    assert [ROUTE_STRINGS.index(r.attrib["edges"]) for r in routes] == SPEC_CHOICES[5]
    vehicles = [v.attrib for v in root[6:]]
    assert vehicles == [
        {"id": f"{t + 1}_{t}", "route": str(t + 1), "depart": str(t)} for t in range(6)
    ]
