"""The built book works offline: opened in headless Chromium, it fetches nothing off the machine.

``check_book_offline(html_dir)`` serves a built book on 127.0.0.1, opens every page in Debian's
Chromium (driven by Playwright), and returns the problems it saw: requests to any other host,
responses that are not 2xx, images that did not load, unrendered math on the Methods page, and
tables wider than the page (their last columns clipped).
The tests here build the book from a fake results tree (tests/workflow/fake_results.py) with
the command the pipeline uses; the end-to-end DAG test calls ``check_book_offline`` on the real
book.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from iam_repro.report.book import build_book
from tests.workflow.fake_results import write_fake_results

REPO = Path(__file__).resolve().parents[2]
REPORT_SRC = REPO / "report"
MATHJAX_DIR = Path(os.environ.get("IAM_MATHJAX_DIR") or REPO / ".cache" / "mathjax" / "es5")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Pages Sphinx generates for its own machinery, not part of the report.
SKIPPED_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
#: The page whose math must have been typeset by MathJax.
MATH_PAGE = "methods.html"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: Every table of a page's article: its width, the width of the content area it must fit in
#: (the article; a full-width cell is wider, and is its own area), and by how much its parent
#: box clips it (the tables' wrappers scroll, so a wider table is cut off there instead of
#: sticking out; 0 for a box that lets it stick out). A label names the table: its caption,
#: else its first header.
TABLE_WIDTHS_JS = """
() => Array.from(document.querySelectorAll('article table')).map((table, index) => {
  const area = table.closest('div.cell') || table.closest('article');
  const box = table.parentElement;
  const header = table.querySelector('th');
  const label = (table.caption && table.caption.textContent.trim())
    || (header ? header.textContent.trim() : '');
  return {
    index: index,
    label: label,
    width: Math.ceil(table.getBoundingClientRect().width),
    area: area.clientWidth,
    clipped: ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(box).overflowX)
      ? box.scrollWidth - box.clientWidth : 0,
  };
})
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def book_pages(html_dir: Path) -> list[str]:
    """The book's HTML pages (relative paths), without Sphinx's index and search pages."""
    pages = sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html"))
    return [p for p in pages if Path(p).name not in SKIPPED_PAGES and not p.startswith("_")]


