"""The PDF digest: print templates laid out by WeasyPrint, loading nothing but the pictures it is given.

Pure: the digest and the pictures' bytes in, the PDF's bytes out. The print HTML names each picture by
a private address that only the renderer's own fetcher answers (pdf_pieces.py). The book is laid out
in pieces, several at once, and joined (pdf_parts.py, pdf_join.py). The JSON digest travels inside the
PDF as its source data (PDF/A-3).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Digest
from confthread.render.html import make_environment, render_template
from confthread.render.json import iso_utc, render_json
from confthread.render.pdf_join import Joiner, LaidOut
from confthread.render.pdf_options import DEFAULT_VARIANT, PAGE_SIZES, PAPERS, PDF_VARIANTS, Paper
from confthread.render.pdf_parts import FLAT_DAY, PART_POSTS, Part, cut
from confthread.render.pdf_pieces import PictureFetcher, Piece, lay_out
from confthread.render.pdf_view import (
    AROUND,
    AROUND_TITLE,
    PRINTABLE_TYPES,
    PrintView,
    build_print_view,
    picture_address,
    picture_urls,
)
from confthread.render.view import build_view

__all__ = [
    "DEFAULT_VARIANT",
    "PAPERS",
    "PDF_VARIANTS",
    "Paper",
    "PictureFetcher",
    "PrintDocument",
    "print_html",
    "render_pdf",
    "wanted_pictures",
    "write_pdf",
]

PRINT_TEMPLATE = "print/digest.html.j2"
NUMBERS_TEMPLATE = "print/page-numbers.html.j2"
FIGURE_SPACE = "\u2007"
# A front that came out another length is laid out once more with that length's numbers.
LAYOUT_TRIES = 2
# Variants that WeasyPrint always tags.
TAGGED = frozenset({"pdf/ua-1"})


@dataclass(frozen=True)
class PageNumbers:
    """The contents' page numbers by anchor, each padded with figure spaces to `width` characters.

    Print CSS sets them in tabular figures, as wide as a figure space, so a contents line takes the
    same room before its number is known (no `pages`: all spaces) as after, and the contents fill
    the same pages.
    """

    width: int
    pages: Mapping[str, int] = field(default_factory=dict)

    def label(self, anchor: str) -> str:
        page = self.pages.get(anchor)
        return ("" if page is None else str(page)).rjust(self.width, FIGURE_SPACE)


@dataclass(frozen=True)
class PrintDocument:
    """The print HTML of each piece of the book and the pictures they may load, by private address.

    `parts` holds the body's parts (see pdf_parts.py) with the pictures each shows; `front` gives the
    cover and contents with these page numbers, and `numbered` the page numbers of a book that long.
    """

    pictures: Mapping[str, Picture]
    view: PrintView
    numbers: PageNumbers
    parts: tuple[tuple[str, frozenset[str]], ...]
    front: Callable[[PageNumbers], str]
    numbered: Callable[[int], str]


def wanted_pictures(digest: Digest) -> list[str]:
    """The archive URLs of every picture `render_pdf` could show for this digest."""
    return picture_urls(entry.post for thread in build_view(digest).threads for entry in thread.entries)


def print_html(
    digest: Digest,
    pictures: Mapping[str, Picture] | None = None,
    *,
    paper: Paper = "a4",
    templates: Path | None = None,
    zone: tzinfo | None = None,
    part_posts: int = PART_POSTS,
) -> PrintDocument:
    """The digest as print HTML; `pictures` by their archive URL (a missing one shows its alt text).

    Times are in the programme's zone, else `zone`, else UTC (as on the HTML page). `part_posts` is
    about how many posts each part of the body holds.
    """
    view = build_view(digest, zone=zone)
    kept = {
        url: picture
        for url, picture in (pictures or {}).items()
        if picture.mime in PRINTABLE_TYPES and picture.width > 0 and picture.height > 0
    }
    wanted = picture_urls(entry.post for thread in view.threads for entry in thread.entries)
    addresses = {url: picture_address(index) for index, url in enumerate(u for u in wanted if u in kept)}
    printed = build_print_view(view, addresses)
    env = make_environment(templates)
    base = {
        "book": printed,
        "page_size": PAGE_SIZES[paper],
        "iso_utc": iso_utc,
        "around_anchor": AROUND,
        "around_title": AROUND_TITLE,
        "flat_title": FLAT_DAY,
    }

    def render(numbers: PageNumbers, front: bool, part: Part | None) -> str:
        context = {**base, "numbers": numbers, "front": front, "part": part}
        return render_template(env, PRINT_TEMPLATE, context, templates, kind="print")

    def numbered(pages: int) -> str:
        context = {"title": digest.title, "page_size": PAGE_SIZES[paper], "pages": pages}
        return render_template(env, NUMBERS_TEMPLATE, context, templates, kind="print")

    # Pages are fewer than posts plus threads: the numbers' width is a bound a real digest never passes.
    numbers = PageNumbers(width=len(str(view.counts.posts + view.counts.threads + 10)))
    threads = {thread.thread.id: thread for thread in view.threads}
    parts = tuple(
        (
            render(numbers, False, part),
            frozenset(
                media.src
                for thread in part.threads
                for entry in threads[thread].entries
                for media in printed.posts[entry.anchor].media
                if media.src
            ),
        )
        for part in cut(printed, part_posts)
    )
    return PrintDocument(
        {addresses[url]: kept[url] for url in addresses},
        printed,
        numbers,
        parts,
        lambda numbers: render(numbers, True, None),
        numbered,
    )


def _variant(variant: str) -> str | None:
    if variant not in PDF_VARIANTS:
        raise UsageError(f"unknown PDF variant {variant!r}; choose one of {', '.join(PDF_VARIANTS)}")
    return None if variant == "none" else variant


def _workers(pieces: int) -> int:
    """Processes to lay pieces out in: one per core this process may use, or 1 where there is no `fork`
    (forking is how a worker gets its piece without a `__main__` guard in the caller's script)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(pieces, cores))


def write_pdf(
    document: PrintDocument,
    *,
    variant: str = DEFAULT_VARIANT,
    json_text: str | None = None,
    created: datetime | None = None,
    fetcher: PictureFetcher | None = None,
) -> bytes:
    """Lay out the print HTML; `json_text` is attached as `digest.json` (the data the PDF shows).

    The body's parts (pdf_parts.py) are laid out at once, one process per core, beside the front with
    blank page numbers to learn its length. Then the front is laid out with the pages the threads
    landed on, and the page numbers made, while the body is joined (pdf_join.py); the front goes
    before it last. A tagged PDF (structure for screen readers) is asked for with every variant:
    WeasyPrint writes the tags alongside PDF/A, and PDF/UA requires them.
    """
    pdf_variant = _variant(variant)
    options = {"pdf_variant": pdf_variant, "pdf_tags": True}
    fetcher = fetcher if fetcher is not None else PictureFetcher(document.pictures)
    served = fetcher.pictures
    pieces = [Piece(document.front(document.numbers), {}, options, write=False)]
    for index, (html, wanted) in enumerate(document.parts):
        pictures = {address: served[address] for address in wanted if address in served}
        # The first part is the joined book's base: the JSON travels in it.
        attached = (json_text, created) if index == 0 else (None, None)
        pieces.append(Piece(html, pictures, options, True, *attached))
    with ExitStack() as stack:
        pool = None
        # Forking is only safe while no other thread holds a lock: a caller running threads gets the
        # parts one by one, here.
        if len(document.parts) > 1 and _workers(len(pieces)) > 1 and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
            # A fresh process for each piece: a worker's memory is given back once its piece is written.
            pool = stack.enter_context(context.Pool(_workers(len(pieces)), maxtasksperchild=1))

        def later(piece: Piece) -> Callable[[], LaidOut]:
            """The piece laid out by a worker while this process goes on, or here when asked for."""
            return pool.apply_async(lay_out, (piece,)).get if pool else functools.partial(lay_out, piece)

        blank, *parts = pool.map(lay_out, pieces, chunksize=1) if pool else map(lay_out, pieces)
        for piece in (blank, *parts):
            fetcher.asked.extend(piece.asked)
        body = sum(part.pages for part in parts)
        numbers = _contents_numbers(document, blank.pages, parts)
        front, numbered = (
            later(Piece(document.front(numbers), {}, options)),
            later(_numbers(document, blank.pages + body, pdf_variant)),
        )
        # The body is joined while the front is laid out with the pages the threads landed on.
        book = Joiner(stack, parts[0])
        for part in parts[1:]:
            book.add(part)
        laid_out, pages, tries = front(), blank.pages, 1
        while laid_out.pages != pages:
            # Blank and real numbers take the same room (see `PageNumbers`); a custom template may not.
            if tries == LAYOUT_TRIES:
                raise UsageError(
                    "the print template's cover and contents change length with their page numbers; a custom "
                    "print/digest.html.j2 must give each number the same room, as the packaged one does"
                )
            pages, tries = laid_out.pages, tries + 1
            numbered = later(_numbers(document, pages + body, pdf_variant))
            laid_out = lay_out(Piece(document.front(_contents_numbers(document, pages, parts)), {}, options))
        fetcher.asked.extend(laid_out.asked)
        book.add(laid_out, before=True)
        return book.save(numbered().pdf)


def _numbers(document: PrintDocument, pages: int, variant: str | None) -> Piece:
    """The numbered pages, untagged: they are drawn over the book as artifacts. In the book's variant
    unless that one must be tagged (PDF/UA), when they are plain."""
    return Piece(document.numbered(pages), {}, {"pdf_variant": None if variant in TAGGED else variant})


def _contents_numbers(document: PrintDocument, front: int, parts: Sequence[LaidOut]) -> PageNumbers:
    """The page each contents entry starts on, after a front `front` pages long, as wide as the last."""
    found: dict[str, int] = {}
    start = front
    for part in parts:
        for anchor, page in part.anchors.items():
            if anchor in document.view.contents:
                found.setdefault(anchor, start + page + 1)
        start += part.pages
    return PageNumbers(max(document.numbers.width, len(str(start))), found)


def render_pdf(
    digest: Digest,
    pictures: Mapping[str, Picture] | None = None,
    *,
    paper: Paper = "a4",
    variant: str = DEFAULT_VARIANT,
    templates: Path | None = None,
    zone: tzinfo | None = None,
) -> bytes:
    """The PDF digest, with the JSON digest attached; `pictures` by archive URL, as `Archive.file` gives."""
    _variant(variant)  # a bad variant fails before the long layout, not after
    document = print_html(digest, pictures, paper=paper, templates=templates, zone=zone)
    return write_pdf(
        document,
        variant=variant,
        json_text=render_json(digest),
        # WeasyPrint writes the attachment's dates as UTC without converting them.
        created=digest.generated_at.astimezone(UTC),
    )
