"""Who an account is: handles, profile addresses and bridge accounts reduced to keys that compare. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from confthread.models import Author, Post

Account = tuple[str, str]  # (platform, id)

# Bridgy Fed's accounts: a Bluesky user on the fediverse is @handle@bsky.brid.gy; a fediverse user on
# Bluesky is user.instance.ap.brid.gy; a website is @domain@web.brid.gy or domain.web.brid.gy.
_FEDIVERSE_BRIDGES = ("@bsky.brid.gy", "@web.brid.gy")
_BLUESKY_BRIDGES = (".ap.brid.gy", ".web.brid.gy")


_WEB_ADDRESS = re.compile(r"(?i)https?://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")


@lru_cache(maxsize=1 << 18)
def identity_key(text: str) -> str:
    """A handle ('@ada@social.example', 'ada.bsky.social'), DID, actor URI or profile URL, one way.

    Web addresses lose their scheme's case, a trailing slash and any fragment; handles their '@'.
    """
    value = text.strip()
    # The parts urlsplit would give, without its cost: every post's uri and url pass through here.
    web = _WEB_ADDRESS.match(value)
    if web and web["netloc"]:
        query = f"?{web['query']}" if web["query"] else ""
        return f"https://{web['netloc'].lower()}{web['path'].rstrip('/')}{query}"
    return value.lstrip("@").casefold()


# `identity_key` without its cache: for an address made for one account alone.
_identity_key = identity_key.__wrapped__


def bridged_origin(author: Author) -> str | None:
    """The handle key of the account a bridge account stands for, or None when it is no bridge."""
    return handle_origin(author.handle)


@lru_cache(maxsize=1 << 16)
def handle_origin(text: str) -> str | None:
    """`bridged_origin` of an account by this handle. Cached: asked of every post's author, and an
    event has far fewer handles than posts."""
    handle = identity_key(text)
    for suffix in _FEDIVERSE_BRIDGES:
        if handle.endswith(suffix) and len(handle) > len(suffix):
            return handle.removesuffix(suffix)
    for suffix in _BLUESKY_BRIDGES:
        if handle.endswith(suffix) and len(handle) > len(suffix):
            name = handle.removesuffix(suffix)
            if suffix == ".ap.brid.gy" and "." in name:
                # Fediverse usernames hold no dots, so the first label is the user, the rest the host.
                user, host = name.split(".", 1)
                return f"{user}@{host}"
            return name
    return None


def bridged_origins(author: Author) -> frozenset[str]:
    """Every key the person behind a bridge account is known by; empty for any other account.

    Bridgy Fed's fediverse actor for a Bluesky user carries the DID (`https://bsky.brid.gy/ap/did:…`),
    and a fediverse user's actor and profile addresses follow from the handle by Mastodon's rules.
    """
    origin = bridged_origin(author)
    if origin is None:
        return frozenset()
    keys = {origin}
    actor = identity_key(author.id)
    if "/ap/did:" in actor:
        did = actor.split("/ap/", 1)[1]
        keys |= {did, identity_key(f"https://bsky.app/profile/{did}")}
    if "@" in origin:
        user, host = origin.split("@", 1)
        keys |= {identity_key(f"https://{host}/@{user}"), identity_key(f"https://{host}/users/{user}")}
    elif "." in origin:
        keys |= {identity_key(f"https://bsky.app/profile/{origin}"), identity_key(f"https://{origin}")}
    return frozenset(keys)


def author_keys(author: Author) -> frozenset[str]:
    """Every key this account can be named by: handle, id, profile address and its usual spellings."""
    handle = identity_key(author.handle)
    keys = {handle, identity_key(author.id)}
    if author.url:
        keys.add(identity_key(author.url))
    # Addresses made for this account alone: not worth a place in identity_key's cache.
    if author.platform == "bluesky":
        keys.add(_identity_key(f"https://bsky.app/profile/{handle}"))
        keys.add(_identity_key(f"https://bsky.app/profile/{author.id}"))
    elif author.platform == "mastodon" and handle.count("@") == 1:
        user, host = handle.split("@")
        keys.add(_identity_key(f"https://{host}/@{user}"))
    keys.discard("")
    return frozenset(keys)


class Accounts:
    """The accounts behind posts in time order, read in one pass that the steps of a digest share: at
    100,000 posts, each pass over the posts' authors costs tens of milliseconds."""

    def __init__(self, ordered: Sequence[Post]) -> None:
        self.first: dict[Account, Author] = {}  # each account as its earliest post has it
        self.opted_out: set[Account] = set()  # accounts some record of which says they opted out
        self.handles: set[str] = set()  # every handle a record gives
        # Each post's account, as its place in `first`: a number is quicker to look up than a pair.
        self._number: dict[Account, int] = {}
        self._of: list[int] = []
        number, first, of, handles = self._number.get, self.first, self._of.append, self.handles.add
        for post in ordered:
            author = post.author
            account: Account = (author.platform, author.id)
            known = number(account)
            if known is None:
                known = self._number[account] = len(first)
                first[account] = author
            of(known)
            if author.opted_out:
                self.opted_out.add(account)
            handles(author.handle)

    def posts_of(self, wanted: Iterable[Account]) -> dict[Account, list[int]]:
        """The indexes of the `wanted` accounts' posts, in time order. (A list for each of these accounts
        only: a list for every account of an event kept the garbage collector busy.)"""
        found: dict[Account, list[int]] = {account: [] for account in wanted}
        if found:
            lists: list[list[int] | None] = [None] * len(self._number)
            for account, indexes in found.items():
                lists[self._number[account]] = indexes
            for index, known in enumerate(self._of):
                theirs = lists[known]
                if theirs is not None:
                    theirs.append(index)
        return found
