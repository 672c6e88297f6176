"""From archived posts to the Digest a renderer shows: consent applied, threads built. Pure."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from confthread.models import Digest, Post
from confthread.threads import build_threads


def withhold_opted_out(posts: Iterable[Post]) -> tuple[list[Post], Counter[str]]:
    """Drop the posts of people who opted out, and every reference to them.

    Their replies are only counted on the post they answered; a post that answered or quoted one of
    theirs loses the link, so not even the uri of a withheld post reaches the digest.
    """
    posts = list(posts)
    hidden = {post.uri for post in posts if post.author.opted_out}
    withheld: Counter[str] = Counter(
        post.reply_to
        for post in posts
        if post.uri in hidden and post.reply_to and post.reply_to not in hidden
    )
    shown = [
        dataclasses.replace(
            post,
            reply_to=None if post.reply_to in hidden else post.reply_to,
            quote_of=None if post.quote_of in hidden else post.quote_of,
        )
        for post in posts
        if post.uri not in hidden
    ]
    return shown, withheld


def build_digest(posts: Iterable[Post], *, title: str, hashtags: Sequence[str], now: datetime) -> Digest:
    shown, withheld = withhold_opted_out(posts)
    return Digest(
        title=title,
        hashtags=tuple(hashtags),
        generated_at=now,
        threads=tuple(build_threads(shown, withheld)),
    )
