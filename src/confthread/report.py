"""What a collect did, source by source: the numbers progress shows and the summary repeats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SourceProgress:
    """Counters one source updates as it goes; `error` is set when the source gave up."""

    name: str
    pages: int = 0
    posts: int = 0
    threads: int = 0
    error: str | None = None

    def summary(self) -> str:
        counts = f"{self.posts} new posts from {self.pages} result pages and {self.threads} threads"
        return f"{self.name}: {counts}" + (f"; FAILED: {self.error}" if self.error else "")


@dataclass(frozen=True)
class CollectReport:
    sources: tuple[SourceProgress, ...]
    notices: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[SourceProgress, ...]:
        return tuple(source for source in self.sources if source.error)
