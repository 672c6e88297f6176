"""app.bsky.feed.getPostThread: the threadViewPost tree around one post, cut where the AppView cuts it."""

from __future__ import annotations

from typing import Any

from confthread.replay.bluesky_store import BlueskyStore, Post, author_did, parent_uri, root_uri
from confthread.replay.bluesky_views import blocked_post, not_found_post
from confthread.replay.bluesky_xrpc import XrpcError

THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


def post_thread(
    store: BlueskyStore, uri: str, *, depth: int, parent_height: int, viewer: str
) -> dict[str, Any]:
    """What the AppView's (v1) thread view returns, following its rules:

    - an anchor that does not exist is an error (400 NotFound), a blocked one a `blockedPost`;
    - going up, a missing parent is a `notFoundPost` and a blocked one a `blockedPost`, and either
      ends the chain; parents carry no `replies`;
    - going down, replies come newest first (the AppView orders descendants by `sortAt`, newest
      first); a deleted reply is left out with everything under it; a blocked one is a
      `blockedPost` placeholder; a node at the depth limit has no `replies` key at all;
    - posts of another thread (a different `reply.root`) are outside the boundary and left out.
    """
    anchor = store.post(uri)
    if anchor is None:
        raise XrpcError(400, "NotFound", f"Post not found: {uri}")
    if store.is_blocked(anchor):
        return blocked_post(uri, author_did(uri), viewer)
    root = root_uri(anchor)
    node: dict[str, Any] = {"$type": THREAD_VIEW, "post": anchor}
    parent = _parents(store, anchor, root, parent_height, viewer)
    if parent is not None:
        node["parent"] = parent
    replies = _replies(store, anchor, root, depth, viewer, frozenset({uri}))
    if replies is not None:
        node["replies"] = replies
    node["threadContext"] = {}
    return node


def _parents(store: BlueskyStore, child: Post, root: str, height: int, viewer: str) -> dict[str, Any] | None:
    # Walked iteratively and nested afterwards: a chain may be a thousand posts long.
    chain: list[dict[str, Any]] = []
    seen = {str(child["uri"])}
    current = child
    while len(chain) < height:
        uri = parent_uri(current)
        if uri is None or uri in seen:
            break
        seen.add(uri)
        post = store.post(uri)
        if post is None:
            chain.append(not_found_post(uri))
            break
        if root_uri(post) != root:
            break
        if store.is_blocked(post):
            chain.append(blocked_post(uri, author_did(uri), viewer))
            break
        chain.append({"$type": THREAD_VIEW, "post": post})
        current = post
    above: dict[str, Any] | None = None
    for link in reversed(chain):
        node = link
        if link["$type"] == THREAD_VIEW:
            node = {"$type": THREAD_VIEW, "post": link["post"]}
            if above is not None:
                node["parent"] = above
            node["threadContext"] = {}
        above = node
    return above


def _replies(
    store: BlueskyStore, post: Post, root: str, depth: int, viewer: str, seen: frozenset[str]
) -> list[dict[str, Any]] | None:
    if depth < 1:
        return None
    nodes: list[dict[str, Any]] = []
    for reply in store.replies(str(post["uri"])):
        uri = str(reply["uri"])
        if uri in seen or root_uri(reply) != root:
            continue
        if store.is_blocked(reply):
            nodes.append(blocked_post(uri, author_did(uri), viewer))
            continue
        node: dict[str, Any] = {"$type": THREAD_VIEW, "post": reply}
        below = _replies(store, reply, root, depth - 1, viewer, seen | {uri})
        if below is not None:
            node["replies"] = below
        node["threadContext"] = {}
        nodes.append(node)
    return nodes
