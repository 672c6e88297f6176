"""Reads an example event's recorded platform data from disk, ready to hand to a replay server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
