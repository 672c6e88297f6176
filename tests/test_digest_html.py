"""The HTML digest's reading of the programme, chats, copies, quotes, resources and figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from confthread.digest import build_digest
from confthread.models import Author, Link, Post, Session
from confthread.render import render_html
from tests.golden_builder import build_case, load_case


def page_of(name: str) -> BeautifulSoup:
    return BeautifulSoup(render_html(build_case(load_case(name))), "html.parser")


def texts(tags: list[Tag]) -> list[str]:
    return [" ".join(tag.get_text(" ").split()) for tag in tags]


def test_the_programme_reads_day_then_session_then_threads_then_around_the_event() -> None:
    page = page_of("sessions")
    main = page.find("main")
    assert isinstance(main, Tag)
    assert texts(main.select("section.day > h2")) == ["Wednesday 10 June 2026", "Thursday 11 June 2026"]
    assert texts(main.select("section.programme-session h3")) == [
        "Opening keynote",
        "Digitising maps",
        "Metadata for all",
        "Workshop: Wikidata for collections",
        "Everyone's session",
        "Closing",
    ]
    maps = main.select("section.programme-session")[1]
    assert " ".join(maps.select_one(".session-meta").get_text().split()) == "10:30\u201311:30 UTC · Room 2"  # type: ignore[union-attr]
    assert len(maps.select("article.thread")) == 2
    assert all(article.find("h4") for article in main.select("section.programme-session article"))
    around = main.select_one("section#around")
    assert around is not None and around.h2 is not None and around.h2.get_text() == "Around the event"
    assert [a.h3 is not None for a in around.select("article")] == [True, True, True]
    # The session is the heading now; the per-thread "Session:" line would only repeat it.
    assert not page.select("article p.session")


def test_the_contents_follow_the_programme_and_every_link_lands() -> None:
    page = page_of("sessions")
    nav = page.find("nav")
    assert isinstance(nav, Tag)
    assert texts(nav.select("a.toc-day")) == [
        "Wednesday 10 June 2026",
        "Thursday 11 June 2026",
        "Around the event",
    ]
    assert "Digitising maps" in texts(nav.select("a.toc-session-title"))
    for anchor in page.select('a[href^="#"]'):
        target = str(anchor["href"])[1:]
        assert page.find(id=target) is not None, target


def test_headings_never_skip_a_level() -> None:
    for name in ("sessions", "chats", "links_and_figures", "threads_and_quotes"):
        levels = [int(tag.name[1]) for tag in page_of(name).find_all(re.compile(r"^h[1-6]$"))]
        assert levels[0] == 1
        assert all(after <= before + 1 for before, after in pairwise(levels)), name


def test_without_a_programme_the_page_is_one_list_of_threads() -> None:
    page = page_of("threads_and_quotes")
    assert not page.select("section.day") and not page.select("#around")
    assert [a.h2 is not None for a in page.select("main article")] == [True] * 4


def test_a_quote_shows_the_quoted_post_inline_and_links_to_it() -> None:
    page = page_of("threads_and_quotes")
    quoted = page.select_one("blockquote.quoted")
    assert quoted is not None
    assert "A search strategy is a method, not a clever query." in quoted.get_text()
    link = quoted.select_one("a")
    assert link is not None and page.find(id=str(link["href"])[1:]) is not None
    missing = [p for p in page.select("p.quote") if "not in this digest" in p.get_text()]
    assert len(missing) == 1
    assert missing[0].a["href"] == "https://elsewhere.example/users/x/statuses/1"  # type: ignore[index]


def test_copies_are_named_and_linked_under_the_post_shown() -> None:
    page = page_of("crossposts")
    notes = [
        (" ".join(p.get_text().split()), [a["href"] for a in p.find_all("a")])
        for p in page.select(".also-at")
    ]
    assert notes == [
        (
            "Also posted on bsky.brid.gy",
            ["https://bsky.brid.gy/convert/ap/at://did:plc:alice/app.bsky.feed.post/a1"],
        ),
        ("Also posted on Bluesky", ["https://bsky.app/profile/did:plc:bobbridge/post/b1"]),
        ("Also posted on Bluesky", ["https://bsky.app/profile/did:plc:cy/post/c1"]),
        ("Also posted on Bluesky", ["https://bsky.app/profile/did:plc:dee/post/d1"]),
    ]


def test_withheld_replies_leave_only_a_placeholder() -> None:
    html = render_html(build_case(load_case("consent")))
    page = BeautifulSoup(html, "html.parser")
    assert texts(page.select(".withheld")) == ["3 replies from people who opted out are not shown"]
    for trace in (
        "SECRET",
        "jo@medlibs.example",
        "kim.bsky.social",
        "did:plc:lee",
        "zed@glam.example",
        "Jo Doyle",
    ):
        assert trace not in html


def test_a_chat_reads_question_by_question() -> None:
    page = page_of("chats")
    chat = page.select_one("article.kind-chat")
    assert chat is not None
    assert chat.h2 is not None and chat.h2.get_text() == "Questions and answers, started by UK Libraries Chat"
    assert texts(chat.select(".chat-label")) == ["Question 1", "Question 2"]
    posts = chat.select("ol.posts li.post")
    assert [("chat-question" in p["class"]) for p in posts] == [
        True,
        False,
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ]


def test_resources_and_figures_are_listed_with_working_links() -> None:
    page = page_of("links_and_figures")
    session_links = page.select("section.programme-session .resources li")
    assert texts(session_links)[0].startswith(
        "Article A: open data journal.example shared by 2 people in 3 posts"
    )
    event = page.select_one("section.resources[aria-labelledby=resources-title]")
    assert event is not None
    first = event.select_one("a.resource")
    assert first is not None and (first["href"], first.get_text()) == (
        "https://journal.example/a",
        "Article A: open data",
    )
    for anchor in event.select('a[href^="#"]'):
        assert page.find(id=str(anchor["href"])[1:]) is not None
    figures = page.select_one("section.figures")
    assert figures is not None
    rows = [texts(row.find_all(["th", "td"])) for row in figures.select("tr")]
    assert rows == [
        ["Platform", "Posts", "People", "Threads"],
        ["Bluesky", "2", "1", "1"],
        ["Mastodon", "2", "1", "1"],
        ["Blogs", "1", "1", "1"],
        ["All", "5", "3", "3"],
    ]
    assert "Busiest hours: 10 June 2026, 09:00 UTC (3 posts);" in " ".join(figures.get_text(" ").split())
    assert texts(figures.select("dt")) == ["Most replies", "Most reposts and boosts", "Most likes"]
    for anchor in figures.select("dd a"):
        assert page.find("article", id=str(anchor["href"])[1:]) is not None


def test_hostile_programme_and_link_cards_stay_inert() -> None:
    start = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    author = Author("mastodon", "https://evil.example/users/x", "@x@evil.example", evil)
    post = Post(
        "mastodon",
        "https://evil.example/users/x/statuses/1",
        author,
        start + timedelta(minutes=5),
        "hello",
        links=(
            Link("javascript:alert(1)//https://ok.example/", evil),
            Link("https://ok.example/page", evil),
        ),
    )
    session = Session("s-1", evil, start, start + timedelta(hours=1), room=evil)
    digest = build_digest([post], title="T", hashtags=["x"], now=start, sessions=[session])
    page = BeautifulSoup(render_html(digest), "html.parser")
    assert not page.find_all(["script", "img", "iframe"])
    for tag in page.find_all(True):
        assert not [name for name in tag.attrs if name.startswith("on")]
        href = str(tag.get("href", ""))
        assert href.startswith("#") or urlsplit(href).scheme in {"", "http", "https"}
    assert evil in page.get_text()
    # In the session's resources and the event's: the javascript: one is no link anywhere.
    assert {a["href"] for a in page.select("a.resource")} == {"https://ok.example/page"}
