"""What the HTML template needs, worked out from a Digest: labels, counts, anchors, compact runs.

Pure: no I/O. Keeping these decisions here leaves the template (which users may replace) with
presentation only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date

from confthread.models import Author, Digest, Post, Thread, ThreadEntry
from confthread.render.consent import visible_threads
from confthread.render.filters import safe_url

# Replies deeper than this are drawn at this depth: the page stays readable on a phone.
MAX_DEPTH = 4
EXCERPT_WORDS = 12

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


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: Thread
    entries: tuple[EntryView, ...]
    heading: str
    excerpt: str
    starter: PersonView


@dataclass(frozen=True, slots=True)
class Counts:
    threads: int
    posts: int
    people: int


@dataclass(frozen=True, slots=True)
class DigestView:
    digest: Digest
    hashtags: tuple[str, ...]
    threads: tuple[ThreadView, ...]
    counts: Counts


def post_anchor(post: Post) -> str:
    """A fragment id derived from the post's uri: stable across re-renders, so it can be cited."""
    return "p-" + hashlib.sha256(post.uri.encode("utf-8")).hexdigest()[:12]


def handle_label(author: Author) -> str:
    """ "@alice.bsky.social" on the social platforms; a blog's handle is shown as it is."""
    if author.platform == "blog":
        return author.handle
    return "@" + author.handle.lstrip("@")


def person(author: Author) -> PersonView:
    handle = handle_label(author)
    name = (author.name or "").strip()
    return PersonView(
        name=name or handle,
        named=bool(name),
        handle=handle,
        url=safe_url(author.url),
        platform=_PLATFORM_LABELS.get(author.platform),
    )


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


def _entry_view(
    thread: Thread,
    previous: ThreadEntry | None,
    entry: ThreadEntry,
    quotable: dict[str, Post],
) -> EntryView:
    post = entry.post
    quoted = quotable.get(post.quote_of) if post.quote_of else None
    return EntryView(
        post=post,
        author=person(post.author),
        anchor=post_anchor(post),
        depth=max(0, min(entry.depth, MAX_DEPTH)),
        continuation=_is_continuation(thread, previous, entry),
        same_day=previous is not None and _utc_day(previous.post) == _utc_day(post),
        permalink=safe_url(post.url) or safe_url(post.uri),
        withheld_replies=max(0, entry.withheld_replies),
        quote_anchor=post_anchor(quoted) if quoted else None,
        quote_author=person(quoted.author).name if quoted else None,
    )


def _thread_view(thread: Thread, entries: tuple[ThreadEntry, ...], quotable: dict[str, Post]) -> ThreadView:
    previous = (None, *entries[:-1])
    views = tuple(
        _entry_view(thread, before, entry, quotable) for before, entry in zip(previous, entries, strict=True)
    )
    starter = person(entries[0].post.author)
    return ThreadView(
        thread=thread,
        entries=views,
        heading=_HEADINGS[thread.kind].format(name=starter.name),
        excerpt=excerpt(entries[0].post.text),
        starter=starter,
    )


def _hashtag_label(tag: str) -> str:
    return "#" + tag.lstrip("#")


def build_view(digest: Digest) -> DigestView:
    """Everything the template shows, with opted-out people's posts already left out."""
    visible = visible_threads(digest)
    posts = [entry.post for _, entries in visible for entry in entries]
    quotable = {post.uri: post for post in posts}
    people = {(post.author.platform, post.author.id) for post in posts}
    return DigestView(
        digest=digest,
        hashtags=tuple(_hashtag_label(tag) for tag in digest.hashtags),
        threads=tuple(_thread_view(thread, entries, quotable) for thread, entries in visible),
        counts=Counts(threads=len(visible), posts=len(posts), people=len(people)),
    )
