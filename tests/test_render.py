"""The JSON and HTML digests: the published JSON shape, and an HTML page that can run nothing."""

from __future__ import annotations

import dataclasses
import io
import json
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from PIL import Image

from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Author, Digest, Media, Post, Thread, ThreadEntry
from confthread.render import digest_to_dict, render_html, render_json
from confthread.render.html import DIGEST_TEMPLATE, render_html_page

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)

ALICE = Author(
    "bluesky",
    "did:plc:alice",
    "alice.bsky.social",
    "Alice Archivist",
    "https://bsky.app/profile/alice.bsky.social",
)
BOB = Author(
    "mastodon", "https://glam.social/users/bob", "bob@glam.social", "Bob", "https://glam.social/@bob"
)
CHIDI = Author(
    "mastodon", "https://lib.social/users/chidi", "chidi@lib.social", None, "https://lib.social/@chidi"
)
YUKI = Author(
    "bluesky", "did:plc:yuki", "yuki.bsky.social", "渡辺 由紀", "https://bsky.app/profile/yuki.bsky.social"
)
DANA = Author(
    "bluesky", "did:plc:dana", "dana.bsky.social", "Dana", "https://bsky.app/profile/dana.bsky.social"
)
OPTED_OUT = Author(
    "mastodon",
    "https://glam.social/users/zed",
    "zed@glam.social",
    "Zed",
    "https://glam.social/@zed",
    opted_out=True,
)

EXTRA_KEYS = {"sessions", "around_the_event", "links", "chats", "figures"}
POST_KEYS = {
    "uri",
    "url",
    "platform",
    "author",
    "created_at",
    "text",
    "reply_to",
    "quote_of",
    "media",
    "also_at",
}


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def bsky(author: Author, rkey: str, minutes: int, text: str, **kwargs: object) -> Post:
    handle = author.handle
    return Post(
        platform="bluesky",
        uri=f"at://{author.id}/app.bsky.feed.post/{rkey}",
        url=f"https://bsky.app/profile/{handle}/post/{rkey}",
        author=author,
        created_at=at(minutes),
        text=text,
        **kwargs,  # type: ignore[arg-type]
    )


def masto(author: Author, status: str, minutes: int, html: str, text: str, **kwargs: object) -> Post:
    instance = author.id.split("/users/")[0]
    user = author.handle.split("@")[0]
    return Post(
        platform="mastodon",
        uri=f"{author.id}/statuses/{status}",
        url=f"{instance}/@{user}/{status}",
        author=author,
        created_at=at(minutes),
        text=text,
        html=html,
        **kwargs,  # type: ignore[arg-type]
    )


def live_thread() -> Thread:
    first = bsky(ALICE, "live1", 0, "Keynote starting: open access and the catalogue.")
    second = bsky(ALICE, "live2", 3, "Speaker: metadata is a care practice.", reply_to=first.uri)
    reply = masto(
        BOB,
        "901",
        5,
        "<p>Yes! Care for <em>future</em> readers.</p>",
        "Yes! Care for future readers.",
        reply_to=second.uri,
    )
    third = bsky(ALICE, "live3", 7, "Slides will be shared after the session.", reply_to=second.uri)
    return Thread(
        "live-alice-keynote",
        "live",
        (
            ThreadEntry(first),
            ThreadEntry(second, withheld_replies=2),
            ThreadEntry(reply, depth=1),
            ThreadEntry(third),
        ),
        session="Opening keynote",
    )


def conversation_thread() -> Thread:
    question = masto(
        CHIDI,
        "100",
        20,
        '<p>Who is archiving the <a href="https://example.org/tag">#glam25</a> posts?</p>',
        "Who is archiving the #glam25 posts?",
    )
    answer = bsky(
        YUKI, "conv1", 25, "私がやっています 📚✨ — مرحبا بالجميع", reply_to=question.uri, language="ja"
    )
    follow = masto(CHIDI, "101", 30, "<p>Thank you 🙏</p>", "Thank you 🙏", reply_to=answer.uri)
    return Thread(
        "conv-chidi-archiving",
        "conversation",
        (
            ThreadEntry(question, withheld_replies=1),
            ThreadEntry(answer, depth=1),
            ThreadEntry(follow, depth=2),
        ),
    )


