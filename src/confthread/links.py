"""Resources mentioned: every web link shared in a set of threads, once each, with who shared it. Pure.

Links come from the posts (`Post.links`, which the sources fill from link cards and the text) and from
their other copies. One link is one address once tracking parameters, the fragment, a trailing slash
and the case of the host are set aside. Its title is the first a link card gave. Links to social posts
in the digest (quotes, a bridged copy's original) and to non-web addresses are not resources and are
left out; a link to a blog entry is one, even when the digest holds the entry too. Most-shared first
(by people, then by posts), then by when it was first shared.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from confthread.models import Link, Post, SharedLink, Thread
from confthread.threads import post_key

_TRACKING = ("utm_", "mc_", "fbclid", "gclid", "igshid", "ref_src")

# What most addresses are (every post's own uri and url passes through `link_key`), read without the
# cost of urlsplit: a web address of a plain host and a path that urlsplit would leave as it is, with
# no port, query or fragment; or an address of another scheme (an at:// uri), which is no web address.
_PLAIN_WEB = re.compile(r"(?i:https?)://([a-z0-9.-]+)(/[^?#\x00-\x20\x7f]*)?", re.ASCII)
_OTHER_SCHEME = re.compile(r"(?!https?:)[a-z][a-z0-9+.-]*:", re.ASCII | re.IGNORECASE)


def link_key(url: str) -> str | None:
    """The address a link stands for, or None when it is no web address."""
    value = url.strip()
    plain = _PLAIN_WEB.fullmatch(value)
    if plain:
        return f"https://{plain[1].lower()}{(plain[2] or '').rstrip('/')}"
    if _OTHER_SCHEME.match(value):
        return None
    return _split_link_key(value)


@lru_cache(maxsize=1 << 12)
def _split_link_key(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    ]
    host = parts.hostname.lower() + (f":{parts.port}" if parts.port and parts.port not in (80, 443) else "")
    return urlunsplit(("https", host, parts.path.rstrip("/"), urlencode(query), ""))


def without_tracking(url: str) -> str:
    """The address as shared, less the parameters that only tell a site where a click came from."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not k.lower().startswith(_TRACKING)]
    if len(kept) == len(pairs):
        return url.strip()
    return urlunsplit(parts._replace(query=urlencode(kept)))


@dataclass
class _Shared:
    url: str
    first: tuple[datetime, str]
    title: str | None = None
    people: set[tuple[str, str]] = field(default_factory=set)
    posts: dict[str, None] = field(default_factory=dict)  # in the order they shared it, each once


