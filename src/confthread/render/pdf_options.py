"""The PDF digest's options, importable without WeasyPrint: paper sizes and PDF variants."""

from __future__ import annotations

from typing import Literal

Paper = Literal["a4", "letter"]
PAPERS: tuple[Paper, ...] = ("a4", "letter")
# The CSS page size of each paper.
PAGE_SIZES: dict[Paper, str] = {"a4": "A4", "letter": "letter"}
# PDF/A-3 is the archival variant that may carry the JSON digest inside; "none" is a plain PDF 1.7.
PDF_VARIANTS = ("pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/ua-1", "none")
DEFAULT_VARIANT = "pdf/a-3b"
