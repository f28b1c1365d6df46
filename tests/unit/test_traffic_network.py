"""Tests of the loop network: generated plain XML, the netconvert build and its cache.

The reference files are the spec's plain XML and net (``tests/data/traffic_net``); the build
tests are skipped where SUMO is not installed.
"""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from iam_repro.envs.requirements import SumoInstallation
from iam_repro.envs.traffic import network
from iam_repro.envs.traffic.network import (
    NET_FILE,
    PLAIN_FILES,
    NetworkBuildError,
    cache_dir,
    loop_network_file,
    netconvert_command,
    plain_xml,
)
from tests.sumo import require_sumo_or_skip

# Copied unchanged from shared/reference/traffic_net (see tests/data/README.md).
REFERENCE_NET = Path(__file__).resolve().parents[1] / "data" / "traffic_net"


def reference(name: str) -> Path:
    return REFERENCE_NET / name


def sumo_or_skip() -> None:
    require_sumo_or_skip(("netconvert",), libsumo=False)


def elements(root: ET.Element, ignore: dict[str, set[str]] | None = None) -> list[tuple]:
    """Document-order (tag, attributes) of every element; comments and whitespace dropped."""
    ignore = ignore or {}
    return [
        (e.tag, {k: v for k, v in e.attrib.items() if k not in ignore.get(e.tag, set())})
        for e in root.iter()
    ]


@pytest.mark.parametrize("name", sorted(PLAIN_FILES.values()))
def test_generated_plain_xml_equals_the_original_inputs(name: str) -> None:
    expected = ET.parse(reference(name)).getroot()
    generated = ET.fromstring(plain_xml()[name])
    assert elements(generated) == elements(expected)


def test_plain_xml_holds_the_spec_facts() -> None:
    files = plain_xml()
    nodes = ET.fromstring(files["sample.nod.xml"])
    assert [(n.get("id"), n.get("type")) for n in nodes][0] == ("0", "traffic_light")
    assert len(nodes) == 7
    edges = ET.fromstring(files["sample.edg.xml"])
    assert [e.get("id") for e in edges] == [f"L6{i}" for i in range(1, 9)]
    connections = ET.fromstring(files["sample.con.xml"])
    assert len(connections) == 10
    assert {c.get("speed") for c in connections} == {"8.3"}
    (edge_type,) = ET.fromstring(files["sample.typ.xml"])
    assert edge_type.attrib == {"id": "a", "priority": "3", "numLanes": "1", "speed": "8.3"}


def test_netconvert_command_has_exactly_the_original_options() -> None:
    assert netconvert_command("netconvert") == [
        "netconvert",
        "--node-files",
        "sample.nod.xml",
        "--edge-files",
        "sample.edg.xml",
        "--connection-files",
        "sample.con.xml",
        "--type-files",
        "sample.typ.xml",
        "--output-file",
        "sample.net.xml",
    ]


def test_built_net_equals_the_reference_but_for_the_version(tmp_path: Path) -> None:
    sumo_or_skip()
    expected = ET.parse(reference(NET_FILE)).getroot()
    built = ET.parse(loop_network_file(tmp_path)).getroot()
    ignore = {"net": {"version"}}
    assert elements(built, ignore) == elements(expected, ignore)
    # spec 1.2: the phase list the action set comes from
    phases = [p.get("state") for p in built.iter("phase")]
    assert phases == ["GGrr", "yyrr", "rrGG", "rryy"]


def test_second_call_reuses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sumo_or_skip()
    first = loop_network_file(tmp_path)
    assert first.parent.parent == tmp_path and first.name == NET_FILE
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([NET_FILE, *plain_xml()])
    mtime = first.stat().st_mtime_ns

    def no_netconvert(command: list[str], **kwargs: object) -> None:
        raise AssertionError(f"netconvert ran again: {command}")

    monkeypatch.setattr(network.subprocess, "run", no_netconvert)
    assert loop_network_file(tmp_path) == first
    assert first.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == [first.parent.name]  # no build leftovers


def test_default_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAM_REPRO_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path / "traffic_net"
    monkeypatch.delenv("IAM_REPRO_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "iam-repro" / "traffic_net"


def test_concurrent_builds_all_succeed(tmp_path: Path) -> None:
    sumo_or_skip()
    with ProcessPoolExecutor(3) as pool:
        paths = list(pool.map(loop_network_file, [tmp_path] * 3))
    assert len(set(paths)) == 1 and paths[0].is_file()
    assert [p.name for p in tmp_path.iterdir()] == [paths[0].parent.name]


def fake_netconvert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    program = tmp_path / "bin" / "netconvert"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "Eclipse SUMO netconvert 0.0-fake"; exit 0; fi\n'
        f"{body}\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(
        network,
        "require_sumo",
        lambda *args, **kwargs: SumoInstallation(None, {"netconvert": program}, None),
    )


def test_a_failing_netconvert_gives_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_netconvert(
        tmp_path, monkeypatch, 'echo "Error: Could not build the junction 0." >&2\nexit 1'
    )
    with pytest.raises(NetworkBuildError) as caught:
        loop_network_file(tmp_path / "cache")
    message = str(caught.value)
    assert "netconvert failed (exit code 1)" in message
    assert "Error: Could not build the junction 0." in message
    assert "To fix:" in message and "pip install eclipse-sumo" in message
    # Nothing in the cache's place; the failed build folder stays (hidden) for inspection.
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")] == []


def test_netconvert_without_output_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_netconvert(tmp_path, monkeypatch, "exit 0")
    with pytest.raises(NetworkBuildError, match="exit code 0"):
        loop_network_file(tmp_path / "cache")