def shared_links(
    threads: Iterable[Thread],
    copies: Mapping[str, tuple[Post, ...]] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> tuple[SharedLink, ...]:
    """The links shared in `threads`; `skip` holds the `link_key`s of addresses that are no resource
    (`post_link_keys` of the digest's own posts)."""
    copies = copies or {}
    linking = [
        entry.post
        for thread in threads
        for entry in thread.entries
        if entry.post.links or entry.post.uri in copies
    ]
    return shared_links_in_order(sorted(linking, key=post_key), copies, skip=skip)


def shared_links_in_order(
    posts: Iterable[Post],
    copies: Mapping[str, tuple[Post, ...]] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> tuple[SharedLink, ...]:
    """`shared_links` of posts in time order (each uri once): the digest has them so."""
    copies = copies or {}
    found: dict[str, _Shared] = {}
    keys: dict[str, str | None] = {}  # each address's `link_key`, worked out once
    for post in posts:
        if not post.links and post.uri not in copies:  # most posts share nothing
            continue
        for link in _links(post, copies):
            if link.url not in keys:
                keys[link.url] = link_key(link.url)
            key = keys[link.url]
            if key is None or key in skip:
                continue
            shared = found.get(key)
            if shared is None:
                shared = found[key] = _Shared(without_tracking(link.url), post_key(post))
            if not shared.title and link.title and link.title.strip():
                shared.title = " ".join(link.title.split())
            shared.people.add((post.author.platform, post.author.id))
            shared.posts[post.uri] = None
    ranked = sorted(found.values(), key=lambda s: (-len(s.people), -len(s.posts), s.first, s.url))
    return tuple(SharedLink(s.url, s.title, len(s.people), tuple(s.posts)) for s in ranked)


def _links(post: Post, copies: Mapping[str, tuple[Post, ...]]) -> tuple[Link, ...]:
    """The links of a post and of its other copies; most posts have none, and are passed over."""
    others = copies.get(post.uri)
    if others is None:
        return post.links
    return (*post.links, *(link for copy in others for link in copy.links))


def post_addresses(
    threads: Iterable[Thread], copies: Mapping[str, tuple[Post, ...]] | None = None
) -> set[str]:
    """Every uri and web address of the social posts in `threads` and of their copies.

    A blog entry is left out: an article someone shared is a resource, even when the digest holds it too.
    """
    posts = [entry.post for thread in threads for entry in thread.entries]
    uris = {post.uri for post in posts}
    return addresses_of(posts, {uri: others for uri, others in (copies or {}).items() if uri in uris})


def addresses_of(posts: Sequence[Post], copies: Mapping[str, tuple[Post, ...]] | None = None) -> set[str]:
    """`post_addresses` of the posts themselves, `copies` holding the other copies of some of them; in
    the order they were loaded, they take less time."""
    every = [*posts, *(copy for others in (copies or {}).values() for copy in others)]
    social = [each for each in every if each.platform != "blog"]
    addresses = set(map(attrgetter("uri"), social))
    addresses.update(filter(None, map(attrgetter("url"), social)))
    return addresses


def link_keys(posts: Iterable[Post], copies: Mapping[str, tuple[Post, ...]] | None = None) -> set[str]:
    """The `link_key` of every link the posts and their copies share."""
    copies = copies or {}
    addresses = {link.url for post in posts for link in _links(post, copies)}
    return {key for key in map(link_key, addresses) if key is not None}


def post_link_keys(addresses: Collection[str], among: Collection[str] | None = None) -> frozenset[str]:
    """The `link_key`s of the addresses; with `among`, only those among it (the keys of the links to be
    shown), which spares working out the key of each address when all are plain (`_own_keys`)."""
    if among is not None and _own_keys(addresses):
        return frozenset(key for key in among if key in addresses and key.startswith("https://"))
    keys = frozenset(filter(None, map(link_key, addresses)))
    return keys if among is None else keys.intersection(among)


# Among addresses joined by spaces: one that opens otherwise than an https address or an at:// uri, one
# that ends with '/', and an https address whose host `_PLAIN_WEB` would not read as it is. (A regular
# expression finds a short string in a long one faster than `str.find` does.)
_OTHER_START = re.compile(r" (?!https://|at://)")
_SLASH_END = re.compile(r"/ ")
_NO_PLAIN_HOST = re.compile(r"https://(?![a-z0-9.-]+(?:[/ ]|\Z))")
_VISIBLE_ASCII = bytes(range(0x21, 0x7F))


def _own_keys(addresses: Collection[str]) -> bool:
    """Whether each address is its own `link_key`, or (an at:// uri) has none: so are the uris and web
    addresses the platforms give their posts. Checked with a few scans of the addresses joined into one
    string, not a regular expression for each: at 100,000 posts that takes a third of the time.

    Such an address is an https address of a plain lowercase host and a path of printable characters,
    with no space, query, fragment or trailing '/' (`_PLAIN_WEB`, as `link_key` gives it back), or an
    at:// uri (`_OTHER_SCHEME`).
    """
    if not addresses:
        return True
    joined = " ".join(addresses)
    return (
        _spaced(joined, len(addresses) - 1)
        and "?" not in joined
        and "#" not in joined
        and joined.startswith(("https://", "at://"))
        and _OTHER_START.search(joined) is None
        and not joined.endswith("/")
        and _SLASH_END.search(joined) is None
        and _NO_PLAIN_HOST.search(joined) is None
    )


def _spaced(joined: str, spaces: int) -> bool:
    """Whether the only space, control character or anything else that str.strip() takes off is one of
    `spaces` spaces. Plain ASCII, the common case, in a fifth of the time: what is left once every
    visible byte is taken out."""
    if joined.isascii():
        return joined.encode("ascii").translate(None, _VISIBLE_ASCII) == b" " * spaces
    return joined.count(" ") == spaces and joined.isprintable()
