"""Take the README's picture: the warehouse chapter's Fig. 5 comparison, as a reader sees it.

    .venv/bin/python scripts/readme_picture.py [HTML_DIR] [PNG]

HTML_DIR is a built book (default report/_build/html) and PNG the picture to write (default
docs/img/fig5_page.png). It opens the warehouse page in Debian's Chromium (Playwright, as the
book's browser test does) at 1280 px wide and keeps the page from the "Learning curves"
heading to the end of the figure's caption, sidebar included. Nothing is fetched off the
machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGE = "warehouse.html"
SECTION = "section#learning-curves"
WIDTH, HEIGHT = 1280, 900  # the browser window
MARGIN_PX = 16


def take_picture(html_dir: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = html_dir / PAGE
    if not page_file.is_file():
        sys.exit(f"{page_file}: no such page; build the book first (scripts/pipeline.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.route("**/*", _local_only)
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            section = page.locator(SECTION)
            if section.count() == 0:
                sys.exit(f"{page_file}: no {SECTION}; the chapter's headings changed")
            top = max(section.bounding_box()["y"] - MARGIN_PX, 0)
            caption = section.locator(":scope > p").first.bounding_box()
            bottom = caption["y"] + caption["height"] + MARGIN_PX
            png.parent.mkdir(parents=True, exist_ok=True)
            # Written beside the target and renamed: never a half-written picture.
            fd, tmp = tempfile.mkstemp(suffix=".png", dir=png.parent)
            os.close(fd)
            try:
                page.screenshot(
                    path=tmp,
                    full_page=True,
                    clip={"x": 0, "y": top, "width": WIDTH, "height": bottom - top},
                )
                os.replace(tmp, png)
            finally:
                Path(tmp).unlink(missing_ok=True)
        finally:
            browser.close()


def _local_only(route) -> None:
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort("blockedbyclient")


if __name__ == "__main__":
    args = sys.argv[1:]
    html_dir = Path(args[0]) if args else REPO / "report" / "_build" / "html"
    png = Path(args[1]) if len(args) > 1 else REPO / "docs" / "img" / "fig5_page.png"
    take_picture(html_dir, png)
    print(png)
