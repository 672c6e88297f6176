"""What the HTML template needs, worked out from a Digest: labels, counts, anchors, compact runs.

Pure: no I/O. Keeping these decisions here leaves the template (which users may replace) with
presentation only.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from urllib.parse import urlsplit

from confthread.figures import compute_figures
from confthread.models import Author, Digest, Media, Post, Thread, ThreadEntry
from confthread.render.consent import visible_threads
from confthread.render.filters import date_range, safe_url
from confthread.render.outline import (
    ChartView,
    DayView,
    FiguresView,
    LinkView,
    chart_view,
    days_view,
    figures_view,
    link_views,
)
from confthread.render.pictures import Shown

# Replies deeper than this are drawn at this depth: the page stays readable on a phone.
MAX_DEPTH = 4
EXCERPT_WORDS = 12
QUOTE_WORDS = 60

# A blog is its own platform: "on Blog" says nothing, so blogs get no platform label.
_PLATFORM_LABELS = {"bluesky": "Bluesky", "mastodon": "Mastodon"}
_HEADINGS = {
    "live": "Live posts by {name}",
    "conversation": "Conversation started by {name}",
    "single": "Post by {name}",
    "chat": "Questions and answers, started by {name}",
    "blog": "Blog post by {name}",
}


@dataclass(frozen=True, slots=True)
class PersonView:
    """`name` falls back to the handle; `named` says whether the person gave a name of their own."""

    name: str
    named: bool
    handle: str
    url: str | None
    platform: str | None
    avatar: Shown | None = None
    initial: str = ""


@dataclass(frozen=True, slots=True)
class ImageView:
    """An attachment: the picture when it was kept, else its alt text stands in for it."""

    kind: str
    alt: str
    shown: Shown | None
    original: str | None


@dataclass(frozen=True, slots=True)
class CardView:
    """A link card the platform made: a title, what the page says of itself, and its site."""

    url: str
    title: str
    description: str
    site: str


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A quoted post shown inline: as plain text, and behind its content warning if it has one."""

    anchor: str
    author: str
    text: str
    content_warning: str


@dataclass(frozen=True, slots=True)
class CopyView:
    """Another copy of a post: "on Bluesky", "on glam.social", with its web address when it has one."""

    label: str
    url: str | None