def check_book_offline(
    html_dir: str | os.PathLike[str], screenshot_dir: str | os.PathLike[str] | None = None
) -> list[str]:
    """Open every page of a built book in headless Chromium and list what is wrong.

    Args:
        html_dir: the book's ``_build/html`` folder.
        screenshot_dir: if given, a full-page PNG of every page is written there.

    Returns:
        Problems, one line each (empty when the book is fine): a request to a host other than
        127.0.0.1/localhost (blocked, so none leaves the machine), a response that is not 2xx
        or a failed request, an ``<img>`` with
        ``naturalWidth == 0``, a page that raised a JavaScript error, no ``mjx-container`` on
        the Methods page, a table wider than its content area or than the box around it
        (``overflowing_tables``).
    """
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir)
    pages = book_pages(html_dir)
    problems: list[str] = []
    if not pages:
        return [f"{html_dir}: no HTML pages"]
    if MATH_PAGE not in pages:
        problems.append(f"{html_dir}: no {MATH_PAGE} (the page with the PPO loss)")
    with (
        serve(html_dir) as base,
        tempfile.TemporaryDirectory() as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        # Record remote requests (below) but never let one leave the machine.
        context.route("**/*", _local_only)
        try:
            for page_name in pages:
                problems.extend(_check_page(context, base, page_name, screenshot_dir))
        finally:
            context.close()
    return problems


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


def _local_only(route) -> None:
    if _is_local(route.request.url):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def _check_page(
    context, base: str, page_name: str, screenshot_dir: str | os.PathLike[str] | None
) -> list[str]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    problems: list[str] = []
    page = context.new_page()

    def on_request(request) -> None:
        if not _is_local(request.url):
            problems.append(f"{page_name}: request off the machine: {request.url}")

    def on_response(response) -> None:
        if urlsplit(response.url).scheme in {"http", "https"} and not 200 <= response.status < 300:
            problems.append(f"{page_name}: {response.status} for {response.url}")

    def on_failed(request) -> None:
        if _is_local(request.url):  # remote ones were reported, then blocked
            problems.append(f"{page_name}: request failed ({request.failure}): {request.url}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda error: problems.append(f"{page_name}: JavaScript error: {error}"))
    try:
        page.goto(f"{base}/{page_name}", wait_until="load")
        page.wait_for_load_state("networkidle")
        if page_name == MATH_PAGE:
            # MathJax typesets after the load event; no container in 15 s is reported below.
            with contextlib.suppress(PlaywrightTimeoutError):
                page.wait_for_selector("mjx-container", timeout=15_000)
            rendered = page.locator("mjx-container").count()
            source = page.locator("div.math, span.math").count()
            if rendered == 0:
                problems.append(
                    f"{page_name}: math not rendered (no mjx-container; "
                    f"{source} math elements in the page)"
                )
            page.wait_for_load_state("networkidle")
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(img => !img.complete || img.naturalWidth === 0)"
            ".map(img => img.getAttribute('src'))"
        )
        problems.extend(f"{page_name}: image did not load: {src}" for src in broken)
        problems.extend(f"{page_name}: {text}" for text in overflowing_tables(page))
        if screenshot_dir is not None:
            path = Path(screenshot_dir) / (page_name.replace("/", "_") + ".png")
            page.screenshot(path=str(path), full_page=True)
    finally:
        page.close()
    return problems


def overflowing_tables(page) -> list[str]:
    """The tables of an open page that do not fit (1 px of rounding allowed): wider than the
    page's content area, or wider than their box, which then scrolls and clips them."""
    problems = []
    for table in page.evaluate(TABLE_WIDTHS_JS):
        clipped = table["clipped"]
        if table["width"] <= table["area"] + 1 and clipped <= 1:
            continue
        text = (
            f"table {table['index'] + 1} ({table['label'][:40]!r}) is {table['width']} px "
            f"wide, its content area {table['area']} px"
        )
        if clipped > 1:
            text += f"; its box cuts off {clipped} px of its last columns"
        problems.append(text)
    return problems


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, or skip (listed before ``fake_book`` so a skip costs no build)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is absent: install Debian's chromium (scripts/setup.sh "
            "--browser, or apt-get install chromium) to run the browser test"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    return CHROMIUM


def _require_build_tools() -> None:
    if not (MATHJAX_DIR / "tex-chtml.js").is_file():
        pytest.skip(f"MathJax is absent at {MATHJAX_DIR}: run scripts/setup.sh")
    if (
        shutil.which("jupyter-book") is None
        and not (Path(sys.executable).parent / "jupyter-book").exists()
    ):
        pytest.skip("jupyter-book is not installed (pip install -e '.[workflow]')")


@pytest.fixture(scope="module")
def fake_book(tmp_path_factory) -> Path:
    """The book built from a fake results tree with two experiments and one deviation."""
    _require_build_tools()
    root = tmp_path_factory.mktemp("book")
    results = write_fake_results(root / "results", ["warehouse", "traffic"], deviations=True)
    # The paper-scale archive as the archive rules lay it out inside the results.
    write_fake_results(results / "archive" / "paper_scale", ["warehouse", "traffic"])
    return build_book(REPORT_SRC, results, root / "out", MATHJAX_DIR)


@pytest.mark.browser
def test_book_works_offline_in_chromium(chromium: Path, fake_book: Path, tmp_path: Path) -> None:
    problems = check_book_offline(fake_book, screenshot_dir=tmp_path)
    assert problems == []
    # Every page was opened and photographed, the warehouse page among them.
    assert (tmp_path / "warehouse.html.png").stat().st_size > 10_000
    assert {p.name for p in tmp_path.glob("*.png")} == {f"{p}.png" for p in book_pages(fake_book)}


@pytest.mark.browser
def test_check_book_offline_reports_problems(
    chromium: Path, fake_book: Path, tmp_path: Path
) -> None:
    """The checker is not blind: a remote script, a missing image, no MathJax and tables too
    wide for the page are reported."""
    broken = tmp_path / "html"
    shutil.copytree(fake_book, broken)
    page = broken / "intro.html"
    # One table wider than any page, one in a box that scrolls (the book's table wrapper).
    wide = '<table><tr><th>too wide</th><td style="min-width: 4000px">x</td></tr></table>'
    clipped = (
        '<div class="iam-table-wrap"><table class="iam-table"><caption>clipped</caption>'
        '<tr><td style="min-width: 4000px">x</td></tr></table></div>'
    )
    page.write_text(
        page.read_text()
        .replace("</head>", '<script src="https://cdn.example.invalid/x.js"></script></head>')
        .replace("</body>", '<img src="_images/missing.png"></body>')
        .replace("</article>", f"{wide}{clipped}</article>")
    )
    shutil.rmtree(broken / "_static" / "mathjax")
    problems = check_book_offline(broken)
    assert any(
        "intro.html: request off the machine: https://cdn.example.invalid/x.js" in p
        for p in problems
    )
    assert any("intro.html: 404" in p and "missing.png" in p for p in problems)
    assert any("intro.html: image did not load: _images/missing.png" in p for p in problems)
    assert any(
        p.startswith("intro.html: table ") and "('too wide') is " in p and "content area" in p
        for p in problems
    )
    assert any("('clipped') is " in p and "px of its last columns" in p for p in problems)
    # The book itself has none (test_book_works_offline_in_chromium): only the two injected.
    assert sum(p.startswith("intro.html: table ") for p in problems) == 2
    assert any(p.startswith("methods.html: math not rendered") for p in problems)
    assert any("methods.html: 404" in p and "tex-chtml.js" in p for p in problems)


@pytest.mark.workflow
def test_fake_book_shows_results_from_the_tables(fake_book: Path) -> None:
    """Numbers in the prose come from the tables; every experiment gets its section."""
    import pandas as pd

    results = fake_book.parents[2] / "results"
    for experiment in ("warehouse", "traffic"):
        summary = pd.read_csv(results / "tables" / experiment / "summary.csv")
        iam = summary.set_index("model").loc["IAM"]
        page = (fake_book / f"{experiment}.html").read_text()
        assert f"{iam['mean']:.2f} (95% CI {iam['ci_low']:.2f} to {iam['ci_high']:.2f})" in page
        assert "not run in this build" not in page
        # The rolling-average figure's sentence states the window its table was made with.
        rolling = pd.read_csv(results / "tables" / experiment / "curves_rolling.csv")
        window = rolling["window_episodes"].iloc[0]
        assert f"the last {window} episodes that ended by then, over all 8 workers" in page
        assert f"figure reads about {iam['paper_value']:.2f} and" in page
        # The chapter's paper-scale section reads the archive, and says whose runs they are.
        archived = pd.read_csv(
            results / "archive" / "paper_scale" / "tables" / experiment / "summary.csv"
        )
        section = page[page.index('<section id="at-the-paper') :]
        assert "These are the archived paper-scale runs" in section
        assert "Paper-scale runs not archived yet" not in page
        mean = archived.set_index("model").loc["IAM", "mean"]
        assert f"{mean:.2f}" in section
        assert section.count("<img") == 2  # its Fig. 5 comparison and rolling curves
    intro = (fake_book / "intro.html").read_text()
    assert html.escape("At the paper's scale (archived runs)") in intro  # the archive's table
    assert intro.count("verdict-not-run") == 1  # only claim 7 (Atari) has no results
    for verdict in ("reproduced", "contradicted", "inconclusive", "needs-scale"):
        assert f'class="verdict verdict-{verdict}"' in intro, verdict
    assert ">inconclusive (n = 1)</span>" in intro
    # One order everywhere: the paper's (claim number, then id), on the intro as per experiment.
    experiments_page = (fake_book / "experiments.html").read_text()
    traffic = experiments_page[experiments_page.index('id="traffic"') :]
    ids = re.findall(r'<td class="col-claim-id[^"]*">([^<]+)</td>', traffic)
    assert ids == ["4a", "4b", "4c", "4d", "4g", "5", "6a"]
    experiments = (fake_book / "experiments.html").read_text()
    assert 'id="warehouse"' in experiments and 'id="traffic"' in experiments
    assert experiments.count("episodes that ended by then") == 2  # a rolling figure each
    methods = (fake_book / "methods.html").read_text()
    assert "normalize_advantages" in methods
    assert "_static/mathjax/tex-chtml.js" in methods
    assert (fake_book / "_static" / "mathjax" / "tex-chtml.js").is_file()


@pytest.mark.workflow
def test_book_builds_when_nothing_has_run(tmp_path: Path) -> None:
    """With no experiment tables the book still builds and says so on each page."""
    _require_build_tools()
    results = write_fake_results(tmp_path / "results", [], preset="smoke")
    html_dir = build_book(REPORT_SRC, results, tmp_path / "out", MATHJAX_DIR)
    for experiment in ("warehouse", "traffic"):
        page = (html_dir / f"{experiment}.html").read_text()
        assert f"{experiment}: not run in this build" in page
        assert "Paper-scale runs not archived yet" in page
    intro = (html_dir / "intro.html").read_text()
    assert intro.count("verdict-not-run") == 7
    assert "Paper-scale runs not archived yet" in intro
    assert "none (nothing has been run yet)" in intro
    methods = (html_dir / "methods.html").read_text()
    assert "No runs in this build" in methods


@pytest.mark.workflow
def test_build_fails_clearly_without_mathjax(tmp_path: Path) -> None:
    _require_build_tools()
    with pytest.raises(FileNotFoundError, match="tex-chtml.js"):
        build_book(REPORT_SRC, tmp_path, tmp_path / "out", tmp_path / "no-mathjax")


@pytest.mark.workflow
def test_sphinx_build_names_the_missing_mathjax_variable(tmp_path: Path) -> None:
    """Run without IAM_MATHJAX_DIR, the book's own extension stops the build with the fix."""
    _require_build_tools()
    env = {k: v for k, v in os.environ.items() if k != "IAM_MATHJAX_DIR"}
    executable = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run(
        [
            str(executable if executable.exists() else "jupyter-book"),
            "build",
            str(REPORT_SRC),
            "--path-output",
            str(tmp_path),
            "--all",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "IAM_MATHJAX_DIR is not set" in log
    assert not (tmp_path / "_build" / "html" / "index.html").exists()


@pytest.mark.workflow
def test_build_failure_reports_the_page_error(tmp_path: Path) -> None:
    """A corrupt table fails the build, and the error names the file and the fix."""
    _require_build_tools()
    results = write_fake_results(tmp_path / "results", ["warehouse"])
    (results / "tables" / "warehouse" / "summary.csv").write_text("model,mean\nIAM,1.0\n")
    with pytest.raises(RuntimeError) as err:
        build_book(REPORT_SRC, results, tmp_path / "out", MATHJAX_DIR)
    message = str(err.value)
    assert "summary.csv lacks column(s)" in message
    assert "Rerun the aggregate rule" in message
