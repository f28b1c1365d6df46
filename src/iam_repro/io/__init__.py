"""File formats of the pipeline: the episode log, run.json, and atomic writes."""

from iam_repro.io.atomic import (
    atomic_write,
    save_figure_atomic,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)
from iam_repro.io.monitor import (
    MONITOR_COLUMNS,
    MonitorFormatError,
    MonitorWriter,
    read_monitor,
    read_monitor_header,
    truncate_monitor,
)
from iam_repro.io.run_info import (
    RUN_INFO_SCHEMA_VERSION,
    RunInfoError,
    StaleRunError,
    check_run_config,
    git_revision,
    package_versions,
    read_run_info,
    write_run_info,
)

__all__ = [
    "MONITOR_COLUMNS",
    "RUN_INFO_SCHEMA_VERSION",
    "MonitorFormatError",
    "MonitorWriter",
    "RunInfoError",
    "StaleRunError",
    "atomic_write",
    "check_run_config",
    "git_revision",
    "package_versions",
    "read_monitor",
    "read_monitor_header",
    "read_run_info",
    "save_figure_atomic",
    "truncate_monitor",
    "write_csv_atomic",
    "write_json_atomic",
    "write_run_info",
    "write_text_atomic",
]