@dataclass(frozen=True, slots=True)
class EntryView:
    """One post as shown: `continuation` posts get a time line instead of a full byline."""

    post: Post
    author: PersonView
    anchor: str
    depth: int
    continuation: bool
    same_day: bool
    permalink: str | None
    withheld_replies: int
    quote_anchor: str | None
    quote_author: str | None
    quoted: QuoteView | None = None
    quote_url: str | None = None
    also_at: tuple[CopyView, ...] = ()
    question: int | None = None
    images: tuple[ImageView, ...] = ()
    cards: tuple[CardView, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockView:
    """A top-level post and the replies under it, which the page lets a reader fold away."""

    entry: EntryView
    replies: tuple[EntryView, ...]


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: Thread
    entries: tuple[EntryView, ...]
    heading: str
    excerpt: str
    starter: PersonView
    blocks: tuple[BlockView, ...] = ()


@dataclass(frozen=True, slots=True)
class Counts:
    threads: int
    posts: int
    people: int


@dataclass(frozen=True, slots=True)
class DigestView:
    """`days` and `around` are the programme's reading order; without a programme `grouped` is False and
    `threads` is the whole digest in order (it is that in either case)."""

    digest: Digest
    hashtags: tuple[str, ...]
    threads: tuple[ThreadView, ...]
    counts: Counts
    grouped: bool = False
    days: tuple[DayView, ...] = ()
    around: tuple[ThreadView, ...] = ()
    links: tuple[LinkView, ...] = ()
    figures: FiguresView | None = None
    zone: tzinfo = UTC
    dates: str = ""
    chart: ChartView | None = None


def post_anchor(post: Post) -> str:
    """A fragment id derived from the post's uri: stable across re-renders, so it can be cited."""
    return "p-" + hashlib.sha256(post.uri.encode("utf-8")).hexdigest()[:12]


def handle_label(author: Author) -> str:
    """ "@alice.bsky.social" on the social platforms; a blog's handle is shown as it is."""
    if author.platform == "blog":
        return author.handle
    return "@" + author.handle.lstrip("@")


def person(author: Author, pictures: Mapping[str, Shown] | None = None) -> PersonView:
    handle = handle_label(author)
    name = (author.name or "").strip()
    shown = name or handle
    return PersonView(
        name=shown,
        named=bool(name),
        handle=handle,
        url=safe_url(author.url),
        platform=_PLATFORM_LABELS.get(author.platform),
        avatar=(pictures or {}).get(author.avatar) if author.avatar else None,
        initial=shown.lstrip("@")[:1].upper(),
    )


def picture_url(media: Media) -> str:
    """The address the picture was kept under: a video or audio is shown by its still."""
    return media.url if media.kind == "image" else media.preview_url or media.url


def _image_view(media: Media, pictures: Mapping[str, Shown]) -> ImageView:
    return ImageView(
        kind="image" if media.kind == "image" else media.kind,
        alt=media.alt.strip(),
        shown=pictures.get(picture_url(media)),
        original=safe_url(media.url),
    )


def _card_views(post: Post) -> tuple[CardView, ...]:
    """Only links the platform described: a bare URL is already in the post's text."""
    cards = []
    for link in post.links:
        url = safe_url(link.url)
        title = (link.title or "").strip()
        if url and title:
            site = (urlsplit(url).hostname or "").removeprefix("www.")
            cards.append(CardView(url, title, (link.description or "").strip(), site))
    return tuple(cards)


def excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    """The first few words, for the table of contents; a post with no words says so."""
    parts = text.split()
    if not parts:
        return "(a post without text)"
    head = " ".join(parts[:words])
    return head + "…" if len(parts) > words else head


def _utc_day(post: Post) -> date:
    return post.created_at.astimezone(UTC).date()


def _same_author(a: Post, b: Post) -> bool:
    return (a.author.platform, a.author.id) == (b.author.platform, b.author.id)


def _is_continuation(thread: Thread, previous: ThreadEntry | None, entry: ThreadEntry) -> bool:
    """A live author's next post straight after their own at the top level reads as running text.

    After someone else's reply the author gets a full byline again, so the reader knows who speaks.
    """
    return (
        thread.kind == "live"
        and previous is not None
        and entry.depth == 0
        and previous.depth == 0
        and _same_author(previous.post, entry.post)
    )


def web_address(uri: str) -> str | None:
    """The web page of a post known by its uri: a Bluesky at:// record has one on bsky.app."""
    if uri.startswith("at://"):
        parts = uri.removeprefix("at://").split("/")
        if len(parts) == 3 and parts[1] == "app.bsky.feed.post" and parts[0] and parts[2]:
            return safe_url(f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}")
        return None
    return safe_url(uri)


def _copy_view(uri: str) -> CopyView:
    address = web_address(uri)
    if uri.startswith("at://"):
        return CopyView("on Bluesky", address)
    host = urlsplit(address).hostname if address else None
    return CopyView(f"on {host}" if host else "elsewhere", address)


def _quote_view(quoted: Post) -> QuoteView:
    return QuoteView(
        anchor=post_anchor(quoted),
        author=person(quoted.author).name,
        text=excerpt(quoted.text, QUOTE_WORDS),
        content_warning=quoted.content_warning,
    )


def _entry_view(
    thread: Thread,
    previous: ThreadEntry | None,
    entry: ThreadEntry,
    quotable: dict[str, Post],
    questions: Mapping[str, int],
    pictures: Mapping[str, Shown],
) -> EntryView:
    post = entry.post
    quoted = quotable.get(post.quote_of) if post.quote_of else None
    return EntryView(
        post=post,
        author=person(post.author, pictures),
        anchor=post_anchor(post),
        depth=max(0, min(entry.depth, MAX_DEPTH)),
        continuation=_is_continuation(thread, previous, entry),
        same_day=previous is not None and _utc_day(previous.post) == _utc_day(post),
        permalink=safe_url(post.url) or safe_url(post.uri),
        withheld_replies=max(0, entry.withheld_replies),
        quote_anchor=post_anchor(quoted) if quoted else None,
        quote_author=person(quoted.author).name if quoted else None,
        quoted=_quote_view(quoted) if quoted else None,
        quote_url=None if quoted or not post.quote_of else web_address(post.quote_of),
        also_at=tuple(_copy_view(uri) for uri in entry.also_at),
        question=questions.get(post.uri),
        images=tuple(_image_view(media, pictures) for media in post.media),
        cards=_card_views(post),
    )


def _blocks(entries: tuple[EntryView, ...]) -> tuple[BlockView, ...]:
    """Each top-level post with the replies that follow it, in reading order."""
    blocks: list[BlockView] = []
    for entry in entries:
        if entry.depth > 0 and blocks:
            blocks[-1] = BlockView(blocks[-1].entry, (*blocks[-1].replies, entry))
        else:
            blocks.append(BlockView(entry, ()))
    return tuple(blocks)


def _thread_view(
    thread: Thread,
    entries: tuple[ThreadEntry, ...],
    quotable: dict[str, Post],
    pictures: Mapping[str, Shown],
) -> ThreadView:
    previous = (None, *entries[:-1])
    questions = {question.question: question.number for question in thread.questions}
    views = tuple(
        _entry_view(thread, before, entry, quotable, questions, pictures)
        for before, entry in zip(previous, entries, strict=True)
    )
    starter = person(entries[0].post.author, pictures)
    return ThreadView(
        thread=thread,
        entries=views,
        heading=_HEADINGS[thread.kind].format(name=starter.name),
        excerpt=excerpt(entries[0].post.text),
        starter=starter,
        blocks=_blocks(views),
    )


def _hashtag_label(tag: str) -> str:
    return "#" + tag.lstrip("#")


def event_zone(digest: Digest, zone: tzinfo | None = None) -> tzinfo:
    """The programme's own zone (the venue's clock), else the zone given, else UTC."""
    for section in digest.sections:
        if section.session is not None and section.session.start.tzinfo is not None:
            return section.session.start.tzinfo
    return zone or UTC


def _dates(days: tuple[DayView, ...], posts: list[Post], zone: tzinfo) -> str:
    """The event's dates: the programme's days when there is one, else the span of the posts."""
    if days:
        first, last = min(day.day for day in days), max(day.day for day in days)
        return date_range(
            datetime.combine(first, time(12), zone), datetime.combine(last, time(12), zone), zone
        )
    if not posts:
        return ""
    return date_range(min(p.created_at for p in posts), max(p.created_at for p in posts), zone)


def build_view(
    digest: Digest, *, pictures: Mapping[str, Shown] | None = None, zone: tzinfo | None = None
) -> DigestView:
    """Everything the template shows, with opted-out people's posts already left out.

    `pictures` are the kept pictures by their original URL; `zone` is the event's (see `event_zone`).
    """
    pictures = pictures or {}
    local = event_zone(digest, zone)
    visible = visible_threads(digest)
    posts = [entry.post for _, entries in visible for entry in entries]
    quotable = {post.uri: post for post in posts}
    anchors = {post.uri: post_anchor(post) for post in posts}
    people = {(post.author.platform, post.author.id) for post in posts}
    views = tuple(_thread_view(thread, entries, quotable, pictures) for thread, entries in visible)
    by_id = {view.thread.id: view for view in views}
    days = days_view(digest.sections, by_id, anchors)
    in_sessions = {view.thread.id for day in days for session in day.sessions for view in session.threads}
    figures = digest.figures
    if figures is None or figures.posts != len(posts):
        figures = compute_figures([dataclasses.replace(t, entries=e) for t, e in visible])
    return DigestView(
        digest=digest,
        hashtags=tuple(_hashtag_label(tag) for tag in digest.hashtags),
        threads=views,
        counts=Counts(threads=len(visible), posts=len(posts), people=len(people)),
        grouped=bool(days),
        days=days,
        around=tuple(view for view in views if view.thread.id not in in_sessions),
        links=link_views(digest.links, anchors),
        figures=figures_view(figures, by_id) if posts else None,
        zone=local,
        dates=_dates(days, posts, local),
        chart=chart_view(figures.per_hour, local, [day.day for day in days]) if posts else None,
    )
