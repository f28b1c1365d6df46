"""Serve MathJax from the book itself, so that the built HTML makes no request off the machine.

MathJax is not part of the repository (scripts/setup.sh fetches it into .cache/mathjax/es5);
the build gets its location from the environment variable ``IAM_MATHJAX_DIR``. This extension
checks that folder as soon as the configuration is read (before any page executes), points
``mathjax_path`` at ``_static/mathjax/tex-chtml.js`` and copies the folder there when the HTML
build finishes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

ENV_VAR = "IAM_MATHJAX_DIR"
ENTRY = "tex-chtml.js"
TARGET = "mathjax"


def _mathjax_source() -> Path:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        raise ConfigError(
            f"{ENV_VAR} is not set. The book serves MathJax locally: set {ENV_VAR} to the "
            "absolute path of MathJax 3's es5 folder (scripts/setup.sh fetches it into "
            ".cache/mathjax/es5), e.g. export IAM_MATHJAX_DIR=$PWD/.cache/mathjax/es5"
        )
    source = Path(value).expanduser().resolve()
    if not (source / ENTRY).is_file():
        raise ConfigError(
            f"{ENV_VAR}={value} does not hold MathJax 3's es5 build (no {ENTRY} there). "
            "Run scripts/setup.sh to fetch it into .cache/mathjax/es5, or fix the path."
        )
    return source


def _check(app: Sphinx, config: Config) -> None:
    _mathjax_source()
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / TARGET
    shutil.copytree(_mathjax_source(), target, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", _check)
    app.connect("build-finished", _copy)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
