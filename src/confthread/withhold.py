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
from collections.abc import Iterable
from dataclasses import dataclass

from confthread.crossposts import Copies
from confthread.identity import author_keys, bridged_origins, identity_key
from confthread.models import Author, Post
from confthread.threads import post_key


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


def withheld_accounts(authors: Iterable[Author], exclude: Iterable[str] = ()) -> set[tuple[str, str]]:
    """The accounts (platform, id) left out: who opted out or is named, and their other accounts.

    One person's accounts are known by the signals cross-posts use: a bridge account and the account it
    stands for; a profile linking to another account; the same full name (two words or more) on another
    platform. Leaving out one leaves out all: a wrong match hides a post, a missed one would publish
    someone who asked not to be.
    """
    accounts: dict[tuple[str, str], Author] = {}
    withheld: set[tuple[str, str]] = set()
    names = frozenset(identity_key(name) for name in exclude if name.strip())
    for author in authors:
        account: tuple[str, str] = (author.platform, author.id)
        accounts.setdefault(account, author)
        if author.opted_out or excluded(author, names):  # any record of the account that says so
            withheld.add(account)
    known: set[str] = set(names)
    full_names: dict[str, set[str]] = {}  # name -> the platforms it is withheld on
    grew = True
    while grew:
        for key in withheld:
            author = accounts[key]
            known |= (
                author_keys(author) | bridged_origins(author) | {identity_key(link) for link in author.links}
            )
            if _full_name(author):
                full_names.setdefault(_full_name(author), set()).add(author.platform)
        keys = frozenset(known)
        more = {
            key
            for key, author in accounts.items()
            if key not in withheld
            and (
                excluded(author, keys)
                or any(identity_key(link) in keys for link in author.links)
                or any(platform != author.platform for platform in full_names.get(_full_name(author), ()))
            )
        }
        grew = bool(more)
        withheld |= more
    return withheld


def _full_name(author: Author) -> str:
    words = (author.name or "").casefold().split()
    return " ".join(words) if len(words) >= 2 else ""


def withhold(posts: Iterable[Post], *, exclude: Iterable[str] = (), copies: Copies | None = None) -> Withheld:
    copies = copies or Copies()
    shown_as = copies.shown  # read `shown_as.get(uri, uri)`: most posts are no copy, and not in it
    ordered = sorted(posts, key=post_key)
    left_out = withheld_accounts((post.author for post in ordered), exclude)
    hidden_groups = {
        shown_as.get(post.uri, post.uri)
        for post in ordered
        if (post.author.platform, post.author.id) in left_out
    }
    present = {post.uri for post in ordered}

    def target(uri: str | None, own: str) -> str | None:
        if uri is None:
            return None
        shown = shown_as.get(uri, uri)
        return None if shown in hidden_groups or shown == own else shown

    replies: Counter[str] = Counter()
    counted: set[str] = set()
    for post in ordered:
        group = shown_as.get(post.uri, post.uri)
        if group not in hidden_groups or group in counted:
            continue
        parent = target(post.reply_to, group)
        if parent is not None and parent in present:
            replies[parent] += 1
            counted.add(group)
    shown = [
        _pointing(post, target(post.reply_to, post.uri), target(post.quote_of, post.uri))
        for post in ordered
        if shown_as.get(post.uri, post.uri) == post.uri and post.uri not in hidden_groups
    ]
    return Withheld(shown, replies)


def _pointing(post: Post, reply_to: str | None, quote_of: str | None) -> Post:
    """The post as given when its links stand; a new one only when one must change (most never do)."""
    if (reply_to, quote_of) == (post.reply_to, post.quote_of):
        return post
    return dataclasses.replace(post, reply_to=reply_to, quote_of=quote_of)
