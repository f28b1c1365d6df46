"""Building the Jupyter Book the way the Snakemake report rule does (``build_book``).

The pages execute in a kernel with ``IAM_RESULTS_DIR`` pointing at the results, and warnings are
errors, so a page that fails or a glue key that is missing fails the build with its log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from iam_repro.io.atomic import write_text_atomic
from iam_repro.report.results import RESULTS_ENV

#: Environment variable holding the absolute path of MathJax 3's ``es5`` folder.
MATHJAX_ENV = "IAM_MATHJAX_DIR"

#: The ``src`` folder holding this package: the pages import this very copy of it.
SOURCE_ROOT = Path(__file__).resolve().parents[2]

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _jupyter_book() -> str:
    """The jupyter-book next to this interpreter (so the book runs in the same environment and
    finds the python3 kernel installed into it), else the one on PATH."""
    candidate = Path(sys.executable).parent / "jupyter-book"
    executable = str(candidate) if candidate.exists() else shutil.which("jupyter-book")
    if executable is None:
        raise FileNotFoundError("jupyter-book is not installed: pip install -e '.[workflow]'")
    return executable


def _build_env(results_dir: Path, mathjax_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[RESULTS_ENV] = str(results_dir)
    env[MATHJAX_ENV] = str(mathjax_dir)
    # Pages import this package; make sure they get this very copy even without an install.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE_ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    # No __pycache__ inside report/ (its files are the report rule's inputs).
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _failure_message(returncode: int, log: str, log_path: Path, html_dir: Path) -> str:
    tail = "\n".join(log.splitlines()[-40:])
    # A page whose code failed leaves its traceback in reports/<page>.err.log.
    tracebacks = "".join(
        f"\n--- {path.name} (end) ---\n" + "\n".join(path.read_text().splitlines()[-15:])
        for path in sorted((html_dir / "reports").glob("*.err.log"))
    )
    return (
        f"jupyter-book build failed (exit {returncode}); full log in "
        f"{log_path}; last lines:\n{tail}{_ANSI_ESCAPE.sub('', tracebacks)}"
    )


def build_book(
    report_src: str | os.PathLike[str],
    results_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    mathjax_dir: str | os.PathLike[str],
    *,
    timeout_s: float | None = 1800,
) -> Path:
    """Build the Jupyter Book with the pipeline's command and return its HTML directory.

    Runs ``jupyter-book build <report_src> --path-output <out_dir> --all -W --keep-going`` with
    ``IAM_RESULTS_DIR`` and ``IAM_MATHJAX_DIR`` set (absolute paths). Warnings are errors, so a
    page whose code fails, a missing glue key or a broken reference fails the build.

    Args:
        report_src: the book's source folder (``report/``).
        results_dir: the pipeline's results folder (holding ``tables/`` and ``figures/``).
        out_dir: where ``_build/html`` is written.
        mathjax_dir: MathJax 3's ``es5`` folder (holds ``tex-chtml.js``), copied into the book.
        timeout_s: wall-clock limit for the whole build.

    Returns:
        ``<out_dir>/_build/html``.

    Raises:
        FileNotFoundError: the sources, the MathJax folder or jupyter-book is missing.
        RuntimeError: the build failed; the message ends with the tail of its log.
    """
    report_src = Path(report_src).resolve()
    out_dir = Path(out_dir).resolve()
    mathjax_dir = Path(mathjax_dir).resolve()
    if not (report_src / "_config.yml").is_file():
        raise FileNotFoundError(f"{report_src} is not a Jupyter Book folder (no _config.yml)")
    if not (mathjax_dir / "tex-chtml.js").is_file():
        raise FileNotFoundError(
            f"{mathjax_dir} is not MathJax 3's es5 folder (no tex-chtml.js); run "
            "scripts/setup.sh, which fetches it into .cache/mathjax/es5"
        )
    executable = _jupyter_book()
    out_dir.mkdir(parents=True, exist_ok=True)
    env = _build_env(Path(results_dir).resolve(), mathjax_dir)
    command = [
        executable,
        "build",
        str(report_src),
        "--path-output",
        str(out_dir),
        "--all",
        "-W",
        "--keep-going",
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(
            f"jupyter-book build timed out after {timeout_s} s: {' '.join(command)}"
        ) from err
    log = _ANSI_ESCAPE.sub("", (done.stdout or "") + (done.stderr or ""))
    # Inside _build (git-ignored), also when the book is built in place (out_dir = report/).
    log_path = out_dir / "_build" / "jupyter-book-build.log"
    write_text_atomic(log_path, log)
    html_dir = out_dir / "_build" / "html"
    if done.returncode != 0 or not (html_dir / "index.html").is_file():
        raise RuntimeError(_failure_message(done.returncode, log, log_path, html_dir))
    return html_dir
