"""Bluesky post views in wire format built to order, for tests and benchmarks that need a precise network."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

EVENT_DAY = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def did(name: str) -> str:
    return "did:plc:" + hashlib.sha256(name.encode()).hexdigest()[:24]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Network:
    """Posts keyed by a short name; replies, quotes and counts kept consistent as posts are added."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    def uri(self, key: str) -> str:
        return str(self.by_key[key]["uri"])

    def add(
        self,
        key: str,
        by: str,
        minute: float,
        *,
        reply_to: str | None = None,
        tag: str | None = None,
        text_tag: str | None = None,
        record_tag: str | None = None,
        quote: str | None = None,
        alt: str | None = None,
        opted_out: bool = False,
        text: str | None = None,
    ) -> str:
        created = EVENT_DAY + timedelta(minutes=minute)
        body = text or f"Post {key}"
        facets: list[dict[str, Any]] = []
        if tag:
            start = len((body + " ").encode())
            body = f"{body} #{tag}"
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": len(body.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            )
        if text_tag:
            body = f"{body} #{text_tag}"
        author_did = did(by)
        uri = f"at://{author_did}/app.bsky.feed.post/{key.replace('-', '')}{len(self.posts):04d}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": body,
            "createdAt": stamp(created),
            "langs": ["en"],
            "facets": facets,
        }
        if record_tag:
            record["tags"] = [record_tag]
        if reply_to:
            parent = self.by_key[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {
                "uri": parent["uri"],
                "cid": parent["cid"],
            }
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
            parent["replyCount"] += 1
        view: dict[str, Any] = {
            "uri": uri,
            "cid": "bafy" + hashlib.sha256(uri.encode()).hexdigest()[:52],
            "author": {
                "did": author_did,
                "handle": f"{by}.bsky.social",
                "displayName": by.title(),
                "avatar": f"https://cdn.bsky.app/img/avatar/plain/{author_did}/a@jpeg",
                "labels": [
                    {
                        "src": author_did,
                        "uri": f"at://{author_did}/app.bsky.actor.profile/self",
                        "cid": "bafyself",
                        "val": "!no-unauthenticated",
                        "cts": stamp(EVENT_DAY),
                    }
                ]
                if opted_out
                else [],
                "createdAt": "2024-01-01T00:00:00.000Z",
            },
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": stamp(created + timedelta(seconds=1)),
            "labels": [],
        }
        if alt is not None:
            images = [
                {
                    "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{author_did}/{key}@jpeg",
                    "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{author_did}/{key}@jpeg",
                    "alt": alt,
                    "aspectRatio": {"width": 4, "height": 3},
                }
            ]
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": alt,
                        "image": {
                            "$type": "blob",
                            "ref": {"$link": "bafkimage"},
                            "mimeType": "image/jpeg",
                            "size": 1000,
                        },
                    }
                ],
            }
            view["embed"] = {"$type": "app.bsky.embed.images#view", "images": images}
        if quote:
            quoted = self.by_key[quote]
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
            }
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": quoted["uri"],
                    "cid": quoted["cid"],
                    "author": quoted["author"],
                    "value": quoted["record"],
                    "indexedAt": quoted["indexedAt"],
                },
            }
            quoted["quoteCount"] += 1
        self.posts.append(view)
        self.by_key[key] = view
        return uri
