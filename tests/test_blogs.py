"""The blogs source against a replayed WordPress site on 127.0.0.1; feedparser and trafilatura for real."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from confthread.api import load_digest
from confthread.archive import Archive, Record
from confthread.collect_blogs import LINK_SOURCE, BlogHarvest, shared_links
from confthread.config import Window, build_config
from confthread.errors import SourceError
from confthread.models import Link, Post
from confthread.render.json import digest_to_dict, render_json
from confthread.replay.blog import BlogPost, BlogSite, Comment, blog_handler, load_blog_sites, serve_blog
from confthread.replay.event import load_mastodon_statuses
from confthread.replay.server import Fault, ReplayServer, Request, Response
from confthread.report import SourceProgress
from confthread.resources import example_event_dir
from confthread.sources.articles import Article, NotAnArticle, fetch_page, read_article, why_not_an_article
from confthread.sources.feeds import FeedError, feed_tags, parse_feed, select_entries
from confthread.sources.http import RetryPolicy
from confthread.sources.mastodon import is_archivable, parse_status
from confthread.sources.safe_fetch import (
    Fetched,
    FetchError,
    Limits,
    PrivateAddress,
    Refused,
    SafeFetcher,
    is_public,
    retries_for_links,
)
from tests.factories import post as social_post

FAST = RetryPolicy(attempts=2, backoff=0.01, timeout=5)
NOW = datetime(2026, 6, 20, tzinfo=UTC)
WINDOW = Window(datetime(2026, 6, 10, tzinfo=UTC), datetime(2026, 6, 13, tzinfo=UTC))
ORIGIN = "https://blog.example"

DAY_TWO = (
    "<p>Day two of the conference began with a packed session on reaching staff who never visit the "
    "library. "
    + " ".join(
        f"Point {n}: librarians shared what worked for them on wards and in the community." for n in range(12)
    )
    + "</p>\n<h2>What I will try next</h2>\n"
    '<p>A <a href="/2026/06/05/getting-ready/">follow-up to my earlier post</a>, a '
    '<a href="javascript:alert(1)">conference app</a>, a <a href="data:text/html;base64,PHNjcmlwdD4=">data '
    'link</a> and an image <img src="slide.png" onerror="alert(2)"> that should not survive.</p>'
    '<script>alert("feed")</script>'
)


def make_site(origin: str | None = ORIGIN, **routes: Any) -> BlogSite:
    """One blog with every case the feed rules decide: tags, categories, window edges, dates."""
    return BlogSite(
        name="Ada's Library Blog",
        origin=origin,
        description="Notes from a health librarian",
        posts=(
            BlogPost(
                id=1,
                path="/2026/06/11/day-two/",
                title="Day two at #UKMedLibs",
                author="Ada Lovelace",
                html=DAY_TWO,
                published="2026-06-11T18:00:00+01:00",
                updated="2026-06-20T09:00:00+00:00",
                excerpt="Day two began with outreach.",
                categories=("Conferences",),
                tags=("UKMedLibs",),
                comments=(Comment("Spam Bot", "2026-06-12T00:00:00+00:00", "Buy COMMENT-SPAM now"),),
            ),
            BlogPost(
                id=2,
                path="/2026/06/05/getting-ready/",
                title="Getting ready for UKMedLibs",
                author="Ada Lovelace",
                html="<p>A week to go.</p>",
                published="2026-06-05T08:00:00+00:00",
                tags=("UKMedLibs",),
            ),
            BlogPost(
                id=3,
                path="/2026/06/11/cataloguing/",
                title="Cataloguing notes",
                author="Ada Lovelace",
                html="<p>Nothing about the event.</p>",
                published="2026-06-11T10:00:00+00:00",
                categories=("Cataloguing",),
            ),
            BlogPost(
                id=4,
                path="/2026/06/12/slides/",
                title="Slides from my talk",
                author="Bob Binder",
                html="<p>My slides.</p>",
                published=None,
                updated="2026-06-12T12:00:00+00:00",
                categories=("UK Med Libs",),
            ),
        ),
        extra_routes=routes,
    )


def answer(site: BlogSite, path: str, origin: str = ORIGIN) -> Response:
    """What the replayed site serves at `path`, without a socket: for the pure parsing tests."""
    return blog_handler(site)(Request("GET", path, {}, {}), origin)


def parsed(path: str, site: BlogSite | None = None) -> Any:
    response = answer(site or make_site(), path)
    media, _, charset = response.headers["Content-Type"].partition("; charset=")
    return parse_feed(response.body, url=ORIGIN + path, media_type=media, charset=charset or None)


@pytest.fixture
def blog() -> Iterator[ReplayServer]:
    with serve_blog(make_site(origin=None)) as server:
        yield server


def harvest(
    archive: Archive,
    feeds: list[str],
    *,
    allow: bool = False,
    policy: RetryPolicy = FAST,
    now: datetime = NOW,
    **options: Any,
) -> BlogHarvest:
    return BlogHarvest(
        archive,
        feeds,
        WINDOW,
        ["ukmedlibs"],
        SourceProgress("Blogs"),
        lambda _: None,
        lambda: now,
        policy,
        allow,
        **options,
    )


def blog_posts(path: Path) -> dict[str, Post]:
    with Archive(path) as archive:
        return {post.uri: post for post in archive.posts() if post.platform == "blog"}


# -- feeds: golden checks of parsed entries ----------------------------------------------------------


def summary(post: Post) -> dict[str, Any]:
    return {
        "uri": post.uri,
        "created_at": post.created_at.isoformat(),
        "tags": post.tags,
        "author": (post.author.id, post.author.handle, post.author.name, post.author.url),
        "title": post.text.split("\n\n", 1)[0],
    }


def test_a_wordpress_tag_feed_is_read_in_full_with_times_tags_and_authors() -> None:
    feed = parsed("/tag/ukmedlibs/feed/")
    assert (feed.title, feed.link) == ("Ada's Library Blog » ukmedlibs", f"{ORIGIN}/")
    ada = ("blog.example/Ada Lovelace", "blog.example", "Ada Lovelace", f"{ORIGIN}/")
    assert [summary(entry.post) for entry in feed.entries] == [
        {
            "uri": f"{ORIGIN}/2026/06/11/day-two/",
            "created_at": "2026-06-11T17:00:00+00:00",
            "tags": ("conferences", "ukmedlibs"),
            "author": ada,
            "title": "Day two at #UKMedLibs",
        },
        {
            "uri": f"{ORIGIN}/2026/06/05/getting-ready/",
            "created_at": "2026-06-05T08:00:00+00:00",
            "tags": ("ukmedlibs",),
            "author": ada,
            "title": "Getting ready for UKMedLibs",
        },
    ]
    day_two = feed.entries[0]
    assert day_two.local_id == f"{ORIGIN}/?p=1"
    assert day_two.raw["feed"] == f"{ORIGIN}/tag/ukmedlibs/feed/" and "published_parsed" not in day_two.raw
    # Full content, not the excerpt in <description>.
    assert "Point 11: librarians shared" in day_two.post.text and "[…]" not in day_two.post.text


def test_atom_entries_take_their_publication_time_and_their_update_time_only_without_one() -> None:
    feed = parsed("/feed/atom/")
    times = {entry.post.uri.rsplit("/", 2)[-2]: entry.post.created_at.isoformat() for entry in feed.entries}
    assert times == {
        "day-two": "2026-06-11T17:00:00+00:00",  # published, although updated on the 20th
        "getting-ready": "2026-06-05T08:00:00+00:00",
        "cataloguing": "2026-06-11T10:00:00+00:00",
        "slides": "2026-06-12T12:00:00+00:00",  # no <published>: its update time
    }
    slides = next(entry.post for entry in feed.entries if entry.post.uri.endswith("/slides/"))
    assert slides.author.url == f"{ORIGIN}/author/bob-binder/" and slides.tags == ("ukmedlibs",)


def test_entries_are_kept_by_window_and_by_tag_or_category_or_through_a_tag_feed() -> None:
    kept = {
        e.post.uri.rsplit("/", 2)[-2]: e.post.tags
        for e in select_entries(parsed("/feed/atom/"), WINDOW, ["ukmedlibs"])
    }
    # "UK Med Libs" is the tag; the untagged post and the one before the window are not kept.
    assert kept == {"slides": ("ukmedlibs",), "day-two": ("ukmedlibs", "conferences")}
    bare = dataclasses.replace(parsed("/tag/ukmedlibs/feed/"), url=f"{ORIGIN}/tag/ukmedlibs/feed/")
    untagged = [dataclasses.replace(e, post=dataclasses.replace(e.post, tags=())) for e in bare.entries]
    via_tag_feed = select_entries(dataclasses.replace(bare, entries=tuple(untagged)), WINDOW, ["ukmedlibs"])
    assert [e.post.tags for e in via_tag_feed] == [("ukmedlibs",)]
    elsewhere = dataclasses.replace(bare, url=f"{ORIGIN}/feed/", entries=tuple(untagged))
    assert select_entries(elsewhere, WINDOW, ["ukmedlibs"]) == []


@pytest.mark.parametrize(
    ("url", "tags"),
    [
        ("https://blog.example/tag/ukmedlibs/feed/", {"ukmedlibs"}),
        ("https://blog.example/category/uk-med-libs/feed/atom/", {"ukmedlibs"}),
        ("https://blog.example/?feed=rss2&tag=UKMedLibs", {"ukmedlibs"}),
        ("https://ada.blogspot.com/feeds/posts/default/-/UKMedLibs?alt=rss", {"ukmedlibs"}),
        ("https://medium.com/feed/tag/ukmedlibs", {"ukmedlibs"}),
        ("https://dev.to/feed/tag/ukmedlibs", {"ukmedlibs"}),
        ("https://ada.substack.com/feed", set()),
        ("https://blog.example/feed/", set()),
    ],
)
def test_the_feed_address_says_which_tags_it_holds(url: str, tags: set[str]) -> None:
    assert feed_tags(url) == tags


def test_feed_html_is_sanitised_and_its_relative_links_made_absolute() -> None:
    html = parsed("/tag/ukmedlibs/feed/").entries[0].post.html
    assert f'href="{ORIGIN}/2026/06/05/getting-ready/"' in html
    for hostile in ("javascript:", "data:", "<script", "onerror", "<img", 'alert("feed")'):
        assert hostile not in html


def test_a_feed_in_a_legacy_encoding_is_read() -> None:
    site = dataclasses.replace(make_site(), name="Café Müller, notes")
    response = answer(site, "/feed/legacy/")
    assert b'encoding="windows-1252"' in response.body and "Café".encode("cp1252") in response.body
    feed = parse_feed(response.body, url=f"{ORIGIN}/feed/legacy/", media_type="application/rss+xml")
    assert feed.title == "Café Müller, notes" and len(feed.entries) == 3  # the fourth has no date in RSS


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/feed/lol/", "declares XML entities"),
        ("/feed/quadratic/", "declares XML entities"),
        ("/feed/bad-encoding/", "is not valid UTF-8 text"),
        ("/about/", "is not an RSS or Atom feed; the page names its feed as https://blog.example/feed/"),
    ],
)
def test_a_feed_that_cannot_be_used_is_refused_quickly_in_one_sentence(path: str, expected: str) -> None:
    started = time.monotonic()
    with pytest.raises(FeedError) as refused:
        parsed(path)
    assert time.monotonic() - started < 1
    message = str(refused.value)
    assert f"{ORIGIN}{path}" in message and expected in message and "\n" not in message


# -- the careful GET -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata services live here
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("224.0.0.1", False),
        ("192.0.2.1", False),  # reserved for documentation
    ],
)
def test_only_public_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public(address) is public


def fake_resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return table.get(host, [])

    return resolve


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("http://intranet.example/", ["10.0.0.5"]),
        ("http://mixed.example/", ["93.184.216.34", "127.0.0.1"]),
        ("http://metadata.example/latest/", ["169.254.169.254"]),
        ("http://mapped.example/", ["::ffff:192.168.0.1"]),
    ],
)
def test_a_link_that_resolves_to_a_private_address_is_refused_before_connecting(
    url: str, addresses: list[str]
) -> None:
    host = url.split("/")[2]
    with (
        SafeFetcher(FAST, resolver=fake_resolver({host: addresses})) as fetcher,
        pytest.raises(PrivateAddress) as refused,
    ):
        fetch_page(fetcher, url, FAST)
    assert url in str(refused.value) and "--allow-private-links" in str(refused.value)


def test_a_loopback_link_is_fetched_only_when_private_links_are_allowed(blog: ReplayServer) -> None:
    url = f"{blog.url}/2026/06/11/day-two/"
    with SafeFetcher(FAST) as fetcher, pytest.raises(PrivateAddress):
        fetch_page(fetcher, url, FAST)
    assert blog.requests == []  # refused before anything was sent
    with SafeFetcher(FAST, allow_private=True) as fetcher:
        assert fetch_page(fetcher, url, FAST).status == 200


def test_the_connection_goes_to_the_checked_addresses_in_turn(blog: ReplayServer) -> None:
    """No real DNS knows pinned.example: the request reaches the replay only through the checked list.

    127.0.0.2 refuses (the replay listens on 127.0.0.1 alone), so the next address is tried.
    """
    port = blog.url.rsplit(":", 1)[1]
    resolver = fake_resolver({"pinned.example": ["127.0.0.2", "127.0.0.1"]})
    with SafeFetcher(FAST, allow_private=True, resolver=resolver) as fetcher:
        page = fetch_page(fetcher, f"http://pinned.example:{port}/2026/06/11/day-two/", FAST)
    assert page.status == 200 and blog.requests[-1].headers["host"] == f"pinned.example:{port}"


def test_one_fetcher_serves_several_threads(blog: ReplayServer) -> None:
    """Pictures are fetched four at a time through one fetcher; pages and feeds may be too."""
    with SafeFetcher(FAST, allow_private=True) as fetcher, ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda n: fetch_page(fetcher, f"{blog.url}/?p={n % 2 + 1}", FAST), range(32)))
    assert {page.url.rsplit("/", 2)[-2] for page in pages} == {"day-two", "getting-ready"}


def test_https_is_verified(blog: ReplayServer) -> None:
    with SafeFetcher(FAST, allow_private=True) as fetcher, pytest.raises(FetchError) as failed:
        fetch_page(fetcher, blog.url.replace("http:", "https:") + "/", FAST)
    assert "failed the secure connection check" in str(failed.value)


def test_a_feed_the_user_gave_is_trusted_but_a_redirect_to_another_host_is_checked(
    blog: ReplayServer,
) -> None:
    def get(fetcher: SafeFetcher, path: str) -> Fetched:
        return fetcher.get(
            blog.url + path, what="feed", limits=Limits(), retries=FAST.retry(), accept="*/*", trusted=True
        )

    with SafeFetcher(FAST) as fetcher:
        assert get(fetcher, "/tag/ukmedlibs/feed/").status == 200
        with pytest.raises(PrivateAddress) as refused:
            get(fetcher, "/away/feed/")
        assert "http://localhost:" in str(refused.value)
    with SafeFetcher(FAST, allow_private=True) as fetcher:
        assert get(fetcher, "/away/feed/").url.startswith("http://localhost:")


def test_redirects_are_followed_each_hop_checked_and_limited(blog: ReplayServer) -> None:
    with SafeFetcher(FAST, allow_private=True) as fetcher:
        page = fetch_page(fetcher, f"{blog.url}/?p=1", FAST)
        assert page.url == f"{blog.url}/2026/06/11/day-two/" and page.redirects == (page.url,)
        before = len(blog.requests)
        with pytest.raises(Refused, match="redirects more than 5 times"):
            fetch_page(fetcher, f"{blog.url}/loop/0/", FAST)
        assert len(blog.requests) - before == 6
        for scheme in ("javascript", "data", "file"):
            with pytest.raises(Refused, match=r"is not a web address \(http or https\)"):
                fetch_page(fetcher, f"{blog.url}/redirect/{scheme}/", FAST)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<p>hi</p>", "file:///etc/passwd", "ftp://x/y"]
)
def test_only_web_addresses_are_fetched(url: str) -> None:
    with SafeFetcher(FAST, allow_private=True) as fetcher, pytest.raises(Refused, match="not a web address"):
        fetch_page(fetcher, url, FAST)


@pytest.mark.parametrize("path", ["/huge/", "/huge-gzip/"])
def test_a_page_over_the_size_cap_is_abandoned_early(blog: ReplayServer, path: str) -> None:
    """/huge/ declares its size; /huge-gzip/ is a few kB on the wire that unpack to 40 MB."""
    started = time.monotonic()
    with (
        SafeFetcher(FAST, allow_private=True) as fetcher,
        pytest.raises(Refused, match="is larger than 2 MB"),
    ):
        fetch_page(fetcher, blog.url + path, FAST)
    assert time.monotonic() - started < 2


def test_a_linked_page_that_is_not_html_is_not_read(blog: ReplayServer) -> None:
    refused = pytest.raises(Refused, match=r"is not a web page \(image/png\)")
    with SafeFetcher(FAST, allow_private=True) as fetcher, refused:
        fetcher.get(
            f"{blog.url}/slides.png?size=big",
            what="linked page",
            limits=Limits(),
            retries=retries_for_links(FAST),
            accept="text/html",
            content_types=frozenset({"text/html"}),
        )


# -- articles: extraction and the decision ---------------------------------------------------------


def test_an_article_page_is_read_without_its_navigation_sidebar_and_comments(blog: ReplayServer) -> None:
    with SafeFetcher(FAST, allow_private=True) as fetcher:
        page = fetch_page(fetcher, f"{blog.url}/2026/06/11/day-two/", FAST)
    article = read_article(page, now=NOW)
    assert (article.url, article.title, article.author, article.site_name) == (
        f"{blog.url}/2026/06/11/day-two/",
        "Day two at #UKMedLibs",
        "Ada Lovelace",
        "Ada's Library Blog",
    )
    assert article.published == datetime(2026, 6, 11, 17, tzinfo=UTC)
    assert (
        article.text.startswith("Day two of the conference began") and "What I will try next" in article.text
    )
    chrome = (
        "Recent Posts",
        "Leave a Reply",
        "COMMENT-SPAM",
        "Proudly powered",
        "Previous Post",
        "Skip to content",
    )
    assert not [words for words in chrome if words in article.text or words in article.html]
    assert f'href="{blog.url}/2026/06/05/getting-ready/"' in article.html
    for hostile in ("javascript:", "data:", "<script", "onerror", "<img"):
        assert hostile not in article.html


def test_a_page_that_claims_to_be_on_another_host_keeps_its_own_address(blog: ReplayServer) -> None:
    body = answer(make_site(origin=blog.url), "/2026/06/11/day-two/", blog.url).body
    forged = body.replace(
        f'<link rel="canonical" href="{blog.url}'.encode(),
        b'<link rel="canonical" href="https://victim.example',
    )
    forged = forged.replace(
        f'og:url" content="{blog.url}'.encode(), b'og:url" content="https://victim.example'
    )
    page = Fetched(f"{blog.url}/2026/06/11/day-two/", 200, "text/html", "utf-8", forged)
    assert read_article(page, now=NOW).url == page.url


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"page_type": "website"}, "is a website page, not an article"),
        ({"page_type": "video.other"}, "is a video.other page, not an article"),
        ({"words": 40}, "is too short to be a write-up (40 words of main text)"),
        ({"title": ""}, "has no title"),
    ],
)
def test_what_is_not_an_article(changes: dict[str, Any], reason: str) -> None:
    article = Article(url="https://a.example/x", title="T", html="", text="", words=500, page_type="article")
    assert why_not_an_article(article) is None
    assert reason in (why_not_an_article(dataclasses.replace(article, **changes)) or "")


def test_a_short_page_is_not_an_article(blog: ReplayServer) -> None:
    with SafeFetcher(FAST, allow_private=True) as fetcher:
        page = fetch_page(fetcher, f"{blog.url}/about/", FAST)
    with pytest.raises(NotAnArticle, match=f"linked page {blog.url}/about/ is a website page"):
        read_article(page, now=NOW)


# -- BlogHarvest: feeds ----------------------------------------------------------------------------


def test_feeds_are_collected_once_and_again_without_change(tmp_path: Path, blog: ReplayServer) -> None:
    feeds = [f"{blog.url}/tag/ukmedlibs/feed/", f"{blog.url}/feed/atom/"]
    with Archive(tmp_path / "a.db") as archive:
        first = harvest(archive, feeds)
        first.run()
        dump = archive.dump()
        second = harvest(archive, feeds)
        second.run()
        assert archive.dump() == dump
    assert (first.progress.pages, first.progress.posts, second.progress.posts) == (2, 2, 0)
    assert sorted(uri.rsplit("/", 2)[-2] for uri in blog_posts(tmp_path / "a.db")) == ["day-two", "slides"]


def test_each_failing_feed_is_named_in_one_line_and_the_rest_is_collected(
    tmp_path: Path, blog: ReplayServer
) -> None:
    good = f"{blog.url}/tag/ukmedlibs/feed/"
    bad = {
        f"{blog.url}/about/": "is not an RSS or Atom feed",
        f"{blog.url}/nowhere/feed/": "was not found (HTTP 404)",
        f"{blog.url}/category/slow/feed/": "did not answer within 0.5 s after several tries",
        f"{blog.url}/feed/bad-encoding/": "is not valid UTF-8 text",
        f"{blog.url}/feed/lol/": "declares XML entities",
    }
    blog.add_fault(Fault(path="/category/slow/", kind="delay", seconds=1.5, times=2))
    impatient = RetryPolicy(attempts=1, backoff=0.01, timeout=0.5)
    with Archive(tmp_path / "a.db") as archive:
        blogs = harvest(archive, [*bad, good], policy=impatient)
        with pytest.raises(SourceError) as failed:
            blogs.run()
    assert len(blogs.failures) == len(bad)
    for failure, (url, expected) in zip(blogs.failures, bad.items(), strict=True):
        assert url in failure and expected in failure and "\n" not in failure
    assert str(failed.value) == "; ".join(blogs.failures)
    assert blogs.progress.pages == 1 and list(blog_posts(tmp_path / "a.db")) == [
        f"{blog.url}/2026/06/11/day-two/"
    ]


def test_a_feed_answering_503_is_retried(tmp_path: Path, blog: ReplayServer) -> None:
    blog.add_fault(Fault(path="/tag/ukmedlibs/feed/", kind="status", status=503))
    with Archive(tmp_path / "a.db") as archive:
        harvest(archive, [f"{blog.url}/tag/ukmedlibs/feed/"]).run()
    assert len(blog_posts(tmp_path / "a.db")) == 1


# -- BlogHarvest: linked write-ups -----------------------------------------------------------------


def sharing(uri: str, minute: int, *urls: str, **options: Any) -> Record:
    shared = dataclasses.replace(
        social_post(uri, minute=minute, **options), links=tuple(Link(url) for url in urls)
    )
    return Record(shared, {}, "test")


def test_shared_links_come_from_social_posts_in_the_window_by_people_who_did_not_opt_out() -> None:
    late = dataclasses.replace(sharing("late", 0, "https://w.example/late").post, created_at=NOW)
    posts = [
        sharing("a", 5, "https://w.example/x#comments", "https://social.example/@bob").post,
        sharing("b", 1, "https://w.example/x", "https://w.example/y").post,
        sharing("c", 2, "https://w.example/secret", opted_out=True).post,
        late,
    ]
    links = shared_links(posts, WINDOW)
    assert [(link.url, link.forms) for link in links] == [
        ("https://w.example/x", ["https://w.example/x", "https://w.example/x#comments"]),
        ("https://w.example/y", ["https://w.example/y"]),
    ]
    assert links[0].first_shared == posts[1].created_at


def test_linked_pages_become_blog_posts_and_failures_are_only_noted(
    tmp_path: Path, blog: ReplayServer
) -> None:
    article = f"{blog.url}/2026/06/11/day-two/"
    links = {
        f"{blog.url}/?p=1": None,  # a shortlink to the article
        article: None,
        f"{blog.url}/missing/": "was not found (HTTP 404)",
        f"{blog.url}/about/": "is a website page, not an article",
        f"{blog.url}/huge/": "is larger than 2 MB",
        f"{blog.url}/slides.png": "is a media file or document",
        "javascript:alert(1)": "is not a web address",
    }
    with Archive(tmp_path / "a.db") as archive:
        archive.save([sharing("s1", 1, *links), sharing("s2", 3, article)], now=NOW)
        blogs = harvest(archive, [], allow=True)
        blogs.run()  # no SourceError: a linked page is never required
        notes = list(blogs.notes)
        assert archive.seen_at(LINK_SOURCE) == {f"{blog.url}/?p=1": article, article: article}
        requests = len(blog.requests)
        soon = harvest(archive, [], allow=True, now=NOW + timedelta(hours=1))
        soon.run()
        asked_soon = len(blog.requests) - requests
        again = harvest(archive, [], allow=True, now=NOW + timedelta(days=2))
        again.run()
    assert [note for note in notes if "http" in note or "javascript" in note] == notes
    for url, reason in links.items():
        if reason:
            [note] = [note for note in notes if url in note]
            assert note.startswith("skipped: ") and reason in note and "\n" not in note
    assert blogs.progress.error is None and blogs.progress.posts == 1
    # What is not an article is remembered; the page that failed to load is asked for again, but not on
    # every collect: only once a day has passed.
    assert asked_soon == 0 and not soon.notes
    assert [r.path for r in blog.requests[requests:]] == ["/missing/"]
    assert len(again.notes) == 1
    [write_up] = blog_posts(tmp_path / "a.db").values()
    assert write_up.created_at == datetime(2026, 6, 11, 17, tzinfo=UTC)
    assert write_up.author.name == "Ada Lovelace" and write_up.author.handle == "127.0.0.1"
    assert write_up.text.startswith("Day two at #UKMedLibs\n\nDay two of the conference began")


def test_a_private_link_is_noted_not_remembered_and_read_once_allowed(
    tmp_path: Path, blog: ReplayServer
) -> None:
    article = f"{blog.url}/2026/06/11/day-two/"
    with Archive(tmp_path / "a.db") as archive:
        archive.save([sharing("s1", 1, article)], now=NOW)
        refused = harvest(archive, [])
        refused.run()
        assert blog.requests == [] and "leads to a private or local network address" in refused.notes[0]
        harvest(archive, [], allow=True).run()
    assert list(blog_posts(tmp_path / "a.db")) == [article]


def test_a_write_up_already_read_from_a_feed_is_linked_not_replaced(
    tmp_path: Path, blog: ReplayServer
) -> None:
    article = f"{blog.url}/2026/06/11/day-two/"
    with Archive(tmp_path / "a.db") as archive:
        archive.save([sharing("s1", 1, article)], now=NOW)
        harvest(archive, [f"{blog.url}/tag/ukmedlibs/feed/"], allow=True).run()
        assert archive.raw("blog", article)["feed"] == f"{blog.url}/tag/ukmedlibs/feed/"  # type: ignore[index]
        assert archive.seen_at(LINK_SOURCE) == {article: article}


def test_linked_pages_are_capped_per_collect(tmp_path: Path, blog: ReplayServer) -> None:
    urls = [f"{blog.url}/2026/06/11/day-two/", f"{blog.url}/about/", f"{blog.url}/missing/"]
    with Archive(tmp_path / "a.db") as archive:
        archive.save([sharing("s1", 1, *urls)], now=NOW)
        capped = harvest(archive, [], allow=True, max_linked_pages=1)
        capped.run()
    assert len(blog.requests) == 1
    assert capped.notes == ["2 more linked pages were left for the next collect (at most 1 are read in one)"]


# -- end to end: the example event ------------------------------------------------------------------


def example_mastodon_records(event: Path) -> list[Record]:
    """The example instances' statuses, parsed by the real parser, as collect would have saved them."""
    records = []
    for instance, statuses in load_mastodon_statuses(event).items():
        uris = {str(status["id"]): str(status["uri"]) for status in statuses}
        records += [
            Record(parse_status(s, instance=instance, uris=uris), s, instance, local_id=str(s["id"]))
            for s in statuses
            if is_archivable(s)
        ]
    return records


