"""iam_repro.report.book and the book's sources: the build's inputs, offline configuration
and table of contents (a full build is in tests/workflow/test_book_browser.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iam_repro.report.book import SOURCE_ROOT, build_book

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "report"


def test_build_book_checks_its_inputs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no _config.yml"):
        build_book(tmp_path, tmp_path, tmp_path / "out", tmp_path)
    with pytest.raises(FileNotFoundError, match="scripts/setup.sh"):
        build_book(REPORT, tmp_path, tmp_path / "out", tmp_path / "no-mathjax")


def test_pages_import_this_package_although_their_folder_is_named_report() -> None:
    """The pages run with cwd report/ (the book's sources, not a Python package) and the
    PYTHONPATH build_book gives them: ``iam_repro.report`` is still this package."""
    here = Path(sys.modules[build_book.__module__].__file__)
    assert here == SOURCE_ROOT / "iam_repro" / "report" / "book.py"
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "import iam_repro.report.chapters as c; print(c.__file__)"],
        cwd=REPORT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()) == SOURCE_ROOT / "iam_repro" / "report" / "chapters.py"


def test_book_config_is_offline_and_always_executes() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPORT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "force"
    assert 0 < config["execute"]["timeout"] <= 600
    assert config["only_build_toc_files"] is True
    launch = config["launch_buttons"]
    assert not any(launch[k] for k in ("binderhub_url", "jupyterhub_url", "colab_url", "thebe"))
    assert not any(
        config["html"]["analytics"].get(k)
        for k in ("google_analytics_id", "plausible_analytics_domain")
    )
    assert not any(
        config["html"][k]
        for k in ("use_repository_button", "use_issues_button", "use_edit_page_button")
    )
    sphinx = config["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"]
    assert sphinx["mathjax_path"] == "mathjax/tex-chtml.js"
    assert sphinx["nb_ipywidgets_js"] == {}
    assert "local_mathjax" in sphinx["extensions"]
    assert "sphinx_thebe" not in sphinx["extensions"]  # it writes a CDN URL into every page
    assert config["sphinx"]["local_extensions"] == {"local_mathjax": "_ext"}


def test_book_sources_reference_nothing_remote() -> None:
    for path in [REPORT / "_config.yml", *REPORT.glob("_static/*"), *REPORT.glob("*.md")]:
        if not path.is_file():  # e.g. a local MathJax link made by scripts/setup.sh
            continue
        text = path.read_text()
        assert not re.search(r"(src|href)\s*=\s*[\"']?https?://", text), path
        assert "@import" not in text and "url(http" not in text, path


def test_toc_lists_every_page() -> None:
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((REPORT / "_toc.yml").read_text())
    listed = {toc["root"], *(chapter["file"] for chapter in toc["chapters"])}
    assert listed == {p.stem for p in REPORT.glob("*.md")}
    assert listed >= {
        "intro",
        "methods",
        "warehouse",
        "traffic",
        "compute",
        "experiments",
        "provenance",
    }
    chapters = [chapter["file"] for chapter in toc["chapters"]]
    assert chapters.index("traffic") == chapters.index("warehouse") + 1
