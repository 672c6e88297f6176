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
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from functools import lru_cache

from confthread.identity import author_keys, bridged_origin, bridged_origins, handle_origin, identity_key
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
    ordered = sorted(posts, key=post_key)
    groups = _Groups()
    _join_named(ordered, groups)
    _join_similar(ordered, groups)
    return groups.copies()


def _join_named(ordered: Sequence[Post], groups: _Groups) -> None:
    """Rule 1: a post that names another as its original."""
    # Asked once per handle, not per post.
    bridges = {handle for handle in {post.author.handle for post in ordered} if handle_origin(handle)}
    naming = [post for post in ordered if post.original_url or post.author.handle in bridges]
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


def _join_similar(ordered: Sequence[Post], groups: _Groups) -> None:
    """Rule 2: posts of one person's accounts that say nearly the same thing close together."""
    people = _related_accounts(ordered)
    # Each account's posts in time order, so a post meets only its own author's other accounts' posts;
    # only the posts of accounts with another account are looked at.
    by_account: dict[Account, tuple[list[datetime], list[int]]] = {}
    considered: list[int] = []
    for index, post in enumerate(ordered):
        own: Account = (post.author.platform, post.author.id)
        if own in people:
            times, indexes = by_account.setdefault(own, ([], []))
            times.append(post.created_at)
            indexes.append(index)
            considered.append(index)
    for index in considered:
        post = ordered[index]
        related = people[(post.author.platform, post.author.id)]
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
                groups.join(post, other)


def _named_originals(post: Post) -> list[str]:
    named = [post.original_url] if post.original_url else []
    if bridged_origin(post.author) is not None:
        named.extend(link.url for link in post.links)
    return named


def _related_accounts(ordered: Sequence[Post]) -> dict[Account, dict[Account, timedelta]]:
    """Which accounts are one person, worked out once per account through indexes, not per pair: for
    each account that has others, those, each with the window within which posts may be copies.

    The indexes hold tuples, not sets: at 100,000 posts, a set per key kept the garbage collector busy.
    """
    # Each account as its earliest post has it.
    accounts: dict[Account, Author] = {
        (post.author.platform, post.author.id): post.author for post in reversed(ordered)
    }
    named: list[tuple[Account, str, timedelta]] = []  # an account, a key of another it names, the window
    by_name: dict[str, tuple[Account, ...]] = {}
    for account, author in accounts.items():
        # A bridge account and the account it stands for; a profile linking to another account.
        named.extend((account, origin, BRIDGE_WINDOW) for origin in bridged_origins(author))
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
