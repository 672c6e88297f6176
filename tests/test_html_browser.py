"""The demo's HTML digest in real headless Chromium: offline, error-free, readable, and axe-clean.

Needs Debian's `chromium`, Playwright for Python (the `test` extras) and axe-core from npm in
tests/browser/node_modules; scripts/setup.sh installs all three. Playwright's own browser download is
never used: Chromium is launched from /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import playwright.sync_api as playwright_api
import pytest

from confthread.api import write_digest
from confthread.demo import run_demo
from confthread.resources import example_event_dir

CHROMIUM = Path(os.environ.get("CONFTHREAD_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (390, 1280)


def test_the_browser_and_axe_are_installed() -> None:
    """scripts/setup.sh installs both; their absence is a failed set-up, never a reason to skip."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup.sh"
    assert AXE.exists(), f"{AXE} is missing: run scripts/setup.sh"


@dataclass
class Visit:
    """What happened while a page was open: requests let through, refused, failed, and console errors."""

    allowed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's single-file page, and the same digest written as a folder with assets/."""
    out = tmp_path_factory.mktemp("browser-demo")
    result = run_demo(out)
    assert not result.report.failed
    single = next(path for path in result.digests if path.suffix == ".html")
    event = example_event_dir()
    folder = write_digest(
        result.archive,
        "html",
        f"{out / 'site'}/",
        title="UK Medical Libraries Conference 2026",
        schedule=event / "schedule.ics",
    )
    return {"single": single, "folder": folder}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser: Any, path: Path, width: int) -> tuple[Any, Visit]:
    """The page from file://, every request refused except the page itself, its own files and data:."""
    visit = Visit()
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=True)
    page = context.new_page()
    folder = path.parent.resolve().as_uri() + "/"

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url == path.resolve().as_uri() or url.startswith((folder + "assets/", "data:")):
            visit.allowed.append(url)
            request_route.continue_()
        else:
            visit.blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: visit.failed.append(request.url))
    page.on("console", lambda message: message.type == "error" and visit.errors.append(message.text))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, visit


@pytest.mark.parametrize("form", ["single", "folder"])
def test_the_page_opens_offline_without_errors(browser: Any, digests: dict[str, Path], form: str) -> None:
    page, visit = open_page(browser, digests[form], 1280)
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
    page.context.close()
    assert visit.blocked == []
    assert visit.failed == []
    assert visit.errors == []
    # Avatars and post pictures are all there, and every one of them decoded.
    assert len(images) > 20
    assert all(complete and width > 0 for complete, width in images)
    if form == "folder":
        assert any("/assets/" in url for url in visit.allowed)
    else:
        assert visit.allowed == [digests[form].resolve().as_uri()]


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_and_no_sideways_scrolling(
    browser: Any, digests: dict[str, Path], width: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page, visit = open_page(browser, digests["single"], width)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shots = Path(os.environ.get("CONFTHREAD_SCREENSHOTS", tmp_path_factory.mktemp("screens")))
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"digest-{width}.png"))
    page.screenshot(path=str(shots / f"digest-{width}-full.png"), full_page=True)
    page.context.close()
    assert overflow <= 0
    assert visit.errors == []


def test_axe_finds_no_serious_or_critical_violations(browser: Any, digests: dict[str, Path]) -> None:
    page, visit = open_page(browser, digests["single"], 1280)
    # Open every fold first, so the replies, warnings and alt text are checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    # The page's CSP forbids script: axe goes in through the driver, not through the page.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    page.context.close()
    serious = [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]][:5])
        for violation in results["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == []
    assert visit.errors == []


def test_focus_is_visible(browser: Any, digests: dict[str, Path]) -> None:
    page, _ = open_page(browser, digests["single"], 1280)
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, s.outlineStyle, s.outlineWidth]; })()"
    )
    page.context.close()
    assert outline[0] == "skip-link"
    assert outline[1] != "none" and outline[2] != "0px"
