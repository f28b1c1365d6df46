"""Traffic-light controller of the junction (``shared/spec/traffic.md`` section 3).

The agent picks a green (action 0 = ``GGrr``, north approach; 1 = ``rrGG``, west approach). A
switch shows the old green's yellow for exactly ``YELLOW_TIME`` (6) steps, during which every
action is ignored; the green requested when the yellow began (the *target*) follows.

Carry-over quirk: the original never clears this memory at ``reset()``, so an episode's first
step is judged against the previous episode's last state (it may start mid-yellow, or pay a yellow
to leave ``rrGG``). :meth:`TrafficLightController.new_episode` keeps it or clears it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PHASES",
    "YELLOW_OF",
    "YELLOW_TIME",
    "TrafficLightController",
    "yellow_of",
]

#: Action -> green state string: the tlLogic's phases without a yellow, in file order.
PHASES: tuple[str, str] = ("GGrr", "rrGG")
YELLOW_TIME = 6  # y_t: steps of yellow between two greens


def yellow_of(green: str) -> str:
    """The yellow of a green state: every ``G`` becomes ``y`` (``GGrr`` -> ``yyrr``)."""
    return green.replace("G", "y")


YELLOW_OF: dict[str, str] = {green: yellow_of(green) for green in PHASES}


class TrafficLightController:
    """Controller memory and its update rule; pure Python, no SUMO.

    Attributes:
        current: The state string last sent to SUMO; None before the first step ever.
        countdown: Yellow steps still to show after this one (None before the first step).
        target: The green requested when the current yellow began (None before any switch).
        carry_over_quirk: Keep the memory across episodes, as the original does.
    """

    __slots__ = ("carry_over_quirk", "countdown", "current", "target")

    def __init__(self, *, carry_over_quirk: bool = True) -> None:
        self.carry_over_quirk = carry_over_quirk
        self.current: str | None = None
        self.countdown: int | None = None
        self.target: str | None = None

    def new_episode(self) -> None:
        """Called at every reset: forget the memory unless the carry-over quirk is on."""
        if not self.carry_over_quirk:
            self.current = self.countdown = self.target = None

    def step(self, action: int) -> str:
        """The state string to send to SUMO for this step's action (updates the memory)."""
        if action != 0 and action != 1:  # PHASES[-1] would silently pick a green
            raise ValueError(f"action must be 0 or 1, got {action!r}")
        want = PHASES[action]
        current = self.current
        if current is None:  # first step of the controller's life
            self.current, self.countdown = want, 0
        elif want != current:
            if "y" in current:
                if self.countdown > 0:  # type: ignore[operator]
                    self.countdown -= 1  # type: ignore[operator]
                else:  # the yellow is over: the green requested when it began, not `want`
                    self.current = self.target
            else:
                self.target = want
                self.current = YELLOW_OF[current]
                self.countdown = YELLOW_TIME - 1
        return self.current  # type: ignore[return-value]

    def get_state(self) -> dict[str, Any]:
        """The memory as a plain dict (``current``, ``countdown``, ``target``)."""
        return {"current": self.current, "countdown": self.countdown, "target": self.target}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore the memory from :meth:`get_state`'s dict."""
        countdown = state["countdown"]
        self.current = state["current"]
        self.countdown = None if countdown is None else int(countdown)
        self.target = state["target"]

    def __repr__(self) -> str:
        return (
            f"TrafficLightController(current={self.current!r}, countdown={self.countdown!r}, "
            f"target={self.target!r}, carry_over_quirk={self.carry_over_quirk})"
        )