def media_thread() -> Thread:
    post = bsky(
        DANA,
        "media1",
        40,
        "Poster session photos",
        media=(
            Media("https://cdn.example.org/poster.jpg", "A poster titled 'Linked data for all'"),
            Media("https://cdn.example.org/crowd.jpg", ""),
        ),
    )
    return Thread("single-dana-posters", "single", (ThreadEntry(post),))


def cw_thread() -> Thread:
    post = masto(
        BOB,
        "902",
        50,
        "<p>The venue lift is broken again.</p>",
        "The venue lift is broken again.",
        content_warning="accessibility, venue",
        quote_of="at://did:plc:alice/app.bsky.feed.post/live1",
    )
    return Thread("single-bob-cw", "single", (ThreadEntry(post),))


def sample_digest(*threads: Thread) -> Digest:
    return Digest(
        title="GLAM Conference 2025",
        hashtags=("glam25", "#GLAMconf"),
        generated_at=datetime(2025, 3, 16, 8, 30, tzinfo=UTC),
        threads=threads or (live_thread(), conversation_thread(), media_thread(), cw_thread()),
    )


# --- JSON -------------------------------------------------------------------------------------


def test_json_top_level_and_thread_keys() -> None:
    data = digest_to_dict(sample_digest())
    # DESIGN.md's keys keep their meaning; the digest's intelligence sits beside them.
    assert set(data) == {"title", "hashtags", "generated_at", "threads"} | EXTRA_KEYS
    assert data["title"] == "GLAM Conference 2025"
    assert data["hashtags"] == ["glam25", "#GLAMconf"]
    assert data["generated_at"] == "2025-03-16T08:30:00+00:00"
    for thread in data["threads"]:
        assert set(thread) == {"id", "kind", "session", "posts"}
        assert isinstance(thread["id"], str)
        assert thread["kind"] in {"live", "conversation", "single", "chat", "blog"}
        assert thread["session"] is None or isinstance(thread["session"], str)
    assert [t["session"] for t in data["threads"]] == ["Opening keynote", None, None, None]


def test_json_every_post_has_exactly_the_design_keys_and_types() -> None:
    data = digest_to_dict(sample_digest())
    posts = [post for thread in data["threads"] for post in thread["posts"]]
    assert len(posts) == 9
    for post in posts:
        assert set(post) - {"withheld_replies"} == POST_KEYS
        assert isinstance(post["uri"], str)
        assert post["url"] is None or isinstance(post["url"], str)
        assert post["platform"] in {"bluesky", "mastodon", "blog"}
        assert set(post["author"]) == {"handle", "name", "url"}
        assert isinstance(post["author"]["handle"], str)
        assert datetime.fromisoformat(post["created_at"]).utcoffset() == timedelta(0)
        assert post["created_at"].endswith("+00:00")
        assert isinstance(post["text"], str)
        assert post["reply_to"] is None or isinstance(post["reply_to"], str)
        assert post["quote_of"] is None or isinstance(post["quote_of"], str)
        assert post["also_at"] == []
        for media in post["media"]:
            assert set(media) == {"url", "alt"}
            assert isinstance(media["url"], str)
            assert isinstance(media["alt"], str)


def test_json_keeps_reading_order_and_values() -> None:
    threads = digest_to_dict(sample_digest())["threads"]
    assert [t["id"] for t in threads] == [
        "live-alice-keynote",
        "conv-chidi-archiving",
        "single-dana-posters",
        "single-bob-cw",
    ]
    live = threads[0]["posts"]
    assert [p["uri"].rsplit("/", 1)[-1] for p in live] == ["live1", "live2", "901", "live3"]
    assert live[1]["reply_to"] == live[0]["uri"]
    assert live[2]["author"] == {
        "handle": "bob@glam.social",
        "name": "Bob",
        "url": "https://glam.social/@bob",
    }
    media = threads[2]["posts"][0]["media"]
    assert media == [
        {"url": "https://cdn.example.org/poster.jpg", "alt": "A poster titled 'Linked data for all'"},
        {"url": "https://cdn.example.org/crowd.jpg", "alt": ""},
    ]
    assert threads[3]["posts"][0]["quote_of"] == "at://did:plc:alice/app.bsky.feed.post/live1"


def test_json_withheld_replies_only_when_positive() -> None:
    threads = digest_to_dict(sample_digest())["threads"]
    counts = {p["uri"]: p.get("withheld_replies") for t in threads for p in t["posts"]}
    assert counts.pop("at://did:plc:alice/app.bsky.feed.post/live2") == 2
    assert counts.pop("https://lib.social/users/chidi/statuses/100") == 1
    assert set(counts.values()) == {None}


