"""Blog feeds (RSS, Atom): fetched through safe_fetch, parsed by feedparser from bytes into blog Posts.

Parsing is pure. Which entries belong to the event is decided here too: an entry is kept when its
time is inside the window and either one of its tags or categories is the event's tag, or the feed's
own address names the tag (a tag, category or label feed: see `feed_tags`).
"""

from __future__ import annotations

import calendar
import codecs
import dataclasses
import html
import io
import itertools
import re
import xml.parsers.expat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]
from bs4 import BeautifulSoup
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

from confthread.config import Window
from confthread.errors import SourceError
from confthread.models import Author, Post
from confthread.sanitise import clean_html
from confthread.sources.http import RetryPolicy
from confthread.sources.safe_fetch import Fetched, Limits, SafeFetcher

MAX_FEED_BYTES = 10_000_000
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
# Path segments after which a feed address names a tag: WordPress and Ghost (/tag/x/), WordPress
# (/category/x/), Blogger (/-/x), Medium and dev.to (/feed/tag/x), Hugo (/tags/x/), Tumblr (/tagged/x).
TAG_SEGMENTS = frozenset({"tag", "tags", "tagged", "category", "categories", "label", "labels", "topic", "-"})
TAG_PARAMETERS = frozenset({"tag", "category", "cat", "label"})

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_FIRST_ELEMENT = re.compile(rb"<\w")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = ("p", "li", "pre", "blockquote")


class FeedError(SourceError):
    """A feed that was fetched but cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class Entry:
    """One feed entry: the Post, the entry's fields as feedparser read them, and the feed's id for it."""

    post: Post
    raw: dict[str, Any]
    local_id: str


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None
    link: str | None
    entries: tuple[Entry, ...]


# -- fetching (network) ----------------------------------------------------------------------------


def fetch_feed(fetcher: SafeFetcher, url: str, policy: RetryPolicy) -> Fetched:
    """A feed the user gave is trusted as given (its host may be private) and retried like any source."""
    return fetcher.get(
        url,
        what="feed",
        limits=Limits(max_bytes=MAX_FEED_BYTES),
        retries=policy.retry(),
        accept=FEED_ACCEPT,
        trusted=True,
    )


# -- parsing (pure) ------------------------------------------------------------------------------


def parse_feed(body: bytes, *, url: str, media_type: str = "", charset: str | None = None) -> Feed:
    """The entries of a feed read from `body`, which came from `url` (the base of relative links).

    Refused before feedparser sees it: a feed that declares XML entities (the "billion laughs" and
    quadratic blow-up attacks need them, and real feeds do without) and a feed whose bytes are not
    text in any encoding it declares.
    """
    header = f"{media_type}; charset={charset}" if media_type and charset else media_type
    headers = {"content-type": header} if header else {}
    utf8 = convert_to_utf8(headers, body, {})
    _refuse_entities(utf8, url)
    _check_encoding(body, url, charset)
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={**headers, "content-location": url},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    if not parsed.get("version") and not parsed.entries:
        raise _not_a_feed(body, url, media_type)
    info = parsed.feed
    site = _web_url(urljoin(url, str(info.get("link") or ""))) if info.get("link") else None
    entries = (_entry(entry, url, info) for entry in parsed.entries)
    return Feed(url, info.get("title") or None, site, tuple(entry for entry in entries if entry))


def feed_tags(url: str) -> frozenset[str]:
    """The tags a feed's address names, e.g. "ukmedlibs" in https://blog.example/tag/ukmedlibs/feed/.

    Such a feed holds only entries with that tag, even when an entry does not repeat its tags.
    """
    parts = urlsplit(url)
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    named = {term(after) for before, after in itertools.pairwise(segments) if before.lower() in TAG_SEGMENTS}
    for name, values in parse_qs(parts.query).items():
        if name.lower() in TAG_PARAMETERS:
            named.update(term(value) for value in values)
    return frozenset(named - {""})


def term(text: str) -> str:
    """A tag or category in the form tags are compared in: letters and digits only, in one case.

    So "UK Med Libs", "uk-med-libs" and "#UKMedLibs" all match the hashtag #ukmedlibs.
    """
    return "".join(character for character in text.casefold() if character.isalnum())


def select_entries(feed: Feed, window: Window, tags: Sequence[str]) -> list[Entry]:
    """The entries that belong to the event, each carrying the event's tags it matched first."""
    wanted = {term(tag): tag for tag in tags}
    via_feed = [wanted[name] for name in feed_tags(feed.url) if name in wanted]
    kept = []
    for entry in feed.entries:
        post = entry.post
        matched = list(dict.fromkeys([*via_feed, *(wanted[name] for name in post.tags if name in wanted)]))
        if matched and post.created_at in window:
            tagged = dataclasses.replace(post, tags=tuple(dict.fromkeys([*matched, *post.tags])))
            kept.append(dataclasses.replace(entry, post=tagged))
    return kept


