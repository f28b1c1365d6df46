"""Tests of TrafficSim (one SUMO simulation) against the golden data of the original environment.

The golden file (``tests/data/traffic_golden.json``, see its ``protocol``) holds 15 episodes per
variant, step by step, and the return statistics of six policies over 50 episodes. Everything
here is deterministic, so the replays and the statistics are compared exactly (rewards to 1e-9).
Skipped when SUMO/libsumo is not installed.
"""

from __future__ import annotations

import json
import pickle
import random
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from iam_repro.envs.traffic import MAX_EPISODE_STEPS, OBS_DIM, TrafficSim
from iam_repro.envs.traffic.controller import TrafficLightController
from tests.sumo import require_sumo_or_skip

GOLDEN_PATH = Path(__file__).parent.parent / "data" / "traffic_golden.json"
VARIANTS = {"legacy_departspeed0": True, "sumo128_defaults": False}  # -> depart_speed_zero
GOLDEN_CONTROLLER_KEYS = (
    "taken_state",
    "yellow_timer",
    "chosen_state",
)  # current, countdown, target


@pytest.fixture(scope="module", autouse=True)
def sumo_installed() -> None:
    require_sumo_or_skip()


@cache
def golden() -> dict:
    return json.loads(GOLDEN_PATH.read_text())


def episodes(variant: str, constructor_seed: int | None = None) -> list[dict]:
    found = golden()["variants"][variant]["episodes"]
    return [e for e in found if constructor_seed in (None, e["constructor_seed"])]


def memory(controller: TrafficLightController) -> tuple:
    return controller.current, controller.countdown, controller.target


@pytest.fixture
def sims() -> Iterator[list[TrafficSim]]:
    """Collects the TrafficSims a test makes and closes them, even when it fails."""
    made: list[TrafficSim] = []
    yield made
    for sim in made:
        sim.close()


def replay(variant: str, *, carry_over_quirk: bool = True) -> dict[tuple[int, int], list[str]]:
    """Replay every golden episode of a variant (spec section 10, "To replay").

    Returns:
        (constructor seed, episode index) -> the mismatches found in that episode (at most the
        first per kind), empty lists when the episode replays exactly.
    """
    results: dict[tuple[int, int], list[str]] = {}
    seeds = sorted({e["constructor_seed"] for e in episodes(variant)})
    for seed in seeds:
        sim = TrafficSim(
            seed, depart_speed_zero=VARIANTS[variant], carry_over_quirk=carry_over_quirk
        )
        try:
            for e in episodes(variant, seed):
                problems: list[str] = []
                at_reset = tuple(e["controller_state_at_reset"][k] for k in GOLDEN_CONTROLLER_KEYS)
                if carry_over_quirk and memory(sim.controller) != at_reset:
                    problems.append(f"controller {memory(sim.controller)} != {at_reset}")
                obs = sim.reset()
                if sim.episode_seed != e["episode_seed"]:
                    problems.append(f"episode seed {sim.episode_seed} != {e['episode_seed']}")
                if obs.tolist() != e["reset_obs"] or obs.dtype != np.float32:
                    problems.append("reset obs")
                for t, action in enumerate(e["actions"]):
                    obs, reward, terminated, truncated = sim.step(action)
                    checks = {
                        "tl_state": sim.controller.current == e["tl_state"][t],
                        "obs": obs.tolist() == e["obs"][t],
                        "reward": abs(reward - e["rewards"][t]) <= 1e-9,
                        "done": (terminated or truncated) == e["dones"][t],
                    }
                    for kind, ok in checks.items():
                        if not ok and not any(p.startswith(kind) for p in problems):
                            problems.append(f"{kind} at step {t}")
                results[(seed, e["episode_index"])] = problems
        finally:
            sim.close()
    return results


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_all_golden_episodes_replay_exactly(variant: str) -> None:
    results = replay(variant)
    assert len(results) == 15
    assert {key: p for key, p in results.items() if p} == {}


def affected_by_carry_over(episode: dict) -> bool:
    """Does the controller memory carried into this episode change its signal states?"""
    with_memory = TrafficLightController()
    with_memory.set_state(
        dict(zip(("current", "countdown", "target"), golden_memory(episode), strict=True))
    )
    fresh = TrafficLightController()
    return [with_memory.step(a) for a in episode["actions"]] != [
        fresh.step(a) for a in episode["actions"]
    ]


def golden_memory(episode: dict) -> tuple:
    return tuple(episode["controller_state_at_reset"][k] for k in GOLDEN_CONTROLLER_KEYS)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_without_the_carry_over_quirk_the_affected_episodes_differ(variant: str) -> None:
    affected = {
        (e["constructor_seed"], e["episode_index"])
        for e in episodes(variant)
        if affected_by_carry_over(e)
    }
    assert len(affected) == 3  # spec section 3: "3 of its 15 episodes per variant"
    results = replay(variant, carry_over_quirk=False)
    differ = {key for key, problems in results.items() if problems}
    assert differ == affected
    for key in affected:
        assert "tl_state at step 0" in results[key], (key, results[key])


