"""A fix for a cost that grows with pages squared when WeasyPrint writes a tagged PDF.

WeasyPrint 70 tags each structure element with its page through `pydyf.PDF.page_references`, a
property that encodes a reference for every page of the document on each call. A 156-page digest
makes 66,000 such calls: 10 million encodings, a quarter of the time spent writing the PDF. The
references only change when a page is added, so they are kept until the page count changes; the
values are the same bytes pydyf gives.
"""

from __future__ import annotations

import pydyf

_CACHE = "_confthread_page_references"


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]
    cached: tuple[int, tuple[bytes, ...]] | None = pdf.__dict__.get(_CACHE)
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__[_CACHE] = cached
    return cached[1]


def keep_page_references() -> None:
    """Replace the property once; harmless to call again."""
    if pydyf.PDF.page_references.fget is not _page_references:
        pydyf.PDF.page_references = property(_page_references)
