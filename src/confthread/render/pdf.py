"""The PDF digest: print templates laid out by WeasyPrint, loading nothing but the pictures it is given.

Pure: the digest and the pictures' bytes in, the PDF's bytes out. The print HTML names each picture by
a private address (`confthread-picture:N`) that only `PictureFetcher` answers; every other URL, `file:`
and `http:` included, is refused, so neither a post nor a user's template can make the renderer read
the disk or the network. The JSON digest travels inside the PDF as its source data (PDF/A-3).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from weasyprint import Attachment
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Digest
from confthread.render.html import make_environment, render_template
from confthread.render.json import iso_utc, render_json
from confthread.render.pdf_options import DEFAULT_VARIANT, PAGE_SIZES, PAPERS, PDF_VARIANTS, Paper
from confthread.render.pdf_speedups import PrintHTML, fewer_collections, keep_page_references
from confthread.render.pdf_view import (
    AROUND,
    PICTURE_SCHEME,
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
# Relative addresses resolve against this and so reach the fetcher, which refuses them: a base on disk
# (WeasyPrint's choice when none is given) would let `<img src="x">` read the working directory.
BASE_URL = f"{PICTURE_SCHEME}:/"
FIGURE_SPACE = "\u2007"
# Contents whose numbers did not fit are laid out once more, wider; a third try would not help.
LAYOUT_TRIES = 2


class RefusedURL(ValueError):
    """An address the PDF renderer will not load: only the archive's pictures are served."""


class PictureFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
    """Serves the pictures it was given under their private addresses and refuses everything else.

    `asked` lists every address WeasyPrint asked for, in order, so a caller can check what was tried.
    """

    def __init__(self, pictures: Mapping[str, Picture]) -> None:
        super().__init__(allowed_protocols=(PICTURE_SCHEME,), allow_redirects=False, fail_on_errors=False)
        self._pictures = dict(pictures)
        self.asked: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        self.asked.append(url)
        picture = self._pictures.get(url)
        if picture is None or picture.mime not in PRINTABLE_TYPES:
            raise RefusedURL(f"{url[:200]} is not a picture kept in the archive; nothing else is loaded")
        return URLFetcherResponse(url, body=picture.data, headers={"Content-Type": picture.mime})


@dataclass(frozen=True)
class PageNumbers:
    """The contents' page numbers by anchor, each padded with figure spaces to `width` characters.

    Print CSS sets them in tabular figures, as wide as a figure space, so a contents line takes the
    same room before its number is known (no `pages`: all spaces) as after, and the contents fill
    the same pages. `total` replaces `counter(pages)` on pages laid out apart from the rest.
    """

    width: int
    pages: Mapping[str, int] = field(default_factory=dict)
    total: int | None = None

    def label(self, anchor: str) -> str:
        page = self.pages.get(anchor)
        return ("" if page is None else str(page)).rjust(self.width, FIGURE_SPACE)

    def fit(self) -> bool:
        return all(len(str(page)) <= self.width for page in self.pages.values())


@dataclass(frozen=True)
class PrintDocument:
    """The print HTML (contents without page numbers yet) and the pictures it may load, by private address."""

    html: str
    pictures: Mapping[str, Picture]
    view: PrintView
    numbers: PageNumbers
    render: Callable[[PageNumbers, bool], str]
    """The print HTML again with these page numbers; the cover and the contents alone when told so."""


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
) -> PrintDocument:
    """The digest as print HTML; `pictures` by their archive URL (a missing one shows its alt text).

    Times are in the programme's zone, else `zone`, else UTC (as on the HTML page).
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

    def render(numbers: PageNumbers, front_only: bool) -> str:
        context = {
            "book": printed,
            "page_size": PAGE_SIZES[paper],
            "iso_utc": iso_utc,
            "numbers": numbers,
            "front_only": front_only,
            "around_anchor": AROUND,
        }
        return render_template(env, PRINT_TEMPLATE, context, templates, kind="print")

    # Pages are fewer than posts plus threads: the numbers' width is a bound a real digest never passes.
    numbers = PageNumbers(width=len(str(view.counts.posts + view.counts.threads + 10)))
    return PrintDocument(
        render(numbers, False), {addresses[url]: kept[url] for url in addresses}, printed, numbers, render
    )


def _variant(variant: str) -> str | None:
    if variant not in PDF_VARIANTS:
        raise UsageError(f"unknown PDF variant {variant!r}; choose one of {', '.join(PDF_VARIANTS)}")
    return None if variant == "none" else variant


def write_pdf(
    document: PrintDocument,
    *,
    variant: str = DEFAULT_VARIANT,
    json_text: str | None = None,
    created: datetime | None = None,
    fetcher: PictureFetcher | None = None,
) -> bytes:
    """Lay out the print HTML; `json_text` is attached as `digest.json` (the data the PDF shows).

    A tagged PDF (structure for screen readers) is asked for with every variant: WeasyPrint writes
    the tags alongside PDF/A, and PDF/UA requires them.
    """
    pdf_variant = _variant(variant)
    fetcher = fetcher if fetcher is not None else PictureFetcher(document.pictures)
    attachments = []
    if json_text is not None:
        attachments.append(
            Attachment(
                string=json_text.encode("utf-8"),
                base_url=BASE_URL,
                url_fetcher=fetcher,
                name="digest.json",
                description="The JSON digest: every thread and post shown in this PDF, as data",
                created=created,
                modified=created,
                relationship="Data",
            )
        )
    options = {"pdf_variant": pdf_variant, "pdf_tags": True}
    keep_page_references()
    with warnings.catch_warnings(), fewer_collections():
        # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it: not ours to report.
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        laid_out = _lay_out(document, fetcher, options)
        pdf: bytes = laid_out.write_pdf(attachments=attachments, **options)
    return pdf


def _lay_out(document: PrintDocument, fetcher: PictureFetcher, options: Mapping[str, Any]) -> Document:
    """The book with its contents' page numbers, laid out once: the whole book with blank numbers,
    then only the cover and contents with the numbers the threads landed on, put in front of the rest.

    WeasyPrint's `target-counter()` gave the same numbers by laying pages out again, which cost a
    third of the layout time. Blank and real numbers take the same room (see `PageNumbers`); should the
    front still come out a different length, the whole book is laid out again with wider numbers.
    """

    def lay_out(html: str) -> Document:
        return PrintHTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(**options)

    numbers, html = document.numbers, document.html
    for _ in range(LAYOUT_TRIES):
        book = lay_out(html)
        pages = _anchor_pages(book)
        listed = {anchor: page for anchor, page in pages.items() if anchor in document.view.contents}
        if not listed:
            return book
        found = PageNumbers(numbers.width, listed, total=len(book.pages))
        before = min(listed.values()) - 1
        if found.fit():
            front = lay_out(document.render(found, True))
            if len(front.pages) == before:
                return book.copy([*front.pages, *book.pages[before:]])
        numbers = PageNumbers(max(numbers.width, len(str(len(book.pages)))) + 1)
        html = document.render(numbers, False)
    raise UsageError(
        "the print template's cover and contents take a different number of pages alone than in the "
        "whole book; a custom print/digest.html.j2 must show only them when front_only is set"
    )


def _anchor_pages(document: Document) -> dict[str, int]:
    """The page (from 1) each anchor starts on: a thread that runs on is listed on each of its pages."""
    pages: dict[str, int] = {}
    for index, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, index)
    return pages


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
