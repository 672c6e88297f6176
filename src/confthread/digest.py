"""From archived posts to the Digest a renderer shows: consent, copies, threads, chats, sessions. Pure.

Each step lives in its own module; this one only puts them in order:
withhold.py (who is left out) and crossposts.py (one post in several places) -> chats.py (Q&A chats)
and threads.py (reply trees) -> sessions.py (the programme) -> links.py and figures.py.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from confthread.chats import chats_of
from confthread.crossposts import copies_in_order
from confthread.figures import compute_figures
from confthread.identity import Accounts
from confthread.links import addresses_of, link_keys, post_link_keys, shared_links, shared_links_in_order
from confthread.models import Digest, Post, Section, Session, Thread
from confthread.sessions import arrange
from confthread.threads import Replies, post_key, replies_among, threads_of, unique_posts
from confthread.withhold import withhold, withhold_in_order


def withhold_opted_out(posts: Iterable[Post], exclude: Iterable[str] = ()) -> tuple[list[Post], Counter[str]]:
    """Drop the posts of people who opted out or are excluded, and every reference to them.

    Their replies are only counted on the post they answered; a post that answered or quoted one of
    theirs loses the link, so not even the uri of a withheld post reaches the digest.
    """
    result = withhold(posts, exclude=exclude)
    return result.shown, result.replies


def build_digest(
    posts: Iterable[Post],
    *,
    title: str,
    hashtags: Sequence[str],
    now: datetime,
    sessions: Iterable[Session] = (),
    exclude: Iterable[str] = (),
) -> Digest:
    """Everything from the posts alone: the same posts in any order give the same digest."""
    # What every step reads is worked out once and handed on: the posts each uri once in time order,
    # their accounts, who answers whom. At 100,000 posts each pass over them costs tens of milliseconds.
    unique = unique_posts(posts)
    archived = list(unique.values())
    accounts = Accounts(archived)
    copies = copies_in_order(archived, accounts)
    kept, shown = withhold_in_order(unique, exclude=exclude, copies=copies, accounts=accounts)
    also_at = copies.also_at()
    shown, replies = _without_cut_links(shown)
    in_time_order = list(shown.values())  # every post the threads hold
    shown_copies = {uri: others for uri, others in copies.others.items() if uri in shown}

    chats, claimed = chats_of(shown, None, kept.replies, also_at)
    rest = shown
    if claimed:
        rest = {uri: post for uri, post in shown.items() if uri not in claimed}
        replies = replies_among(rest)
    threads = threads_of(rest, replies, kept.replies, also_at)  # in the order of their first posts
    if chats:
        threads = sorted([*threads, *chats], key=lambda t: post_key(t.root))
    ordered, sections = arrange(threads, sessions, hashtags)

    # Only the keys of the links shown are asked about: the addresses of 100,000 posts need not each
    # be read for theirs.
    linking = _sharing(in_time_order, shown, shown_copies)
    own = post_link_keys(addresses_of(in_time_order, shown_copies), among=link_keys(linking, shown_copies))
    links = shared_links_in_order(linking, shown_copies, skip=own)
    # The sections share out the threads: one that holds them all (no programme) shares the digest's links.
    by_id = {thread.id: thread for thread in ordered} if len(sections) > 1 else {}
    sections = tuple(
        dataclasses.replace(
            section,
            links=links
            if len(section.threads) == len(ordered)
            else shared_links(_threads(section, by_id), shown_copies, skip=own),
        )
        for section in sections
    )
    return Digest(
        title=title,
        hashtags=tuple(hashtags),
        generated_at=now,
        threads=ordered,
        sections=sections,
        links=links,
        figures=compute_figures(ordered, shown_copies, in_time_order=in_time_order),
    )


def _without_cut_links(by_uri: dict[str, Post]) -> tuple[dict[str, Post], Replies]:
    """The posts withhold shows (each uri once, in time order), and who answers whom among them. A reply
    link that only broken data holds (a cycle, a post answering itself) is not published: in the
    digest, a post's parent always comes before it."""
    replies = replies_among(by_uri)
    if replies.cut:
        by_uri = {**by_uri, **{uri: dataclasses.replace(by_uri[uri], reply_to=None) for uri in replies.cut}}
    return by_uri, replies


def _sharing(
    in_time_order: list[Post], by_uri: dict[str, Post], copies: dict[str, tuple[Post, ...]]
) -> list[Post]:
    """The posts, in time order, that share a link or have a copy that does: the copies are asked of
    the few posts that have them, not of every post."""
    sharing = [post for post in in_time_order if post.links]
    with_copies = [by_uri[uri] for uri, others in copies.items() if any(copy.links for copy in others)]
    if not with_copies:
        return sharing
    return sorted({post.uri: post for post in (*sharing, *with_copies)}.values(), key=post_key)


def _threads(section: Section, by_id: dict[str, Thread]) -> list[Thread]:
    return [by_id[thread_id] for thread_id in section.threads]
