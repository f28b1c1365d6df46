"""Returns of fixed policies on the traffic environment (``traffic_calibration.csv``).

Facts about the environment, not results of this pipeline: they tell a reader of the traffic
chapter what a return means (random play, a fixed switching rhythm, a simple heuristic). Where
the numbers come from is in README.md beside this module.
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

__all__ = ["CALIBRATION_COLUMNS", "TRAFFIC_CALIBRATION_FILE", "load_traffic_calibration"]

TRAFFIC_CALIBRATION_FILE = "traffic_calibration.csv"
#: Columns of the file: the policy in words, its mean episode return and the population std
#: over its episodes, and how many episodes that is.
CALIBRATION_COLUMNS: tuple[str, ...] = ("policy", "mean_return", "std", "episodes")


def load_traffic_calibration() -> pd.DataFrame:
    """The traffic calibration table (columns ``CALIBRATION_COLUMNS``, one row per policy).

    Raises:
        ValueError: The packaged file lacks a column or repeats a policy (a bug in the data).
    """
    text = resources.files(__package__).joinpath(TRAFFIC_CALIBRATION_FILE).read_text("utf-8")
    frame = pd.read_csv(io.StringIO(text))
    where = f"{__package__}/{TRAFFIC_CALIBRATION_FILE}"
    missing = [c for c in CALIBRATION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing columns {missing}")
    if frame["policy"].duplicated().any():
        raise ValueError(f"{where}: a policy is listed twice")
    return frame.loc[:, list(CALIBRATION_COLUMNS)]