def _entry(entry: Mapping[str, Any], feed_url: str, info: Mapping[str, Any]) -> Entry | None:
    """An entry with a permalink (or id) and a time becomes a Post; one without either cannot be placed."""
    link = _web_url(urljoin(feed_url, str(entry.get("link") or ""))) if entry.get("link") else None
    uri = link or (str(entry["id"]) if entry.get("id") else None)
    created_at = _time(entry.get("published_parsed")) or _time(entry.get("updated_parsed"))
    if uri is None or created_at is None:
        return None
    title = str(entry.get("title") or "").strip()
    body = readable_html(_content(entry), link or feed_url)
    heading = f"<p><strong>{html.escape(title)}</strong></p>" if title else ""
    post = Post(
        platform="blog",
        uri=uri,
        url=link,
        author=_author(entry, info, link or feed_url),
        created_at=created_at,
        text="\n\n".join(part for part in (title, plain_text(body)) if part),
        html=heading + body,
        tags=tuple(
            dict.fromkeys(
                name for tag in entry.get("tags") or () if (name := term(str(tag.get("term") or "")))
            )
        ),
        language=entry.get("language") or info.get("language") or None,
    )
    return Entry(post, _raw(entry, feed_url), str(entry.get("id") or uri))


def _content(entry: Mapping[str, Any]) -> str:
    """Full content over the summary; plain text is escaped so it stays text."""
    contents = list(entry.get("content") or ())
    markup = [
        c for c in contents if c.get("type") in {"text/html", "application/xhtml+xml"} and c.get("value")
    ]
    if markup:
        return str(markup[0]["value"])
    plain = [c for c in contents if c.get("value")]
    if plain:
        return f"<p>{html.escape(str(plain[0]['value']))}</p>"
    summary = entry.get("summary_detail") or {}
    value = str(entry.get("summary") or "")
    return value if summary.get("type", "text/html") in _HTML_TYPES else f"<p>{html.escape(value)}</p>"


def _author(entry: Mapping[str, Any], info: Mapping[str, Any], page: str) -> Author:
    """The writer on the blog where the entry lives; an email address in the feed is not kept."""
    detail = entry.get("author_detail") or {}
    name = str(detail.get("name") or "").strip() or None
    site = urlsplit(page).hostname or page
    href = _web_url(str(detail.get("href") or "")) if detail.get("href") else None
    return Author(
        platform="blog",
        id=href or f"{site}/{name or ''}",
        handle=site,
        name=name or info.get("title") or None,
        url=href or _web_url(urljoin(page, "/")),
    )


def _raw(entry: Mapping[str, Any], feed_url: str) -> dict[str, Any]:
    """The entry as feedparser read it, minus its parsed-time tuples: JSON for the archive."""
    return {"feed": feed_url, **_jsonable({k: v for k, v in entry.items() if not k.endswith("_parsed")})}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _time(parsed: Any) -> datetime | None:
    """feedparser gives times as UTC struct_time tuples."""
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _web_url(url: str) -> str | None:
    return url if urlsplit(url).scheme in {"http", "https"} else None


