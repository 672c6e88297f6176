"""The printed book cut into parts that WeasyPrint can lay out apart, in parallel. Pure.

WeasyPrint lays a document out on one core and keeps every page until the PDF is written, so a big
digest took four times Chromium's time and 4 MiB a page. Cut between threads into parts of about
`PART_POSTS` posts, the book is laid out a few parts at a time, one per core, and each part's pages are
freed once it is written; pdf_join.py puts the parts back together. Each part starts on a new page,
and where is decided by the digest alone, so the same digest always makes the same book.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confthread.render.pdf_view import AROUND, PrintView
from confthread.render.view import ThreadView

# About 40 pages of posts: enough that a part's fixed costs (styles, fonts) stay small beside its layout.
PART_POSTS = 500
# The running header of pages without a programme, as the print template's heading names them.
FLAT_DAY = "Threads"


@dataclass(frozen=True)
class Part:
    """The threads (by id) one part of the body shows, and which headings and session endings fall in it.

    `sections` are the day and session anchors the part shows something of; `headings` those whose
    heading opens in it; `endings` the sessions whose resources close it. `carry` is the running
    header (day, session) a part that opens inside a day or session starts with.
    """

    threads: frozenset[str] = frozenset()
    sections: frozenset[str] = frozenset()
    headings: frozenset[str] = frozenset()
    endings: frozenset[str] = frozenset()
    carry: tuple[str, str] | None = None
    first: bool = False
    last: bool = False


@dataclass
class _Open:
    """A part being filled, and where the running header stands at each thread."""

    posts: int = 0
    threads: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)
    headings: set[str] = field(default_factory=set)
    endings: set[str] = field(default_factory=set)
    carry: tuple[str, str] | None = None


class _Cutter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.done: list[_Open] = []
        self.current = _Open()
        self.pending: list[str] = []
        self.running = ("", "")

    def heading(self, anchor: str, running: tuple[str, str]) -> None:
        """A heading stays with the thread after it, so it waits for that thread to find its part."""
        self.pending.append(anchor)
        self.running = running

    def thread(self, view: ThreadView, sections: tuple[str, ...]) -> None:
        if self.current.posts >= self.limit:
            self.done.append(self.current)
            self.current = _Open(carry=self.running)
        self.current.headings.update(self.pending)
        self.current.sections.update(self.pending)
        self.pending.clear()
        self.current.sections.update(sections)
        self.current.threads.add(view.thread.id)
        self.current.posts += len(view.entries)

    def ending(self, anchor: str) -> None:
        self.current.endings.add(anchor)
        self.current.sections.add(anchor)

    def parts(self) -> list[Part]:
        self.current.headings.update(self.pending)
        self.current.sections.update(self.pending)
        filled = [*self.done, self.current]
        return [
            Part(
                frozenset(part.threads),
                frozenset(part.sections),
                frozenset(part.headings),
                frozenset(part.endings),
                part.carry,
                first=index == 0,
                last=index == len(filled) - 1,
            )
            for index, part in enumerate(filled)
        ]


def cut(book: PrintView, limit: int = PART_POSTS) -> list[Part]:
    """The body's parts in reading order: a new one begins at the first thread past `limit` posts."""
    view = book.view
    cutter = _Cutter(limit)
    if not view.grouped:
        cutter.running = (FLAT_DAY, "")
        for thread in view.threads:
            cutter.thread(thread, ())
        return cutter.parts()
    for day in view.days:
        cutter.heading(day.anchor, (day.label, ""))
        for block in day.sessions:
            session = book.anchors[block.session.id]
            cutter.heading(session, (day.label, block.session.title))
            for thread in block.threads:
                cutter.thread(thread, (day.anchor, session))
            cutter.ending(session)
    if view.around:
        cutter.heading(AROUND, ("Around the event", ""))
        for thread in view.around:
            cutter.thread(thread, (AROUND,))
    return cutter.parts()
