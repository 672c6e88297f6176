"""Write-ups linked from posts: fetch a page, decide whether it is an article, and read it with trafilatura.

Reading is pure: trafilatura finds the main text (no navigation, sidebars or comments) and the
title, author, date and site name; the decision whether a page is an article is made from those.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from bs4 import BeautifulSoup

from confthread.models import Author, Post
from confthread.sources.feeds import plain_text, readable_html, term
from confthread.sources.http import RetryPolicy
from confthread.sources.safe_fetch import Fetched, Limits, Refused, SafeFetcher, retries_for_links

MAX_PAGE_BYTES = 2_000_000
# Below this a page is a snippet, a landing page or an error page, not a write-up.
MIN_WORDS = 120
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9"
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Open Graph types that say a page is something other than an article.
NOT_ARTICLE_TYPES = frozenset({"website", "profile", "book", "product", "place", "event"})
NOT_ARTICLE_PREFIXES = ("video", "music")
# Links to these are media or documents: not fetched, whatever the server would say.
SKIPPED_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".mp3", ".mp4", ".m4a", ".mov", ".webm", ".pdf"}
    | {".zip", ".gz", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".csv", ".epub"}
)

_PUBLISHED = re.compile(
    r"<meta[^>]+(?:property|itemprop|name)=[\"'](?:article:published_time|datePublished)[\"'][^>]*>",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"content=[\"']([^\"']+)[\"']", re.IGNORECASE)
_JSON_LD_PUBLISHED = re.compile(r"\"datePublished\"\s*:\s*\"([^\"]+)\"")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)


class NotAnArticle(Exception):
    """A page that loaded but is not a write-up; the message says why, for the note that skips it."""


@dataclass(frozen=True)
class Article:
    """A write-up as read from its page; `html` is sanitised and `text` is the same words, plain."""

    url: str
    title: str
    html: str
    text: str
    words: int
    author: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    description: str | None = None
    page_type: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None


# -- fetching (network) ----------------------------------------------------------------------------


def unfetchable(url: str) -> str | None:
    """Why a shared link is not worth a request (not a web address, or a media file), or None."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "is not a web address (http or https)"
    if any(parts.path.lower().endswith(extension) for extension in SKIPPED_EXTENSIONS):
        return "is a media file or document, not a web page"
    return None


def fetch_page(fetcher: SafeFetcher, url: str, policy: RetryPolicy) -> Fetched:
    """A page someone linked to: checked like any stranger's URL, HTML only, at most MAX_PAGE_BYTES."""
    reason = unfetchable(url)
    if reason:
        raise Refused(f"linked page {url[:200]} {reason}; it was not fetched")
    return fetcher.get(
        url,
        what="linked page",
        limits=Limits(max_bytes=MAX_PAGE_BYTES, deadline=max(30.0, 2 * policy.timeout)),
        retries=retries_for_links(policy),
        accept=PAGE_ACCEPT,
        content_types=PAGE_TYPES,
    )


# -- reading (pure) ------------------------------------------------------------------------------


def read_article(page: Fetched, *, now: datetime) -> Article:
    """The article on a fetched page, or NotAnArticle; `now` bounds the dates a page may claim."""
    markup = _decode(page.body, page.charset)
    try:
        document = trafilatura.extract_with_metadata(
            markup,
            url=page.url,
            output_format="html",
            include_comments=False,
            include_links=True,
            include_formatting=True,
            include_images=False,
            favor_precision=True,
            date_extraction_params={
                "original_date": True,
                "extensive_search": False,
                "max_date": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
            },
        )
    except Exception:  # a stranger's markup: whatever the parsers choke on, the page is unreadable
        document = None
    if document is None or not document.text:
        raise NotAnArticle(f"linked page {page.url} has no main text that could be read")
    body = _article_html(document.text, page.url)
    text = plain_text(body)
    words = len(text.split())
    article = Article(
        url=_permalink(document.url, page.url),
        title=(document.title or "").strip(),
        html=body,
        text=text,
        words=words,
        author=(document.author or "").strip() or None,
        site_name=(document.sitename or "").strip() or None,
        published=_published(markup) or _day(document.date),
        description=(document.description or "").strip() or None,
        page_type=(document.pagetype or "").strip().lower() or None,
        tags=tuple(
            dict.fromkeys(
                name for t in [*(document.categories or []), *(document.tags or [])] if (name := term(t))
            )
        ),
        language=document.language,
    )
    refusal = why_not_an_article(article)
    if refusal:
        raise NotAnArticle(f"linked page {page.url} {refusal}")
    return article


