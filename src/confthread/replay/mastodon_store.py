"""One Mastodon instance's statuses, indexed to answer timeline, status and context queries."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Status = Mapping[str, Any]

# What an anonymous reader may see: Mastodon hides private and direct statuses from the public API.
_VISIBLE = frozenset({"public", "unlisted"})


def normalise_tag(name: str) -> str:
    """Mastodon's `Tag.find_normalized`: `#UKMedLibs`, `ukmedlibs` and their full-width forms are one tag."""
    return unicodedata.normalize("NFKC", name).lower()


@dataclass(frozen=True)
class TagQuery:
    """The tag timeline's parameters, already parsed; ids are integers as Mastodon compares them."""

    tag: str
    limit: int = 20
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    local: bool = False
    remote: bool = False
    only_media: bool = False
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()


class MastodonStore:
    """Read-only after construction, so one store can serve many handler threads at once.

    The statuses are kept as given (never copied or changed): what goes out is what came in.
    """

    def __init__(self, statuses: Iterable[Status]) -> None:
        self._by_id: dict[int, Status] = {}
        for status in statuses:
            key = status_key(status)
            if key in self._by_id:
                raise ValueError(f"two statuses share the id {status['id']!r}")
            self._by_id[key] = status
        self._by_tag: dict[str, list[int]] = {}
        self._children: dict[int, list[int]] = {}
        for key, status in sorted(self._by_id.items()):
            if status.get("reblog") is None and _visibility(status) == "public":
                for tag in {normalise_tag(str(t["name"])) for t in status.get("tags") or ()}:
                    self._by_tag.setdefault(tag, []).append(key)
            parent = status.get("in_reply_to_id")
            if parent is not None and str(parent).isdigit():
                self._children.setdefault(int(parent), []).append(key)

    def status(self, status_id: str) -> Status | None:
        if not status_id.isdigit():
            return None
        status = self._by_id.get(int(status_id))
        if status is None or _visibility(status) not in _VISIBLE:
            return None
        return status

    def tag_timeline(self, query: TagQuery) -> list[Status]:
        """Newest first; with `min_id`, the page just above it (Mastodon's forward paging)."""
        if query.limit <= 0:
            return []
        candidates = sorted(
            {key for tag in (query.tag, *query.any) for key in self._by_tag.get(normalise_tag(tag), ())}
        )
        # Mastodon ignores since_id once min_id is given (paginate_by_id picks one or the other).
        low = query.min_id if query.min_id is not None else query.since_id
        start = 0 if low is None else bisect.bisect_right(candidates, low)
        end = len(candidates) if query.max_id is None else bisect.bisect_left(candidates, query.max_id)
        window = candidates[start:end]
        ordered = window if query.min_id is not None else reversed(window)
        page: list[Status] = []
        for key in ordered:
            status = self._by_id[key]
            if self._passes(status, query):
                page.append(status)
                if len(page) == query.limit:
                    break
        if query.min_id is not None:
            page.reverse()
        return page

    def ancestors(self, status: Status) -> list[Status]:
        """Root first; stops at a parent this instance never saw, and never loops on a cycle.

        Hidden (private) statuses are walked through but left out, as Mastodon filters the chain
        after building it.
        """
        chain: list[Status] = []
        seen = {status_key(status)}
        parent = status.get("in_reply_to_id")
        while parent is not None and str(parent).isdigit() and int(parent) not in seen:
            found = self._by_id.get(int(parent))
            if found is None:
                break
            seen.add(int(parent))
            chain.append(found)
            parent = found.get("in_reply_to_id")
        chain.reverse()
        return [s for s in chain if _visibility(s) in _VISIBLE]

    def descendants(self, status: Status, limit: int | None = None, depth: int | None = None) -> list[Status]:
        """Depth first, each status's replies by id ascending: the order Mastodon's tree path gives.

        `limit` and `depth` cut the tree as Mastodon does for a reader who is not signed in.
        """
        result: list[Status] = []
        seen = {status_key(status)}
        stack = [(key, 1) for key in reversed(self._children.get(status_key(status), []))]
        while stack and (limit is None or len(result) < limit):
            key, level = stack.pop()
            if key in seen or (depth is not None and level > depth):
                continue
            seen.add(key)
            child = self._by_id[key]
            if _visibility(child) in _VISIBLE:
                result.append(child)
            stack.extend((grandchild, level + 1) for grandchild in reversed(self._children.get(key, [])))
        return result

    def _passes(self, status: Status, query: TagQuery) -> bool:
        account = status.get("account") or {}
        is_local = "@" not in str(account.get("acct", ""))
        if query.local and not query.remote and not is_local:
            return False
        if query.remote and not query.local and is_local:
            return False
        if query.only_media and not status.get("media_attachments"):
            return False
        tags = {normalise_tag(str(t["name"])) for t in status.get("tags") or ()}
        if not all(normalise_tag(t) in tags for t in query.all):
            return False
        return not any(normalise_tag(t) in tags for t in query.none)


def status_key(status: Status) -> int:
    """Mastodon ids are decimal strings that sort as integers; anything else is bad test data."""
    raw = status.get("id")
    if not isinstance(raw, str) or not raw.isdigit():
        raise ValueError(f"a Mastodon status id must be a string of digits, not {raw!r}")
    return int(raw)


def _visibility(status: Status) -> str:
    # Hand-made test statuses often leave it out; Mastodon itself always sends it.
    return str(status.get("visibility", "public"))
