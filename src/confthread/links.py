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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
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
    posts: list[str] = field(default_factory=list)


def shared_links(
    threads: Iterable[Thread],
    copies: Mapping[str, tuple[Post, ...]] | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> tuple[SharedLink, ...]:
    """The links shared in `threads`; `skip` holds the `link_key`s of addresses that are no resource
    (`post_link_keys` of the digest's own posts)."""
    copies = copies or {}
    found: dict[str, _Shared] = {}
    linking = [entry.post for thread in threads for entry in thread.entries if _links(entry.post, copies)]
    for post in sorted(linking, key=post_key):
        for link in _links(post, copies):
            key = link_key(link.url)
            if key is None or key in skip:
                continue
            shared = found.get(key)
            if shared is None:
                shared = found[key] = _Shared(without_tracking(link.url), post_key(post))
            if not shared.title and link.title and link.title.strip():
                shared.title = " ".join(link.title.split())
            shared.people.add((post.author.platform, post.author.id))
            if post.uri not in shared.posts:
                shared.posts.append(post.uri)
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
    copies = copies or {}
    posts = [entry.post for thread in threads for entry in thread.entries]
    every = [*posts, *(copy for post in posts if post.uri in copies for copy in copies[post.uri])]
    social = [each for each in every if each.platform != "blog"]
    return {each.uri for each in social} | {each.url for each in social if each.url}


def post_link_keys(addresses: Iterable[str]) -> frozenset[str]:
    return frozenset(filter(None, map(link_key, addresses)))
