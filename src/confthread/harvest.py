"""What every platform's walk shares: the run's clock and window, and fetching each tagged thread once.

A platform module supplies how to gather one thread from the network, how to ask whether posts that
dropped out of a thread are gone, and how to save what it found.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from confthread.archive import Archive, Pending
from confthread.config import Window
from confthread.fanout import fan_out
from confthread.models import Platform
from confthread.report import SourceProgress

# Threads fetched at once from one source: latency overlaps, while the rate limit still holds.
THREAD_WORKERS = 4
# Replies keep arriving for a while after an event; until then a fetched thread may still grow.
THREADS_SETTLE = timedelta(days=1)

Raw = Mapping[str, Any]
Claim = Callable[[str], bool]
R = TypeVar("R", bound=Raw)


def by_uri(posts: Iterable[R]) -> dict[str, R]:
    """One of each post, keyed by uri: the same post arrives from several requests of one thread."""
    return {str(post["uri"]): post for post in posts}


@dataclass(frozen=True)
class Gathered:
    """What the network said of one tagged post's thread; `posts` is None when the post is gone."""

    tagged: Pending
    posts: Sequence[Raw] | None
    root: str
    gone: list[str] = field(default_factory=list)


class Harvest(ABC):
    """One source's walk into the archive; every save carries its cursor, so a killed run resumes."""

    platform: Platform

    def __init__(
        self,
        archive: Archive,
        window: Window,
        progress: SourceProgress,
        notify: Callable[[SourceProgress], None],
        now: Callable[[], datetime],
    ) -> None:
        self.archive = archive
        self.window = window
        self.progress = progress
        self.notify = notify
        self.now = now
        self.started = now()

    @property
    @abstractmethod
    def source(self) -> str:
        """The service or instance this walk reads, as sightings and contexts record it."""

    @abstractmethod
    def _gather(self, tagged: Pending, claim: Claim) -> Gathered:
        """The thread around `tagged`, from the network only (it runs in a worker thread).

        `claim(root)` is true for the one worker that should fetch all of that root's replies.
        """

    @abstractmethod
    def _vanished(self, root: str, seen: set[str]) -> list[str]:
        """Of the posts archived under `root` but not in `seen`, those the source says are gone."""

    @abstractmethod
    def _save(self, posts: Sequence[Raw], *, context_of: list[str]) -> None:
        """Store a thread's posts and remember that it was fetched."""

    def _cursor_key(self, query: str) -> str:
        since, until = self.window.since, self.window.until
        span = f"{since and since.isoformat()}|{until and until.isoformat()}"
        return f"{self.platform}|{self.source}|{query}|{span}"

    def _fresh_after(self) -> datetime:
        """A thread fetched after the event settled is final; one fetched earlier is fetched again."""
        until = self.window.until
        return self.started if until is None else min(self.started, until + THREADS_SETTLE)

    def _fetch_threads(self, tag: str) -> None:
        """THREAD_WORKERS at a time, roots first (their threads hold most tagged replies, which then
        need no request of their own); each thread is saved as soon as it is complete."""
        fresh_after = self._fresh_after()
        pending = self.archive.pending_contexts(
            self.source, tag, self.window.since, self.window.until, fresh_after
        )
        # Posts whose thread this source has shown since `fresh_after`, growing as threads are saved.
        covered = self.archive.fresh_contexts(self.platform, self.source, fresh_after)
        claimed: set[str] = set()
        lock = threading.Lock()

        def claim(root: str) -> bool:
            with lock:
                mine = root not in covered and root not in claimed
                claimed.add(root)
            return mine

        def store(found: Gathered) -> None:
            if found.posts is None:
                self.archive.mark_deleted(self.platform, [found.tagged.uri], self.now())
                return
            seen = {str(post["uri"]) for post in found.posts} | {found.tagged.uri}
            gone = found.gone + self._vanished(found.root, seen | set(found.gone))
            if gone:
                self.archive.mark_deleted(self.platform, gone, self.now())
            self.progress.threads += 1
            self._save(found.posts, context_of=[found.tagged.uri])
            with lock:
                covered.update(seen)

        gather: Callable[[Pending], Gathered] = lambda tagged: self._gather(tagged, claim)  # noqa: E731
        for wave in ([t for t in pending if not t.is_reply], [t for t in pending if t.is_reply]):
            fan_out(wave, gather, store, workers=THREAD_WORKERS, skip=lambda tagged: tagged.uri in covered)
