"""Reads an example event's recorded platform data from disk, ready to hand to a replay server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def load_mastodon_statuses(event_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Each `mastodon/<host>.json` is what that instance holds, keyed by the base URL it stands for.

    The file name is the host so an event folder reads like the list of instances it replays.
    """
    instances: dict[str, list[dict[str, Any]]] = {}
    folder = Path(event_dir) / "mastodon"
    if not folder.is_dir():
        return instances
    for path in sorted(folder.glob("*.json")):
        try:
            statuses = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read the recorded statuses in {path}: {error}") from error
        if not isinstance(statuses, list) or not all(isinstance(s, dict) for s in statuses):
            raise ValueError(f"{path} must hold a JSON array of Mastodon statuses")
        instances[f"https://{path.stem}"] = statuses
    return instances


@dataclass(frozen=True)
class BlueskyEvent:
    """What the replayed Bluesky holds for an event: postViews, and the uris gone or blocked since.

    `accounts` (handle to app password) are the logins the replay accepts, from `account.json`.
    """

    posts: tuple[dict[str, Any], ...] = ()
    deleted: frozenset[str] = frozenset()
    blocked: frozenset[str] = frozenset()
    accounts: dict[str, str] = field(default_factory=dict)


def load_bluesky_posts(event_dir: Path) -> BlueskyEvent:
    """Reads `bluesky/posts.json` (postViews as the AppView sends them) and its companion files.

    `deleted.json` and `blocked.json` are JSON arrays of post uris (`blocked` may also name DIDs);
    `account.json` is `{"handle": …, "app_password": …}`. All but posts.json may be absent; an
    event without a `bluesky/` folder has no Bluesky posts.
    """
    folder = Path(event_dir) / "bluesky"
    if not folder.is_dir():
        return BlueskyEvent()
    posts = _read_json(folder / "posts.json", [])
    if not isinstance(posts, list) or not all(isinstance(p, dict) and "uri" in p for p in posts):
        raise ValueError(f"{folder / 'posts.json'} must hold a JSON array of Bluesky postViews")
    uris: dict[str, frozenset[str]] = {}
    for name in ("deleted", "blocked"):
        listed = _read_json(folder / f"{name}.json", [])
        if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
            raise ValueError(f"{folder / f'{name}.json'} must hold a JSON array of at:// uris")
        uris[name] = frozenset(listed)
    account = _read_json(folder / "account.json", {})
    if not isinstance(account, dict) or (account and not {"handle", "app_password"} <= account.keys()):
        raise ValueError(f'{folder / "account.json"} must hold {{"handle": …, "app_password": …}}')
    accounts = {str(account["handle"]): str(account["app_password"])} if account else {}
    return BlueskyEvent(tuple(posts), uris["deleted"], uris["blocked"], accounts)


def _read_json(path: Path, missing: Any) -> Any:
    if not path.exists():
        return missing
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the recorded Bluesky data in {path}: {error}") from error


def web_origins(event_dir: Path) -> set[str]:
    """Every https://host the recorded posts point at (pictures, avatars, links), for stand-ins."""
    origins: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            parts = urlsplit(value)
            if parts.hostname:
                origins.add(f"{parts.scheme}://{parts.netloc}")

    for path in sorted(event_dir.glob("*/*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return origins
