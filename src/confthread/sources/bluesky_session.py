"""A Bluesky login kept between runs, since Bluesky allows few logins a day: readable by the user alone."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs


class SessionStore:
    """One file per (service, handle) in the user's state directory, mode 0600, never in the archive."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or platformdirs.user_state_path("confthread")

    def _path(self, service: str, handle: str) -> Path:
        key = hashlib.sha256(f"{service}|{handle.casefold()}".encode()).hexdigest()[:20]
        return self.directory / f"bluesky-{key}.session"

    def load(self, service: str, handle: str) -> str | None:
        try:
            return self._path(service, handle).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def save(self, service: str, handle: str, session: str) -> None:
        """Written whole or not at all, and never readable by anyone else, not even for a moment."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(service, handle)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(session)
        temporary.replace(path)

    def forget(self, service: str, handle: str) -> None:
        self._path(service, handle).unlink(missing_ok=True)
