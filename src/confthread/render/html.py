"""The HTML digest: one self-contained page rendered from Jinja2 templates a user may override."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError

from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Digest
from confthread.render import filters
from confthread.render.pictures import place_pictures
from confthread.render.view import DigestView, build_view
from confthread.resources import templates_dir

DIGEST_TEMPLATE = "digest.html.j2"

_FILTERS: dict[str, Any] = {
    "iso_time": filters.iso_time,
    "readable_time": filters.readable_time,
    "readable_date": filters.readable_date,
    "clock_time": filters.clock_time,
    "safe_url": filters.safe_url,
    "lang_attr": filters.lang_attr,
    "post_html": filters.post_html,
    "count_noun": filters.count_noun,
}


@dataclass(frozen=True)
class Page:
    """A rendered page and the files it refers to (relative path -> bytes), empty when it is one file."""

    text: str
    files: Mapping[str, bytes] = field(default_factory=dict)


def _loader(templates: Path | None) -> ChoiceLoader:
    """The user's folder first, so any template can be replaced by name; ours are the fallback."""
    folders = [] if templates is None else [templates]
    return ChoiceLoader([FileSystemLoader(folder) for folder in [*folders, templates_dir()]])


def make_environment(templates: Path | None = None) -> Environment:
    """Autoescaping everywhere: only sanitised post markup is ever marked safe, by `post_html`."""
    if templates is not None and not templates.is_dir():
        raise UsageError(
            f"templates folder {templates} does not exist; give an existing folder or leave it out"
        )
    env = Environment(
        loader=_loader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env


def view_context(view: DigestView) -> dict[str, Any]:
    """The names every digest template (HTML or Markdown) can use."""
    return {
        "digest": view.digest,
        "hashtags": view.hashtags,
        "threads": view.threads,
        "counts": view.counts,
        "grouped": view.grouped,
        "days": view.days,
        "around": view.around,
        "links": view.links,
        "figures": view.figures,
        "zone": view.zone,
        "dates": view.dates,
        "chart": view.chart,
    }


def render_template(
    env: Environment, name: str, context: Mapping[str, Any], templates: Path | None, *, kind: str = "digest"
) -> str:
    """Render `name`; a user's template that fails is their input to fix, ours a bug to raise."""
    try:
        return env.get_template(name).render(context)
    except TemplateError as exc:
        if templates is None:
            raise  # a fault in our own templates is a bug, not something the user can fix
        raise UsageError(
            f"the {kind} templates in {templates} could not be rendered ({exc}); "
            "fix them or remove the file to use confthread's own"
        ) from exc


def render_html_page(
    digest: Digest,
    *,
    pictures: Mapping[str, Picture] | None = None,
    as_files: bool = False,
    templates: Path | None = None,
    zone: tzinfo | None = None,
) -> Page:
    """The digest as a page that loads nothing from the network.

    `pictures` are the archived pictures by original URL; they go inside the page as data: URIs, or
    with `as_files` into `assets/`, returned in `Page.files` for the caller to write beside it.
    """
    placed = place_pictures(pictures or {}, as_files=as_files)
    view = build_view(digest, pictures=placed.shown, zone=zone)
    context = {**view_context(view), "as_files": as_files}
    text = render_template(make_environment(templates), DIGEST_TEMPLATE, context, templates)
    return Page(text, placed.files)


def render_html(
    digest: Digest,
    *,
    templates: Path | None = None,
    pictures: Mapping[str, Picture] | None = None,
    zone: tzinfo | None = None,
) -> str:
    """The digest as one HTML page, its pictures inside it, that loads nothing from the network."""
    return render_html_page(digest, pictures=pictures, templates=templates, zone=zone).text
