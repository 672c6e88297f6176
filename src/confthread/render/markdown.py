"""The Markdown digest, for blogs that take Markdown: front matter for Jekyll and Hugo, then the threads.

Every value is escaped on its way out (Jinja's `finalize`), so post text stays text: no raw HTML, no
Markdown syntax and no Liquid or Hugo template tags from a post survive into the blog's build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Digest
from confthread.render import filters
from confthread.render.html import Page, render_template, view_context
from confthread.render.pictures import place_pictures
from confthread.render.view import build_view
from confthread.resources import templates_dir

MARKDOWN_TEMPLATE = "digest.md.j2"

# Characters Markdown (CommonMark, kramdown, goldmark) reads as syntax anywhere in a line; `{` and `}`
# because Jekyll's Liquid and Hugo's shortcodes would run `{{ … }}` and `{% … %}` found in a post.
_INLINE = re.compile(r"([\\`*_\[\]()#+!|$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"}
# A line starting with these would become a list item, heading, rule or quote.
_LINE_START = re.compile(r"^(\s*)([-+*=>])")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])")


class Md(str):
    """Markdown made by confthread itself: written out as it is, not escaped again."""

    __slots__ = ()


def escape_md(value: object) -> str:
    """Any value as literal text in Markdown, on one line or several."""
    if isinstance(value, Md):
        return str(value)
    text = _INLINE.sub(r"\\\1", str(value))
    text = "".join(_ENTITIES.get(char, char) for char in text)
    lines = (_NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", line)) for line in text.split("\n"))
    return "\n".join(lines)


def md_url(url: str | None) -> Md | None:
    """A web address as a Markdown link target, or None when it is not one; spaces and brackets encoded."""
    safe = filters.safe_url(url)
    if safe is None:
        return None
    return Md(quote(safe, safe=":/?#@!$&'*+,;=%~-._"))


def md_paragraphs(text: str) -> Md:
    """Plain post text as escaped paragraphs, its line breaks kept (two spaces before each)."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return Md("\n\n".join("  \n".join(escape_md(line) for line in part.split("\n")) for part in paragraphs))


def md_quote(block: str) -> Md:
    """Markdown already made, as a block quote."""
    return Md("\n".join(f"> {line}".rstrip() for line in str(block).split("\n")))


def yaml_string(value: object) -> Md:
    """A front-matter value: JSON strings are YAML strings, quotes and colons included."""
    return Md(json.dumps(str(value), ensure_ascii=False))


def _finalize(value: Any) -> Any:
    return escape_md(value) if isinstance(value, str) else value


def make_markdown_environment(templates: Path | None = None) -> Environment:
    if templates is not None and not templates.is_dir():
        raise UsageError(
            f"templates folder {templates} does not exist; give an existing folder or leave it out"
        )
    folders = [] if templates is None else [templates]
    # Markdown is not HTML: autoescape is off and `finalize` escapes for Markdown instead.
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in [*folders, templates_dir()]]),
        autoescape=False,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(
        {
            "iso_time": lambda moment: Md(filters.iso_time(moment)),
            "readable_time": filters.readable_time,
            "readable_date": filters.readable_date,
            "count_noun": filters.count_noun,
            "md_url": md_url,
            "md_paragraphs": md_paragraphs,
            "md_quote": md_quote,
            "yaml": yaml_string,
            "raw_md": Md,
        }
    )
    return env


def render_markdown_page(
    digest: Digest,
    *,
    pictures: Mapping[str, Picture] | None = None,
    as_files: bool = False,
    templates: Path | None = None,
    zone: tzinfo | None = None,
) -> Page:
    """The digest as Markdown; with `as_files` its pictures are files under assets/ beside it.

    A single Markdown file shows each picture by its alt text and a link to where it was posted: blog
    engines drop or choke on data: URIs.
    """
    placed = place_pictures(pictures or {}, as_files=True) if as_files else None
    view = build_view(digest, pictures=placed.shown if placed else None, zone=zone)
    context = {**view_context(view), "as_files": as_files}
    text = render_template(make_markdown_environment(templates), MARKDOWN_TEMPLATE, context, templates)
    return Page(text, placed.files if placed else {})


def render_markdown(digest: Digest, *, templates: Path | None = None) -> str:
    return render_markdown_page(digest, templates=templates).text