def test_json_datetimes_in_other_zones_are_exported_as_utc() -> None:
    paris = timezone(timedelta(hours=1))
    post = Post("bluesky", "at://x/1", ALICE, datetime(2025, 3, 14, 10, 0, tzinfo=paris), "hi")
    digest = Digest(
        "T", (), datetime(2025, 3, 14, 12, 0, tzinfo=paris), (Thread("t", "single", (ThreadEntry(post),)),)
    )
    data = digest_to_dict(digest)
    assert data["generated_at"] == "2025-03-14T11:00:00+00:00"
    assert data["threads"][0]["posts"][0]["created_at"] == "2025-03-14T09:00:00+00:00"


def test_render_json_round_trips_and_keeps_non_latin_text() -> None:
    digest = sample_digest()
    text = render_json(digest)
    assert json.loads(text) == digest_to_dict(digest)
    assert "私がやっています 📚✨ — مرحبا بالجميع" in text  # not \u escapes
    assert text.startswith("{\n  ")


def test_opted_out_posts_never_reach_json_or_html() -> None:
    hidden = masto(OPTED_OUT, "666", 2, "<p>Please do not archive me</p>", "Please do not archive me")
    only_hidden = Thread("hidden-only", "single", (ThreadEntry(hidden),))
    live = live_thread()
    mixed = Thread(live.id, live.kind, (*live.entries[:1], ThreadEntry(hidden, depth=1), *live.entries[1:]))
    digest = sample_digest(mixed, only_hidden)
    rendered = render_json(digest) + render_html(digest)
    for trace in ("archive me", hidden.uri, "zed@glam.social", "hidden-only"):
        assert trace not in rendered
    assert [t["id"] for t in digest_to_dict(digest)["threads"]] == [live.id]


# --- HTML: content ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> BeautifulSoup:
    return BeautifulSoup(render_html(sample_digest()), "html.parser")


def test_html_shows_every_post_with_its_time_and_permalink(page: BeautifulSoup) -> None:
    digest = sample_digest()
    text = page.get_text(" ")
    hrefs = {a["href"] for a in page.find_all("a", href=True)}
    datetimes = {t["datetime"] for t in page.find_all("time")}
    for thread in digest.threads:
        assert page.find("article", id=thread.id) is not None
        for post in thread.posts:
            assert post.text.split()[0] in text
            assert post.url in hrefs
            assert post.created_at.isoformat() in datetimes
    assert "14 March 2025, 09:00 UTC" in text


def test_html_page_frame(page: BeautifulSoup) -> None:
    html = page.find("html")
    assert isinstance(html, Tag)
    assert html["lang"] == "en"
    assert page.title is not None
    assert page.title.string == "GLAM Conference 2025"
    for name in ("header", "main", "nav", "footer"):
        assert page.find(name) is not None
    counts = page.select_one(".counts")
    assert counts is not None
    assert counts.get_text() == "4 threads · 9 posts · 5 people"
    assert "#glam25" in page.select_one(".hashtags").get_text()  # type: ignore[union-attr]
    footer = page.find("footer")
    assert footer is not None
    assert "Generated by confthread on 16 March 2025" in footer.get_text()
    toc_links = [a["href"] for a in page.select("nav a")]
    assert toc_links == [
        "#live-alice-keynote",
        "#conv-chidi-archiving",
        "#single-dana-posters",
        "#single-bob-cw",
    ]


def test_html_media_are_captions_and_links_not_images(page: BeautifulSoup) -> None:
    figures = page.select("article#single-dana-posters figure")
    assert len(figures) == 2
    assert "A poster titled 'Linked data for all'" in figures[0].get_text()
    assert "No description provided" in figures[1].get_text()
    assert [f.a["href"] for f in figures] == [  # type: ignore[index]
        "https://cdn.example.org/poster.jpg",
        "https://cdn.example.org/crowd.jpg",
    ]
    assert all(f.a.get_text() == "Open image where it was posted" for f in figures)  # type: ignore[union-attr]
    assert page.find("img") is None


