"""One piece of the printed book laid out and written by WeasyPrint, in whichever process runs it.

Everything a piece needs travels with it (`Piece`), so a forked worker can lay it out; what joining
needs of the layout comes back with the PDF (`pdf_join.LaidOut`). Pictures are served by a private
address (`confthread-picture:N`) that only `PictureFetcher` answers; every other URL, `file:` and
`http:` included, is refused, so neither a post nor a user's template can make the renderer read the
disk or the network.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weasyprint import Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from confthread.imaging import Picture
from confthread.render.pdf_join import Bookmark, LaidOut
from confthread.render.pdf_speedups import PrintHTML, fewer_collections, keep_page_references
from confthread.render.pdf_view import PICTURE_SCHEME, PRINTABLE_TYPES

# Relative addresses resolve against this and so reach the fetcher, which refuses them: a base on disk
# (WeasyPrint's choice when none is given) would let `<img src="x">` read the working directory.
BASE_URL = f"{PICTURE_SCHEME}:/"
# PDF points per CSS pixel: WeasyPrint's own scale.
PT_PER_PX = 0.75


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

    @property
    def pictures(self) -> Mapping[str, Picture]:
        return self._pictures

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        self.asked.append(url)
        picture = self._pictures.get(url)
        if picture is None or picture.mime not in PRINTABLE_TYPES:
            raise RefusedURL(f"{url[:200]} is not a picture kept in the archive; nothing else is loaded")
        return URLFetcherResponse(url, body=picture.data, headers={"Content-Type": picture.mime})


@dataclass(frozen=True)
class Piece:
    """One piece of the book to lay out, with all it needs, so that another process can."""

    html: str
    pictures: Mapping[str, Picture]
    options: Mapping[str, Any]
    write: bool = True
    json_text: str | None = None
    created: datetime | None = None


def lay_out(piece: Piece) -> LaidOut:
    """A piece laid out by WeasyPrint, and written unless only its length is wanted.

    Links to anchors in other pieces are kept by naming those anchors on the first page; joining
    keeps only the destinations a piece really holds (`LaidOut.anchors`).
    """
    keep_page_references()
    fetcher = PictureFetcher(piece.pictures)
    with warnings.catch_warnings(), fewer_collections():
        # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it: not ours to report.
        warnings.filterwarnings("ignore", category=ResourceWarning, message=r".*sRGB2014\.icc")
        document = PrintHTML(string=piece.html, base_url=BASE_URL, url_fetcher=fetcher).render(
            **piece.options
        )
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, index)
        bookmarks = tuple(
            Bookmark(index, level, label, x * PT_PER_PX, (page.height - y) * PT_PER_PX, state == "closed")
            for index, page in enumerate(document.pages)
            for level, label, (x, y), state in page.bookmarks
        )
        pdf = b""
        if piece.write and document.pages:
            elsewhere = {
                target
                for page in document.pages
                for kind, target, _, _ in page.links
                if kind == "internal" and target not in anchors
            }
            document.pages[0].anchors.update(dict.fromkeys(sorted(elsewhere), (0, 0, 0, 0)))
            pdf = document.write_pdf(attachments=_attachments(piece, fetcher), **piece.options)
    return LaidOut(pdf, len(document.pages), anchors, bookmarks, tuple(fetcher.asked))


def _attachments(piece: Piece, fetcher: PictureFetcher) -> list[Attachment]:
    if piece.json_text is None:
        return []
    return [
        Attachment(
            string=piece.json_text.encode("utf-8"),
            base_url=BASE_URL,
            url_fetcher=fetcher,
            name="digest.json",
            description="The JSON digest: every thread and post shown in this PDF, as data",
            created=piece.created,
            modified=piece.created,
            relationship="Data",
        )
    ]
