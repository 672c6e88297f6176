"""The templates on the demo event, against golden files: any change to the page is a reviewed change.

Regenerate with CONFTHREAD_UPDATE_GOLDEN=1 and read the diff before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from confthread.api import load_digest
from confthread.demo import run_demo
from confthread.models import Digest
from confthread.render.html import render_html
from confthread.render.markdown import render_markdown
from confthread.resources import example_event_dir

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CONFTHREAD_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    result = run_demo(tmp_path_factory.mktemp("demo"))
    event = example_event_dir()
    return load_digest(
        result.archive,
        title="UK Medical Libraries Conference 2026",
        schedule=event / "schedule.ics",
        now=datetime(2026, 6, 20, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("name", "render"), [("demo.expected.html", render_html), ("demo.expected.md", render_markdown)]
)
def test_the_demo_digest_matches_its_golden_file(
    digest: Digest, name: str, render: Callable[[Digest], str]
) -> None:
    got = render(digest)
    path = GOLDEN / name
    if UPDATE:
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
