"""The library API: what the command line calls, and what a Python user can call too."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from confthread.archive import Archive
from confthread.collect import collect
from confthread.digest import build_digest
from confthread.models import Digest
from confthread.render.html import render_html
from confthread.render.json import render_json

__all__ = ["FORMATS", "collect", "load_digest", "render_digest", "write_digest"]

Format = Literal["html", "json"]
FORMATS: tuple[Format, ...] = ("html", "json")


def load_digest(archive_path: Path, *, title: str | None = None, now: datetime | None = None) -> Digest:
    """Read the archive only, so a digest can be rebuilt offline at any time."""
    with Archive(archive_path, create=False) as archive:
        posts = archive.posts()
        hashtags = archive.hashtags()
    return build_digest(
        posts,
        title=title or " ".join(f"#{tag}" for tag in hashtags) or "confthread digest",
        hashtags=hashtags,
        now=now or datetime.now(UTC),
    )


def render_digest(digest: Digest, fmt: Format, *, templates: Path | None = None) -> str:
    renderers: dict[Format, Callable[[Digest], str]] = {
        "html": lambda d: render_html(d, templates=templates),
        "json": render_json,
    }
    return renderers[fmt](digest)


def write_digest(
    archive_path: Path, fmt: Format, out: Path, *, title: str | None = None, templates: Path | None = None
) -> Path:
    """Render and write atomically: a failed render never leaves half a digest behind."""
    text = render_digest(load_digest(archive_path, title=title), fmt, templates=templates)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    return out
