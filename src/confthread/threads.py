"""Reply trees from a flat set of posts: pure, total, and indifferent to the order posts arrive in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from confthread.models import Post, Thread, ThreadEntry, ThreadKind


def post_key(post: Post) -> tuple[datetime, str]:
    """Time, then uri: a total order, so nothing depends on the order posts arrive in."""
    return post.created_at, post.uri


def thread_id(root: Post) -> str:
    """Stable across renders, so links into a published digest keep working."""
    return "t-" + hashlib.sha256(f"{root.platform}|{root.uri}".encode()).hexdigest()[:12]


def unique_posts(posts: Iterable[Post]) -> dict[str, Post]:
    """Each uri once (its earliest copy), in time order: what every later step may rely on."""
    by_uri: dict[str, Post] = {}
    for post in sorted(posts, key=post_key):
        by_uri.setdefault(post.uri, post)
    return by_uri


def reply_parents(by_uri: Mapping[str, Post]) -> dict[str, str]:
    """Each post's parent among `by_uri`; a reply cycle (only broken data holds one) is cut at its
    earliest post."""
    parent_of = {
        uri: post.reply_to
        for uri, post in by_uri.items()
        if post.reply_to is not None and post.reply_to in by_uri and post.reply_to != uri
    }
    _cut_cycles(parent_of, by_uri)
    return parent_of


def build_threads(
    posts: Iterable[Post],
    withheld: Mapping[str, int] | None = None,
    also_at: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Thread]:
    """Every post once, in threads ordered by their first post.

    A post whose parent is missing becomes a root; a reply cycle is cut at its earliest post.
    `withheld` counts, per uri, replies that may not be shown; `also_at` names other copies of a post.
    """
    by_uri = unique_posts(posts)
    parent_of = reply_parents(by_uri)
    children: dict[str, list[Post]] = {}
    for uri, parent in parent_of.items():
        children.setdefault(parent, []).append(by_uri[uri])
    roots = [post for uri, post in by_uri.items() if uri not in parent_of]
    threads = [_thread(root, children, withheld or {}, also_at or {}) for root in roots]
    return sorted(threads, key=lambda thread: post_key(thread.root))


def _cut_cycles(parent_of: dict[str, str], by_uri: Mapping[str, Post]) -> None:
    done: set[str] = set()
    for start in list(parent_of):
        path: list[str] = []
        on_path: set[str] = set()
        uri: str | None = start
        while uri is not None and uri not in done and uri not in on_path:
            path.append(uri)
            on_path.add(uri)
            uri = parent_of.get(uri)
        if uri is not None and uri in on_path:
            cycle = path[path.index(uri) :]
            del parent_of[min(cycle, key=lambda u: post_key(by_uri[u]))]
        done.update(path)


def reading_order(parent: Post, replies: Iterable[Post]) -> list[Post]:
    """The author's own continuation first, then everyone else, each by time."""
    return sorted(replies, key=lambda post: (post.author.id != parent.author.id, *post_key(post)))


def _thread(
    root: Post,
    children: Mapping[str, list[Post]],
    withheld: Mapping[str, int],
    also_at: Mapping[str, tuple[str, ...]],
) -> Thread:
    entries: list[ThreadEntry] = []
    stack: list[tuple[Post, int]] = [(root, 0)]
    while stack:
        post, depth = stack.pop()
        entries.append(ThreadEntry(post, depth, withheld.get(post.uri, 0), also_at.get(post.uri, ())))
        replies = reading_order(post, children.get(post.uri, []))
        # A self-continuation stays at its parent's depth, so a live thread reads as one column.
        stack.extend(
            (reply, depth if reply.author.id == post.author.id else depth + 1) for reply in reversed(replies)
        )
    return Thread(id=thread_id(root), kind=_kind(root, children, len(entries)), entries=tuple(entries))


def _kind(root: Post, children: Mapping[str, list[Post]], size: int) -> ThreadKind:
    if root.platform == "blog":
        return "blog"
    if size == 1:
        return "single"
    own = any(reply.author.id == root.author.id for reply in children.get(root.uri, []))
    return "live" if own else "conversation"