def test_html_content_warning_is_collapsed(page: BeautifulSoup) -> None:
    details = page.select_one("article#single-bob-cw details")
    assert details is not None
    assert not details.has_attr("open")
    summary = details.find("summary")
    assert summary is not None
    assert summary.get_text() == "CW: accessibility, venue"
    assert "The venue lift is broken again." in details.get_text()
    # The quoted post is in this digest, so the quote links to it on the page.
    quote = details.select_one(".quote a")
    assert quote is not None
    assert page.find(id=str(quote["href"])[1:]) is not None


def test_html_live_thread_continuations_are_compact(page: BeautifulSoup) -> None:
    posts = page.select("article#live-alice-keynote ol.posts li.post")
    assert [p.select_one(".byline") is not None for p in posts] == [True, False, True, True]
    assert [p["class"] for p in posts] == [
        ["post", "depth-0"],
        ["post", "depth-0", "continuation"],
        ["post", "depth-1"],
        ["post", "depth-0"],
    ]
    # The continuation on the same day shows just the clock time, with its own permalink.
    assert posts[1].select_one("time").get_text() == "09:03 UTC"  # type: ignore[union-attr]
    permalink = posts[1].select_one("a.permalink")
    assert permalink is not None
    assert str(permalink["href"]).endswith("/live2")


def test_html_withheld_replies_placeholder(page: BeautifulSoup) -> None:
    notes = [p.get_text() for p in page.select(".withheld")]
    assert notes == [
        "2 replies from people who opted out are not shown",
        "1 reply from a person who opted out is not shown",
    ]


def test_html_language_direction_and_non_latin_text(page: BeautifulSoup) -> None:
    contents = page.select("div.content")
    assert all(c["dir"] == "auto" for c in contents)
    japanese = [c for c in contents if c.get("lang") == "ja"]
    assert len(japanese) == 1
    assert "私がやっています 📚✨ — مرحبا بالجميع" in japanese[0].get_text()
    assert "渡辺 由紀" in page.get_text()


def test_html_author_name_handle_and_platform(page: BeautifulSoup) -> None:
    byline = page.select_one("article#conv-chidi-archiving .byline")
    assert byline is not None
    # Chidi has no display name, so the handle stands in for it.
    assert byline.get_text(" ", strip=True) == "@chidi@lib.social on Mastodon"
    assert byline.a["href"] == "https://lib.social/@chidi"  # type: ignore[index]


# --- HTML: nothing active ---------------------------------------------------------------------

HOSTILE_HTML = [
    "<script>alert(1)</script>hello",
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)">click</p>',
    '<a href="javascript:alert(1)">js link</a>',
    '<a href="JaVaScRiPt:alert(1)">js mixed case</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y">',
    '<form action="https://evil.example/"><input name="pw" type="password"><button>go</button></form>',
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</span>',
    "<style>body{display:none}</style>styled",
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<video src="https://evil.example/v.mp4" poster="https://evil.example/p.jpg"></video>',
    '<a href="https://ok.example/" target="_blank" style="color:red">fine link</a>',
    "<!-- <script>alert(1)</script> -->comment",
    '<p><a href="  javascript:alert(1)">spaced js</a></p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    # Restyling the page or clobbering its ids and anchors from inside a post.
    '<p class="skip-link cover" id="threads">class and id</p>',
    '<div style="background:url(https://evil.example/bg.png)">background</div>',
    '<img srcset="https://evil.example/a.png 1x" alt="srcset">',
    '<svg><a xlink:href="javascript:alert(1)"><text>svg link</text></a></svg>',
    '<a href="//evil.example/">protocol relative</a>',
    '<a href="https://ok.example/" rel="opener" target="_top">opener</a>',
    '<details open ontoggle="alert(1)"><summary>toggle</summary></details>',
    '<p>\u202eRTL override<bdo dir="rtl">bdo</bdo></p>',
]

# Hostile values in every other field a template prints: all must come out as inert text.
EVIL_AUTHOR = Author(
    "mastodon",
    "https://evil.example/users/x",
    "x@evil.example",
    '<script>alert("name")</script>',
    "javascript:alert('author')",
)


def hostile_digest() -> Digest:
    entries = []
    for index, html in enumerate(HOSTILE_HTML):
        post = Post(
            platform="mastodon",
            uri=f"https://evil.example/users/x/statuses/{index}",
            url="javascript:alert('permalink')" if index % 2 else f"https://evil.example/{index}",
            author=EVIL_AUTHOR,
            created_at=at(index),
            text="plain <b>text</b>",
            html=html,
            language='en" onmouseover="alert(1)',
            content_warning='<img src=x onerror="alert(1)">' if index == 0 else "",
            media=(
                Media("javascript:alert('media')", '<script>alert("alt")</script>'),
                Media("data:image/png;base64,AAAA", "data image"),
            ),
        )
        entries.append(ThreadEntry(post, depth=index % 7))
    thread = Thread(
        'evil" onclick="alert(1)', "conversation", tuple(entries), session="<style>*{color:red}</style>"
    )
    return Digest('</title><script>alert("title")</script>', ("<b>tag</b>",), START, (thread,))