def readable_html(markup: str, base: str) -> str:
    """A post's markup as a digest may show it: links absolute, headings as bold paragraphs, sanitised.

    The sanitiser keeps no headings, and a heading left as loose text would run into the next paragraph.
    """
    soup = BeautifulSoup(markup, "html.parser")
    for attribute in ("href", "src"):
        for element in soup.find_all(True, attrs={attribute: True}):
            element[attribute] = urljoin(base, str(element[attribute]).strip())
    for heading in soup.find_all(_HEADINGS):
        strong = soup.new_tag("strong")
        strong.string = heading.get_text(" ", strip=True)
        paragraph = soup.new_tag("p")
        paragraph.append(strong)
        heading.replace_with(paragraph)
    return clean_html(str(soup)).strip()


def plain_text(markup: str) -> str:
    """Paragraphs and list items, each once, separated by blank lines, for the digest's plain text."""
    soup = BeautifulSoup(markup, "html.parser")
    blocks = [block for block in soup.find_all(_BLOCKS) if not block.find_parent(_BLOCKS)]
    texts = [" ".join(block.get_text().split()) for block in blocks] or [" ".join(soup.get_text().split())]
    return "\n\n".join(text for text in texts if text)


# -- refusals ------------------------------------------------------------------------------------


class _EntityDeclared(Exception):
    pass


def _forbid_entity(*args: object) -> None:
    raise _EntityDeclared


def _refuse_entities(utf8: bytes, url: str) -> None:
    """Refuse entity declarations wherever either of feedparser's two parsers would use them.

    `utf8` is the document as feedparser converts it. Its strict parser is expat: a handler stops
    expat at a declaration, before any reference is expanded. Its loose parser takes entities from
    the text before the first element.
    """
    first = _FIRST_ELEMENT.search(utf8)
    head = utf8[: first.start()] if first else utf8
    declared = b"<!ENTITY" in head.upper()
    if not declared:
        parser = xml.parsers.expat.ParserCreate()
        parser.EntityDeclHandler = _forbid_entity
        try:
            parser.Parse(utf8, True)
        except _EntityDeclared:
            declared = True
        except xml.parsers.expat.ExpatError:
            pass  # not well-formed: feedparser's loose parser takes it, and the head check covered that
    if declared:
        raise FeedError(
            f"feed {url} declares XML entities, which confthread refuses because they can be used to "
            "exhaust memory; leave this feed out or ask its owner to remove the declarations"
        )


def _check_encoding(body: bytes, url: str, charset: str | None) -> None:
    """The bytes must be text in an encoding the feed declares (HTTP, byte order mark, XML), or UTF-8."""
    declared = _declared_encodings(body, charset)
    known = [codec for codec in dict.fromkeys(map(_codec, declared)) if codec]
    if not known:
        raise FeedError(
            f"feed {url} declares a character encoding confthread does not know ({declared[0]}); "
            "ask its owner to serve it as UTF-8, or leave it out"
        )
    if not any(_decodes(body, codec) for codec in known):
        raise FeedError(
            f"feed {url} is not valid {declared[0]} text, the encoding it declares; "
            "ask its owner to fix it, or leave it out"
        )


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _declared_encodings(body: bytes, charset: str | None) -> list[str]:
    names = [charset] if charset else []
    names += [name for mark, name in _BOMS if body.startswith(mark)][:1]
    match = _XML_ENCODING.match(body)
    if match:
        names.append(match.group(1).decode("ascii"))
    return names or ["utf-8"]


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _not_a_feed(body: bytes, url: str, media_type: str) -> FeedError:
    """A web page instead of a feed is the usual mistake: name the feed the page itself advertises."""
    found = (
        _advertised_feed(body, url) if media_type in _HTML_TYPES or b"<html" in body[:2048].lower() else None
    )
    hint = f"the page names its feed as {found}" if found else "give the address of its RSS or Atom feed"
    return FeedError(f"{url} is not an RSS or Atom feed; {hint}")


def _advertised_feed(body: bytes, url: str) -> str | None:
    soup = BeautifulSoup(body, "html.parser")
    for link in soup.find_all("link", href=True):
        kind = str(link.get("type") or "")
        if "alternate" in _words(link.get("rel")) and kind in {"application/rss+xml", "application/atom+xml"}:
            return _web_url(urljoin(url, str(link["href"])))
    return None


def _words(value: Any) -> Iterable[str]:
    return (
        [str(word).lower() for word in value] if isinstance(value, list) else str(value or "").lower().split()
    )
