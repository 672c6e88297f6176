"""What the printed digest needs beyond the HTML page's view: pictures, printed links, a cover. Pure.

A paper copy cannot follow a link, so every web address a post links to is printed under it, numbered
where the text points to it; pictures are referred to by a private address that only the PDF
renderer's own fetcher answers (see pdf.py), never by the address they were collected from.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bs4 import BeautifulSoup, Tag
from markupsafe import Markup

from confthread.models import Post
from confthread.render.filters import post_html, readable_day, safe_url
from confthread.render.view import DigestView, EntryView, ThreadView, picture_url

# The URL scheme of pictures inside the print HTML: answered from the archive, nothing else is.
PICTURE_SCHEME = "confthread-picture"
# Print CSS only shows what a printer can: these are the formats WeasyPrint embeds as they are.
PRINTABLE_TYPES = frozenset({"image/jpeg", "image/png"})
# The anchor of the posts outside the programme's days (the print template's "Around the event").
AROUND = "around"
AROUND_TITLE = "Around the event"


@dataclass(frozen=True, slots=True)
class PrintedLink:
    """A web address printed under its post; `number` is the mark beside the linked words."""

    number: int
    url: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class PrintedMedia:
    """An attachment on paper: the picture when the archive kept one (`src`), its alt text always."""

    label: str
    alt: str
    src: str | None


@dataclass(frozen=True, slots=True)
class PrintedPost:
    html: Markup
    links: tuple[PrintedLink, ...]
    media: tuple[PrintedMedia, ...]


@dataclass(frozen=True, slots=True)
class DayBar:
    label: str
    posts: int
    percent: int


@dataclass(frozen=True, slots=True)
class PrintView:
    """`posts` by post anchor; `anchors` gives each thread (by id) and session (by id) a safe fragment id."""

    view: DigestView
    posts: Mapping[str, PrintedPost]
    anchors: Mapping[str, str]
    contents: frozenset[str]
    """The anchors the contents list with a page number."""
    dates: str
    per_day: tuple[DayBar, ...]
    description: str
    keywords: tuple[str, ...]


def picture_urls(posts: Iterable[Post]) -> list[str]:
    """Every picture the printed digest of these posts could show, once each, in reading order."""
    return list(dict.fromkeys(picture_url(media) for post in posts for media in post.media))


def picture_address(index: int) -> str:
    return f"{PICTURE_SCHEME}:{index}"


def fragment(prefix: str, key: str) -> str:
    """A fragment id made only of [a-z0-9-], whatever characters a thread or session id holds."""
    return f"{prefix}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def _is_tag_or_mention(text: str) -> bool:
    return text.startswith(("#", "@", "\uff03"))


def printed_post(post: Post, addresses: Mapping[str, str]) -> PrintedPost:
    """The sanitised post markup with a number after each linked phrase, and the addresses to print."""
    soup = BeautifulSoup(str(post_html(post)), "html.parser")
    numbers: dict[str, int] = {}
    for anchor in soup.find_all("a"):
        if not isinstance(anchor, Tag):
            continue
        href = anchor.get("href")
        url = safe_url(href if isinstance(href, str) else None)
        if url is None or _is_tag_or_mention(anchor.get_text().strip()):
            continue
        number = numbers.setdefault(url, len(numbers) + 1)
        mark = soup.new_tag("sup", attrs={"class": "ref"})
        mark.string = str(number)
        anchor.insert_after(mark)
    links = [PrintedLink(number, url) for url, number in numbers.items()]
    titles = {url: link.title for link in post.links if (url := safe_url(link.url)) is not None}
    links = [PrintedLink(link.number, link.url, titles.get(link.url)) for link in links]
    for url, title in titles.items():
        if url not in numbers:
            numbers[url] = len(numbers) + 1
            links.append(PrintedLink(numbers[url], url, title))
    media = tuple(
        PrintedMedia(
            label="Image" if item.kind == "image" else item.kind.capitalize(),
            alt=item.alt.strip(),
            src=addresses.get(picture_url(item)),
        )
        for item in post.media
    )
    # BeautifulSoup re-serialises markup that clean_html already reduced to the allow-list, escaping text.
    return PrintedPost(Markup(str(soup)), tuple(links), media)  # noqa: S704


def _entries(view: DigestView) -> list[EntryView]:
    return [entry for thread in view.threads for entry in thread.entries]


def _per_day(days: list[date]) -> tuple[DayBar, ...]:
    counts = Counter(days)
    most = max(counts.values(), default=0)
    return tuple(
        DayBar(readable_day(day), posts, round(100 * posts / most) if most else 0)
        for day, posts in sorted(counts.items())
    )


def _anchors(threads: Iterable[ThreadView], view: DigestView) -> dict[str, str]:
    anchors = {thread.thread.id: fragment("t", thread.thread.id) for thread in threads}
    for day in view.days:
        for block in day.sessions:
            anchors[block.session.id] = fragment("s", block.session.id)
    return anchors


def _contents(anchors: Mapping[str, str], view: DigestView) -> frozenset[str]:
    """Every thread and session, each day, and the days' epilogue; nothing when there are no threads."""
    if not view.threads:
        return frozenset()
    days = {day.anchor for day in view.days} | ({AROUND} if view.around else set())
    return frozenset(anchors.values()) | days


def build_print_view(view: DigestView, addresses: Mapping[str, str]) -> PrintView:
    """`addresses` maps a picture's archive URL to its private address; pictures not in it show their alt."""
    entries = _entries(view)
    days = [entry.post.created_at.astimezone(view.zone).date() for entry in entries]
    dates = view.dates
    tags = " ".join(view.hashtags)
    counts = view.counts
    anchors = _anchors(view.threads, view)
    description = (
        f"Posts about {tags or view.digest.title} from Bluesky, Mastodon and blogs"
        + (f", {dates}" if dates else "")
        + f": {counts.threads} threads, {counts.posts} posts by {counts.people} people."
    )
    return PrintView(
        view=view,
        posts={entry.anchor: printed_post(entry.post, addresses) for entry in entries},
        anchors=anchors,
        contents=_contents(anchors, view),
        dates=dates,
        per_day=_per_day(days),
        description=description,
        keywords=(*(tag.lstrip("#") for tag in view.hashtags), "conference", "confthread digest"),
    )
