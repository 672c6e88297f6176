"""A requests session that retries what a patient person would retry, and keeps the bytes it received."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "confthread/0.1 (+https://pypi.org/project/confthread/)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: urllib3 honours Retry-After on 429 and 503 and backs off exponentially otherwise."""

    attempts: int = 5
    backoff: float = 0.5
    backoff_max: float = 60.0
    timeout: float = 30.0

    def retry(self) -> Retry:
        return Retry(
            total=self.attempts,
            connect=self.attempts,
            read=self.attempts,
            status=self.attempts,
            backoff_factor=self.backoff,
            backoff_max=self.backoff_max,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )


class RecordingSession(requests.Session):
    """Remembers, per thread, the last response body: the raw payload kept beside each parsed post.

    Client libraries hand back their own objects (with dates parsed and fields renamed); provenance
    wants the JSON exactly as the server sent it.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(max_retries=policy.retry())
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self._last = threading.local()
        self.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last.response = response

    def last_json(self) -> Any:
        response: requests.Response = self._last.response
        return response.json()
