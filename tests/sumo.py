"""Skip a test where SUMO is missing -- or fail it, where SUMO must be there.

``scripts/setup.sh`` installs SUMO, so ``scripts/test.sh`` sets ``IAM_REPRO_REQUIRE_SUMO=1``:
a broken install then fails the traffic tests instead of skipping them silently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from iam_repro.envs.requirements import SumoNotFoundError, require_sumo


def require_sumo_or_skip(
    programs: Sequence[str] = ("sumo", "netconvert"), libsumo: bool = True
) -> None:
    """Skip the calling test (or module fixture) when SUMO is not installed."""
    try:
        require_sumo(programs, libsumo=libsumo)
    except SumoNotFoundError as err:
        if os.environ.get("IAM_REPRO_REQUIRE_SUMO") == "1":
            pytest.fail(f"IAM_REPRO_REQUIRE_SUMO=1 but SUMO is not installed: {err}")
        pytest.skip(f"SUMO is not installed: {err}")
