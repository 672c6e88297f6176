"""The posts a replayed Bluesky AppView holds, indexed by uri, author, parent and time."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from confthread.replay.bluesky_xrpc import field, parse_datetime

Post = Mapping[str, Any]

POST_URI = re.compile(r"^at://(?P<authority>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[^/?#]+)$")


def sort_at(post: Post) -> datetime:
    """The AppView's `sortAt`: the earlier of `createdAt` and `indexedAt`, so a post whose clock ran
    ahead cannot sit at the top of a feed, and search windows (`since`/`until`) use it too."""
    indexed = parse_datetime(str(post["indexedAt"]))
    try:
        created = parse_datetime(str(field(post, "record", "createdAt")))
    except ValueError:
        return indexed
    return min(created, indexed)


def root_uri(post: Post) -> str:
    return str(field(post, "record", "reply", "root", "uri") or post["uri"])


def parent_uri(post: Post) -> str | None:
    parent = field(post, "record", "reply", "parent", "uri")
    return str(parent) if parent else None


def author_did(uri: str) -> str:
    match = POST_URI.match(uri)
    return match["authority"] if match else ""


class BlueskyStore:
    """Read-only after construction, so one store serves many handler threads at once.

    Posts are kept as given (never copied or changed): what goes out is what came in. `deleted`
    holds uris of posts gone from the network; `blocked` holds post uris or account DIDs the
    viewer has blocked. Both are kept in the store so the same data can replay before and after.
    """

    def __init__(
        self, posts: Iterable[Post], *, deleted: Iterable[str] = (), blocked: Iterable[str] = ()
    ) -> None:
        self._posts: dict[str, Post] = {}
        for post in posts:
            uri = str(post.get("uri"))
            if not POST_URI.match(uri) or not uri.startswith("at://did:"):
                raise ValueError(f"a Bluesky post needs an at://did:…/app.bsky.feed.post/… uri, not {uri!r}")
            if field(post, "author", "did") != author_did(uri):
                raise ValueError(f"the author of {uri} is not the account in its uri")
            if uri in self._posts:
                raise ValueError(f"two posts share the uri {uri}")
            self._posts[uri] = post
        self._deleted = frozenset(deleted)
        self._blocked = frozenset(blocked)
        live = [post for uri, post in self._posts.items() if uri not in self._deleted]
        live.sort(key=lambda post: (sort_at(post), post["uri"]), reverse=True)
        self._newest_first = tuple(live)
        self._replies: dict[str, list[Post]] = {}
        for post in live:
            parent = parent_uri(post)
            if parent is not None:
                self._replies.setdefault(parent, []).append(post)
        self._actors: dict[str, Mapping[str, Any]] = {}
        for post in sorted(self._posts.values(), key=sort_at, reverse=True):
            self._actors.setdefault(str(post["author"]["did"]), post["author"])
        self._handles = {str(a.get("handle", "")).casefold(): did for did, a in self._actors.items()}
        self._post_counts = Counter(author_did(str(post["uri"])) for post in live)

    def post(self, uri: str) -> Post | None:
        """A post that still exists, blocked or not (a thread shows a blocked one as a placeholder)."""
        return None if uri in self._deleted else self._posts.get(uri)

    def visible(self, uri: str) -> Post | None:
        """A post search and getPosts may show: it exists and the viewer has not blocked it."""
        post = self.post(uri)
        return None if post is None or self.is_blocked(post) else post

    def is_blocked(self, post: Post) -> bool:
        uri = str(post["uri"])
        return uri in self._blocked or author_did(uri) in self._blocked

    def newest_first(self) -> Iterator[Post]:
        return (post for post in self._newest_first if not self.is_blocked(post))

    def replies(self, uri: str) -> list[Post]:
        """Existing direct replies, newest first: the order the AppView's thread query returns."""
        return self._replies.get(uri, [])

    def resolve(self, actor: str) -> str | None:
        """A handle or DID to the DID of an account this AppView has seen post."""
        if actor.startswith("did:"):
            return actor if actor in self._actors else None
        return self._handles.get(actor.lstrip("@").casefold())

    def normalise(self, uri: str) -> str:
        """`at://handle/…` to `at://did/…`, as the AppView resolves a handle in a post uri."""
        match = POST_URI.match(uri)
        if match is None or match["authority"].startswith("did:"):
            return uri
        did = self.resolve(match["authority"])
        return uri if did is None else f"at://{did}/app.bsky.feed.post/{match['rkey']}"

    def actor(self, did: str) -> Mapping[str, Any] | None:
        """The author view of an account, as its newest post carries it."""
        return self._actors.get(did)

    def post_count(self, did: str) -> int:
        return self._post_counts[did]
