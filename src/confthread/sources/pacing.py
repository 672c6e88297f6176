"""Requests kept within the budget a server announces, so that none is spent on a refusal (429)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

# A window announced as resetting further away than this is a clock gone wrong, not a wait to honour.
LONGEST_WAIT = 300.0

Heard = Callable[[Mapping[str, str]], None]
# What a server's answer says of its window: the requests left, and when (Unix time) it resets.
Budget = tuple[int, float]


def mastodon_budget(headers: Mapping[str, str]) -> Budget | None:
    """`X-RateLimit-Remaining`, and `X-RateLimit-Reset` as an ISO 8601 time.

    Header names in lower case, as the clients' header mappings all answer to them.
    """
    try:
        reset = datetime.fromisoformat(headers.get("x-ratelimit-reset") or "").timestamp()
        return int(headers.get("x-ratelimit-remaining") or ""), reset
    except ValueError:
        return None


def bluesky_budget(headers: Mapping[str, str]) -> Budget | None:
    """`RateLimit-Remaining`, and `RateLimit-Reset` in Unix seconds (the IETF draft's names)."""
    try:
        return int(headers.get("ratelimit-remaining") or ""), float(headers.get("ratelimit-reset") or "")
    except ValueError:
        return None


class Pacer:
    """What a server says is left of its rate-limit window, less the requests still on their way.

    Mastodon and Bluesky tell with every answer how many requests are left and when the window
    resets (`budget` reads which headers say so). With none left, the next request waits for the
    reset instead of being refused: the wait is the same either way, and no request is wasted.
    Answers may arrive out of order, so within one window the smallest count told is believed. A
    server that tells nothing is never waited for, and a refusal is still retried by the retry rules.
    """

    def __init__(
        self,
        budget: Callable[[Mapping[str, str]], Budget | None],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budget = budget
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._left: int | None = None
        self._reset = 0.0
        self._in_flight = 0

    @contextmanager
    def request(self) -> Iterator[Heard]:
        """Waits for room in the window; the caller hands what the server answered to the callback."""
        self._reserve()
        try:
            yield self._heard
        finally:
            with self._lock:
                self._in_flight -= 1

    def _reserve(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self._left is None or now >= self._reset or self._in_flight < self._left:
                    self._in_flight += 1
                    return
                wait = min(self._reset - now, LONGEST_WAIT)
            self._sleep(wait)

    def _heard(self, headers: Mapping[str, str]) -> None:
        told = self._budget(headers)
        if told is None:
            return
        left, resets = told
        with self._lock:
            if resets > self._reset or self._left is None:
                self._left, self._reset = left, resets
            elif resets == self._reset:
                self._left = min(self._left, left)
