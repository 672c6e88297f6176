"""The library API: what the command line calls, and what a Python user can call too."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from confthread.archive import Archive
from confthread.collect import collect
from confthread.digest import build_digest
from confthread.models import Digest
from confthread.render.html import render_html
from confthread.render.json import render_json
from confthread.schedule import read_schedule

__all__ = ["FORMATS", "collect", "load_digest", "render_digest", "write_digest"]

Format = Literal["html", "json"]
FORMATS: tuple[Format, ...] = ("html", "json")


def load_digest(
    archive_path: Path,
    *,
    title: str | None = None,
    now: datetime | None = None,
    schedule: Path | None = None,
    exclude: Sequence[str] = (),
    timezone: str = "UTC",
) -> Digest:
    """Read the archive only, so a digest can be rebuilt offline at any time.

    `schedule` is the programme (iCalendar or CSV; `timezone` is for its times given without a zone);
    `exclude` names people to leave out of the digest, beside those who opted out themselves.
    """
    sessions = read_schedule(schedule, timezone=timezone) if schedule is not None else ()
    with Archive(archive_path, create=False) as archive:
        posts = archive.posts()
        hashtags = archive.hashtags()
    return build_digest(
        posts,
        title=title or " ".join(f"#{tag}" for tag in hashtags) or "confthread digest",
        hashtags=hashtags,
        now=now or datetime.now(UTC),
        sessions=sessions,
        exclude=exclude,
    )


def render_digest(digest: Digest, fmt: Format, *, templates: Path | None = None) -> str:
    renderers: dict[Format, Callable[[Digest], str]] = {
        "html": lambda d: render_html(d, templates=templates),
        "json": render_json,
    }
    return renderers[fmt](digest)


def write_digest(
    archive_path: Path,
    fmt: Format,
    out: Path,
    *,
    title: str | None = None,
    templates: Path | None = None,
    schedule: Path | None = None,
    exclude: Sequence[str] = (),
    timezone: str = "UTC",
) -> Path:
    """Render and write atomically: a failed render never leaves half a digest behind."""
    digest = load_digest(archive_path, title=title, schedule=schedule, exclude=exclude, timezone=timezone)
    text = render_digest(digest, fmt, templates=templates)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    return out