def test_the_example_event_gets_its_write_ups_beside_its_posts(tmp_path: Path) -> None:
    """The example's Mastodon posts archived, then the blogs: the example feed and the journal article."""
    event = example_event_dir()
    sites = load_blog_sites(event)
    assert set(sites) == {"https://journal.example", "https://librarylines.example"}
    journal = "https://journal.example/articles/2026/validating-search-filters"
    write_up = "https://librarylines.example/2026/06/12/reaching-the-staff-who-never-come-to-the-library/"
    with ExitStack() as stack:
        blogs = {origin: stack.enter_context(serve_blog(site)) for origin, site in sites.items()}
        aliases = {origin: server.url for origin, server in blogs.items()}
        config = build_config({"archive": tmp_path / "event.db"}, env={}, event_file=event / "event.toml")
        with Archive(config.archive) as archive:
            archive.save(example_mastodon_records(event), now=NOW)
        feed = ["https://librarylines.example/tag/ukmedlibs/feed/"]
        with Archive(config.archive) as archive:
            # The journal stands in on 127.0.0.1, so its link is refused until private links are allowed.
            cautious = harvest(archive, feed, aliases=aliases)
            cautious.run()
            assert [note.split(" leads to")[0] for note in cautious.notes] == [
                f"skipped: linked page {journal}"
            ]
            assert list(blog_posts(config.archive)) == [write_up]
            harvest(archive, feed, allow=True, aliases=aliases).run()
            links = archive.seen_at(LINK_SOURCE)
    assert links == {journal: journal}
    written = blog_posts(tmp_path / "event.db")
    assert sorted(written) == [journal, write_up]
    assert (written[journal].author.name, written[journal].author.handle) == (
        "Tomasz Nowak",
        "journal.example",
    )
    assert written[journal].created_at == datetime(2026, 6, 1, 8, tzinfo=UTC)
    assert written[write_up].created_at == datetime(2026, 6, 12, 16, 40, tzinfo=UTC)
    assert "Go where people already are\n\nFiona described" in written[write_up].text
    digest = digest_to_dict(load_digest(config.archive, now=NOW))
    kinds = {thread["posts"][0]["uri"]: thread["kind"] for thread in digest["threads"]}
    assert kinds[journal] == kinds[write_up] == "blog"
    text = render_json(load_digest(config.archive, now=NOW))
    for unwanted in ("javascript:", "SEO Expert", "Reviewer Two", "Recent Posts", "Leave a Reply"):
        assert unwanted not in text
