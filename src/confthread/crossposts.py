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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher
from functools import lru_cache

from confthread.identity import (
    Account,
    Accounts,
    author_keys,
    bridged_origin,
    bridged_origins,
    handle_origin,
    identity_key,
)
from confthread.models import Author, Post
from confthread.threads import post_key, sorted_by_time

WINDOW = timedelta(minutes=10)
BRIDGE_WINDOW = timedelta(hours=1)
MIN_CHARACTERS = 20
SIMILARITY = 0.9

_URL = re.compile(r"https?://\S+|\S*\w\.\w\S*/\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")
_NOT_WORD = re.compile(r"\W+")


@dataclass(frozen=True)
class Copies:
    """`shown` maps the uri of every post in a group of copies to the uri of the one shown."""

    shown: Mapping[str, str] = field(default_factory=dict)
    others: Mapping[str, tuple[Post, ...]] = field(default_factory=dict)

    def also_at(self) -> dict[str, tuple[str, ...]]:
        return {uri: tuple(copy.uri for copy in copies) for uri, copies in self.others.items()}


@lru_cache(maxsize=1 << 12)
def comparable_text(text: str) -> str:
    """The words of a post, as two copies of it would share them.

    Cached: a post is compared with each of its author's other accounts' posts around it."""
    without = _MENTION.sub(" ", _URL.sub(" ", text))
    return " ".join(_NOT_WORD.sub(" ", without.casefold()).replace("_", " ").split())


def nearly_same_text(a: str, b: str) -> bool:
    shorter, longer = sorted((comparable_text(a), comparable_text(b)), key=len)
    if len(shorter) < MIN_CHARACTERS:
        return False
    if shorter == longer or (longer.startswith(shorter) and 2 * len(shorter) >= len(longer)):
        return True
    # SequenceMatcher's real_quick_ratio and quick_ratio, reckoned as it does: bounds of its ratio that
    # reject most pairs for a fraction of the cost of building the matcher.
    length = len(shorter) + len(longer)
    if 2.0 * len(shorter) / length < SIMILARITY:
        return False
    if 2.0 * (Counter(shorter) & Counter(longer)).total() / length < SIMILARITY:
        return False
    return SequenceMatcher(None, shorter, longer, autojunk=False).ratio() >= SIMILARITY


def is_bridged(post: Post) -> bool:
    return post.original_url is not None or bridged_origin(post.author) is not None


def find_copies(posts: Iterable[Post]) -> Copies:
    return copies_in_order(sorted_by_time(posts))


def copies_in_order(ordered: Sequence[Post], accounts: Accounts | None = None) -> Copies:
    """`find_copies` of posts already in time order, as the digest has them (and their `Accounts`)."""
    accounts = accounts or Accounts(ordered)
    groups = _Groups()
    # Asked once per handle, not per post.
    bridges = {handle for handle in accounts.handles if handle_origin(handle)}
    _join_named(ordered, groups, bridges)
    _join_similar(ordered, groups, accounts, bridges)
    return groups.copies()


def _join_named(ordered: Sequence[Post], groups: _Groups, bridges: set[str]) -> None:
    """Rule 1: a post that names another as its original (`bridges`: the handles of bridge accounts)."""
    naming = [post for post in ordered if post.original_url or (bridges and post.author.handle in bridges)]
    if not naming:  # no bridged post: no address needs reading
        return
    addresses: dict[str, Post] = {}
    for post in ordered:
        for address in (post.uri, post.url):
            if address:
                addresses.setdefault(identity_key(address), post)
    for post in naming:
        for original in _named_originals(post):
            target = addresses.get(identity_key(original))
            if target is not None:
                groups.join(post, target)


def _join_similar(ordered: Sequence[Post], groups: _Groups, accounts: Accounts, bridges: set[str]) -> None:
    """Rule 2: posts of one person's accounts that say nearly the same thing close together."""
    # Each account's posts in time order, so a post meets only its own author's other accounts' posts;
    # only the posts of accounts with another account are looked at. Every pair within WINDOW once,
    # from its earlier post; a bridge account's posts also reach BRIDGE_WINDOW either way. Pairs are
    # found account by account, and joined in the order of their posts, as a walk through them would.
    people = _related_accounts(accounts.first, bridges)
    posts = {
        account: (indexes, [ordered[index].created_at for index in indexes])
        for account, indexes in accounts.posts_of(people).items()
    }
    pairs: list[tuple[int, int]] = []
    for account, related in people.items():
        indexes, times = posts[account]
        for other, window in related.items():
            their_indexes, their_times = posts[other]
            # How far apart a copy may be: within WINDOW, or BRIDGE_WINDOW from a bridge account's post.
            near, far = min(WINDOW, window), min(BRIDGE_WINDOW, window)
            for index, at in zip(indexes, times, strict=True):
                bridged = bool(bridges) and ordered[index].author.handle in bridges
                limit = far if bridged else near
                low = bisect_left(their_times, at - limit)
                high = bisect_right(their_times, at + limit, low)
                if low < high:
                    pairs.extend(
                        (index, other_index)
                        for other_index in their_indexes[low:high]
                        if bridged or other_index > index
                    )
    for index, other_index in sorted(pairs):
        post, copy = ordered[index], ordered[other_index]
        if nearly_same_text(post.text, copy.text):
            groups.join(post, copy)


