"""The digest in numbers: posts, people and threads per platform, posts per hour, most-answered threads. Pure.

Only what the digest shows is counted (a post and its copies once; nobody who was withheld). A thread's
replies, reposts and likes are the platforms' own counts, summed over its posts and their copies.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from confthread.models import (
    Figures,
    HourFigures,
    Platform,
    PlatformFigures,
    Post,
    Thread,
    ThreadFigures,
    ThreadKind,
)

TOP = 5
PLATFORMS: tuple[Platform, ...] = ("bluesky", "mastodon", "blog")
KINDS: tuple[ThreadKind, ...] = ("live", "conversation", "chat", "single", "blog")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR = timedelta(hours=1)
_REPLIES, _REPOSTS, _LIKES = range(3)
_CREATED_AT = attrgetter("created_at")
_KIND = attrgetter("kind")
_PLATFORM_AND_ACCOUNT = attrgetter("platform", "author.platform", "author.id")


def compute_figures(
    threads: Sequence[Thread],
    copies: Mapping[str, tuple[Post, ...]] | None = None,
    *,
    in_time_order: Sequence[Post] | None = None,
) -> Figures:
    """`in_time_order` holds the threads' posts in time order, when the caller has them (the digest
    does): read in the order they were loaded, they take far less time than thread by thread."""
    copies = copies or {}
    # At 100,000 posts, reading a post's parts is what takes the time: each pass below reads each once.
    totals = _totals(threads, copies)
    ordered = in_time_order
    if ordered is None:
        ordered = sorted((entry.post for thread in threads for entry in thread.entries), key=_CREATED_AT)
    # Posts per platform and author: who took part, and where.
    posts_by = Counter(map(_PLATFORM_AND_ACCOUNT, ordered))
    by_platform: Counter[str] = Counter()
    for (platform, _, _), count in posts_by.items():
        by_platform[platform] += count
    people = {(platform, account) for _, platform, account in posts_by}
    people_by_platform = Counter(platform for platform, _ in people)
    kinds = Counter(map(_KIND, threads))
    threads_by_platform = Counter(thread.entries[0].post.platform for thread in threads)
    return Figures(
        posts=len(ordered),
        people=len(people),
        threads=len(threads),
        platforms=tuple(
            PlatformFigures(
                platform=platform,
                posts=by_platform[platform],
                people=people_by_platform[platform],
                threads=threads_by_platform[platform],
            )
            for platform in PLATFORMS
            if by_platform[platform]
        ),
        kinds=tuple((kind, kinds[kind]) for kind in KINDS if kinds[kind]),
        per_hour=_per_hour(list(map(_CREATED_AT, ordered))),
        most_replies=_top(threads, totals, _REPLIES),
        most_reposts=_top(threads, totals, _REPOSTS),
        most_likes=_top(threads, totals, _LIKES),
    )


def _per_hour(times: Sequence[datetime]) -> tuple[HourFigures, ...]:
    """Posts per UTC hour, of times in order: each hour's are found by bisection, not one by one."""
    found: list[HourFigures] = []
    start = 0
    while start < len(times):
        # Whole hours since the epoch: the bucket of truncating the time, whatever its zone.
        hour = _EPOCH + (times[start] - _EPOCH) // _HOUR * _HOUR
        try:
            stop = bisect_left(times, hour + _HOUR, start)
        except OverflowError:  # the last hour there is
            stop = len(times)
        found.append(HourFigures(hour, stop - start))
        start = stop
    return tuple(found)


def _totals(threads: Sequence[Thread], copies: Mapping[str, tuple[Post, ...]]) -> list[tuple[int, int, int]]:
    """Replies, reposts and likes of each thread (`_REPLIES`, … index them), over its posts and their
    copies: plain numbers, since only the top threads become ThreadFigures. A count below zero (the
    platform did not say) counts nothing."""
    totals: list[tuple[int, int, int]] = []
    for thread in threads:
        replies = reposts = likes = 0
        for entry in thread.entries:
            post = entry.post
            for counted in (post, *copies[post.uri]) if copies and post.uri in copies else (post,):
                counts = counted.counts
                if counts.replies > 0:
                    replies += counts.replies
                if counts.reposts > 0:
                    reposts += counts.reposts
                if counts.likes > 0:
                    likes += counts.likes
        totals.append((replies, reposts, likes))
    return totals


def _top(
    threads: Sequence[Thread], totals: Sequence[tuple[int, int, int]], measure: int
) -> tuple[ThreadFigures, ...]:
    """The TOP threads by one measure, ties in reading order; a thread that drew nothing is no record."""
    ranked = heapq.nsmallest(
        TOP,
        (index for index, each in enumerate(totals) if each[measure] > 0),
        key=lambda i: (-totals[i][measure], i),
    )
    return tuple(ThreadFigures(threads[index].id, *totals[index]) for index in ranked)
