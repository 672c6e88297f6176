"""The digest in numbers: posts, people and threads per platform, posts per hour, most-answered threads. Pure.

Only what the digest shows is counted (a post and its copies once; nobody who was withheld). A thread's
replies, reposts and likes are the platforms' own counts, summed over its posts and their copies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC

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


def compute_figures(
    threads: Sequence[Thread], copies: Mapping[str, tuple[Post, ...]] | None = None
) -> Figures:
    copies = copies or {}
    posts = [post for thread in threads for post in thread.posts]
    people = {(post.author.platform, post.author.id) for post in posts}
    kinds = Counter(thread.kind for thread in threads)
    hours = Counter(
        post.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) for post in posts
    )
    engagement = [_engagement(thread, copies) for thread in threads]
    return Figures(
        posts=len(posts),
        people=len(people),
        threads=len(threads),
        platforms=tuple(
            PlatformFigures(
                platform=platform,
                posts=sum(post.platform == platform for post in posts),
                people=sum(person[0] == platform for person in people),
                threads=sum(thread.root.platform == platform for thread in threads),
            )
            for platform in PLATFORMS
            if any(post.platform == platform for post in posts)
        ),
        kinds=tuple((kind, kinds[kind]) for kind in KINDS if kinds[kind]),
        per_hour=tuple(HourFigures(hour, count) for hour, count in sorted(hours.items())),
        most_replies=_top(engagement, lambda e: e.replies),
        most_reposts=_top(engagement, lambda e: e.reposts),
        most_likes=_top(engagement, lambda e: e.likes),
    )


def _engagement(thread: Thread, copies: Mapping[str, tuple[Post, ...]]) -> ThreadFigures:
    every = [each for post in thread.posts for each in (post, *copies.get(post.uri, ()))]
    return ThreadFigures(
        thread=thread.id,
        replies=sum(max(0, post.counts.replies) for post in every),
        reposts=sum(max(0, post.counts.reposts) for post in every),
        likes=sum(max(0, post.counts.likes) for post in every),
    )


def _top(
    engagement: Iterable[ThreadFigures], measure: Callable[[ThreadFigures], int]
) -> tuple[ThreadFigures, ...]:
    """The TOP threads by one measure, ties in reading order; a thread that drew nothing is no record."""
    ranked = sorted(
        ((measure(item), index, item) for index, item in enumerate(engagement) if measure(item) > 0),
        key=lambda triple: (-triple[0], triple[1]),
    )
    return tuple(item for _, _, item in ranked[:TOP])