@pytest.fixture(scope="module")
def hostile_page() -> BeautifulSoup:
    return BeautifulSoup(render_html(hostile_digest()), "html.parser")


ACTIVE_TAGS = [
    "script",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "svg",
    "math",
    "img",
    "video",
    "audio",
    "source",
    "link",
    "base",
    "frame",
    "frameset",
    "noscript",
    "template",
]


# What the page's own activity chart is drawn with: shapes and text, nothing that loads or runs.
CHART_TAGS = {"svg", "title", "desc", "line", "rect", "text"}


def test_hostile_html_leaves_no_active_elements(hostile_page: BeautifulSoup) -> None:
    # The one SVG is the cover's chart, drawn by the template from counts: no post content is in it.
    charts = hostile_page.find_all("svg")
    assert [chart["class"] for chart in charts] == [["activity-chart"]]
    assert {tag.name for tag in charts[0].find_all(True)} <= CHART_TAGS
    assert "alert" not in str(charts[0])
    charts[0].decompose()
    assert hostile_page.find_all(ACTIVE_TAGS) == []
    styles = hostile_page.find_all("style")
    assert len(styles) == 1
    assert styles[0].parent is hostile_page.head
    metas = hostile_page.find_all("meta")
    assert all(meta.parent is hostile_page.head for meta in metas)
    # Only the template's own: charset, viewport, the content security policy, referrer, generator.
    assert {meta.get("http-equiv") for meta in metas} == {None, "Content-Security-Policy"}
    assert len(metas) == 5


def test_hostile_html_leaves_no_handlers_styles_or_foreign_urls(
    hostile_page: BeautifulSoup,
) -> None:
    for tag in hostile_page.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), tag
            assert name.lower() not in {
                "style",
                "src",
                "srcset",
                "action",
                "formaction",
                "poster",
                "data",
                "background",
            }, tag
            if name.lower() == "href":
                href = str(value).strip()
                if href.startswith("#"):
                    continue
                assert urlsplit(href).scheme in {"http", "https", "mailto"}, tag


def test_hostile_values_are_shown_as_text(hostile_page: BeautifulSoup) -> None:
    text = hostile_page.get_text()
    assert '<script>alert("name")</script>' in text
    assert '<script>alert("alt")</script>' in text
    assert hostile_page.title is not None
    assert hostile_page.title.get_text() == '</title><script>alert("title")</script>'
    assert hostile_page.find("article", id='evil" onclick="alert(1)') is not None
    # A language that is not a language tag is dropped, not escaped into the attribute.
    assert all(not c.has_attr("lang") for c in hostile_page.select("div.content"))
    # Media with a non-web URL keep their caption but get no link.
    assert hostile_page.select("a.open-media") == []


def test_hostile_html_keeps_the_harmless_parts(hostile_page: BeautifulSoup) -> None:
    text = hostile_page.get_text()
    for word in ("hello", "click", "js link", "overlay", "styled", "fine link"):
        assert word in text
    assert "body{display:none}" not in text
    fine = hostile_page.find("a", string="fine link")
    assert isinstance(fine, Tag)
    assert fine["href"] == "https://ok.example/"
    assert "noopener" in fine["rel"]


def test_post_markup_carries_no_class_id_or_opener(hostile_page: BeautifulSoup) -> None:
    for content in hostile_page.select("div.content"):
        for tag in content.find_all(True):
            assert not {"class", "id", "target", "dir"} & set(tag.attrs), tag
            if tag.name == "a":
                assert set(tag["rel"]) == {"nofollow", "noopener", "ugc"}, tag
    assert len(hostile_page.select("#threads")) == 1


def test_html_depth_classes_come_from_a_fixed_set(hostile_page: BeautifulSoup) -> None:
    classes = {c for li in hostile_page.select("li.post") for c in li["class"]}
    assert {c for c in classes if c.startswith("depth-")} <= {f"depth-{n}" for n in range(5)}


