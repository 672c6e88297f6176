"""Three costs WeasyPrint 70 pays that a digest does not need, each removed without changing the PDF.

- Tagging asks `pydyf.PDF.page_references` for each structure element's page, a property that encodes a
  reference for every page on each call: 66,000 calls at 156 pages, a quarter of the writing. The
  references only change when a page is added, so they are kept until the page count changes.
- The user-agent stylesheet gives every element six pseudo-elements (`::marker`, `::footnote-call`,
  `::note-call`...), each with a computed style of its own: 85% of the styles of a digest, which has
  no footnotes and lists only in `li`. `PrintHTML` scopes those rules to where they can apply.
- Laying out and writing allocate millions of objects that live until the PDF is written; at the
  default threshold the collector walks that growing heap some twenty times, a quarter of the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pydyf
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle

_CACHE = "_confthread_page_references"
# The stock rules that apply to every element, and where a digest needs them.
_SCOPED = {
    "\n::marker {": "\nli::marker, summary::marker {",
    **{f"\n::{name} {{": f"\n:not(*)::{name} {{" for name in ("footnote-call", "footnote-marker")},
    **{f"\n::{name} {{": f"\n:not(*)::{name} {{" for name in ("note-call", "note-marker", "note-callback")},
}
# A document that may float footnotes, place notes or make other elements list items keeps the stock rules.
_NEEDS_STOCK = ("footnote", "note(", "::note", "list-item")
# Young objects between collections; the default is 700.
_THRESHOLD = 50_000


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


@cache
def _scoped_stylesheet() -> CSS | None:
    """WeasyPrint's own user-agent stylesheet with its every-element pseudo-element rules scoped; None
    when this WeasyPrint's stylesheet no longer reads as expected, so the stock one is used."""
    text = weasyprint_html.UA
    if not all(text.count(rule) == 1 for rule in _SCOPED):
        return None
    for rule, scoped in _SCOPED.items():
        text = text.replace(rule, scoped)
    # The stock sheet's counter styles are already known (`_ua_counter_style`): read them apart.
    return CSS(string=text, counter_style=CounterStyle())


class PrintHTML(HTML):  # type: ignore[misc]  # WeasyPrint has no type hints
    """An `HTML` whose user-agent stylesheet leaves out pseudo-elements the document cannot show.

    Overrides `HTML._ua_stylesheets`, the hook WeasyPrint's own tests use for their stylesheet; a
    document that mentions footnotes, notes or list items keeps the stock one.
    """

    def __init__(self, *, string: str, **options: Any) -> None:
        super().__init__(string=string, **options)
        self._stock = any(word in string for word in _NEEDS_STOCK)

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        scoped = None if self._stock or forms else _scoped_stylesheet()
        return super()._ua_stylesheets(forms) if scoped is None else [scoped]


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect young objects less often while a PDF is made, as before once it is done."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
