"""Bluesky through the atproto SDK: login kept between runs, search, threads and posts, with retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from confthread.errors import SourceError
from confthread.sources.bluesky_session import SessionStore
from confthread.sources.http import RetryPolicy
from confthread.sources.pacing import Pacer, bluesky_budget

SEARCH_PAGE = 100
POSTS_PER_CALL = 25
THREAD_DEPTH = 1000
# Longer than this, a rate limit is better reported than slept through.
LONGEST_WAIT = 300.0

# What the service says when a session's token is stale or revoked: a fresh login may cure it.
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"})

T = TypeVar("T")


@dataclass(frozen=True)
class SearchPage:
    posts: list[dict[str, Any]]
    cursor: str | None
    hits_total: int | None


class BlueskyClient:
    """One Bluesky service and one account; every failure leaves as a one-line SourceError."""

    def __init__(
        self,
        service: str,
        handle: str | None,
        password: str | None,
        *,
        policy: RetryPolicy | None = None,
        sessions: SessionStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = SEARCH_PAGE,
    ) -> None:
        self.service = service
        self.page_size = page_size
        self._handle = handle
        self._password = password
        self._policy = policy or RetryPolicy()
        self._sessions = sessions or SessionStore()
        self._sleep = sleep
        self._client = Client(base_url=service, request=Request(timeout=self._policy.timeout))
        # Threads are fetched side by side: they share the account's budget.
        self._pacer = Pacer(bluesky_budget)
        self._client.on_session_change(self._keep_session)

    def login(self) -> None:
        """Reuse the kept session when it still works; log in with the app password only when not."""
        if not self._handle or not self._password:
            raise SourceError(
                "Bluesky search needs a login: set CONFTHREAD_BLUESKY_HANDLE and "
                "CONFTHREAD_BLUESKY_APP_PASSWORD (an app password, from Settings > Privacy and security), "
                "or pass --no-bluesky"
            )
        kept = self._sessions.load(self.service, self._handle)
        if kept:
            try:
                self._client.login(session_string=kept, fetch_bsky_profile=False)
                return
            except (ValueError, RequestErrorBase):
                self._sessions.forget(self.service, self._handle)
        self._password_login()

    def _password_login(self) -> None:
        handle, password = self._handle or "", self._password or ""
        refused = (
            f"Bluesky {self.service} refused the login for {handle}; check CONFTHREAD_BLUESKY_HANDLE and "
            "CONFTHREAD_BLUESKY_APP_PASSWORD (use an app password, not the account password)"
        )
        self._retrying(
            "the login",
            lambda: self._client.login(handle, password, fetch_bsky_profile=False),
            refused=refused,
        )

    def _keep_session(self, event: object, session: Any) -> None:
        if self._handle:
            self._sessions.save(self.service, self._handle, session.export())

    def search(
        self, query: str, *, since: datetime | None, until: datetime | None, cursor: str | None = None
    ) -> SearchPage:
        params = models.AppBskyFeedSearchPosts.Params(
            q=query,
            sort="latest",
            limit=self.page_size,
            cursor=cursor,
            since=_iso(since),
            until=_iso(until),
        )
        body = self._query(f"the search for {query!r}", "app.bsky.feed.searchPosts", params)
        return SearchPage(list(body.get("posts") or []), body.get("cursor") or None, body.get("hitsTotal"))

    def thread(self, uri: str) -> dict[str, Any] | None:
        """The thread around a post, or None when the post is gone."""
        params = models.AppBskyFeedGetPostThread.Params(
            uri=uri, depth=THREAD_DEPTH, parent_height=THREAD_DEPTH
        )
        try:
            body = self._query(f"the thread of {uri}", "app.bsky.feed.getPostThread", params)
        except _Gone:
            return None
        thread: dict[str, Any] = body.get("thread") or {}
        return thread

    def posts(self, uris: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(uris), POSTS_PER_CALL):
            params = models.AppBskyFeedGetPosts.Params(uris=list(uris[start : start + POSTS_PER_CALL]))
            found.extend(self._query("quoted posts", "app.bsky.feed.getPosts", params).get("posts") or [])
        return found

    def close(self) -> None:
        self._client.request.close()

    # -- the one way every call is made -----------------------------------------------------------

    def _query(self, what: str, nsid: str, params: Any) -> Mapping[str, Any]:
        def call() -> Mapping[str, Any]:
            with self._pacer.request() as heard:
                response = self._client.invoke_query(nsid, params=params)
                heard(response.headers)
            content = response.content
            if not isinstance(content, Mapping):
                raise _NotJson
            return content

        try:
            return self._retrying(what, call)
        except _Expired:
            # A kept session the service no longer honours: one fresh login, then the call again.
            self._sessions.forget(self.service, self._handle or "")
            self._password_login()
            return self._retrying(what, call, renew=False)

    def _retrying(
        self, what: str, call: Callable[[], T], *, refused: str | None = None, renew: bool = True
    ) -> T:
        attempts = self._policy.attempts
        for attempt in range(attempts + 1):
            try:
                return call()
            except RateLimitExceededError as error:
                wait = _rate_limit_wait(error)
                if wait > LONGEST_WAIT or attempt == attempts:
                    raise SourceError(
                        f"Bluesky {self.service} is rate-limiting {what}; wait "
                        f"{max(1, round(wait / 60))} minutes and run collect again (it resumes)"
                    ) from None
            except BadRequestError as error:
                if _error_name(error) == "NotFound":
                    raise _Gone from None
                # refreshSession answers 400 when the kept refresh token has expired or was revoked.
                if refused is None and renew and _error_name(error) in TOKEN_ERRORS:
                    raise _Expired from None
                raise SourceError(
                    f"Bluesky {self.service} rejected {what} ({error}); check --bluesky"
                ) from None
            except UnauthorizedError as error:
                if refused is not None:
                    raise SourceError(refused) from None
                if renew and _error_name(error) in TOKEN_ERRORS:
                    raise _Expired from None
                raise SourceError(
                    f"Bluesky {self.service} refused {what} ({_refusal(error)}); "
                    "check the login and --bluesky"
                ) from None
            except (NetworkError, RequestException, httpx.TransportError) as error:
                # A dropped connection reaches us as httpx's own error: the SDK maps only some.
                response = getattr(error, "response", None)
                status = response.status_code if isinstance(error, RequestErrorBase) and response else None
                if status is not None and status < 500 and status not in {409, 413}:
                    raise SourceError(
                        f"Bluesky {self.service} answered {what} with HTTP {status}; check --bluesky"
                    ) from None
                if attempt == attempts:
                    reason = f"HTTP {status}" if status else "no answer"
                    raise SourceError(
                        f"Bluesky {self.service} failed on {what} ({reason}) after {attempts + 1} tries; "
                        "run collect again later (it resumes)"
                    ) from None
                wait = min(self._policy.backoff * 2**attempt, self._policy.backoff_max)
            except (_NotJson, ValueError):
                raise SourceError(
                    f"Bluesky {self.service} sent something that is not JSON for {what}; "
                    "check --bluesky (a proxy or captive portal may be answering)"
                ) from None
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


class _Gone(Exception):
    """The post asked about no longer exists."""


class _Expired(Exception):
    """The kept session's tokens are no longer accepted."""


class _NotJson(Exception):
    """A body that is not the JSON the lexicon promises (an HTML error page, a proxy)."""


def _error_name(error: RequestErrorBase) -> str | None:
    content = error.response.content if error.response is not None else None
    return getattr(content, "error", None)


def _refusal(error: RequestErrorBase) -> str:
    status = error.response.status_code if error.response is not None else "?"
    name = _error_name(error)
    return f"HTTP {status} {name}" if name else f"HTTP {status}, not from Bluesky: a proxy may be in the way"


def _rate_limit_wait(error: RateLimitExceededError) -> float:
    retry_after: float | None = error.retry_after
    if retry_after is not None:
        return retry_after
    reset_at: datetime | None = error.reset_at
    if reset_at is not None:
        return max(0.0, (reset_at - datetime.now(UTC)).total_seconds())
    return 1.0


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
