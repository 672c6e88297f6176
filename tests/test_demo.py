"""The demo end to end on the bundled example event: what a reader of its digest must find, and not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from confthread.archive import Archive
from confthread.collect import collect
from confthread.demo import run_demo, serve_example
from confthread.report import CollectReport


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
    posts = [p for t in threads for p in t["posts"]]
    # 27 Mastodon posts, 35 Bluesky ones and 2 write-ups, less the cross-post and the bridged copy.
    assert len({p["uri"] for p in posts}) == len(posts) == 62
    lives = {t["posts"][0]["author"]["handle"]: t for t in threads if t["kind"] == "live"}
    mastodon_live = lives["@rhiannon@medlibs.example"]
    assert len(mastodon_live["posts"]) == 15
    rhiannon = [p for p in mastodon_live["posts"] if p["author"]["handle"] == "@rhiannon@medlibs.example"]
    # The twelve live posts in order, each answering the one before; replies of others after.
    assert all(p["reply_to"] == q["uri"] for p, q in zip(rhiannon[1:12], rhiannon[:11], strict=True))
    assert mastodon_live["posts"][0]["text"].startswith("Settling in for the opening keynote")
    bluesky_live = next(t for t in lives.values() if t["posts"][0]["platform"] == "bluesky")
    assert len(bluesky_live["posts"]) == 19
    # Rhiannon's Bluesky copy of live post 10 is one post here, shown where she posted it first.
    assert any(p["also_at"] and p["also_at"][0].startswith("at://") for p in rhiannon)
    question = next(t for t in threads if t["posts"][0]["text"].startswith("Question for the"))
    assert question["posts"][0]["withheld_replies"] == 1
    media = [m for p in posts for m in p["media"]]
    assert any(not m["alt"] for m in media) and sum(bool(m["alt"]) for m in media) >= 5
    assert {p["platform"] for p in posts} == {"mastodon", "bluesky", "blog"}


def test_nothing_of_the_people_who_opted_out_reaches_any_digest(demo: Path) -> None:
    for name in ("ukmedlibs.json", "ukmedlibs.html"):
        text = (demo / name).read_text()
        for trace in ("jdoyle", "Jo Doyle", "Morwenna", "Tregear"):
            assert trace not in text, (name, trace)
    with Archive(demo / "ukmedlibs.db") as archive:
        kept = [post for post in archive.posts() if post.author.opted_out]
    assert len(kept) == 4  # kept in the local archive, marked, as the README says


def test_the_html_digest_is_self_contained_safe_and_accessible(demo: Path) -> None:
    page = BeautifulSoup((demo / "ukmedlibs.html").read_text(), "html.parser")
    assert page.html is not None and page.html["lang"] == "en"
    assert not page.find_all(["script", "iframe", "object", "embed", "link"])
    # Pictures are inside the page: every one a data: URI of a raster image, nothing fetched.
    images = page.find_all("img")
    assert images and all(
        str(img["src"]).startswith(("data:image/jpeg;", "data:image/png;")) for img in images
    )
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")]
        value = str(tag.get("href", ""))
        assert not value.lower().startswith(("javascript:", "data:", "file:"))
    assert page.find(attrs={"lang": "cy"}) is not None
    assert "Slide titled" in page.get_text()  # alt text shown as a caption
    times = page.find_all("time")
    assert times and all(t.get("datetime", "").endswith("+00:00") for t in times)


def dump(path: Path) -> dict[str, Any]:
    with Archive(path) as archive:
        return archive.dump()


def test_a_repeated_collect_of_the_example_changes_nothing(tmp_path: Path) -> None:
    with serve_example(tmp_path / "a.db") as example:

        def again() -> CollectReport:
            return collect(example.config, sessions=example.sessions, aliases=example.aliases)

        assert not again().failed
        first = dump(tmp_path / "a.db")
        assert len(first["posts"]) == 29 + 37 + 2
        report = again()
    assert [source.posts for source in report.sources] == [0, 0, 0, 0]
    assert report.media is not None and report.media.kept == 0
    assert dump(tmp_path / "a.db") == first


def test_the_demo_digest_reads_session_by_session(demo: Path) -> None:
    """The event file names the programme (schedule.ics, London time): each thread where it was said."""
    digest = json.loads((demo / "ukmedlibs.json").read_text())
    starts = {t["id"]: t["posts"][0]["text"] for t in digest["threads"]}
    placed = {
        session["title"]: sorted(starts[thread][:30] for thread in session["threads"])
        for session in digest["sessions"]
        if session["threads"]
    }
    assert placed["Opening keynote: Keeping the human in the loop \u2013 evidence synthesis and AI"] == [
        "Settling in for the opening ke"
    ]
    assert placed["Day two keynote: Health literacy is everybody's business"] == [
        "Day two keynote at #UKMedLibs:"
    ]
    # Parallel sessions: the one whose title shares the thread's words.
    assert placed["Reaching staff who never come to the library: outreach that works"] == [
        "Question for the #ukmedlibs hi"
    ]
    assert placed["Heritage corner: handling historic pharmacopoeias"] == ["Heritage corner at #UKMedLibs "]
    assert placed["Medical history collections: conservation in practice"] == [
        "From this morning's medical hi"
    ]
    # Within 15 minutes after the session ended.
    assert placed["Search filters: validating what we use"] == ["As mentioned in my talk this a"]
    keynote = next(s for s in digest["sessions"] if s["title"].startswith("Opening keynote"))
    assert (keynote["day"], keynote["start"], keynote["room"]) == (
        "2026-06-10",
        "2026-06-10T09:15:00+00:00",
        "Main Hall, East Wing",
    )
    around = [starts[thread][:25] for thread in digest["around_the_event"]["threads"]]
    assert "Good morning and welcome " in around and "Bore da o #UKMedLibs! :dr" in around
    order = [t for s in digest["sessions"] for t in s["threads"]] + digest["around_the_event"]["threads"]
    assert order == [t["id"] for t in digest["threads"]]
    assert {t["session"] for t in digest["threads"]} - {None} == set(placed)
    filters = next(s for s in digest["sessions"] if s["title"].startswith("Search filters:"))
    assert [link["url"] for link in filters["links"]] == [
        "https://journal.example/articles/2026/validating-search-filters"
    ]
    page = BeautifulSoup((demo / "ukmedlibs.html").read_text(), "html.parser")
    days = [" ".join(h.get_text().split()) for h in page.select("section.day > h2")]
    assert days == ["Wednesday 10 June 2026", "Thursday 11 June 2026", "Friday 12 June 2026"]
    assert page.select_one("section#around h2").get_text() == "Around the event"  # type: ignore[union-attr]
