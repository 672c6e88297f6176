"""Who is left out of a digest, and what remains of them: a count on the post they answered. Pure.

A person is withheld when they opted out on their platform (`Author.opted_out`: Bluesky's
`!no-unauthenticated`, Mastodon's `noindex`, `#nobot` or `#noarchive` in a bio) or when the event's own
list names them (`exclude`: a handle with or without '@', a DID or actor URI, or a profile address).
Their other accounts go too (see `withheld_accounts`), and every copy of a withheld post, whoever
posted the copy. Nothing of theirs is kept: a post that answered or quoted theirs loses the pointer,
and their replies are only counted, once per post however many copies it had.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from confthread.crossposts import Copies
from confthread.identity import Account, Accounts, author_keys, bridged_origins, identity_key
from confthread.models import Author, Post
from confthread.threads import post_key, sorted_by_time


@dataclass(frozen=True)
class Withheld:
    """The posts that may be shown (one per group of copies, pointers fixed) and withheld replies per uri."""

    shown: list[Post]
    replies: Counter[str]


def excluded(author: Author, exclude: frozenset[str]) -> bool:
    """Whether the event's list names this account, or the account a bridge account stands for."""
    if not exclude:
        return False
    return bool(author_keys(author) & exclude) or bool(bridged_origins(author) & exclude)


def withheld_accounts(authors: Iterable[Author], exclude: Iterable[str] = ()) -> set[Account]:
    """The accounts (platform, id) left out: who opted out or is named, and their other accounts.

    One person's accounts are known by the signals cross-posts use: a bridge account and the account it
    stands for; a profile linking to another account; the same full name (two words or more) on another
    platform. Leaving out one leaves out all: a wrong match hides a post, a missed one would publish
    someone who asked not to be.
    """
    first: dict[Account, Author] = {}
    opted_out: set[Account] = set()
    names = _names(exclude)
    records: dict[tuple[str, str, str, str | None], Author] = {}
    for author in authors:
        account: Account = (author.platform, author.id)
        first.setdefault(account, author)
        if author.opted_out:  # any record of the account that says so
            opted_out.add(account)
        elif names:
            records.setdefault((author.platform, author.id, author.handle, author.url), author)
    return _left_out(first, opted_out, names, records.values())


def _names(exclude: Iterable[str]) -> frozenset[str]:
    return frozenset(identity_key(name) for name in exclude if name.strip())


def _left_out(
    first: dict[Account, Author], opted_out: set[Account], names: frozenset[str], records: Iterable[Author]
) -> set[Account]:
    """`withheld_accounts` of the accounts as their earliest records have them (`first`), those any record
    of which opted out, and each record the list could name (an account's posts repeat its record)."""
    withheld = set(opted_out)
    withheld.update((author.platform, author.id) for author in records if excluded(author, names))
    return _with_their_other_accounts(withheld, first, names)


def _with_their_other_accounts(
    withheld: set[Account], accounts: dict[Account, Author], names: frozenset[str]
) -> set[Account]:
    """Grows `withheld` until no other account is known to be one of theirs; each account's keys are
    worked out once, and only once some key or name is known to look for."""
    known: set[str] = set(names)
    full_names: dict[str, set[str]] = {}  # name -> the platforms it is withheld on
    signs: dict[Account, tuple[frozenset[str], frozenset[str], str]] = {}
    new = set(withheld)
    while True:
        for key in new:  # what the accounts withheld before added is known already
            author = accounts[key]
            known |= (
                author_keys(author) | bridged_origins(author) | {identity_key(link) for link in author.links}
            )
            if _full_name(author):
                full_names.setdefault(_full_name(author), set()).add(author.platform)
        if not known and not full_names:  # nothing to recognise anyone by
            return withheld
        if not signs:
            signs = {key: _signs(author) for key, author in accounts.items()}
        new = {
            key
            for key, (keys, links, name) in signs.items()
            if key not in withheld
            and (
                not keys.isdisjoint(known)
                or not links.isdisjoint(known)
                or any(platform != key[0] for platform in full_names.get(name, ()))
            )
        }
        if not new:
            return withheld
        withheld |= new


def _signs(author: Author) -> tuple[frozenset[str], frozenset[str], str]:
    """What an account is recognised by: its own keys (`excluded`), the keys its profile links to, its
    full name."""
    keys, origins = author_keys(author), bridged_origins(author)
    return (
        keys | origins if origins else keys,
        frozenset(identity_key(link) for link in author.links) if author.links else frozenset(),
        _full_name(author),
    )


def _full_name(author: Author) -> str:
    words = (author.name or "").casefold().split()
    return " ".join(words) if len(words) >= 2 else ""


