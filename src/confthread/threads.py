"""Reply trees from a flat set of posts: pure, total, and indifferent to the order posts arrive in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from itertools import compress, count, islice
from operator import attrgetter, eq

from confthread.models import Post, Thread, ThreadEntry, ThreadKind

# Time, then uri: a total order, so nothing depends on the order posts arrive in. An attrgetter, not a
# function: every step sorts all the posts by it, and it spares a Python call per post.
post_key: Callable[[Post], tuple[datetime, str]] = attrgetter("created_at", "uri")
_CREATED_AT = attrgetter("created_at")


def thread_id(root: Post) -> str:
    """Stable across renders, so links into a published digest keep working."""
    return "t-" + sha256(f"{root.platform}|{root.uri}".encode()).digest()[:6].hex()


def unique_posts(posts: Iterable[Post]) -> dict[str, Post]:
    """Each uri once (its earliest copy), in time order: what every later step may rely on."""
    ordered = sorted_by_time(posts)
    by_uri = {post.uri: post for post in ordered}
    if len(by_uri) < len(ordered):  # a uri came twice (the dict kept its last copy): keep its earliest
        by_uri = {}
        for post in ordered:
            by_uri.setdefault(post.uri, post)
    return by_uri


def sorted_by_time(posts: Iterable[Post]) -> list[Post]:
    """The posts in `post_key` order. Sorted by time alone, which spares making a key pair for each of
    100,000 posts: posts at one time must then go by uri, and most already do (an archive gives them
    so); only when some do not are they sorted by both."""
    ordered = sorted(posts, key=_CREATED_AT)
    times = list(map(_CREATED_AT, ordered))
    tied = compress(count(), map(eq, times, islice(times, 1, None)))  # at the time of the post after
    if any(ordered[index].uri > ordered[index + 1].uri for index in tied):
        ordered.sort(key=post_key)
    return ordered


def reply_parents(by_uri: Mapping[str, Post]) -> dict[str, str]:
    """Each post's parent among `by_uri`; a reply cycle (only broken data holds one) is cut at its
    earliest post."""
    roots = set(replies_among(by_uri).roots)  # a post whose link was cut among them
    return {
        uri: parent
        for uri, post in by_uri.items()
        if (parent := post.reply_to) is not None and uri not in roots
    }


@dataclass(frozen=True)
class Replies:
    """Who answers whom among posts each uri once, in time order (`unique_posts`): worked out in one pass
    over them, then read by each step of a digest."""

    # Each parent's replies in reading order (`reading_order`), of which the first `own[parent]` are its
    # author's; and the posts that answer none of them (the threads' roots), in time order. Tuples of
    # uris, not lists of posts: the garbage collector stops following a tuple of strings, where at
    # 100,000 posts a list per post made it walk the whole archive once more. (A post with k replies costs
    # k²/2 copies; even 5,000 replies to one post take milliseconds.)
    children: dict[str, tuple[str, ...]]
    own: dict[str, int]
    roots: list[str]
    # The posts whose reply link among them was cut: one that answers itself, the earliest of a cycle.
    cut: list[str]


def replies_among(by_uri: Mapping[str, Post]) -> Replies:
    """Who answers whom among posts each uri once, in time order: a post whose parent is missing is a
    root, and so is the earliest post of a reply cycle."""
    children: dict[str, tuple[str, ...]] = {}
    own: dict[str, int] = {}
    roots: list[str] = []
    cut: list[str] = []
    # Times cannot fall all the way round a cycle, so each holds a reply posted no later than its parent:
    # walks for cycles start only there, and in an archive of well-formed threads there is none.
    starts: list[str] = []
    find, replies_to, root = by_uri.get, children.get, roots.append
    for uri, post in by_uri.items():
        parent = post.reply_to
        above = find(parent) if parent is not None else None
        if parent is None or above is None:
            root(uri)
        elif parent == uri:
            root(uri)
            cut.append(uri)
        else:
            # Posts come in time order, so a parent's own replies, and everyone else's, do too.
            replies = replies_to(parent)
            if post.author.id == above.author.id:
                mine = own.get(parent, 0)
                children[parent] = (*replies[:mine], uri, *replies[mine:]) if replies else (uri,)
                own[parent] = mine + 1
            else:
                children[parent] = (*replies, uri) if replies else (uri,)
            if post.created_at <= above.created_at:
                starts.append(uri)
    if starts:
        parent_of = {reply: parent for parent, replies in children.items() for reply in replies}
        cycles = _cut_cycles(parent_of, by_uri, starts)
        for uri, parent in cycles:
            cut.append(uri)
            replies = children.pop(parent)
            if replies.index(uri) < own.get(parent, 0):
                own[parent] -= 1
                if not own[parent]:
                    del own[parent]
            if len(replies) > 1:
                children[parent] = tuple(reply for reply in replies if reply != uri)
        if cycles:
            roots = [uri for uri in by_uri if uri not in parent_of]
    return Replies(children, own, roots, cut)


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
    return threads_of(by_uri, replies_among(by_uri), withheld or {}, also_at or {})


def threads_of(
    by_uri: Mapping[str, Post],
    replies: Replies,
    withheld: Mapping[str, int],
    also_at: Mapping[str, tuple[str, ...]],
) -> list[Thread]:
    """`build_threads` of posts already made unique (`unique_posts`, in time order), and who answers whom
    among them: the digest works both out once for every step."""
    children, own = replies.children, replies.own
    noted = withheld.keys() | also_at.keys()  # the few posts whose entry says more than post and depth
    threads: list[Thread] = []
    replies_to, entry = children.get, ThreadEntry
    for uri in replies.roots:
        root = by_uri[uri]
        first = _entry(root, 0, withheld, also_at) if uri in noted else entry(root)
        below = replies_to(uri)
        if below is None:  # most threads are a single post
            kind: ThreadKind = "blog" if root.platform == "blog" else "single"
            threads.append(Thread(id=thread_id(root), kind=kind, entries=(first,)))
            continue
        entries = [first]
        # Depth first, each post's replies in reading order. A self-continuation stays at its parent's
        # depth, so a live thread reads as one column. A post with one reply, the most common, goes
        # straight on to it.
        later: list[tuple[str, int]] = []
        at, depth = uri, 0
        while True:
            if below is not None:
                if len(below) > 1:  # the others for later, the last to read first
                    mine = own.get(at, 0)
                    later.extend(
                        (below[index], depth if index < mine else depth + 1)
                        for index in range(len(below) - 1, 0, -1)
                    )
                if at not in own:  # the first reply is someone else's
                    depth += 1
                at = below[0]
            elif later:
                at, depth = later.pop()
            else:
                break
            post = by_uri[at]
            entries.append(_entry(post, depth, withheld, also_at) if at in noted else entry(post, depth))
            below = replies_to(at)
        kind = "blog" if root.platform == "blog" else "live" if uri in own else "conversation"
        threads.append(Thread(id=thread_id(root), kind=kind, entries=tuple(entries)))
    return threads


def _entry(
    post: Post, depth: int, withheld: Mapping[str, int], also_at: Mapping[str, tuple[str, ...]]
) -> ThreadEntry:
    return ThreadEntry(post, depth, withheld.get(post.uri, 0), also_at.get(post.uri, ()))


def _cut_cycles(
    parent_of: dict[str, str], by_uri: Mapping[str, Post], starts: Iterable[str]
) -> list[tuple[str, str]]:
    """Walks from `starts` (which any cycle holds one of) cut each cycle at its earliest post: the posts
    whose link is cut, each with the parent it had."""
    done: set[str] = set()
    cut: list[tuple[str, str]] = []
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
            earliest = min(cycle, key=lambda u: post_key(by_uri[u]))
            cut.append((earliest, parent_of.pop(earliest)))
        done.update(path)
    return cut


def reading_order(parent: Post, replies: Iterable[Post]) -> list[Post]:
    """The author's own continuation first, then everyone else, each by time."""
    return sorted(replies, key=lambda post: (post.author.id != parent.author.id, *post_key(post)))