def test_page_makes_no_network_request() -> None:
    html = render_html(sample_digest())
    lowered = html.lower()
    for needle in ("<script", "<link", "<img", "src=", "url(", "@import", "@font-face"):
        assert needle not in lowered, needle


# --- templates -------------------------------------------------------------------------------


def test_user_template_overrides_by_name_and_packaged_ones_remain(tmp_path: Path) -> None:
    (tmp_path / DIGEST_TEMPLATE).write_text(
        "<html><style>{% include 'digest.css' %}</style>"
        "<h1>Custom: {{ digest.title }}</h1>{{ counts.posts }}</html>",
        encoding="utf-8",
    )
    html = render_html(sample_digest(), templates=tmp_path)
    assert "<h1>Custom: GLAM Conference 2025</h1>9" in html
    # digest.css was not overridden, so the packaged one was found as the fallback.
    assert "--measure" in html


def test_user_css_overrides_while_packaged_page_is_used(tmp_path: Path) -> None:
    (tmp_path / "digest.css").write_text("body { color: rebeccapurple; }", encoding="utf-8")
    html = render_html(sample_digest(), templates=tmp_path)
    assert "rebeccapurple" in html
    assert "Generated by confthread on" in html


def test_user_template_escapes_too(tmp_path: Path) -> None:
    (tmp_path / DIGEST_TEMPLATE).write_text("{{ digest.title }}", encoding="utf-8")
    digest = sample_digest()
    evil = Digest("<script>x</script>", digest.hashtags, digest.generated_at, digest.threads)
    assert render_html(evil, templates=tmp_path) == "&lt;script&gt;x&lt;/script&gt;"


def test_missing_templates_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        render_html(sample_digest(), templates=tmp_path / "nope")


def test_broken_user_template_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / DIGEST_TEMPLATE).write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(UsageError, match="could not be rendered"):
        render_html(sample_digest(), templates=tmp_path)


def test_empty_digest_renders() -> None:
    digest = Digest("Quiet event", ("quiet",), START, ())
    assert digest_to_dict(digest)["threads"] == []
    soup = BeautifulSoup(render_html(digest), "html.parser")
    assert "No posts were found" in soup.get_text()
    assert soup.find("nav") is None


def test_permalink_falls_back_to_a_web_uri_only() -> None:
    blog_author = Author(
        "blog", "https://blog.example.org/", "blog.example.org", "A Blog", "https://blog.example.org/"
    )
    blog = Post("blog", "https://blog.example.org/2025/glam", blog_author, at(60), "Write-up of day one")
    no_page = Post(
        "bluesky", "at://did:plc:alice/app.bsky.feed.post/nourl", ALICE, at(61), "A post without a web page"
    )
    digest = sample_digest(
        Thread("blog-1", "blog", (ThreadEntry(blog),)),
        Thread("single-nourl", "single", (ThreadEntry(no_page),)),
    )
    soup = BeautifulSoup(render_html(digest), "html.parser")
    blog_link = soup.select_one("article#blog-1 a.permalink")
    assert blog_link is not None
    assert blog_link["href"] == "https://blog.example.org/2025/glam"
    assert soup.select("article#single-nourl a.permalink") == []
    byline = soup.select_one("article#blog-1 .byline")
    assert byline is not None
    assert byline.get_text(" ", strip=True) == "A Blog blog.example.org"


# --- HTML: pictures inside the page ------------------------------------------------------------


def picture(colour: str = "red", mime: str = "image/jpeg") -> Picture:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, format="JPEG")
    return Picture(out.getvalue(), mime, 8, 6)


def pictured_digest() -> tuple[Digest, dict[str, Picture]]:
    author = dataclasses.replace(DANA, avatar="https://cdn.example.org/dana.jpg")
    post = bsky(
        author,
        "pics",
        90,
        "Three pictures",
        media=(
            Media("https://cdn.example.org/kept.jpg", "A kept photo"),
            Media("https://cdn.example.org/lost.jpg", "A photo that was not kept"),
            Media("https://cdn.example.org/kept-no-alt.jpg", ""),
            Media(
                "https://cdn.example.org/clip.mp4",
                "A clip",
                kind="video",
                preview_url="https://cdn.example.org/still.jpg",
            ),
        ),
    )
    pictures = {
        "https://cdn.example.org/dana.jpg": picture("blue"),
        "https://cdn.example.org/kept.jpg": picture("red"),
        "https://cdn.example.org/kept-no-alt.jpg": picture("red"),
        "https://cdn.example.org/still.jpg": picture("green"),
        # Never shown: an SVG can carry script, so only raster types get into a page.
        "https://cdn.example.org/evil.svg": Picture(b"<svg onload=alert(1)>", "image/svg+xml", 1, 1),
    }
    return sample_digest(Thread("single-pics", "single", (ThreadEntry(post),))), pictures


