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

from confthread.chats import chat_threads
from confthread.crossposts import find_copies
from confthread.figures import compute_figures
from confthread.links import post_addresses, post_link_keys, shared_links
from confthread.models import Digest, Post, Section, Session, Thread
from confthread.sessions import arrange
from confthread.threads import build_threads, post_key, reply_parents, unique_posts
from confthread.withhold import withhold


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
    archived = list(unique_posts(posts).values())
    copies = find_copies(archived)
    kept = withhold(archived, exclude=exclude, copies=copies)
    also_at = copies.also_at()
    shown_copies = {
        uri: copies.others[uri] for uri in (post.uri for post in kept.shown) if uri in copies.others
    }

    shown = _without_cut_links(kept.shown)
    chats, rest = chat_threads(shown, kept.replies, also_at)
    threads = sorted([*build_threads(rest, kept.replies, also_at), *chats], key=lambda t: post_key(t.root))
    ordered, sections = arrange(threads, sessions, hashtags)

    by_id = {thread.id: thread for thread in ordered}
    own = post_link_keys(post_addresses(ordered, shown_copies))
    links = shared_links(ordered, shown_copies, skip=own)
    # The sections share out the threads: one that holds them all (no programme) shares the digest's links.
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
        figures=compute_figures(ordered, shown_copies),
    )


def _without_cut_links(posts: list[Post]) -> list[Post]:
    """A reply link that only broken data holds (a cycle, a post answering itself) is not published:
    in the digest, a post's parent always comes before it. `posts` are withhold's: each uri once, in time
    order."""
    by_uri = {post.uri: post for post in posts}
    parents = reply_parents(by_uri)
    return [
        dataclasses.replace(post, reply_to=None)
        if post.reply_to in by_uri and post.uri not in parents
        else post
        for post in by_uri.values()
    ]


def _threads(section: Section, by_id: dict[str, Thread]) -> list[Thread]:
    return [by_id[thread_id] for thread_id in section.threads]
