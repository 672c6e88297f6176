"""The page's outline beside the threads: the programme's days and sessions, resources and figures.

Pure, like view.py, which uses it: everything here is worked out from the Digest for the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from confthread.models import Figures, Section, Session, SharedLink, ThreadFigures
from confthread.render.filters import count_noun, readable_day, readable_time, safe_url

if TYPE_CHECKING:
    from confthread.render.view import ThreadView

# The figures section stays small: a few hours and threads; the whole lists are in the JSON digest.
FIGURES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class LinkView:
    """A shared link: `url` only when it is a web address; `posts` are anchors of the posts on the page."""

    url: str | None
    label: str
    site: str
    people: int
    posts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SessionView:
    session: Session
    anchor: str
    time: str
    threads: tuple[ThreadView, ...]
    links: tuple[LinkView, ...]


@dataclass(frozen=True, slots=True)
class DayView:
    day: date
    anchor: str
    label: str
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True, slots=True)
class PlatformRow:
    label: str
    posts: int
    people: int
    threads: int


@dataclass(frozen=True, slots=True)
class HourView:
    hour: datetime
    label: str
    posts: int


@dataclass(frozen=True, slots=True)
class TopThread:
    anchor: str
    excerpt: str
    count: str


@dataclass(frozen=True, slots=True)
class TopList:
    label: str
    items: tuple[TopThread, ...]


@dataclass(frozen=True, slots=True)
class FiguresView:
    platforms: tuple[PlatformRow, ...]
    total: PlatformRow
    busiest: tuple[HourView, ...]
    top: tuple[TopList, ...]


def _link_label(url: str) -> tuple[str, str]:
    """What a link without a title is called, and the site it is on."""
    parts = urlsplit(url)
    site = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    return (site + path if path else site) or url, site


def link_views(links: Sequence[SharedLink], anchors: Mapping[str, str]) -> tuple[LinkView, ...]:
    views = []
    for link in links:
        posts = tuple(anchors[uri] for uri in link.posts if uri in anchors)
        if not posts:
            continue
        fallback, site = _link_label(link.url)
        views.append(LinkView(safe_url(link.url), link.title or fallback, site, link.people, posts))
    return tuple(views)


def session_time(session: Session) -> str:
    """ "10:15-11:15 BST" (with an en dash): a session's times are its venue's, zone named."""
    zone = session.start.tzname() or session.start.strftime("UTC%z")
    return f"{session.start:%H:%M}\u2013{session.end:%H:%M} {zone}"


def days_view(
    sections: Sequence[Section], threads: Mapping[str, ThreadView], anchors: Mapping[str, str]
) -> tuple[DayView, ...]:
    by_day: dict[date, list[SessionView]] = {}
    for section in sections:
        if section.session is None:
            continue
        shown = tuple(threads[thread_id] for thread_id in section.threads if thread_id in threads)
        if not shown:
            continue
        session = section.session
        by_day.setdefault(session.day, []).append(
            SessionView(session, session.id, session_time(session), shown, link_views(section.links, anchors))
        )
    return tuple(
        DayView(day, f"day-{day.isoformat()}", readable_day(day), tuple(sessions))
        for day, sessions in by_day.items()
    )


_PLATFORM_ROWS = {"bluesky": "Bluesky", "mastodon": "Mastodon", "blog": "Blogs"}
_MEASURES = (
    ("most_replies", "replies", "reply", "replies", "Most replies"),
    ("most_reposts", "reposts", "repost", "reposts", "Most reposts and boosts"),
    ("most_likes", "likes", "like", "likes", "Most likes"),
)


def figures_view(figures: Figures, threads: Mapping[str, ThreadView]) -> FiguresView:
    busiest = sorted(figures.per_hour, key=lambda h: (-h.posts, h.hour))[:FIGURES_SHOWN]
    top = []
    for field_name, measure, one, many, label in _MEASURES:
        items: tuple[ThreadFigures, ...] = getattr(figures, field_name)
        shown = tuple(
            TopThread(
                item.thread, threads[item.thread].excerpt, count_noun(getattr(item, measure), one, many)
            )
            for item in items
            if item.thread in threads
        )[:FIGURES_SHOWN]
        if shown:
            top.append(TopList(label, shown))
    return FiguresView(
        platforms=tuple(
            PlatformRow(_PLATFORM_ROWS[row.platform], row.posts, row.people, row.threads)
            for row in figures.platforms
        ),
        total=PlatformRow("All", figures.posts, figures.people, figures.threads),
        busiest=tuple(
            HourView(hour.hour, readable_time(hour.hour), hour.posts)
            for hour in sorted(busiest, key=lambda h: h.hour)
        ),
        top=tuple(top),
    )
