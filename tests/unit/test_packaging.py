"""environment.yml and pyproject.toml pin the same packages at the same versions."""

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(_split(r) for r in requirements)


def _environment_pins() -> dict[str, str]:
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    return dict(_split(r) for r in pip if not r.startswith("-e"))


def _split(requirement: str) -> tuple[str, str]:
    name, sep, version = requirement.partition("==")
    assert sep, f"{requirement!r} is not pinned with =="
    return name.strip().lower(), version.strip()


def test_environment_yml_and_pyproject_agree():
    assert _environment_pins() == _pyproject_pins()


def test_python_versions_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in spec["dependencies"]
    assert project["requires-python"] == ">=3.11,<3.12"


def test_torch_is_the_cpu_wheel_on_disk():
    # An unpinned torch pulls a multi-GB CUDA build on this kind of machine.
    assert _pyproject_pins()["torch"] == "2.13.0"