def _named_originals(post: Post) -> list[str]:
    named = [post.original_url] if post.original_url else []
    if bridged_origin(post.author) is not None:
        named.extend(link.url for link in post.links)
    return named


def _related_accounts(
    accounts: Mapping[Account, Author], bridges: set[str]
) -> dict[Account, dict[Account, timedelta]]:
    """Which accounts are one person, worked out once per account through indexes, not per pair: for
    each account that has others, those, each with the window within which posts may be copies.

    `accounts` holds each account as its earliest post has it; `bridges` the handles of bridge accounts.
    The indexes hold tuples, not sets: at 100,000 posts, a set per key kept the garbage collector busy.
    """
    named: list[tuple[Account, str, timedelta]] = []  # an account, a key of another it names, the window
    by_name: dict[str, tuple[Account, ...]] = {}
    for account, author in accounts.items():
        # A bridge account and the account it stands for; a profile linking to another account.
        if author.handle in bridges:
            named.extend((account, origin, BRIDGE_WINDOW) for origin in bridged_origins(author))
        if author.links:
            named.extend((account, identity_key(link), WINDOW) for link in author.links)
        if name := _display_name(author):
            by_name[name] = (*by_name.get(name, ()), account)
    # Only the keys some account names are looked up; when none is (no bridge, no profile links), no
    # account's keys need working out.
    wanted = {key for _, key, _ in named}
    by_key: dict[str, tuple[Account, ...]] = {}
    for account, author in accounts.items() if wanted else ():
        for key in author_keys(author) & wanted:
            by_key[key] = (*by_key.get(key, ()), account)
    related: dict[Account, dict[Account, timedelta]] = {}

    def relate(a: Account, b: Account, window: timedelta) -> None:
        if a != b:
            for one, other in ((a, b), (b, a)):
                mine = related.setdefault(one, {})
                mine[other] = max(window, mine.get(other, window))

    for account, key, window in named:
        for other in by_key.get(key, ()):
            relate(account, other, window)
    for namesakes in by_name.values():  # one name on two platforms
        for account in namesakes:
            for other in namesakes:
                if other[0] != account[0]:
                    relate(account, other, WINDOW)
    return related


def _display_name(author: Author) -> str:
    name = " ".join((author.name or "").casefold().split())
    return name if len(name) >= 3 else ""


class _Groups:
    """Union-find over posts that refuses any union putting two posts of one account together.

    A post enters when first joined: most posts are copies of nothing, and never do.
    """

    def __init__(self) -> None:
        self._posts: dict[str, Post] = {}
        self._parent: dict[str, str] = {}
        self._accounts: dict[str, set[Account]] = {}

    def _find(self, post: Post) -> str:
        uri = post.uri
        if uri not in self._parent:
            self._posts[uri] = post
            self._parent[uri] = uri
            self._accounts[uri] = {(post.author.platform, post.author.id)}
        while self._parent[uri] != uri:
            self._parent[uri] = self._parent[self._parent[uri]]
            uri = self._parent[uri]
        return uri

    def join(self, first: Post, second: Post) -> None:
        a, b = first.uri, second.uri
        if a == b or b == first.reply_to or a == second.reply_to:  # noqa: PLR1714 (reads as the rule)
            return
        root_a, root_b = self._find(first), self._find(second)
        if root_a == root_b or self._accounts[root_a] & self._accounts[root_b]:
            return
        self._parent[root_b] = root_a
        self._accounts[root_a] |= self._accounts.pop(root_b)

    def copies(self) -> Copies:
        members: dict[str, list[Post]] = {}
        for post in sorted(self._posts.values(), key=post_key):
            members.setdefault(self._find(post), []).append(post)
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
