"""The library API: what the command line calls, and what a Python user can call too."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, overload
from zoneinfo import ZoneInfo

from confthread.archive import Archive
from confthread.collect import collect
from confthread.digest import build_digest
from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Digest, Post, Session
from confthread.render.html import Page, render_html, render_html_page
from confthread.render.json import render_json
from confthread.render.markdown import render_markdown, render_markdown_page
from confthread.render.pdf_options import DEFAULT_VARIANT, Paper
from confthread.render.view import picture_url
from confthread.schedule import read_schedule

__all__ = ["FORMATS", "collect", "digest_of", "load_digest", "read_posts", "render_digest", "write_digest"]

Format = Literal["html", "json", "markdown", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "json", "markdown", "pdf")


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
    posts, hashtags = read_posts(archive_path)
    return digest_of(posts, hashtags, title=title, now=now, sessions=sessions, exclude=exclude)


def read_posts(archive_path: Path) -> tuple[list[Post], list[str]]:
    """What a digest is built from: the archive's posts and the hashtags it was collected for."""
    with Archive(archive_path, create=False) as archive:
        return archive.posts(), archive.hashtags()


def digest_of(
    posts: list[Post],
    hashtags: list[str],
    *,
    title: str | None = None,
    now: datetime | None = None,
    sessions: Sequence[Session] = (),
    exclude: Sequence[str] = (),
) -> Digest:
    """The digest of posts just read (`read_posts`), built as `load_digest` builds it.

    Building it makes an object or two for each post and drops none in cycles, while the posts live on
    until it is done: the garbage collector, whose full collections would walk every one of them again
    (a quarter of a second each at 100,000 posts), leaves them alone meanwhile (`_collector_spared`).
    """
    with _collector_spared():
        return build_digest(
            posts,
            title=title or " ".join(f"#{tag}" for tag in hashtags) or "confthread digest",
            hashtags=hashtags,
            now=now or datetime.now(UTC),
            sessions=sessions,
            exclude=exclude,
        )


# How many young collections may pass without a full one while the digest is built: more than it makes.
_NO_FULL_COLLECTION = 1_000_000


