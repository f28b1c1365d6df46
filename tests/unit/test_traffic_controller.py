"""Tests of the traffic-light controller (spec section 3); pure Python, no SUMO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_repro.envs.traffic.controller import (
    PHASES,
    YELLOW_OF,
    YELLOW_TIME,
    TrafficLightController,
    yellow_of,
)

GOLDEN_PATH = Path(__file__).parent.parent / "data" / "traffic_golden.json"
GOLDEN_KEYS = ("taken_state", "yellow_timer", "chosen_state")


def states(controller: TrafficLightController, actions: list[int]) -> list[str]:
    return [controller.step(a) for a in actions]


def test_phases_and_yellows_match_the_golden_constants() -> None:
    constants = json.loads(GOLDEN_PATH.read_text())["environment_constants"]
    assert {str(i): p for i, p in enumerate(PHASES)} == constants["phases"]
    assert constants["yellow_of"] == YELLOW_OF
    assert yellow_of("GGrr") == "yyrr" and yellow_of("rrGG") == "rryy"
    assert YELLOW_TIME == 6


def test_the_spec_example() -> None:
    # spec section 3: legacy variant, constructor seed 0, episode 1
    assert states(TrafficLightController(), [1, 0, 1, 1, 0, 1, 0, 1, 0]) == (
        ["rrGG"] + ["rryy"] * 6 + ["GGrr", "GGrr"]
    )


def test_first_step_takes_the_requested_green_without_yellow() -> None:
    for action, green in enumerate(PHASES):
        controller = TrafficLightController()
        assert controller.step(action) == green
        assert (controller.current, controller.countdown, controller.target) == (green, 0, None)


def test_a_switch_shows_exactly_six_yellow_steps_and_ignores_actions_meanwhile() -> None:
    controller = TrafficLightController()
    assert states(controller, [0, 0]) == ["GGrr", "GGrr"]
    # request at n = 2; steps n+1..n+6 ask for the old green again: ignored, the target wins
    assert states(controller, [1] + [0] * 6) == ["yyrr"] * 6 + ["rrGG"]
    # from n+7 the action is honoured again: a new yellow starts at once
    assert states(controller, [0]) == ["rryy"]
    assert (controller.current, controller.countdown, controller.target) == ("rryy", 5, "GGrr")


def test_keeping_the_green_keeps_it() -> None:
    controller = TrafficLightController()
    assert states(controller, [1] * 10) == ["rrGG"] * 10


def test_countdown_runs_down_while_the_yellow_holds() -> None:
    controller = TrafficLightController()
    controller.step(0)
    controller.step(1)
    countdowns = []
    for _ in range(5):
        controller.step(1)
        countdowns.append(controller.countdown)
    assert countdowns == [4, 3, 2, 1, 0]
    assert controller.step(1) == "rrGG"


def test_carry_over_quirk_keeps_the_memory_and_off_clears_it() -> None:
    kept = TrafficLightController(carry_over_quirk=True)
    cleared = TrafficLightController(carry_over_quirk=False)
    for controller in (kept, cleared):
        states(controller, [0, 1, 0])  # mid-yellow
        controller.new_episode()
    assert kept.get_state() == {"current": "yyrr", "countdown": 4, "target": "rrGG"}
    assert cleared.get_state() == {"current": None, "countdown": None, "target": None}
    assert states(kept, [0] * 6) == ["yyrr"] * 4 + ["rrGG", "rryy"]
    assert states(cleared, [0] * 6) == ["GGrr"] * 6


def test_state_round_trip() -> None:
    controller = TrafficLightController()
    states(controller, [1, 0, 0])
    copy = TrafficLightController()
    copy.set_state(controller.get_state())
    actions = [0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert states(copy, actions) == states(controller, actions)


@pytest.mark.parametrize("action", [2, -1, "0"])
def test_invalid_actions_are_refused(action: object) -> None:
    with pytest.raises(ValueError, match="action must be 0 or 1"):
        TrafficLightController().step(action)  # type: ignore[arg-type]


def test_every_golden_signal_sequence_with_carry_over() -> None:
    golden = json.loads(GOLDEN_PATH.read_text())
    for variant in golden["variants"].values():
        controllers: dict[int, TrafficLightController] = {}
        for episode in variant["episodes"]:
            controller = controllers.setdefault(
                episode["constructor_seed"], TrafficLightController()
            )
            at_reset = controller.current, controller.countdown, controller.target
            assert at_reset == tuple(episode["controller_state_at_reset"][k] for k in GOLDEN_KEYS)
            controller.new_episode()
            assert states(controller, episode["actions"]) == episode["tl_state"]
