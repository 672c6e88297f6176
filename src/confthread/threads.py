"""Reply trees from a flat set of posts: pure, total, and indifferent to the order posts arrive in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from operator import attrgetter

from confthread.models import Post, Thread, ThreadEntry, ThreadKind

# Time, then uri: a total order, so nothing depends on the order posts arrive in. An attrgetter, not a
# function: every step sorts all the posts by it, and it spares a Python call per post.
post_key: Callable[[Post], tuple[datetime, str]] = attrgetter("created_at", "uri")


def thread_id(root: Post) -> str:
    """Stable across renders, so links into a published digest keep working."""
    return "t-" + hashlib.sha256(f"{root.platform}|{root.uri}".encode()).hexdigest()[:12]


def unique_posts(posts: Iterable[Post]) -> dict[str, Post]:
    """Each uri once (its earliest copy), in time order: what every later step may rely on."""
    ordered = sorted(posts, key=post_key)
    by_uri = {post.uri: post for post in ordered}
    if len(by_uri) < len(ordered):  # a uri came twice (the dict kept its last copy): keep its earliest
        by_uri = {}
        for post in ordered:
            by_uri.setdefault(post.uri, post)
    return by_uri


def reply_parents(by_uri: Mapping[str, Post]) -> dict[str, str]:
    """Each post's parent among `by_uri`; a reply cycle (only broken data holds one) is cut at its
    earliest post."""
    parent_of = {
        uri: parent
        for uri, post in by_uri.items()
        if (parent := post.reply_to) is not None and parent in by_uri and parent != uri
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
    # Tuples of uris, not lists of posts: the garbage collector stops following a tuple of strings, where
    # at 100,000 posts a list per post made it walk the whole archive once more. (A post with k replies
    # costs k²/2 copies; even 5,000 replies to one post take milliseconds.)
    children: dict[str, tuple[str, ...]] = {}
    for uri, parent in parent_of.items():
        children[parent] = (*children.get(parent, ()), uri)
    roots = [post for uri, post in by_uri.items() if uri not in parent_of]
    # `by_uri` is in time order, so the roots are too, and so are each post's children.
    return [_thread(root, by_uri, children, withheld or {}, also_at or {}) for root in roots]


def _cut_cycles(parent_of: dict[str, str], by_uri: Mapping[str, Post]) -> None:
    """Times cannot fall all the way round a cycle, so each holds a reply posted no later than its
    parent: walks start only there, and in an archive of well-formed threads there is none."""
    done: set[str] = set()
    starts = [uri for uri, parent in parent_of.items() if by_uri[uri].created_at <= by_uri[parent].created_at]
    for start in starts:
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
    by_uri: Mapping[str, Post],
    children: Mapping[str, tuple[str, ...]],
    withheld: Mapping[str, int],
    also_at: Mapping[str, tuple[str, ...]],
) -> Thread:
    entries: list[ThreadEntry] = []
    stack: list[tuple[Post, int]] = [(root, 0)]
    while stack:
        post, depth = stack.pop()
        entries.append(ThreadEntry(post, depth, withheld.get(post.uri, 0), also_at.get(post.uri, ())))
        below = children.get(post.uri)
        if below is None:
            continue
        replies = [by_uri[uri] for uri in below]
        if len(replies) > 1:
            replies = reading_order(post, replies)
        # A self-continuation stays at its parent's depth, so a live thread reads as one column.
        for reply in reversed(replies):
            stack.append((reply, depth if reply.author.id == post.author.id else depth + 1))
    replies = [by_uri[uri] for uri in children.get(root.uri, ())]
    return Thread(id=thread_id(root), kind=_kind(root, replies, len(entries)), entries=tuple(entries))


def _kind(root: Post, replies: Iterable[Post], size: int) -> ThreadKind:
    if root.platform == "blog":
        return "blog"
    if size == 1:
        return "single"
    own = any(reply.author.id == root.author.id for reply in replies)
    return "live" if own else "conversation"