def test_a_carried_yellow_changes_the_traffic_of_the_next_episode(sims: list[TrafficSim]) -> None:
    # In the golden episodes the carried memory changes only the signal (no car is near the
    # junction yet); here it holds up the first car from the west (route B, depart 0).
    transcripts = []
    for quirk in (True, False):
        sim = TrafficSim(0, carry_over_quirk=quirk)
        sims.append(sim)
        sim.controller.set_state({"current": "rryy", "countdown": 5, "target": "GGrr"})
        sim.reset()
        transcripts.append(play(sim, [1] * 60))
        sim.close()
    with_quirk, without = transcripts
    # Countdown 5 at the reset: five more yellow steps, then the carried target, then a new
    # yellow back to the requested green.
    expected = ["rryy"] * 5 + ["GGrr"] + ["yyrr"] * 6 + ["rrGG"]
    assert [row[4] for row in with_quirk[:13]] == expected
    assert {row[4] for row in without} == {"rrGG"}
    differ = [t for t in range(60) if with_quirk[t][0] != without[t][0]]
    assert differ and 8 <= differ[0] <= 14, differ


# --------------------------------------------------------------------------------------------
# policy statistics: 50 episodes of one env built with constructor seed 0 (episode seeds 1..50)


def queue_greedy() -> Callable[[int, np.ndarray], int]:
    """The golden file's memoryless heuristic (see its ``policy_stats.queue_greedy``).

    Its "initial action 0" holds at every episode's start (checked: carrying the last action
    into the next episode does not reproduce the golden returns).
    """
    action = 0

    def policy(t: int, obs: np.ndarray) -> int:
        nonlocal action
        if t == 0:
            action = 0
        north, west = obs[0:6].any(), obs[15:22].any()
        if not north and west:
            action = 1
        elif north and not west:
            action = 0
        return action

    return policy