def withhold(posts: Iterable[Post], *, exclude: Iterable[str] = (), copies: Copies | None = None) -> Withheld:
    ordered = sorted_by_time(posts)
    left_out = withheld_accounts((post.author for post in ordered), exclude)
    left_ids = {account_id for _, account_id in left_out}  # spares a tuple for most posts
    theirs = [
        post
        for post in ordered
        if post.author.id in left_ids and (post.author.platform, post.author.id) in left_out
    ]
    hidden = _Hidden(theirs, copies or Copies())
    shown = [hidden.pointing(post) for post in ordered if post.uri not in hidden.dropped]
    return Withheld(shown, hidden.replies(ordered, {post.uri for post in ordered}))


def withhold_in_order(
    by_uri: Mapping[str, Post],
    *,
    exclude: Iterable[str] = (),
    copies: Copies | None = None,
    accounts: Accounts | None = None,
) -> tuple[Withheld, dict[str, Post]]:
    """`withhold` of posts each uri once, in time order (`unique_posts`), as the digest has them, with
    their `Accounts`; and the posts shown by uri. Only the posts withheld, and those that point at a post
    withheld or copied, are read again."""
    ordered = list(by_uri.values())
    accounts = accounts or Accounts(ordered)
    names = _names(exclude)
    # Each record the list could name, once; only read when there is a list.
    records = (
        {(a.platform, a.id, a.handle, a.url): a for a in (post.author for post in ordered)} if names else {}
    )
    left_out = _left_out(accounts.first, accounts.opted_out, names, records.values())
    theirs = [ordered[index] for indexes in accounts.posts_of(left_out).values() for index in indexes]
    hidden = _Hidden(theirs, copies or Copies())
    # The posts by uri less those left out: a copy of the dict costs far less than adding each post again.
    shown = dict(by_uri)
    for uri in hidden.dropped:
        shown.pop(uri, None)
    for post in ordered:
        if hidden.points(post) and post.uri not in hidden.dropped:
            shown[post.uri] = hidden.pointing(post)
    return Withheld(list(shown.values()), hidden.replies(hidden.members(by_uri), by_uri)), shown


class _Hidden:
    """The groups of copies withheld (one per post of `theirs`, the accounts left out, with all its
    copies), and what follows from them for every other post."""

    def __init__(self, theirs: Iterable[Post], copies: Copies) -> None:
        self.shown_as = copies.shown  # read `shown_as.get(uri, uri)`: most posts are no copy, and not in it
        self.groups = {self.shown_as.get(post.uri, post.uri) for post in theirs}
        # Only a post that is a copy shown elsewhere, or withheld, is left out; only a pointer at one of
        # those, or at the post itself, changes.
        self.dropped = {uri for uri, group in self.shown_as.items() if group != uri} | self.groups
        self.pointed_at = self.shown_as.keys() | self.groups

    def target(self, uri: str | None, own: str) -> str | None:
        if uri is None:
            return None
        shown = self.shown_as.get(uri, uri)
        return None if shown in self.groups or shown == own else shown

    def points(self, post: Post) -> bool:
        """Whether a pointer of the post may change (`pointing`): few do, so most posts need no more."""
        reply_to, quote_of = post.reply_to, post.quote_of
        return (reply_to is not None and (reply_to in self.pointed_at or reply_to == post.uri)) or (
            quote_of is not None and (quote_of in self.pointed_at or quote_of == post.uri)
        )

    def pointing(self, post: Post) -> Post:
        """The post as given when its links stand; a new one only when one must change (most never do)."""
        reply_to, quote_of = self.target(post.reply_to, post.uri), self.target(post.quote_of, post.uri)
        if (reply_to, quote_of) == (post.reply_to, post.quote_of):
            return post
        return dataclasses.replace(post, reply_to=reply_to, quote_of=quote_of)

    def members(self, by_uri: Mapping[str, Post]) -> list[Post]:
        """The posts of the groups withheld, in time order, among posts each uri once."""
        uris = {uri for uri, group in self.shown_as.items() if group in self.groups}
        uris |= {group for group in self.groups if group not in self.shown_as}
        return sorted((by_uri[uri] for uri in uris if uri in by_uri), key=post_key)

    def replies(self, ordered: Iterable[Post], present: Container[str]) -> Counter[str]:
        """Withheld replies per uri: one for each group withheld (the first of its posts, in time order,
        that answered a post `present`), however many copies it had."""
        replies: Counter[str] = Counter()
        counted: set[str] = set()
        for post in ordered if self.groups else ():
            group = self.shown_as.get(post.uri, post.uri)
            if group not in self.groups or group in counted:
                continue
            parent = self.target(post.reply_to, group)
            if parent is not None and parent in present:
                replies[parent] += 1
                counted.add(group)
        return replies
