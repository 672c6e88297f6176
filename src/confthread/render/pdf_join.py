"""The pieces of a printed digest, each laid out and written by WeasyPrint on its own, joined into one PDF.

The first part of the body is the base (see `Joiner`). The other pieces' pages go after it, the front's
before it, with their tags hung under the base's one Document element and their marked-content keys
moved past the ones before; their named destinations are kept where the anchor really is (a piece
names the anchors it links to but does not hold, so WeasyPrint keeps those links). Bookmarks are made
again from every piece's, so a day started in one part holds the threads of the next. Page numbers
come last, drawn over each page as an artifact from a document of numbered empty pages. Uses pikepdf
(qpdf) and no layout.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, PageLocation, String


@dataclass(frozen=True)
class Bookmark:
    """A bookmark as WeasyPrint placed it: its page in the piece, its level, and where (PDF points)."""

    page: int
    level: int
    label: str
    left: float
    top: float
    closed: bool


@dataclass(frozen=True)
class LaidOut:
    """One piece of the book as WeasyPrint wrote it, with what joining needs of its layout.

    `anchors` gives the page (in the piece, from 0) of each anchor the piece holds itself; `asked`
    lists the addresses its renderer asked for.
    """

    pdf: bytes
    pages: int
    anchors: dict[str, int]
    bookmarks: tuple[Bookmark, ...]
    asked: tuple[str, ...] = ()


def _pairs(array: pikepdf.Object) -> Iterator[tuple[Any, Any]]:
    items = list(array)
    return zip(items[::2], items[1::2], strict=True)


def _copy(book: pikepdf.Pdf, value: Any) -> Any:
    """A value of another PDF made the book's: objects by reference, plain arrays item by item."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return book.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return Array([_copy(book, item) for item in value])
    return value


def _dests(pdf: pikepdf.Pdf) -> Iterator[tuple[Any, Any]]:
    names = pdf.Root.get(Name.Names, Dictionary())
    return _pairs(names.get(Name.Dests, Dictionary()).get(Name.Names, Array()))


def _next_key(tree: pikepdf.Object) -> int:
    return max((int(key) for key, _ in _pairs(tree.ParentTree.Nums)), default=-1) + 1


def _add(book: pikepdf.Pdf, source: pikepdf.Pdf, at: int) -> None:
    """The source's pages put in the book at page `at`, their tags under the book's Document element in
    the same place, their marked-content keys after the book's."""
    tree, document = book.Root.StructTreeRoot, book.Root.StructTreeRoot.K[0]
    offset = _next_key(tree)
    for index, page in enumerate(source.pages):
        book.pages.insert(at + index, page)
    for page in book.pages[at : at + len(source.pages)]:
        page.obj.StructParents = int(page.obj.StructParents) + offset
        for annotation in page.obj.get(Name.Annots, Array()):
            if Name.StructParent in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset
    source_tree = source.Root.StructTreeRoot
    source_document = source_tree.K[0]
    for key, value in _pairs(source_tree.ParentTree.Nums):
        # Content marked straight under the piece's Document element belongs to the book's.
        held_by_document = isinstance(value, pikepdf.Object) and value.objgen == source_document.objgen
        tree.ParentTree.Nums.append(int(key) + offset)
        tree.ParentTree.Nums.append(document if held_by_document else _copy(book, value))
    kids = []
    for kid in source_document.K:
        copied = book.copy_foreign(kid)
        copied.P = document
        kids.append(copied)
    # Built at once: extending a pikepdf array item by item costs its length each time.
    document.K = Array([*kids, *document.K] if at == 0 else [*document.K, *kids])


def _outline(book: pikepdf.Pdf, bookmarks: Sequence[Bookmark]) -> None:
    """Bookmarks nested by level, as WeasyPrint nests them: under the last one of a lower level."""
    with book.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, list[OutlineItem]]] = [(0, outline.root)]
        for mark in bookmarks:
            item = OutlineItem(mark.label, mark.page, PageLocation.XYZ, left=mark.left, top=mark.top, zoom=0)
            item.is_closed = mark.closed
            while stack[-1][0] >= mark.level:
                stack.pop()
            stack[-1][1].append(item)
            stack.append((mark.level, item.children))


def _number(book: pikepdf.Pdf, numbers: pikepdf.Pdf) -> None:
    """Each page of `numbers` drawn over the book's page, marked as an artifact for screen readers."""
    if len(numbers.pages) != len(book.pages):
        raise ValueError(f"{len(numbers.pages)} numbered pages for a book of {len(book.pages)}")
    for index, (page, numbered) in enumerate(zip(book.pages, numbers.pages, strict=True), start=1):
        # Named, not pikepdf's random names: the same pieces make the same bytes.
        name = page.add_resource(numbered.as_form_xobject(), Name.XObject, Name(f"/PageNumber{index}"))
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"\nQ\n/Artifact BMC q " + name.unparse() + b" Do Q EMC\n")


class Joiner:
    """A book joined from pieces: the first is the base, whose PDF/A metadata, attached JSON, language
    and output intent stay as WeasyPrint wrote them; every piece holds the same, or less.

    Pieces are put after the book or before it (`add`), so that the body can be joined while the
    front, which needs the body's page numbers, is still being laid out. qpdf copies a stream's data
    only when the book is saved, so each piece stays open until then (`stack`).
    """

    def __init__(self, stack: ExitStack, first: LaidOut) -> None:
        self._stack = stack
        self.book = stack.enter_context(pikepdf.open(io.BytesIO(first.pdf)))
        self._dests = {str(name): dest for name, dest in _dests(self.book) if str(name) in first.anchors}
        self._bookmarks = list(first.bookmarks)

    def add(self, piece: LaidOut, *, before: bool = False) -> None:
        source = self._stack.enter_context(pikepdf.open(io.BytesIO(piece.pdf)))
        at = 0 if before else len(self.book.pages)
        _add(self.book, source, at)
        for name, dest in _dests(source):
            if str(name) in piece.anchors:
                self._dests.setdefault(str(name), _copy(self.book, dest))
        moved = [
            dataclasses.replace(mark, page=mark.page + len(source.pages)) if before else mark
            for mark in self._bookmarks
        ]
        added = [dataclasses.replace(mark, page=at + mark.page) for mark in piece.bookmarks]
        self._bookmarks = [*added, *moved] if before else [*moved, *added]

    def save(self, numbers: bytes) -> bytes:
        """The book with its destinations, bookmarks and these page numbers; the same pieces make the
        same bytes."""
        book = self.book
        names = Array([item for name in sorted(self._dests) for item in (String(name), self._dests[name])])
        if Name.Names not in book.Root:
            book.Root.Names = Dictionary()
        book.Root.Names.Dests = Dictionary(Names=names)
        book.Root.StructTreeRoot.ParentTreeNextKey = _next_key(book.Root.StructTreeRoot)
        _outline(book, self._bookmarks)
        _number(book, self._stack.enter_context(pikepdf.open(io.BytesIO(numbers))))
        out = io.BytesIO()
        book.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
        return out.getvalue()
