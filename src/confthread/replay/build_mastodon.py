"""Mastodon statuses in wire format built to order, for tests and benchmarks that need a precise instance."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from confthread.replay.mastodon import snowflake_id

EVENT_DAY = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def account(name: str, home: str, *, seen_from: str, noindex: bool = False) -> dict[str, Any]:
    return {
        "id": str(zlib.crc32(f"{name}@{seen_from}".encode())),
        "username": name,
        "acct": name if home == seen_from else f"{name}@{home}",
        "display_name": name.title(),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "noindex": noindex,
        "group": False,
        "created_at": "2020-01-01T00:00:00.000Z",
        "note": "<p>Librarian.</p>",
        "url": f"https://{home}/@{name}",
        "uri": f"https://{home}/users/{name}",
        "avatar": f"https://{home}/avatars/{name}.png",
        "avatar_static": f"https://{home}/avatars/{name}.png",
        "header": "",
        "header_static": "",
        "followers_count": 1,
        "following_count": 1,
        "statuses_count": 1,
        "last_status_at": "2026-06-10",
        "emojis": [],
        "fields": [],
    }


@dataclass
class Instance:
    """One server's view: local ids differ per server, while `uri` names a status everywhere."""

    host: str
    statuses: list[dict[str, Any]] = field(default_factory=list)
    _ids: dict[str, str] = field(default_factory=dict)
    _by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        key: str,
        by: str,
        minute: float,
        *,
        home: str | None = None,
        reply_to: str | None = None,
        tags: tuple[str, ...] = (),
        visibility: str = "public",
        noindex: bool = False,
        alt: str | None = None,
    ) -> str:
        home = home or self.host
        created = EVENT_DAY + timedelta(minutes=minute)
        local_id = snowflake_id(created, len(self.statuses) + 1)
        self._ids[key] = local_id
        uri = f"https://{home}/users/{by}/statuses/{key}"
        if reply_to:
            self._by_key[reply_to]["replies_count"] += 1
        words = " ".join(
            f'<a href="https://{self.host}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
            for t in tags
        )
        self.statuses.append(
            {
                "id": local_id,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "in_reply_to_id": self._ids[reply_to] if reply_to else None,
                "in_reply_to_account_id": None,
                "sensitive": False,
                "spoiler_text": "",
                "visibility": visibility,
                "language": "en",
                "uri": uri,
                "url": f"https://{home}/@{by}/{key}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": f"<p>Post {key} {words}</p>",
                "reblog": None,
                "application": None,
                "account": account(by, home, seen_from=self.host, noindex=noindex),
                "media_attachments": []
                if alt is None
                else [
                    {
                        "id": "1",
                        "type": "image",
                        "url": f"https://{home}/media/{key}.png",
                        "preview_url": f"https://{home}/media/{key}-small.png",
                        "remote_url": None,
                        "preview_remote_url": None,
                        "text_url": None,
                        "meta": {},
                        "description": alt or None,
                        "blurhash": None,
                    }
                ],
                "mentions": [],
                "tags": [{"name": t.lower(), "url": f"https://{self.host}/tags/{t.lower()}"} for t in tags],
                "emojis": [],
                "card": None,
                "poll": None,
            }
        )
        self._by_key[key] = self.statuses[-1]
        return uri
