"""The instance documents (/api/v1/instance, /api/v2/instance) of a replayed Mastodon server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

VERSION = "4.3.0"

_CONFIGURATION_STATUSES = {
    "max_characters": 500,
    "max_media_attachments": 4,
    "characters_reserved_per_url": 23,
}
_CONFIGURATION_MEDIA = {
    "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
    "image_size_limit": 16777216,
    "image_matrix_limit": 33177600,
    "video_size_limit": 103809024,
    "video_frame_rate_limit": 120,
    "video_matrix_limit": 8294400,
}
_CONFIGURATION_POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2629746,
}


def instance_domain(statuses: Iterable[Mapping[str, Any]], base_url: str) -> str:
    """The host the local accounts live on, so the documents match the data being served.

    Falls back to the loopback address when every account is remote (or there are none).
    """
    for status in statuses:
        account = status.get("account") or {}
        if "@" not in str(account.get("acct", "@")) and account.get("url"):
            host = urlsplit(str(account["url"])).hostname
            if host:
                return host
    return urlsplit(base_url).netloc


def instance_v1(domain: str, user_count: int, status_count: int) -> dict[str, Any]:
    return {
        "uri": domain,
        "title": domain,
        "short_description": f"A small Mastodon server ({domain}).",
        "description": f"A small Mastodon server ({domain}).",
        "email": f"admin@{domain}",
        "version": VERSION,
        "urls": {"streaming_api": f"wss://{domain}"},
        "stats": {"user_count": user_count, "status_count": status_count, "domain_count": 2},
        "thumbnail": f"https://{domain}/packs/media/images/preview.png",
        "languages": ["en"],
        "registrations": False,
        "approval_required": True,
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 10},
            "statuses": _CONFIGURATION_STATUSES,
            "media_attachments": _CONFIGURATION_MEDIA,
            "polls": _CONFIGURATION_POLLS,
        },
        "contact_account": None,
        "rules": [],
    }


def instance_v2(domain: str, user_count: int) -> dict[str, Any]:
    return {
        "domain": domain,
        "title": domain,
        "version": VERSION,
        "source_url": "https://github.com/mastodon/mastodon",
        "description": f"A small Mastodon server ({domain}).",
        "usage": {"users": {"active_month": user_count}},
        "thumbnail": {"url": f"https://{domain}/packs/media/images/preview.png"},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": f"wss://{domain}"},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": _CONFIGURATION_STATUSES,
            "media_attachments": _CONFIGURATION_MEDIA,
            "polls": _CONFIGURATION_POLLS,
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": True, "message": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": f"admin@{domain}", "account": None},
        "rules": [],
    }
