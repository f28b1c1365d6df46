"""The loop network (``shared/spec/traffic.md`` section 1): plain-XML inputs and the built .net.xml.

The four plain-XML files (nodes, edges, connections, edge type) are written from the Python data
below, then ``netconvert`` builds ``sample.net.xml`` with exactly the options recorded in the
original net's header (section 1.2). The result is cached on disk, one folder per digest of the
plain-XML contents and the netconvert version, so that every worker process reuses one build.

Cache folder: ``$IAM_REPRO_CACHE/traffic_net`` or, when that variable is unset,
``~/.cache/iam-repro/traffic_net``. A build happens in a temporary folder next to its final place
and is renamed into place, which is atomic: processes that build at the same time all succeed,
the first rename wins and the others discard their copy.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from iam_repro.envs.requirements import SUMO_INSTALL, require_sumo

__all__ = [
    "CONNECTIONS",
    "EDGES",
    "EDGE_TYPE",
    "NET_FILE",
    "NODES",
    "PLAIN_FILES",
    "NetworkBuildError",
    "cache_dir",
    "loop_network_file",
    "netconvert_command",
    "plain_xml",
]

#: (id, x, y, type): the controlled junction 0 and the six corners of the two squares (metres).
NODES: tuple[tuple[str, float, float, str], ...] = (
    ("0", 40.0, 40.0, "traffic_light"),
    ("2", 40.0, 0.0, "priority"),
    ("3", 0.0, 0.0, "priority"),
    ("4", 0.0, 40.0, "priority"),
    ("5", 100.0, 40.0, "priority"),
    ("6", 100.0, 100.0, "priority"),
    ("7", 40.0, 100.0, "priority"),
)
#: (id, from, to): L61-L64 the south-west square, L65-L68 the north-east square; all of type "a".
EDGES: tuple[tuple[str, str, str], ...] = (
    ("L61", "0", "2"),
    ("L62", "2", "3"),
    ("L63", "3", "4"),
    ("L64", "4", "0"),
    ("L65", "0", "5"),
    ("L66", "5", "6"),
    ("L67", "6", "7"),
    ("L68", "7", "0"),
)
#: (from, to), lane 0 -> lane 0 at 8.3 m/s: round each square, plus the two turns at node 0.
CONNECTIONS: tuple[tuple[str, str], ...] = (
    ("L61", "L62"),
    ("L62", "L63"),
    ("L63", "L64"),
    ("L64", "L65"),
    ("L65", "L66"),
    ("L66", "L67"),
    ("L67", "L68"),
    ("L68", "L61"),
    ("L64", "L61"),
    ("L68", "L65"),
)
#: The one edge type, as attribute strings (they go into the file verbatim).
EDGE_TYPE: dict[str, str] = {"id": "a", "priority": "3", "numLanes": "1", "speed": "8.3"}
_SPEED = "8.3"

#: Plain-XML file names by role, as in the original scenario folder (netconvert records them).
PLAIN_FILES: dict[str, str] = {
    "node-files": "sample.nod.xml",
    "edge-files": "sample.edg.xml",
    "connection-files": "sample.con.xml",
    "type-files": "sample.typ.xml",
}
NET_FILE = "sample.net.xml"

_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def _schema(name: str) -> str:
    return f'{_XSI} xsi:noNamespaceSchemaLocation="http://sumo.dlr.de/xsd/{name}_file.xsd"'


def plain_xml() -> dict[str, str]:
    """File name -> contents of the four plain-XML inputs, generated from the data above."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    nodes = "".join(
        f'   <node id="{i}" x="{x:.1f}" y="{y:.1f}" type="{kind}"/>\n' for i, x, y, kind in NODES
    )
    edges = "".join(
        f'    <edge id="{i}" from="{a}" to="{b}" type="{EDGE_TYPE["id"]}"/>\n' for i, a, b in EDGES
    )
    connections = "".join(
        f'    <connection from="{a}" to="{b}" fromLane="0" toLane="0" speed="{_SPEED}"/>\n'
        for a, b in CONNECTIONS
    )
    edge_type = " ".join(f'{key}="{value}"' for key, value in EDGE_TYPE.items())
    return {
        PLAIN_FILES["node-files"]: f"{head}<nodes {_schema('nodes')}>\n{nodes}</nodes>\n",
        PLAIN_FILES["edge-files"]: f"{head}<edges {_schema('edges')}>\n{edges}</edges>\n",
        PLAIN_FILES["connection-files"]: (
            f"{head}<connections {_schema('connections')}>\n{connections}</connections>\n"
        ),
        PLAIN_FILES["type-files"]: f"{head}<types>\n   <type {edge_type}/>\n</types>\n",
    }


