"""The page's outline beside the threads: the programme's days and sessions, resources and figures.

Pure, like view.py, which uses it: everything here is worked out from the Digest for the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from confthread.models import Figures, HourFigures, Section, Session, SharedLink, ThreadFigures
from confthread.render.filters import count_noun, readable_day, readable_time, safe_url, short_day

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


# The activity chart's drawing box, in SVG user units; the page scales it to the column's width.
CHART_WIDTH = 640
CHART_HEIGHT = 150
_PLOT_TOP = 26
_PLOT_BOTTOM = 120
# Beyond two weeks an hour is a hairline: the chart counts days instead.
_MAX_HOURLY_BARS = 14 * 24


@dataclass(frozen=True, slots=True)
class BarView:
    x: float
    y: float
    width: float
    height: float
    label: str
    posts: int


@dataclass(frozen=True, slots=True)
class TickView:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class ChartView:
    """Posts over time, drawn as bars; `summary` and `rows` say the same in words for every reader."""

    unit: str
    bars: tuple[BarView, ...]
    ticks: tuple[TickView, ...]
    peak: int
    summary: str
    rows: tuple[HourView, ...]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = _PLOT_BOTTOM
    top: int = _PLOT_TOP


def _bins(
    counts: Mapping[datetime, int], zone: tzinfo, window: tuple[datetime, datetime] | None
) -> tuple[str, list[tuple[datetime, int]]]:
    """Every hour (or day) from the first post to the last (or across `window`), quiet ones at zero."""
    first, last = window or (min(counts), max(counts))
    if (last - first) < timedelta(hours=_MAX_HOURLY_BARS):
        steps = int((last - first) / timedelta(hours=1)) + 1
        return "hour", [
            (first + timedelta(hours=n), counts.get(first + timedelta(hours=n), 0)) for n in range(steps)
        ]
    days: dict[date, int] = {}
    for moment, posts in counts.items():
        day = moment.astimezone(zone).date()
        days[day] = days.get(day, 0) + posts
    start, end = min(days), max(days)
    span = (end - start).days + 1
    return "day", [
        (datetime.combine(start + timedelta(days=n), time(), zone), days.get(start + timedelta(days=n), 0))
        for n in range(span)
    ]


def _ticks(
    bins: Sequence[tuple[datetime, int]], unit: str, zone: tzinfo, step: float
) -> tuple[TickView, ...]:
    local = [moment.astimezone(zone) for moment, _ in bins]
    several_days = local[0].date() != local[-1].date()
    ticks = []
    for index, moment in enumerate(local):
        if unit == "day" or several_days:
            wanted = unit == "day" or moment.hour == 0 or index == 0
            label = short_day(moment.date())
        else:
            wanted = moment.hour % 3 == 0 or index == 0
            label = f"{moment:%H:%M}"
        if wanted:
            ticks.append(TickView(round(index * step, 2), label))
    # Labels closer than this would print over each other: keep the first of any crowded pair.
    spaced: list[TickView] = []
    for tick in ticks:
        if not spaced or tick.x - spaced[-1].x >= 110:
            spaced.append(tick)
    return tuple(spaced)


def programme_window(days: Sequence[date], zone: tzinfo) -> tuple[datetime, datetime] | None:
    """The UTC hours of the programme's days, midnight to midnight at the venue."""
    if not days:
        return None
    start = datetime.combine(min(days), time(), zone).astimezone(UTC)
    end = datetime.combine(max(days) + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end - timedelta(hours=1)


def chart_view(per_hour: Sequence[HourFigures], zone: tzinfo, days: Sequence[date] = ()) -> ChartView | None:
    """The activity chart, laid out here so the template only draws it; None when nothing was posted.

    With a programme the chart covers its days (a teaser weeks before would squash the event into a
    sliver) and says in words how many posts fall outside them.
    """
    counts = {hour.hour.astimezone(UTC): hour.posts for hour in per_hour}
    window = programme_window(days, zone)
    outside = 0
    if window is not None:
        outside = sum(n for moment, n in counts.items() if not window[0] <= moment <= window[1])
        counts = {moment: n for moment, n in counts.items() if window[0] <= moment <= window[1]}
    if not counts:
        return None
    unit, bins = _bins(counts, zone, window)
    peak = max(posts for _, posts in bins) or 1
    step = CHART_WIDTH / len(bins)
    gap = step * 0.15 if step > 4 else 0.0
    scale = (_PLOT_BOTTOM - _PLOT_TOP) / peak
    bars = []
    for index, (moment, posts) in enumerate(bins):
        height = posts * scale
        label = (
            readable_time(moment, zone) if unit == "hour" else readable_day(moment.astimezone(zone).date())
        )
        bars.append(
            BarView(
                round(index * step + gap / 2, 2),
                round(_PLOT_BOTTOM - height, 2),
                round(step - gap, 2),
                round(height, 2),
                label,
                posts,
            )
        )
    busiest = max(bars, key=lambda bar: bar.posts)
    summary = (
        f"Posts per {unit} from {bars[0].label} to {bars[-1].label}: "
        f"the busiest {unit} was {busiest.label}, with {count_noun(busiest.posts, 'post', 'posts')}."
    )
    if outside:
        verb = "is" if outside == 1 else "are"
        summary += (
            f" {count_noun(outside, 'post', 'posts')} from outside the programme's days {verb} not drawn."
        )
    rows = tuple(
        HourView(moment, bar.label, bar.posts)
        for (moment, _), bar in zip(bins, bars, strict=True)
        if bar.posts
    )
    return ChartView(unit, tuple(bars), _ticks(bins, unit, zone, step), peak, summary, rows)