def why_not_an_article(article: Article) -> str | None:
    """The rule, in one place: a titled page of at least MIN_WORDS words whose type is not something else."""
    kind = article.page_type or ""
    if kind in NOT_ARTICLE_TYPES or kind.startswith(NOT_ARTICLE_PREFIXES):
        return f"is a {kind} page, not an article"
    if article.words < MIN_WORDS:
        return f"is too short to be a write-up ({article.words} words of main text)"
    if not article.title:
        return "has no title, so it is not read as an article"
    return None


def article_post(article: Article, *, first_shared: datetime) -> Post:
    """A blog Post; a page that gives no date is placed at the time it was first shared."""
    host = urlsplit(article.url).hostname or article.url
    title = f"<p><strong>{html.escape(article.title)}</strong></p>"
    return Post(
        platform="blog",
        uri=article.url,
        url=article.url,
        author=Author(
            platform="blog",
            id=f"{host}/{article.author or ''}",
            handle=host,
            name=article.author or article.site_name,
            url=f"{urlsplit(article.url).scheme}://{urlsplit(article.url).netloc}/",
        ),
        created_at=article.published or first_shared,
        text=f"{article.title}\n\n{article.text}",
        html=title + article.html,
        tags=article.tags,
        language=article.language,
    )


def article_raw(article: Article, page: Fetched, requested: str) -> dict[str, Any]:
    """What the archive keeps of the page: where it came from and what was read, not the whole page."""
    return {
        "requested": requested,
        "url": page.url,
        "redirects": list(page.redirects),
        "content_type": page.content_type,
        "bytes": len(page.body),
        "title": article.title,
        "author": article.author,
        "site_name": article.site_name,
        "published": article.published.isoformat() if article.published else None,
        "description": article.description,
        "page_type": article.page_type,
        "words": article.words,
    }


def _decode(body: bytes, charset: str | None) -> str:
    """The page as text: the HTTP charset, else the page's own <meta charset>, else UTF-8."""
    declared = charset or _meta_charset(body)
    for encoding in (declared, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("cp1252", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def _article_html(extracted: str, base: str) -> str:
    """The body of trafilatura's HTML output (it also writes a head of metadata), made readable."""
    soup = BeautifulSoup(extracted, "html.parser")
    body = soup.body
    return readable_html(body.decode_contents() if body else str(soup), base)


def _permalink(canonical: str | None, fetched: str) -> str:
    """The page's own canonical address, unless it names another host: a page may not claim to be another."""
    parts = urlsplit(canonical or "")
    same_host = parts.hostname is not None and parts.hostname == urlsplit(fetched).hostname
    return canonical if canonical and same_host and parts.scheme in {"http", "https"} else fetched


def _published(markup: str) -> datetime | None:
    """The publication time to the minute, when the page states it in the usual metadata."""
    candidates = [m.group(1) for tag in _PUBLISHED.finditer(markup) if (m := _CONTENT.search(tag.group(0)))]
    candidates += _JSON_LD_PUBLISHED.findall(markup)
    for candidate in candidates:
        moment = _moment(candidate)
        if moment is not None:
            return moment
    return None


def _day(date: str | None) -> datetime | None:
    """trafilatura's date, which is a day: read as midnight UTC."""
    return _moment(date[:10]) if date else None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