def netconvert_command(netconvert: str | os.PathLike[str] = "netconvert") -> list[str]:
    """The netconvert command line of section 1.2 (file names relative to the build folder)."""
    command = [os.fspath(netconvert)]
    for option, name in PLAIN_FILES.items():
        command += [f"--{option}", name]
    return [*command, "--output-file", NET_FILE]


class NetworkBuildError(RuntimeError):
    """netconvert could not build the loop network."""


def cache_dir() -> Path:
    """The folder that holds built networks (``$IAM_REPRO_CACHE/traffic_net`` or the default)."""
    root = os.environ.get("IAM_REPRO_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "iam-repro"
    return base / "traffic_net"


@functools.cache
def _netconvert_version(netconvert: str) -> str:
    """First line of ``netconvert --version``, e.g. "Eclipse SUMO netconvert 1.28.0"."""
    try:
        done = subprocess.run(
            [netconvert, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as err:
        raise NetworkBuildError(
            f"could not run {netconvert} --version ({err}). To fix: {SUMO_INSTALL}"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise NetworkBuildError(
            f"{netconvert} --version failed (exit code {done.returncode}): "
            f"{_tail(done.stderr or done.stdout)}. To fix: {SUMO_INSTALL}"
        )
    return lines[0].strip()


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(no output)"


def loop_network_file(folder: str | os.PathLike[str] | None = None) -> Path:
    """Path of the loop network's ``sample.net.xml``, built with netconvert on first use.

    Args:
        folder: Cache folder; default :func:`cache_dir`.

    Returns:
        ``<folder>/<digest>/sample.net.xml``, next to the plain-XML files it was built from.

    Raises:
        SumoNotFoundError: netconvert is not installed.
        NetworkBuildError: netconvert failed (the message has its output's tail).
    """
    netconvert = os.fspath(require_sumo(("netconvert",), libsumo=False).programs["netconvert"])
    files = plain_xml()
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\0".encode())
    digest.update(_netconvert_version(netconvert).encode())
    root = Path(folder) if folder is not None else cache_dir()
    final = root / digest.hexdigest()[:20]
    if (final / NET_FILE).is_file():
        return final / NET_FILE

    root.mkdir(parents=True, exist_ok=True)
    # Built next to its final place (same file system), so that the rename below is atomic.
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        for name, text in files.items():
            (build / name).write_text(text)
        command = netconvert_command(netconvert)
        try:
            done = subprocess.run(
                command, cwd=build, capture_output=True, text=True, timeout=300, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise NetworkBuildError(
                f"netconvert could not build the traffic network in {build} ({err}). "
                f"To fix: check the SUMO installation ({SUMO_INSTALL})"
            ) from None
        if done.returncode != 0 or not (build / NET_FILE).is_file():
            raise NetworkBuildError(
                f"netconvert failed (exit code {done.returncode}) building the traffic network "
                f"in {build} with: {' '.join(command)}\n"
                f"{_tail(done.stderr + done.stdout)}\n"
                f"To fix: check the SUMO installation ({SUMO_INSTALL}); the plain-XML inputs are "
                f"kept in {build} for inspection"
            )
        build.chmod(0o755)  # mkdtemp's 0700 would hide the cache from other users
        try:
            build.rename(final)
        except OSError:
            # Another process won the race (the target exists and is not empty): use its build.
            if not (final / NET_FILE).is_file():
                raise
            shutil.rmtree(build, ignore_errors=True)
    except NetworkBuildError:
        raise
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return final / NET_FILE
