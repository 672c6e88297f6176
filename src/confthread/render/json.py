"""The JSON digest: the machine-readable twin of the HTML page, in the shape DESIGN.md fixes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from confthread.models import Author, Digest, Media, Thread, ThreadEntry
from confthread.render.consent import visible_threads


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with an explicit "+00:00", whatever zone the datetime arrived in."""
    return moment.astimezone(UTC).isoformat()


def _author_to_dict(author: Author) -> dict[str, Any]:
    return {"handle": author.handle, "name": author.name, "url": author.url}


def _media_to_dict(media: Media) -> dict[str, Any]:
    return {"url": media.url, "alt": media.alt}


def _entry_to_dict(entry: ThreadEntry) -> dict[str, Any]:
    post = entry.post
    data: dict[str, Any] = {
        "uri": post.uri,
        "url": post.url,
        "platform": post.platform,
        "author": _author_to_dict(post.author),
        "created_at": iso_utc(post.created_at),
        "text": post.text,
        "reply_to": post.reply_to,
        "quote_of": post.quote_of,
        "media": [_media_to_dict(media) for media in post.media],
        # The model does not carry cross-posts yet; the key is part of the published shape.
        "also_at": [],
    }
    # Only a count, and only when there is something to count: a withheld reply leaves no other trace.
    if entry.withheld_replies > 0:
        data["withheld_replies"] = entry.withheld_replies
    return data


def _thread_to_dict(thread: Thread, entries: tuple[ThreadEntry, ...]) -> dict[str, Any]:
    return {
        "id": thread.id,
        "kind": thread.kind,
        "session": thread.session,
        "posts": [_entry_to_dict(entry) for entry in entries],
    }


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """A new dict of plain JSON types; posts keep the thread's reading order."""
    return {
        "title": digest.title,
        "hashtags": list(digest.hashtags),
        "generated_at": iso_utc(digest.generated_at),
        "threads": [_thread_to_dict(thread, entries) for thread, entries in visible_threads(digest)],
    }


def render_json(digest: Digest) -> str:
    """Indented UTF-8 text (not ASCII escapes), ending in a newline like any text file."""
    return json.dumps(digest_to_dict(digest), indent=2, ensure_ascii=False) + "\n"