def run_policy(name: str, depart_speed_zero: bool) -> list[float]:
    stream = random.Random(12345)
    policies: dict[str, Callable[[int, np.ndarray], int]] = {
        "random": lambda t, obs: stream.randint(0, 1),
        "all0": lambda t, obs: 0,
        "all1": lambda t, obs: 1,
        "switch20": lambda t, obs: (t // 20) % 2,
        "switch10": lambda t, obs: (t // 10) % 2,
    }
    policy = policies.get(name) or queue_greedy()
    sim = TrafficSim(0, depart_speed_zero=depart_speed_zero)
    returns = []
    try:
        for _ in range(50):
            obs = sim.reset()
            total, t, done = 0.0, 0, False
            while not done:
                obs, reward, terminated, truncated = sim.step(policy(t, obs))
                total += reward
                t += 1
                done = terminated or truncated
            assert t == MAX_EPISODE_STEPS
            returns.append(total)
    finally:
        sim.close()
    return returns


@pytest.mark.parametrize(
    ("variant", "policy"),
    [("legacy_departspeed0", p) for p in ("random", "all0", "all1", "switch20", "switch10")]
    + [("legacy_departspeed0", "queue_greedy"), ("sumo128_defaults", "random")],
)
def test_policy_returns_equal_the_golden_statistics(variant: str, policy: str) -> None:
    stats = golden()["variants"][variant]["policy_stats"][policy]
    returns = run_policy(policy, VARIANTS[variant])
    np.testing.assert_allclose(returns, stats["returns"], rtol=0, atol=1e-9)
    assert np.mean(returns) == pytest.approx(stats["mean"], abs=1e-9)
    assert np.std(returns) == pytest.approx(stats["std_pop"], abs=1e-9)


# --------------------------------------------------------------------------------------------
# state: replay-based get_state / set_state


def random_actions(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(0, 1) for _ in range(n)]


def play(sim: TrafficSim, actions: list[int]) -> list[tuple]:
    """Step through actions, resetting on episode end; the transcript to compare."""
    out = []
    for action in actions:
        obs, reward, terminated, truncated = sim.step(action)
        out.append((obs.tolist(), reward, terminated, truncated, sim.controller.current))
        if terminated or truncated:
            obs = sim.reset()
            out.append(("reset", sim.episode_seed, obs.tolist()))
    return out


def switching_prefix(n: int) -> list[int]:
    """Actions that end mid-yellow: a switch request 3 steps before the end."""
    return [0] * (n - 3) + [1] * 3


@pytest.mark.parametrize("steps", [0, 1, 100, 249])
def test_set_state_on_a_fresh_sim_continues_exactly(steps: int, sims: list[TrafficSim]) -> None:
    first = TrafficSim(7)
    sims.append(first)
    first.reset()
    play(first, switching_prefix(steps) if steps >= 3 else [1] * steps)
    state = first.get_state()
    assert state["episode_seed"] == 8 and len(state["actions"]) == steps
    continuation = random_actions(steps, 300)  # crosses into the next episode (seed 9)
    expected = play(first, continuation)
    final_seed = first.episode_seed
    first.close()

    second = TrafficSim(123)
    sims.append(second)
    second.set_state(pickle.loads(pickle.dumps(state)))
    assert second.episode_seed == 8
    assert second.get_state()["actions"].tolist() == state["actions"].tolist()
    assert play(second, continuation) == expected
    assert second.episode_seed == final_seed


def test_state_holds_only_plain_values_and_survives_a_weights_only_torch_checkpoint(
    tmp_path: Path, sims: list[TrafficSim]
) -> None:
    torch = pytest.importorskip("torch")
    from iam_repro.ppo.checkpoint import numpy_to_torch, torch_to_numpy

    sim = TrafficSim(3)
    sims.append(sim)
    sim.reset()
    play(sim, switching_prefix(60))
    state = sim.get_state()
    for key, value in state.items():
        assert isinstance(value, int | float | bool | str | type(None) | np.ndarray), key
    expected = play(sim, random_actions(1, 50))

    torch.save(numpy_to_torch(state), tmp_path / "state.pt")
    loaded = torch_to_numpy(torch.load(tmp_path / "state.pt", weights_only=True))
    sim.set_state(loaded)
    assert play(sim, random_actions(1, 50)) == expected


def test_state_before_the_first_reset_and_the_seed_counter(sims: list[TrafficSim]) -> None:
    sim = TrafficSim(41)
    sims.append(sim)
    assert sim.episode_seed is None and sim.next_episode_seed == 42
    state = sim.get_state()
    assert state["episode_seed"] is None and state["next_seed"] == 42
    other = TrafficSim(0)
    sims.append(other)
    other.set_state(state)
    assert other.episode_seed is None
    other.reset()
    assert other.episode_seed == 42 and other.next_episode_seed == 43


def test_set_state_rejects_other_settings_and_inconsistent_states(sims: list[TrafficSim]) -> None:
    sim = TrafficSim(0)
    sims.append(sim)
    sim.reset()
    play(sim, [1, 1, 0])
    state = sim.get_state()
    with pytest.raises(ValueError, match="depart_speed_zero"):
        TrafficSim(0, depart_speed_zero=False).set_state(state)
    with pytest.raises(ValueError, match="not a TrafficSim state"):
        sim.set_state({"format": "something else"})
    with pytest.raises(RuntimeError, match="inconsistent"):
        sim.set_state({**state, "current": "GGrr"})


# --------------------------------------------------------------------------------------------
# API details


def test_step_types_reset_counter_and_close(sims: list[TrafficSim]) -> None:
    sim = TrafficSim(10)
    sims.append(sim)
    with pytest.raises(RuntimeError, match="reset"):
        sim.step(0)
    obs = sim.reset()
    assert obs.shape == (OBS_DIM,) and obs.dtype == np.float32 and not obs.any()
    assert sim.episode_seed == 11
    obs, reward, terminated, truncated = sim.step(np.int64(1))
    assert obs.shape == (OBS_DIM,) and obs.dtype == np.float32
    assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
    with pytest.raises(ValueError, match="action"):
        sim.step(2)
    tmpdir = sim._tmpdir
    assert tmpdir is not None and tmpdir.is_dir()
    sim.reset()
    assert sim.episode_seed == 12
    assert [p.name for p in tmpdir.iterdir()] == ["12.rou.xml"]  # the old route file is gone
    sim.close()
    sim.close()  # idempotent
    assert not tmpdir.exists() and sim.episode_seed is None
    sim.reset()  # usable again after close
    assert sim.episode_seed == 13


def test_a_second_libsumo_sim_takes_over_and_the_first_says_why(sims: list[TrafficSim]) -> None:
    first, second = TrafficSim(0), TrafficSim(1)
    sims += [first, second]
    first.reset()
    first.step(0)
    second.reset()
    with pytest.raises(RuntimeError, match="one simulation per process"):
        first.step(0)
    second.step(0)  # unaffected
    first.close()
    second.step(0)  # closing the evicted one does not close the owner's simulation


def test_the_traci_backend_gives_the_same_steps(sims: list[TrafficSim]) -> None:
    e = episodes("legacy_departspeed0", 0)[0]
    sim = TrafficSim(0, backend="traci")
    sims.append(sim)
    sim.reset()
    for t, action in enumerate(e["actions"][:40]):
        obs, reward, _, _ = sim.step(action)
        assert obs.tolist() == e["obs"][t] and reward == pytest.approx(e["rewards"][t], abs=1e-9)
    with pytest.raises(ValueError, match="backend"):
        TrafficSim(0, backend="sumo-gui")
