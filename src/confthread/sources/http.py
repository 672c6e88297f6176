"""A requests session that retries what a patient person would retry."""

from __future__ import annotations

from dataclasses import dataclass

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


class RetryingSession(requests.Session):
    """Names us to the server and retries by `policy`, whichever API is read through it."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        # Credentials are the caller's alone: with an `auth` of its own, requests never lets a ~/.netrc
        # entry for the host replace or add any.
        self.auth = _as_given
        adapter = HTTPAdapter(max_retries=policy.retry())
        self.mount("http://", adapter)
        self.mount("https://", adapter)


def _as_given(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request
