"""What a collect did, source by source: the numbers progress shows and the summary repeats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    """What a progress display needs of anything that reports: a name and a one-line summary."""

    name: str

    def summary(self) -> str: ...


@dataclass
class SourceProgress:
    """Counters one source updates as it goes; `error` is set when the source gave up."""

    name: str
    pages: int = 0
    posts: int = 0
    threads: int = 0
    error: str | None = None

    def summary(self) -> str:
        counts = f"{self.posts} new posts from {self.pages} result pages" + (
            f" and {self.threads} threads" if self.threads else ""
        )
        return f"{self.name}: {counts}" + (f"; FAILED: {self.error}" if self.error else "")


@dataclass
class MediaProgress:
    """Pictures kept with the archive; a picture that could not be had is a note, never a failure."""

    name: str = "Pictures"
    kept: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        missing = f"; {self.failed} could not be fetched (their alt text stands in)" if self.failed else ""
        return f"{self.name}: {self.kept} kept with the archive{missing}"


@dataclass(frozen=True)
class CollectReport:
    sources: tuple[SourceProgress, ...]
    notices: tuple[str, ...] = ()
    media: MediaProgress | None = None

    @property
    def failed(self) -> tuple[SourceProgress, ...]:
        return tuple(source for source in self.sources if source.error)
