"""`precision: bf16` (conv trunks in bfloat16) and `threads` (the training job's cores).

References: the fp32 trunk of the same weights (bf16 keeps 8 mantissa bits, so outputs agree
to about 1 %), /proc/cpuinfo's flags for what the CPU computes natively, and configs written
by hand.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import yaml

from iam_repro.config import ConfigError, config_digest, load_experiment, training_config
from iam_repro.config.deviations import run_deviations
from iam_repro.config.loading import experiment_from_dict
from iam_repro.envs import make_vec_env
from iam_repro.models import ConvTrunk, build_policy
from iam_repro.ppo import device as device_module
from iam_repro.ppo.device import native_bf16, resolve_precision
from iam_repro.ppo.trainer import train

EXPERIMENTS = Path(__file__).resolve().parents[2] / "config" / "experiments"
NATURE = [[32, 8, 4], [64, 4, 2], [64, 3, 1]]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def trunks(frames: int = 4) -> tuple[ConvTrunk, ConvTrunk]:
    """An fp32 and a bf16 trunk with the same weights."""
    torch.manual_seed(0)
    fp32 = ConvTrunk(frames, (84, 84), NATURE)
    bf16 = ConvTrunk(frames, (84, 84), NATURE, precision="bf16")
    bf16.load_state_dict(fp32.state_dict())
    return fp32, bf16


def pixels(n: int, frames: int = 4) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (n, frames * 84 * 84), dtype=torch.uint8, generator=gen)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return (
        float((a - b).norm() / b.norm())
        if not a.requires_grad
        else relative_error(a.detach(), b.detach())
    )


# --------------------------------------------------------------------------- the trunk


def test_bf16_trunk_returns_fp32_nchw_maps_within_bfloat16_rounding_of_fp32():
    fp32, bf16 = trunks()
    obs = pixels(16)
    want, got = fp32(obs), bf16(obs)
    assert got.dtype == torch.float32 and got.shape == want.shape == (16, 64, 7, 7)
    assert got.is_contiguous()  # NCHW: the flattened map keeps the fp32 trunk's order
    assert all(p.dtype == torch.float32 for p in bf16.parameters())  # fp32 master weights
    assert 1e-4 < relative_error(got, want) < 3e-2  # rounded, and only rounded


def test_bf16_trunk_gradients_point_where_fp32_gradients_do():
    fp32, bf16 = trunks()
    obs = pixels(16)
    for trunk in (fp32, bf16):
        trunk(obs).square().mean().backward()
    for a, b in zip(bf16.parameters(), fp32.parameters(), strict=True):
        assert a.grad.dtype == torch.float32
        cosine = torch.nn.functional.cosine_similarity(a.grad.flatten(), b.grad.flatten(), 0)
        assert cosine > 0.99


def test_channels_last_fp32_is_the_same_map_up_to_float_order():
    fp32, _ = trunks(frames=1)
    other = copy.deepcopy(fp32)
    other.channels_last = True
    obs = pixels(8, frames=1)
    assert relative_error(other(obs), fp32(obs)) < 1e-5


def test_precision_is_validated_and_vector_models_take_only_fp32():
    with pytest.raises(ValueError, match="precision must be fp32 or bf16"):
        ConvTrunk(1, (84, 84), NATURE, precision="fp16")
    with pytest.raises(ValueError, match="applies to conv trunks"):
        build_policy({"kind": "fnn", "hidden": [8]}, 5, 2, precision="bf16")
    policy = build_policy(
        {"kind": "fnn", "conv": NATURE, "hidden": [8], "frames": 1},
        84 * 84,
        4,
        frame_shape=(84, 84),
        precision="bf16",
    )
    assert policy.conv.precision == "bf16"


# --------------------------------------------------------------------------- the machine


def test_native_bf16_agrees_with_the_cpu_flags():
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    assert native_bf16(torch.device("cpu")) == bool(flags & {"avx512_bf16", "amx_tile"})


def test_bf16_falls_back_to_fp32_where_the_hardware_lacks_it(monkeypatch):
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == ("fp32", None)
    monkeypatch.setattr(device_module, "native_bf16", lambda device: True)
    assert resolve_precision("bf16", cpu) == ("bf16", None)
    monkeypatch.setattr(device_module, "native_bf16", lambda device: False)
    precision, why = resolve_precision("bf16", cpu)
    assert precision == "fp32" and "no native bfloat16" in why and "fp32 instead" in why
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp16", cpu)


@pytest.mark.parametrize("native", [True, False])
def test_a_run_records_the_precision_it_computed_in(native, monkeypatch, tmp_path):
    monkeypatch.setattr(device_module, "native_bf16", lambda device: native)
    exp = load_experiment(EXPERIMENTS / "breakout_flicker.yaml")
    resolved = exp.resolve("IAM", "smoke", 0)
    resolved["budget"]["steps_per_worker"] = 128  # one rollout, one update
    resolved["precision"] = "bf16"
    resolved["env"]["options"]["backend"] = "vector"
    lines: list[str] = []
    metrics = train(resolved, tmp_path / "monitor.csv", emit=lines.append, env_threads=2)
    segment = metrics["segments"][0]
    assert segment["precision"] == ("bf16" if native else "fp32")
    assert segment["env_threads"] == 2
    assert any("fp32 instead" in line for line in lines) is not native


# --------------------------------------------------------------------------- the config


def breakout_with(**top) -> dict:
    data = yaml.safe_load((EXPERIMENTS / "breakout_flicker.yaml").read_text())
    data.update(top)
    return data


def test_precision_and_threads_reach_the_resolved_config_only_when_set():
    plain = experiment_from_dict(breakout_with(), name="b").resolve("FNN4", "smoke", 0)
    assert "precision" not in plain and "threads" not in plain  # old runs keep their digests
    data = breakout_with(threads=2)
    data["presets"]["smoke"]["precision"] = "bf16"
    custom = experiment_from_dict(data, name="b").resolve("FNN4", "smoke", 0)
    assert custom["precision"] == "bf16" and custom["threads"] == 2
    written_fp32 = experiment_from_dict(breakout_with(precision="fp32"), name="b")
    assert "precision" not in written_fp32.resolve("FNN4", "smoke", 0)


def test_threads_change_neither_the_digest_nor_the_train_job_params():
    resolved = experiment_from_dict(breakout_with(), name="b").resolve("FNN4", "smoke", 0)
    more = {**copy.deepcopy(resolved), "threads": 4}
    assert config_digest(more) == config_digest(resolved)
    assert training_config(more) == training_config(resolved)
    bf16 = {**copy.deepcopy(resolved), "precision": "bf16"}
    assert config_digest(bf16) != config_digest(resolved)  # bf16 changes results


def test_bf16_is_a_listed_deviation():
    resolved = experiment_from_dict(breakout_with(precision="bf16"), name="b").resolve(
        "FNN4", "smoke", 0
    )
    rows = {row["option"]: row for row in run_deviations(resolved)}
    assert (rows["precision"]["value"], rows["precision"]["original"]) == ("bf16", "fp32")


@pytest.mark.parametrize("where", ["top", "preset"])
def test_precision_on_an_experiment_without_images_names_the_key_and_the_fix(where):
    data = yaml.safe_load((EXPERIMENTS / "warehouse.yaml").read_text())
    if where == "top":
        data["precision"] = "bf16"
    else:
        data["presets"]["quick"]["precision"] = "bf16"
    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data, name="warehouse", source="warehouse.yaml")
    message = str(info.value)
    assert "warehouse.yaml" in message
    assert ("presets.quick.precision" if where == "preset" else "precision") in message
    assert "remove `precision`" in message


def test_atari_games_step_on_the_threads_they_are_given():
    env = make_vec_env("atari", 2, 0, threads=2, game="breakout", backend="vector")
    try:
        assert env.num_threads == 2
    finally:
        env.close()
    warehouse = make_vec_env("warehouse", 2, 0, threads=2)  # ignored where there is no use
    warehouse.close()
