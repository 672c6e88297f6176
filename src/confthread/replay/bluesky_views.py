"""The AppView's small views built on the fly: detailed profiles and thread placeholders."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# When the viewer's replayed blocks were made: before any example event, so they sort as older.
_BLOCKED_SINCE = datetime(2026, 5, 1, tzinfo=UTC)


def tid(moment: datetime, clock_id: int = 0) -> str:
    """A record key in atproto's TID form (microseconds since the epoch, then a clock id), base32-sortable."""
    value = (int(moment.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def not_found_post(uri: str) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}


def blocked_post(uri: str, author: str, viewer: str) -> dict[str, Any]:
    """The placeholder for a post whose author the viewer blocked: the block record's uri, no content."""
    seed = int.from_bytes(hashlib.sha256(f"{viewer} blocks {author}".encode()).digest()[:4], "big")
    block = f"at://{viewer}/app.bsky.graph.block/{tid(_BLOCKED_SINCE, seed)}"
    return {
        "$type": "app.bsky.feed.defs#blockedPost",
        "uri": uri,
        "blocked": True,
        "author": {"did": author, "viewer": {"blockedBy": False, "blocking": block}},
    }


def profile_detailed(
    did: str, handle: str, author: Mapping[str, Any] | None, posts_count: int
) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewDetailed from what a post's author view carries.

    Follower counts are not in any post, so they are made up, but stable for a given account.
    """
    author = author or {}
    seed = int.from_bytes(hashlib.sha256(did.encode()).digest()[:4], "big")
    profile: dict[str, Any] = {"did": did, "handle": author.get("handle", handle)}
    for key in ("displayName", "avatar"):
        if key in author:
            profile[key] = author[key]
    associated: dict[str, Any] = {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False}
    chat = (author.get("associated") or {}).get("chat")
    if chat is not None:
        associated["chat"] = chat
    profile["associated"] = associated
    profile["viewer"] = dict(author.get("viewer") or {"muted": False, "blockedBy": False})
    profile["labels"] = list(author.get("labels") or [])
    if "createdAt" in author:
        profile["createdAt"] = author["createdAt"]
        profile["indexedAt"] = author["createdAt"]
    profile["followersCount"] = 20 + seed % 480
    profile["followsCount"] = 30 + (seed >> 9) % 300
    profile["postsCount"] = posts_count
    return profile
