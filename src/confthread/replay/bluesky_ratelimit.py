"""Bluesky's rate-limit budgets: fixed windows spent request by request, told in `RateLimit-*` headers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from confthread.replay.bluesky_xrpc import XrpcError

Clock = Callable[[], datetime]

# bsky.social's recorded policy for reads (RateLimit-Policy: 3000;w=300), and its published login
# limit (30 createSession calls per account in five minutes).
GLOBAL_LIMIT = 3000
LOGIN_LIMIT = 30
WINDOW_SECONDS = 300


@dataclass(frozen=True)
class Spent:
    """The outcome of one request against a budget; `headers` go on the response either way."""

    allowed: bool
    headers: dict[str, str]

    def check(self) -> None:
        if not self.allowed:
            raise XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded")


class Budget:
    """`limit` requests per key per window; windows are aligned to the epoch so resets are predictable.

    A real service counts the same way, so a client that paces itself by the headers (or by a 429's
    `RateLimit-Reset`) is exercised as it would be live.
    """

    def __init__(self, limit: int, clock: Clock, window: int = WINDOW_SECONDS) -> None:
        if limit < 1:
            raise ValueError(f"a rate limit allows at least one request, not {limit}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._spent: dict[str, tuple[int, int]] = {}

    def spend(self, key: str = "") -> Spent:
        now = int(self._clock().timestamp())
        start = now - now % self.window
        with self._lock:
            window_start, used = self._spent.get(key, (start, 0))
            if window_start != start:
                used = 0
            allowed = used < self.limit
            if allowed:
                used += 1
            self._spent[key] = (start, used)
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.limit - used),
            "RateLimit-Reset": str(start + self.window),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }
        return Spent(allowed, headers)