@contextmanager
def _collector_spared() -> Iterator[None]:
    """For the block, the objects there are now are left out of the collector's walks (`gc.freeze`) and
    it makes no full collection; the young objects are still collected. Both are undone afterwards. Not
    when the caller froze objects already (undoing that is theirs) or turned the collector off."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    young, middle, full = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, middle, _NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
        gc.unfreeze()


@overload
def render_digest(
    digest: Digest,
    fmt: Literal["pdf"],
    *,
    templates: Path | None = None,
    pictures: dict[str, Picture] | None = None,
    paper: Paper = "a4",
    pdf_variant: str = DEFAULT_VARIANT,
    zone: ZoneInfo | None = None,
) -> bytes: ...
@overload
def render_digest(
    digest: Digest,
    fmt: Literal["html", "json", "markdown"],
    *,
    templates: Path | None = None,
    pictures: dict[str, Picture] | None = None,
    paper: Paper = "a4",
    pdf_variant: str = DEFAULT_VARIANT,
    zone: ZoneInfo | None = None,
) -> str: ...
@overload
def render_digest(
    digest: Digest,
    fmt: Format,
    *,
    templates: Path | None = None,
    pictures: dict[str, Picture] | None = None,
    paper: Paper = "a4",
    pdf_variant: str = DEFAULT_VARIANT,
    zone: ZoneInfo | None = None,
) -> str | bytes: ...
def render_digest(
    digest: Digest,
    fmt: Format,
    *,
    templates: Path | None = None,
    pictures: dict[str, Picture] | None = None,
    paper: Paper = "a4",
    pdf_variant: str = DEFAULT_VARIANT,
    zone: ZoneInfo | None = None,
) -> str | bytes:
    """The digest as text, or as PDF bytes; `pictures` (by original URL) and the PDF options are for "pdf"."""
    if fmt == "pdf":
        return _render_pdf(digest, pictures, templates=templates, paper=paper, variant=pdf_variant, zone=zone)
    renderers: dict[Format, Callable[[Digest], str]] = {
        "html": lambda d: render_html(d, templates=templates),
        "json": render_json,
        "markdown": lambda d: render_markdown(d, templates=templates),
    }
    return renderers[fmt](digest)


def write_digest(
    archive_path: Path,
    fmt: Format,
    out: Path | str,
    *,
    title: str | None = None,
    templates: Path | None = None,
    schedule: Path | None = None,
    exclude: Sequence[str] = (),
    timezone: str = "UTC",
    paper: Paper = "a4",
    pdf_variant: str = DEFAULT_VARIANT,
) -> Path:
    """Render and write atomically: a failed render never leaves half a digest behind.

    For html and markdown, `out` ending in "/" (or an existing folder) gets index.html or index.md
    with its pictures in assets/ beside it; otherwise a single file with the pictures inside (html).
    """
    digest = load_digest(archive_path, title=title, schedule=schedule, exclude=exclude, timezone=timezone)
    if fmt in PAGE_NAMES:
        return _write_page(archive_path, digest, fmt, out, templates=templates, zone=ZoneInfo(timezone))
    out = Path(out)
    if fmt == "pdf":
        pictures = digest_pictures(archive_path, digest)
        document = render_digest(
            digest,
            "pdf",
            templates=templates,
            pictures=pictures,
            paper=paper,
            pdf_variant=pdf_variant,
            zone=ZoneInfo(timezone),
        )
        _write_atomically(out, document)
        return out
    text = render_digest(digest, fmt, templates=templates)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    return out


# The page of a digest written as a folder, beside its assets/.
PAGE_NAMES: dict[Format, str] = {"html": "index.html", "markdown": "index.md"}


def digest_pictures(archive_path: Path, digest: Digest) -> dict[str, Picture]:
    """The pictures kept at collect time for everything the digest shows: avatars, images, stills."""
    wanted: set[str] = set()
    for thread in digest.threads:
        for post in thread.posts:
            if post.author.avatar:
                wanted.add(post.author.avatar)
            wanted.update(picture_url(media) for media in post.media)
    with Archive(archive_path, create=False) as archive:
        found = {url: archive.file(url) for url in sorted(wanted)}
    return {url: picture for url, picture in found.items() if picture is not None}


def _write_page(
    archive_path: Path,
    digest: Digest,
    fmt: Format,
    out: Path | str,
    *,
    templates: Path | None,
    zone: ZoneInfo,
) -> Path:
    as_files = str(out).endswith(("/", os.sep)) or Path(out).is_dir()
    render = render_html_page if fmt == "html" else render_markdown_page
    page: Page = render(
        digest,
        pictures=digest_pictures(archive_path, digest),
        as_files=as_files,
        templates=templates,
        zone=zone,
    )
    target = Path(out) / PAGE_NAMES[fmt] if as_files else Path(out)
    for name, data in page.files.items():
        _write_atomically(target.parent / name, data)
    _write_atomically(target, page.text.encode("utf-8"))
    return target


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _render_pdf(
    digest: Digest,
    pictures: dict[str, Picture] | None,
    *,
    templates: Path | None,
    paper: Paper,
    variant: str,
    zone: ZoneInfo | None,
) -> bytes:
    try:
        # WeasyPrint loads Pango when imported: only a PDF needs it.
        from confthread.render.pdf import render_pdf  # noqa: PLC0415
    except OSError as error:
        raise UsageError(
            f"the PDF renderer could not load its system libraries ({error}); "
            "install Pango (scripts/setup.sh does) or choose another --format"
        ) from error
    return render_pdf(digest, pictures, paper=paper, variant=variant, templates=templates, zone=zone)
