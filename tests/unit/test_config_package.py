"""The config package's shape: its public names, what importing it costs the run files and
training, the environment facts it reads, and the data files a wheel must carry."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml

import iam_repro.config as config
from iam_repro.config import load_config, load_experiments, runs_table
from iam_repro.envs import ENV_NAMES, ENVS, WarehouseVecEnv, training_cpu_estimate_s

REPO = Path(__file__).resolve().parents[2]

#: Data files the library reads at run time through importlib.resources.
PACKAGE_DATA = (
    "iam_repro/config/schemas/config.schema.yaml",
    "iam_repro/config/schemas/experiment.schema.yaml",
    "iam_repro/reference/paper.yaml",
    "iam_repro/reference/paper_fig5.csv",
)


def _python(code: str, cwd: Path, pythonpath: Path) -> str:
    """Run `code` in a fresh interpreter with only `pythonpath` added; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(pythonpath)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_public_name_resolves():
    assert sorted(config.__all__) == sorted(config._EXPORTS)
    for name in config.__all__:
        assert getattr(config, name) is not None
        assert name in dir(config)
    with pytest.raises(AttributeError, match="no attribute 'KNOWN_ENVS'"):
        _ = config.KNOWN_ENVS


def test_run_files_and_training_digest_configs_without_the_validator(tmp_path):
    # io/ and ppo/ import the leaf digest module only: no jsonschema, no schema loading.
    out = _python(
        """
        import json, sys
        import iam_repro.io, iam_repro.jobs.provenance, iam_repro.jobs.training
        watched = ("jsonschema", "iam_repro.config")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(watched))))
        """,
        cwd=tmp_path,
        pythonpath=REPO / "src",
    )
    loaded = json.loads(out)
    assert "iam_repro.config.digest" in loaded
    assert set(loaded) <= {"iam_repro.config", "iam_repro.config.digest", "iam_repro.config.types"}


def test_environment_facts_come_from_the_envs_registry():
    assert ENV_NAMES == ("warehouse", "traffic", "atari")
    assert ENVS["atari"].obs_dim is None and ENVS["atari"].frame_shape == (84, 84)
    assert ENVS["warehouse"].obs_dim == WarehouseVecEnv(1).single_observation_space.shape[0]
    assert ENVS["traffic"].obs_dim == 30  # spec/traffic.md, section 5


def test_the_quick_builds_longest_jobs_are_estimated_longest():
    settings = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    settings.update(experiments_dir=str(REPO / "config" / "experiments"), preset="quick")
    runs = runs_table(load_experiments(load_config(settings)), "quick")
    estimate = {run.run_id: training_cpu_estimate_s(run.resolved) for run in runs}
    # Hand-computed: 51,200 steps x 8 workers x 3,600 us; 204,800 x 8 x 200 us; x 120 us.
    assert estimate["breakout_flicker/atari/IAM/seed_0"] == pytest.approx(1474.56)
    assert estimate["traffic/traffic/LSTM/seed_1"] == pytest.approx(327.68)
    assert estimate["warehouse/warehouse/FNN8/seed_0"] == pytest.approx(196.608)
    # What the priorities are for: every Breakout run starts before any other run.
    breakout = [s for run, s in estimate.items() if run.startswith("breakout")]
    others = [s for run, s in estimate.items() if not run.startswith("breakout")]
    assert breakout and others and min(breakout) > max(others)


def test_a_wheel_carries_the_schemas_and_the_paper_data(tmp_path):
    """Build a wheel from a copy of the sources, unpack it elsewhere, and load the shipped
    config from there: the schemas and the paper's data are found without the source tree."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    shutil.copytree(
        REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--quiet", "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("iam_repro-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert set(PACKAGE_DATA) <= set(archive.namelist())
        archive.extractall(tmp_path / "site")

    settings = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    settings.update(experiments_dir=str(REPO / "config" / "experiments"), preset="smoke")
    out = _python(
        f"""
        import json
        import iam_repro
        from iam_repro.config import load_config, load_experiments, runs_table
        from iam_repro.reference import load_paper_fig5, registry
        runs = runs_table(load_experiments(load_config({settings!r})), "smoke")
        print(json.dumps({{
            "package": iam_repro.__file__,
            "digests": [run.digest for run in runs],
            "roles": list(registry().roles),
            "fig5_rows": len(load_paper_fig5()),
        }}))
        """,
        cwd=tmp_path,
        pythonpath=tmp_path / "site",
    )
    found = json.loads(out)
    assert Path(found["package"]).is_relative_to(tmp_path / "site")
    here = runs_table(load_experiments(load_config(settings)), "smoke")
    assert found["digests"] == [run.digest for run in here]
    assert found["roles"] and found["fig5_rows"] > 0
