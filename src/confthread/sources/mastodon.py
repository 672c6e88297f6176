"""Mastodon: the tag timeline and thread context from an instance's API, and statuses parsed into Posts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import requests
from bs4 import BeautifulSoup

from confthread.errors import SourceError
from confthread.models import Author, Counts, Link, Media, Post
from confthread.sanitise import html_to_text
from confthread.sources.http import RetryingSession, RetryPolicy
from confthread.sources.pacing import Pacer, mastodon_budget

PAGE_SIZE = 40
PUBLIC = frozenset({"public", "unlisted"})
_OPT_OUT_TAGS = re.compile(r"#no(?:bot|archive)\b", re.IGNORECASE)

Status = dict[str, Any]
T = TypeVar("T")
Params = dict[str, str | int | None]


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
    anchors = _Anchors()
    anchors.feed(html)
    anchors.close()
    return anchors.hrefs


class _Anchors(HTMLParser):
    """The links of `<a>` tags as the parser meets them: no document tree is built, as none is needed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        values = dict(attrs)
        href = values.get("href") or ""
        if href.startswith(("http://", "https://")) and not {"mention", "hashtag"} & set(
            (values.get("class") or "").split()
        ):
            self.hrefs.append(href)


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


class MastodonClient:
    """One instance's public REST API, read with retries; every error leaves as a SourceError.

    Plain GETs of three endpoints rather than Mastodon.py: its methods turn every status into its
    entity objects (about 1.2 ms of CPU each, with no way to turn that off) that we would throw away
    for the JSON, and its timeline methods first ask the instance whether guests may read them.
    """

    def __init__(self, instance: str, token: str | None = None, policy: RetryPolicy | None = None) -> None:
        policy = policy or RetryPolicy()
        self.instance = instance
        self._base = instance.rstrip("/")
        self._timeout = policy.timeout
        self._session = RetryingSession(policy)
        # Threads of one instance are fetched side by side: they share its budget.
        self._pacer = Pacer(mastodon_budget)
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def tag_page(
        self, tag: str, *, max_id: str | None = None, since_id: str | None = None, min_id: str | None = None
    ) -> Page:
        params: Params = {"max_id": max_id, "since_id": since_id, "min_id": min_id, "limit": PAGE_SIZE}
        response = self._get(f"the #{tag} timeline", f"/api/v1/timelines/tag/{quote(tag, safe='')}", params)
        statuses = self._json(response, list, f"the #{tag} timeline")
        following = response.links.get("next", {}).get("url")
        return Page(statuses, _query_value(following, "max_id"))

    def context(self, local_id: str) -> tuple[list[Status], list[Status]] | None:
        """Ancestors and descendants of a status, or None when it is gone from the instance."""
        what = f"the thread of status {local_id}"
        try:
            response = self._get(what, f"/api/v1/statuses/{quote(local_id, safe='')}/context", gone_ok=True)
        except _Gone:
            return None
        body = self._json(response, dict, what)
        return list(body.get("ancestors") or []), list(body.get("descendants") or [])

    def exists(self, local_id: str) -> bool:
        """Whether the instance still shows a status: deleted and newly private ones answer 404."""
        try:
            self._get(f"status {local_id}", f"/api/v1/statuses/{quote(local_id, safe='')}", gone_ok=True)
        except _Gone:
            return False
        return True

    def close(self) -> None:
        self._session.close()

    def _get(
        self, what: str, path: str, params: Params | None = None, *, gone_ok: bool = False
    ) -> requests.Response:
        try:
            with self._pacer.request() as heard:
                response = self._session.get(
                    self._base + path,
                    params=params,  # requests leaves out the ones that are None
                    timeout=self._timeout,
                )
                heard(response.headers)
        except requests.RequestException:
            raise SourceError(
                f"Mastodon {self.instance} could not be reached for {what} after several "
                "tries; check the address and your connection, then run collect again"
            ) from None
        if response.status_code == 404 and gone_ok:
            raise _Gone
        if response.status_code >= 400:
            raise SourceError(f"Mastodon {self.instance}{_refusal(what, response.status_code)}")
        return response

    def _json(self, response: requests.Response, kind: type[T], what: str) -> T:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, kind):
            raise SourceError(
                f"Mastodon {self.instance} sent something that is not Mastodon JSON for {what}; "
                "check that the address is a Mastodon instance"
            )
        return body


class _Gone(Exception):
    """A status deleted between being listed and being asked about."""


def _refusal(what: str, status: int) -> str:
    """What an error status means for the user, once urllib3 has retried what was worth retrying."""
    if status == 404:
        return f": {what} was not found (404); check that the address is a Mastodon instance"
    if status == 401:
        return (
            f" refused {what} (401); check the access token for this instance, "
            "or remove it to read as a guest"
        )
    if status == 429:
        return f" kept rate-limiting {what}; wait a while and run collect again (it resumes)"
    if status >= 500:
        return (
            f" failed on {what} with HTTP {status} after several tries; run collect again later (it resumes)"
        )
    return f" answered {what} with an error (HTTP {status}); check the address and the tag"


def _query_value(url: str | None, name: str) -> str | None:
    """One parameter of a Link header's address: the max_id the next page starts below."""
    values = parse_qs(urlsplit(url).query).get(name) if url else None
    return values[0] if values else None
