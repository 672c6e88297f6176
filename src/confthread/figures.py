"""The digest in numbers: posts, people and threads per platform, posts per hour, most-answered threads. Pure.

Only what the digest shows is counted (a post and its copies once; nobody who was withheld). A thread's
replies, reposts and likes are the platforms' own counts, summed over its posts and their copies.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

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


def compute_figures(
    threads: Sequence[Thread], copies: Mapping[str, tuple[Post, ...]] | None = None
) -> Figures:
    copies = copies or {}
    posts = [entry.post for thread in threads for entry in thread.entries]
    people = {(post.author.platform, post.author.id) for post in posts}
    kinds = Counter(thread.kind for thread in threads)
    # Whole hours since the epoch: the buckets of truncating every post's time, at a fraction of the cost.
    hours = Counter((post.created_at - _EPOCH) // _HOUR for post in posts)
    by_platform = Counter(post.platform for post in posts)
    people_by_platform = Counter(platform for platform, _ in people)
    threads_by_platform = Counter(thread.root.platform for thread in threads)
    totals = [_totals(thread, copies) for thread in threads]
    return Figures(
        posts=len(posts),
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
        per_hour=tuple(HourFigures(_EPOCH + hour * _HOUR, count) for hour, count in sorted(hours.items())),
        most_replies=_top(threads, totals, _REPLIES),
        most_reposts=_top(threads, totals, _REPOSTS),
        most_likes=_top(threads, totals, _LIKES),
    )


def _totals(thread: Thread, copies: Mapping[str, tuple[Post, ...]]) -> tuple[int, int, int]:
    """Replies, reposts and likes of a thread (`_REPLIES`, … index them): plain numbers, since only the
    top threads become ThreadFigures."""
    every = [entry.post.counts for entry in thread.entries]
    for entry in thread.entries:
        if entry.post.uri in copies:
            every.extend(copy.counts for copy in copies[entry.post.uri])
    return (
        sum(counts.replies for counts in every if counts.replies > 0),
        sum(counts.reposts for counts in every if counts.reposts > 0),
        sum(counts.likes for counts in every if counts.likes > 0),
    )


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
