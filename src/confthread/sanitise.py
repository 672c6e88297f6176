"""Untrusted post markup reduced to what a digest may show, and to plain text."""

from __future__ import annotations

import re

import nh3
from bs4 import BeautifulSoup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "em",
        "strong",
        "i",
        "b",
        "u",
        "s",
        "del",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "span",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener ugc"
_ABSOLUTE = re.compile(r"(?i)(?:https?://[^/?#\s]|mailto:)")


def _absolute_only(tag: str, attribute: str, value: str) -> str | None:
    """A link must name its scheme: a relative or `//host` address would resolve against wherever the
    digest is opened (the reader's own disk, or the blog hosting it)."""
    if attribute == "href" and not _ABSOLUTE.match(value.strip()):
        return None
    return value


def clean_html(html: str) -> str:
    """Keep structure and links; drop anything that could run, load, or restyle the page."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        attribute_filter=_absolute_only,
    )


def html_to_text(html: str) -> str:
    """Plain text with paragraph and line breaks kept, for the JSON digest and for searching."""
    soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    paragraphs = soup.find_all("p")
    if paragraphs:
        return "\n\n".join(p.get_text().strip() for p in paragraphs).strip()
    return soup.get_text().strip()