def test_pictures_are_inside_the_single_page_and_missing_ones_show_their_alt_text() -> None:
    digest, pictures = pictured_digest()
    soup = BeautifulSoup(render_html(digest, pictures=pictures), "html.parser")
    article = soup.select_one("article#single-pics")
    assert article is not None
    avatar = article.select_one("img.avatar")
    assert (
        avatar is not None
        and avatar["alt"] == ""
        and str(avatar["src"]).startswith("data:image/jpeg;base64,")
    )
    figures = article.select("figure.media")
    assert [f.img["alt"] if f.img else None for f in figures] == ["A kept photo", None, "", "A clip"]  # type: ignore[index]
    # Alt text is there on request; a picture that was not kept is replaced by its alt text.
    assert figures[0].select_one("details.alt-text") is not None
    assert "Image: A photo that was not kept" in " ".join(figures[1].get_text().split())
    assert figures[2].select_one(".no-alt") is not None
    assert all(str(img["src"]).startswith("data:image/") for img in soup.find_all("img"))
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "img-src data:;" in str(csp["content"])


def test_pictures_as_files_are_named_by_content_and_shared() -> None:
    digest, pictures = pictured_digest()
    page = render_html_page(digest, pictures=pictures, as_files=True)
    soup = BeautifulSoup(page.text, "html.parser")
    sources = {str(img["src"]) for img in soup.find_all("img")}
    assert sources == set(page.files)
    # The two red pictures are one file; the SVG is not among them.
    assert len(page.files) == 3
    assert all(name.startswith("assets/") and name.endswith(".jpg") for name in page.files)
    assert "data:image" not in page.text
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and "img-src 'self' data:;" in str(csp["content"])


def test_times_are_shown_in_the_event_zone() -> None:
    london = zoneinfo.ZoneInfo("Europe/London")
    summer = datetime(2026, 6, 10, 9, 5, tzinfo=UTC)
    post = bsky(ALICE, "zoned", 0, "A summer post")
    digest = sample_digest(
        Thread("single-zoned", "single", (ThreadEntry(dataclasses.replace(post, created_at=summer)),))
    )
    soup = BeautifulSoup(render_html(digest, zone=london), "html.parser")
    time = soup.select_one("article#single-zoned time")
    assert time is not None
    assert time.get_text() == "10 June 2026, 10:05 BST"
    assert time["datetime"] == "2026-06-10T09:05:00+00:00"


def test_cover_has_dates_and_an_activity_chart_with_a_text_alternative(page: BeautifulSoup) -> None:
    cover = page.select_one("header.cover")
    assert cover is not None
    assert cover.select_one(".dates").get_text() == "14 March 2025"  # type: ignore[union-attr]
    chart = cover.select_one("svg.activity-chart")
    assert chart is not None and chart["role"] == "img"
    assert chart.find("desc") is not None and "busiest hour" in chart.find("desc").get_text()  # type: ignore[union-attr]
    assert cover.select(".chart-table tbody tr")
    assert sum(int(td.get_text()) for td in cover.select(".chart-table tbody td")) == 9


def test_replies_fold_under_the_post_they_answer(page: BeautifulSoup) -> None:
    # Without pictures, everyone gets their initial in place of an avatar.
    initials = {span.get_text() for span in page.select("span.avatar-none")}
    assert {"A", "B", "C", "D"} <= initials
    folds = page.select("article#live-alice-keynote li.replies > details")
    assert len(folds) == 1 and folds[0].has_attr("open")
    assert folds[0].summary is not None
    assert folds[0].summary.get_text(" ", strip=True).startswith("1 reply")
    assert [li["class"] for li in folds[0].select("li.post")] == [["post", "depth-1"]]


def test_every_link_from_a_post_is_marked_user_content(page: BeautifulSoup) -> None:
    for link in page.select("a[href^='http']"):
        assert {str(value) for value in link.get("rel", [])} >= {"nofollow", "noopener", "ugc"}, link
