"""Mastodon: the tag timeline and thread context through Mastodon.py, and statuses parsed into Posts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from confthread.errors import SourceError
from confthread.models import Author, Counts, Link, Media, Post
from confthread.sanitise import html_to_text
from confthread.sources.http import USER_AGENT, RecordingSession, RetryPolicy

PAGE_SIZE = 40
PUBLIC = frozenset({"public", "unlisted"})
_OPT_OUT_TAGS = re.compile(r"#no(?:bot|archive)\b", re.IGNORECASE)

Status = dict[str, Any]


# -- parsing (pure) ------------------------------------------------------------------------------


def is_archivable(status: Mapping[str, Any]) -> bool:
    """Public posts only: a token may show followers-only posts, which are not ours to publish."""
    return status.get("visibility") in PUBLIC and not status.get("reblog")


def parse_account(account: Mapping[str, Any], instance: str) -> Author:
    """`acct` is bare for the instance's own users; their profile's host completes the handle."""
    acct = str(account["acct"])
    if "@" not in acct:
        acct = f"{acct}@{urlsplit(str(account.get('url') or instance)).hostname}"
    note = html_to_text(str(account.get("note") or ""))
    return Author(
        platform="mastodon",
        id=str(account.get("uri") or account.get("url") or f"acct:{acct}"),
        handle=f"@{acct}",
        name=account.get("display_name") or None,
        url=account.get("url"),
        avatar=account.get("avatar_static") or account.get("avatar"),
        opted_out=bool(account.get("noindex")) or bool(_OPT_OUT_TAGS.search(note)),
        links=tuple(
            dict.fromkeys(
                href
                for html in [
                    str(account.get("note") or ""),
                    *(str(f.get("value") or "") for f in account.get("fields") or ()),
                ]
                for href in _hrefs(html)
            )
        ),
    )


def parse_status(status: Mapping[str, Any], *, instance: str, uris: Mapping[str, str]) -> Post:
    """A status as `instance` serves it; `uris` maps that instance's local ids to status uris.

    The parent is known only by its local id, so a reply whose parent is not in `uris` is left with
    `reply_to=None` until a later page resolves it.
    """
    quote_of = _quoted_uri(status)
    html = str(status.get("content") or "")
    if quote_of:
        html = _without_quote_fallback(html)
    parent = status.get("in_reply_to_id")
    return Post(
        platform="mastodon",
        uri=str(status["uri"]),
        url=status.get("url") or str(status["uri"]),
        author=parse_account(status["account"], instance),
        created_at=datetime.fromisoformat(str(status["created_at"])),
        text=html_to_text(html),
        html=html,
        reply_to=uris.get(str(parent)) if parent is not None else None,
        quote_of=quote_of,
        media=tuple(_media(item) for item in status.get("media_attachments") or ()),
        tags=tuple(str(tag["name"]).casefold() for tag in status.get("tags") or ()),
        language=status.get("language"),
        content_warning=str(status.get("spoiler_text") or ""),
        links=_links(html, status.get("card")),
        counts=Counts(
            replies=int(status.get("replies_count") or 0),
            reposts=int(status.get("reblogs_count") or 0),
            likes=int(status.get("favourites_count") or 0),
            quotes=int(status.get("quotes_count") or 0),
        ),
    )


def _hrefs(html: str) -> list[str]:
    """Web links in markup, leaving out mentions and hashtags, which link to profiles and tag pages."""
    soup = BeautifulSoup(html, "html.parser")
    return [
        str(anchor["href"])
        for anchor in soup.find_all("a", href=True)
        if str(anchor["href"]).startswith(("http://", "https://"))
        and not {"mention", "hashtag"} & set(anchor.get("class") or ())
    ]


def _links(html: str, card: Mapping[str, Any] | None) -> tuple[Link, ...]:
    """The card first, with its title; then any other link in the text."""
    links: dict[str, Link] = {}
    if card and card.get("url"):
        url = str(card["url"])
        links[url] = Link(
            url=url,
            title=card.get("title") or None,
            description=card.get("description") or None,
            image=card.get("image") or None,
        )
    for href in _hrefs(html):
        links.setdefault(href, Link(url=href))
    return tuple(links.values())


def _media(item: Mapping[str, Any]) -> Media:
    return Media(
        url=str(item.get("url") or item.get("remote_url")),
        alt=str(item.get("description") or ""),
        kind=str(item.get("type") or "unknown"),
        preview_url=item.get("preview_url"),
    )


def _quoted_uri(status: Mapping[str, Any]) -> str | None:
    quote = status.get("quote") or {}
    quoted = quote.get("quoted_status") if quote.get("state") == "accepted" else None
    return str(quoted["uri"]) if quoted else None


def _without_quote_fallback(html: str) -> str:
    """Mastodon prefixes quotes with 'RE: link' for old clients; the digest shows the quote itself."""
    soup = BeautifulSoup(html, "html.parser")
    for fallback in soup.select(".quote-inline"):
        fallback.decompose()
    return str(soup)


# -- fetching (network) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    statuses: list[Status]
    next_max_id: str | None
    prev_min_id: str | None


class MastodonClient:
    """One instance, reached through Mastodon.py with retries; every error leaves as a SourceError."""

    def __init__(self, instance: str, token: str | None = None, policy: RetryPolicy | None = None) -> None:
        policy = policy or RetryPolicy()
        self.instance = instance
        self._session = RecordingSession(policy)
        self._api = Mastodon(
            api_base_url=instance,
            access_token=token,
            session=self._session,
            user_agent=USER_AGENT,
            request_timeout=policy.timeout,
            ratelimit_method="throw",
            # Every call used here exists since Mastodon 3; naming a version saves an instance request.
            mastodon_version="3.5.0",
            version_check_mode="none",
        )

    def tag_page(
        self, tag: str, *, max_id: str | None = None, since_id: str | None = None, min_id: str | None = None
    ) -> Page:
        page = self._call(
            f"the #{tag} timeline",
            lambda: self._api.timeline_hashtag(
                tag, max_id=max_id, since_id=since_id, min_id=min_id, limit=PAGE_SIZE
            ),
        )
        statuses: list[Status] = self._session.last_json()
        following = getattr(page, "_pagination_next", None) or {}
        preceding = getattr(page, "_pagination_prev", None) or {}
        return Page(
            statuses=statuses,
            next_max_id=_text(following.get("max_id")),
            prev_min_id=_text(preceding.get("min_id")),
        )

    def context(self, local_id: str) -> tuple[list[Status], list[Status]] | None:
        """Ancestors and descendants of a status, or None when it is gone from the instance."""
        try:
            self._call(
                f"the thread of status {local_id}", lambda: self._api.status_context(local_id), gone_ok=True
            )
        except _Gone:
            return None
        body: dict[str, list[Status]] = self._session.last_json()
        return body.get("ancestors", []), body.get("descendants", [])

    def exists(self, local_id: str) -> bool:
        """Whether the instance still shows a status: deleted and newly private ones answer 404."""
        try:
            self._call(f"status {local_id}", lambda: self._api.status(local_id), gone_ok=True)
        except _Gone:
            return False
        return True

    def close(self) -> None:
        self._session.close()

    def _call(self, what: str, request: Any, *, gone_ok: bool = False) -> Any:
        try:
            return request()
        except MastodonNotFoundError as error:
            if gone_ok:
                raise _Gone from error
            raise SourceError(
                f"Mastodon {self.instance}: {what} was not found (404); "
                "check that the address is a Mastodon instance"
            ) from None
        except MastodonUnauthorizedError:
            raise SourceError(
                f"Mastodon {self.instance} refused {what} (401); check the access token "
                "for this instance, or remove it to read as a guest"
            ) from None
        except MastodonRatelimitError:
            raise SourceError(
                f"Mastodon {self.instance} kept rate-limiting {what}; "
                "wait a while and run collect again (it resumes)"
            ) from None
        except MastodonServerError as error:
            raise SourceError(
                f"Mastodon {self.instance} failed on {what} with HTTP {_status(error)} "
                "after several tries; run collect again later (it resumes)"
            ) from None
        except MastodonNetworkError:
            raise SourceError(
                f"Mastodon {self.instance} could not be reached for {what} after several "
                "tries; check the address and your connection, then run collect again"
            ) from None
        except MastodonAPIError as error:
            raise SourceError(
                f"Mastodon {self.instance} answered {what} with an error "
                f"(HTTP {_status(error)}); check the address and the tag"
            ) from None
        except (MastodonError, ValueError):
            raise SourceError(
                f"Mastodon {self.instance} sent something that is not Mastodon JSON for {what}; "
                "check that the address is a Mastodon instance"
            ) from None


class _Gone(Exception):
    """A status deleted between being listed and being asked about."""


def _status(error: Exception) -> str:
    return str(error.args[1]) if len(error.args) > 1 else "error"


def _text(value: object) -> str | None:
    return None if value is None else str(value)
