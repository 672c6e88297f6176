"""app.bsky.feed.searchPosts: which posts a query, its filters and a cursor pick, as Bluesky's search does."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confthread.replay.bluesky_store import BlueskyStore, Post, author_did, sort_at
from confthread.replay.bluesky_xrpc import field

_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")
_TAG_FACET = "app.bsky.richtext.facet#tag"


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> tuple[str, ...]:
    """Text split into words the way a search analyser does: `#UKMedLibs` is the word `ukmedlibs`."""
    return tuple(_WORD.findall(normalise(text)))


def post_tags(post: Post) -> set[str]:
    """The tags search indexes: tag facets and the record's `tags`, never a `#word` in the bare text."""
    tags = {normalise(str(tag)) for tag in field(post, "record", "tags") or ()}
    for facet in field(post, "record", "facets") or ():
        for feature in field(facet, "features") or ():
            if field(feature, "$type") == _TAG_FACET and field(feature, "tag"):
                tags.add(normalise(str(feature["tag"])))
    return tags


@dataclass(frozen=True)
class SearchQuery:
    """One search, parsed: `#term`s and `tag`s must all be tags of a post; every other term (a word,
    or a "quoted phrase") must be in its text. `*` alone matches every post."""

    tags: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    author: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "latest"

    @classmethod
    def parse(cls, q: str, *, tags: Iterable[str] = (), **filters: Any) -> SearchQuery:
        found_tags = [normalise(tag) for tag in tags]
        phrases: list[tuple[str, ...]] = []
        for match in _TERM.finditer(q):
            quoted, term = match.groups()
            if term is not None and term.startswith("#") and len(term) > 1:
                found_tags.append(normalise(term[1:]))
            elif term != "*":
                phrase = words(quoted if quoted is not None else term)
                if phrase:
                    phrases.append(phrase)
        return cls(tags=tuple(found_tags), phrases=tuple(phrases), **filters)

    def matches(self, post: Post) -> bool:
        if self.author is not None and author_did(str(post["uri"])) != self.author:
            return False
        if self.lang is not None and not _in_language(post, self.lang):
            return False
        if self.since is not None or self.until is not None:
            moment = sort_at(post)
            if self.since is not None and moment < self.since:
                return False
            if self.until is not None and moment >= self.until:
                return False
        if self.tags and not set(self.tags) <= post_tags(post):
            return False
        if self.phrases:
            text = words(str(field(post, "record", "text") or ""))
            return all(_contains(text, phrase) for phrase in self.phrases)
        return True


def search(store: BlueskyStore, query: SearchQuery) -> list[Post]:
    """Every match: newest first (by `sortAt`), or for `top` the most engaged first, then newest."""
    hits = [post for post in store.newest_first() if query.matches(post)]
    if query.sort == "top":
        hits.sort(key=_engagement, reverse=True)
    return hits


def search_page(hits: Sequence[Post], *, offset: int, limit: int, cap: int) -> dict[str, Any]:
    """One page of a search's `hits`, as Bluesky's search service (palomar, over OpenSearch) builds it.

    The cursor is the offset of the next page, given whenever a page is full and the next offset is
    under the cap, so a result count that is a multiple of `limit` ends with an empty page. No
    more than `cap` results can be paged through; `hitsTotal` is sent only while the count is exact
    (up to the cap, as OpenSearch counts), so its absence says "more than the cap": split the
    query into narrower time slices.
    """
    page = list(hits[:cap][offset : offset + limit])
    body: dict[str, Any] = {"posts": page}
    if len(page) == limit and offset + limit < cap:
        body["cursor"] = str(offset + limit)
    if len(hits) <= cap:
        body["hitsTotal"] = len(hits)
    return body


def _in_language(post: Post, lang: str) -> bool:
    wanted = lang.casefold()
    for tag in field(post, "record", "langs") or ():
        have = str(tag).casefold()
        if have == wanted or have.startswith(f"{wanted}-"):
            return True
    return False


def _contains(text: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(text[start : start + size] == phrase for start in range(len(text) - size + 1))


def _engagement(post: Post) -> int:
    return sum(int(post.get(key) or 0) for key in ("likeCount", "repostCount", "replyCount", "quoteCount"))
