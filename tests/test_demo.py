"""The demo end to end on the bundled example event: what a reader of its digest must find, and not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from confthread.archive import Archive
from confthread.collect import collect
from confthread.config import build_config
from confthread.demo import run_demo
from confthread.replay.event import load_mastodon_statuses
from confthread.replay.mastodon import serve_mastodon
from confthread.replay.server import ReplayServer
from confthread.resources import example_event_dir


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out)
    assert not result.report.failed
    return out


def test_the_json_digest_has_the_expected_threads(demo: Path) -> None:
    digest = json.loads((demo / "ukmedlibs.json").read_text())
    assert digest["title"] == "UK Medical Libraries Conference 2026"
    threads = digest["threads"]
    shapes = sorted((t["kind"], len(t["posts"]), t["posts"][0]["author"]["handle"]) for t in threads)
    assert shapes == sorted(
        [
            ("live", 15, "@rhiannon@medlibs.example"),
            ("conversation", 4, "@priya@medlibs.example"),
            ("conversation", 3, "@amara@glam.example"),
            ("single", 1, "@ukmedlibsconf@medlibs.example"),
            ("single", 1, "@gwenllian@medlibs.example"),
            ("single", 1, "@priya@medlibs.example"),
            ("single", 1, "@tomasz@medlibs.example"),
            ("single", 1, "@dafydd@glam.example"),
        ]
    )
    live = next(t for t in threads if t["kind"] == "live")
    rhiannon = [p for p in live["posts"] if p["author"]["handle"] == "@rhiannon@medlibs.example"]
    # The twelve live posts in order, then the replies of others with Rhiannon's answer.
    assert [p["created_at"] for p in rhiannon[:12]] == sorted(p["created_at"] for p in rhiannon[:12])
    assert all(p["reply_to"] == q["uri"] for p, q in zip(rhiannon[1:12], rhiannon[:11], strict=True))
    assert live["posts"][0]["text"].startswith("Settling in for the opening keynote")
    question = next(t for t in threads if t["posts"][0]["text"].startswith("Question for the"))
    assert question["posts"][0]["withheld_replies"] == 1
    posts = [p for t in threads for p in t["posts"]]
    assert len({p["uri"] for p in posts}) == len(posts) == 27
    media = [m for p in posts for m in p["media"]]
    assert len(media) == 6
    assert sum(not m["alt"] for m in media) == 1


def test_nothing_of_the_person_who_opted_out_reaches_any_digest(demo: Path) -> None:
    for name in ("ukmedlibs.json", "ukmedlibs.html"):
        text = (demo / name).read_text()
        assert "jdoyle" not in text and "Jo Doyle" not in text
    with Archive(demo / "ukmedlibs.db") as archive:
        kept = [post for post in archive.posts() if post.author.opted_out]
    assert len(kept) == 2  # kept in the local archive, marked, as the README says


def test_the_html_digest_is_self_contained_safe_and_accessible(demo: Path) -> None:
    page = BeautifulSoup((demo / "ukmedlibs.html").read_text(), "html.parser")
    assert page.html is not None and page.html["lang"] == "en"
    assert not page.find_all(["script", "iframe", "img", "object", "embed", "link"])
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")]
        for attribute in ("href", "src"):
            value = str(tag.get(attribute, ""))
            assert not value.lower().startswith(("javascript:", "data:", "file:"))
    assert page.find(attrs={"lang": "cy"}) is not None
    assert "Slide titled" in page.get_text()  # alt text shown as a caption
    times = page.find_all("time")
    assert times and all(t.get("datetime", "").endswith("+00:00") for t in times)


@pytest.fixture
def instances() -> Iterator[list[ReplayServer]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(serve_mastodon(statuses))
            for statuses in load_mastodon_statuses(example_event_dir()).values()
        ]


def dump(path: Path) -> dict[str, Any]:
    with Archive(path) as archive:
        return archive.dump()


def test_a_repeated_collect_of_the_example_changes_nothing(
    tmp_path: Path, instances: list[ReplayServer]
) -> None:
    config = build_config(
        {"archive": tmp_path / "a.db", "mastodon": [s.url for s in instances]},
        env={},
        event_file=example_event_dir() / "event.toml",
    )
    collect(config)
    first = dump(tmp_path / "a.db")
    assert len(first["posts"]) == 29
    requests = [len(server.requests) for server in instances]
    report = collect(config)
    assert [source.posts for source in report.sources] == [0, 0]
    assert dump(tmp_path / "a.db") == first
    assert [len(s.requests) - n for s, n in zip(instances, requests, strict=True)] == [2, 2]
