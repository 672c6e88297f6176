"""One post in several places: bridged copies and a person's own cross-posts, so each is shown once. Pure.

Two posts are copies of one post when

1. one names the other as its original: a bridged post's `original_url` (Bridgy Fed's
   `bridgyOriginalUrl`), or a link inside a post from a bridge account, is the other post's web address
   or uri; or
2. they come from two accounts of one person, say nearly the same thing, and were posted close together.
   One person: a bridge account (`…@bsky.brid.gy` on Mastodon, `….ap.brid.gy` on Bluesky) and the account
   its handle names, within an hour (bridges can lag); or, within ten minutes, two accounts one of whose
   profiles links to the other, or the same display name on two different platforms.
   Nearly the same thing: ignoring case, links, mentions, '#' and punctuation, the texts are equal, or
   one is the start of the other (a cross-poster cut it short) and at least half as long, or they agree
   in 90% of their characters; and the shorter has 20 characters or more.

Never copies: two posts of one account, a post and a direct reply to it, or any grouping that would put
two posts of one account together. In doubt both are shown: a wrong merge would hide what someone said.

The copy shown is an original (not a bridge's, which may be cut short), and of those the one posted
first; the other copies are named in its `also_at`, and replies to any copy hang under the one shown.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from confthread.identity import author_keys, bridged_origin, bridged_origins, identity_key
from confthread.models import Author, Post
from confthread.threads import post_key

WINDOW = timedelta(minutes=10)
BRIDGE_WINDOW = timedelta(hours=1)
MIN_CHARACTERS = 20
SIMILARITY = 0.9

_URL = re.compile(r"https?://\S+|\S*\w\.\w\S*/\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")
_NOT_WORD = re.compile(r"\W+")

Account = tuple[str, str]


@dataclass(frozen=True)
class Copies:
    """`shown` maps the uri of every post in a group of copies to the uri of the one shown."""

    shown: Mapping[str, str] = field(default_factory=dict)
    others: Mapping[str, tuple[Post, ...]] = field(default_factory=dict)

    def canonical(self, uri: str) -> str:
        return self.shown.get(uri, uri)

    def also_at(self) -> dict[str, tuple[str, ...]]:
        return {uri: tuple(copy.uri for copy in copies) for uri, copies in self.others.items()}


def comparable_text(text: str) -> str:
    """The words of a post, as two copies of it would share them."""
    without = _MENTION.sub(" ", _URL.sub(" ", text))
    return " ".join(_NOT_WORD.sub(" ", without.casefold()).replace("_", " ").split())


def nearly_same_text(a: str, b: str) -> bool:
    shorter, longer = sorted((comparable_text(a), comparable_text(b)), key=len)
    if len(shorter) < MIN_CHARACTERS:
        return False
    if shorter == longer or (longer.startswith(shorter) and 2 * len(shorter) >= len(longer)):
        return True
    return SequenceMatcher(None, shorter, longer, autojunk=False).ratio() >= SIMILARITY


def is_bridged(post: Post) -> bool:
    return post.original_url is not None or bridged_origin(post.author) is not None


def find_copies(posts: Iterable[Post]) -> Copies:
    ordered = sorted(posts, key=post_key)
    groups = _Groups(ordered)
    addresses: dict[str, str] = {}
    for post in ordered:
        for address in (post.uri, post.url):
            if address:
                addresses.setdefault(identity_key(address), post.uri)
    for post in ordered:
        for original in _named_originals(post):
            target = addresses.get(identity_key(original))
            if target is not None:
                groups.join(post.uri, target)
    people = _People(post.author for post in ordered)
    # Each account's posts in time order, so a post meets only its own author's other accounts' posts.
    by_account: dict[Account, tuple[list[datetime], list[int]]] = {}
    for index, post in enumerate(ordered):
        times, indexes = by_account.setdefault((post.author.platform, post.author.id), ([], []))
        times.append(post.created_at)
        indexes.append(index)
    for index, post in enumerate(ordered):
        related = people.related(post.author)
        if not related:
            continue
        # Every pair within WINDOW once; a bridge account's posts also reach BRIDGE_WINDOW either way.
        reach = BRIDGE_WINDOW if bridged_origin(post.author) else WINDOW
        candidates: list[int] = []
        for account in related:
            times, indexes = by_account.get(account, ([], []))
            low = bisect_left(times, post.created_at - reach)
            high = bisect_right(times, post.created_at + reach)
            candidates.extend(i for i in indexes[low:high] if reach > WINDOW or i > index)
        for other_index in sorted(candidates):
            other = ordered[other_index]
            window = related[(other.author.platform, other.author.id)]
            if (
                other is not post
                and abs(other.created_at - post.created_at) <= window
                and nearly_same_text(post.text, other.text)
            ):
                groups.join(post.uri, other.uri)
    return groups.copies()


def _named_originals(post: Post) -> list[str]:
    named = [post.original_url] if post.original_url else []
    if bridged_origin(post.author) is not None:
        named.extend(link.url for link in post.links)
    return named


class _People:
    """Which accounts are one person, worked out once per account through indexes, not per pair."""

    def __init__(self, authors: Iterable[Author]) -> None:
        accounts: dict[Account, Author] = {}
        for author in authors:
            accounts.setdefault((author.platform, author.id), author)
        by_key: dict[str, set[Account]] = {}
        by_name: dict[str, set[Account]] = {}
        for account, author in accounts.items():
            for key in author_keys(author):
                by_key.setdefault(key, set()).add(account)
            if _display_name(author):
                by_name.setdefault(_display_name(author), set()).add(account)
        self._related: dict[Account, dict[Account, timedelta]] = {account: {} for account in accounts}

        def relate(a: Account, b: Account, window: timedelta) -> None:
            if a != b:
                for one, other in ((a, b), (b, a)):
                    self._related[one][other] = max(window, self._related[one].get(other, window))

        for account, author in accounts.items():
            for origin in bridged_origins(author):  # a bridge account and the account it stands for
                for other in by_key.get(origin, ()):
                    relate(account, other, BRIDGE_WINDOW)
            for link in author.links:  # a profile linking to another account
                for other in by_key.get(identity_key(link), ()):
                    relate(account, other, WINDOW)
            for other in by_name.get(_display_name(author), ()):  # one name on two platforms
                if other[0] != author.platform:
                    relate(account, other, WINDOW)

    def related(self, author: Author) -> Mapping[Account, timedelta]:
        """The other accounts of this person, each with the window within which posts may be copies."""
        return self._related.get((author.platform, author.id), {})


def _display_name(author: Author) -> str:
    name = " ".join((author.name or "").casefold().split())
    return name if len(name) >= 3 else ""


class _Groups:
    """Union-find over posts that refuses any union putting two posts of one account together."""

    def __init__(self, posts: Sequence[Post]) -> None:
        self._posts = {post.uri: post for post in posts}
        self._parent = {post.uri: post.uri for post in posts}
        self._accounts: dict[str, set[Account]] = {
            post.uri: {(post.author.platform, post.author.id)} for post in posts
        }

    def _find(self, uri: str) -> str:
        while self._parent[uri] != uri:
            self._parent[uri] = self._parent[self._parent[uri]]
            uri = self._parent[uri]
        return uri

    def join(self, a: str, b: str) -> None:
        first, second = self._posts[a], self._posts[b]
        if a == b or b == first.reply_to or a == second.reply_to:  # noqa: PLR1714 (reads as the rule)
            return
        root_a, root_b = self._find(a), self._find(b)
        if root_a == root_b or self._accounts[root_a] & self._accounts[root_b]:
            return
        self._parent[root_b] = root_a
        self._accounts[root_a] |= self._accounts.pop(root_b)

    def copies(self) -> Copies:
        members: dict[str, list[Post]] = {}
        for uri, post in self._posts.items():
            members.setdefault(self._find(uri), []).append(post)
        shown: dict[str, str] = {}
        others: dict[str, tuple[Post, ...]] = {}
        for group in members.values():
            if len(group) < 2:
                continue
            keep = min(group, key=_preference)
            rest = tuple(sorted((post for post in group if post is not keep), key=post_key))
            others[keep.uri] = rest
            shown.update({post.uri: keep.uri for post in group})
        return Copies(shown, others)


def _preference(post: Post) -> tuple[bool, object, str]:
    """An original before a bridged copy (which may be cut short); then where it was posted first."""
    return is_bridged(post), post.created_at, post.uri
