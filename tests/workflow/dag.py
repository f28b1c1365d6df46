"""Running this repository's Snakefile from a scratch directory, for the workflow tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    """`snakemake` on the repository's Snakefile with `workdir` as its working directory."""
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *args,
    ]


def snakemake(
    workdir: Path, *args: str, check: bool = True, timeout: int = 1800
) -> subprocess.CompletedProcess:
    """Run snakemake to the end; with `check`, a failure fails the test with its output."""
    command = snakemake_command(workdir, *args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n"
            f"{done.stderr[-6000:]}"
        )
    return done


def plan_field(job: str, label: str) -> str:
    """The value of one field (``input:``, ``wildcards:``, ...) of a job in a dry-run plan."""
    line = next(line for line in job.splitlines() if line.strip().startswith(label))
    return line.split(label, 1)[1].strip()
