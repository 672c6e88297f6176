"""A replayed Bluesky (a PDS and its AppView, over XRPC) that the real atproto SDK can log in to and read."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from confthread.replay.bluesky_auth import ACCESS_TTL, REFRESH_TTL, Account, Sessions, did_document
from confthread.replay.bluesky_ratelimit import GLOBAL_LIMIT, LOGIN_LIMIT, WINDOW_SECONDS, Budget
from confthread.replay.bluesky_search import SearchQuery, search, search_page
from confthread.replay.bluesky_store import BlueskyStore, Post
from confthread.replay.bluesky_thread import post_thread
from confthread.replay.bluesky_views import profile_detailed
from confthread.replay.bluesky_xrpc import (
    XrpcError,
    datetime_param,
    first,
    integer,
    invalid_request,
    required,
)
from confthread.replay.server import Fault, Handler, ReplayServer, Request, Response

Clock = Callable[[], datetime]
Body = dict[str, Any]

# The account examples/ukmedlibs/bluesky/account.json names; used when no accounts are given.
DEMO_ACCOUNTS: Mapping[str, str] = {"demo.bsky.social": "demo-app-password"}
SEARCH_CAP = 10_000
GET_POSTS_MAX = 25
THREAD_MAX = 1000
# bsky.social names the labelers it applied on every AppView answer.
_LABELERS = {"atproto-content-labelers": "did:plc:ar7c4by46qjdydhdevvrndac;redact"}


def bluesky_handler(
    posts: Sequence[Mapping[str, Any]],
    *,
    accounts: Mapping[str, str] | None = None,
    deleted: Iterable[str] = (),
    blocked: Iterable[str] = (),
    max_search_results: int = SEARCH_CAP,
    access_ttl: timedelta = ACCESS_TTL,
    refresh_ttl: timedelta = REFRESH_TTL,
    login_limit: int = LOGIN_LIMIT,
    rate_limit: int = GLOBAL_LIMIT,
    rate_window: int = WINDOW_SECONDS,
    clock: Clock | None = None,
) -> Handler:
    """Answers as bsky.social does for an account that logs in with an app password.

    `posts` are `app.bsky.feed.defs#postView`s in wire JSON; `accounts` maps handle to app password
    (default: the example's demo account); `deleted` lists post uris gone from the network;
    `blocked` lists post uris or DIDs the viewer blocked. Five minutes allow `login_limit` logins
    per account and `rate_limit` requests in all per `rate_window` seconds (a benchmark may scale
    both: past the limit, 429 until the window resets). `clock` (UTC) replaces the wall clock for
    tokens and budgets.
    """
    if max_search_results < 1:
        raise ValueError(f"max_search_results must be at least 1, not {max_search_results}")
    return _Bluesky(
        BlueskyStore(posts, deleted=deleted, blocked=blocked),
        DEMO_ACCOUNTS if accounts is None else accounts,
        cap=max_search_results,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        login_limit=login_limit,
        rate_limit=rate_limit,
        rate_window=rate_window,
        clock=clock or _utcnow,
    )


def serve_bluesky(
    posts: Sequence[Mapping[str, Any]],
    *,
    accounts: Mapping[str, str] | None = None,
    deleted: Iterable[str] = (),
    blocked: Iterable[str] = (),
    max_search_results: int = SEARCH_CAP,
    latency: float = 0.0,
    faults: Iterable[Fault] = (),
    access_ttl: timedelta = ACCESS_TTL,
    refresh_ttl: timedelta = REFRESH_TTL,
    login_limit: int = LOGIN_LIMIT,
    rate_limit: int = GLOBAL_LIMIT,
    rate_window: int = WINDOW_SECONDS,
    clock: Clock | None = None,
) -> ReplayServer:
    """Not yet started: use it as a context manager, or call start() and close().

    Hand `server.url` to `atproto.Client(base_url=...)`; the SDK adds `/xrpc` itself.
    """
    handler = bluesky_handler(
        posts,
        accounts=accounts,
        deleted=deleted,
        blocked=blocked,
        max_search_results=max_search_results,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
        login_limit=login_limit,
        rate_limit=rate_limit,
        rate_window=rate_window,
        clock=clock,
    )
    return ReplayServer(handler, latency=latency, faults=faults)


def placeholder_did(handle: str) -> str:
    """A stable did:plc for an account that has no posts to take its DID from."""
    digest = hashlib.sha256(f"confthread-replay:{handle.casefold()}".encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode("ascii").lower()[:24]


@dataclass(frozen=True)
class _Route:
    http_method: str
    signed_in: bool
    answer: Callable[[Request, str, Account | None], Body]


class _Bluesky:
    """The XRPC router; every piece of state it touches is read-only or guards itself with a lock."""

    def __init__(
        self,
        store: BlueskyStore,
        accounts: Mapping[str, str],
        *,
        cap: int,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        login_limit: int,
        rate_limit: int,
        rate_window: int,
        clock: Clock,
    ) -> None:
        self.store = store
        self.cap = cap
        # The store never changes, so a query's hits can be kept while a client pages through them.
        self.hits: Callable[[SearchQuery], tuple[Post, ...]] = functools.lru_cache(maxsize=64)(
            lambda query: tuple(search(store, query))
        )
        self.sessions = Sessions(
            [Account(h, store.resolve(h) or placeholder_did(h), p) for h, p in accounts.items()],
            clock=clock,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
        self.reads = Budget(rate_limit, clock, rate_window)
        self.logins = Budget(login_limit, clock)
        self.routes = {
            "com.atproto.server.createSession": _Route("POST", False, self.create_session),
            "com.atproto.server.refreshSession": _Route("POST", False, self.refresh_session),
            "com.atproto.server.getSession": _Route("GET", True, self.get_session),
            "com.atproto.identity.resolveHandle": _Route("GET", False, self.resolve_handle),
            "app.bsky.actor.getProfile": _Route("GET", True, self.get_profile),
            "app.bsky.feed.searchPosts": _Route("GET", True, self.search_posts),
            "app.bsky.feed.getPostThread": _Route("GET", True, self.get_post_thread),
            "app.bsky.feed.getPosts": _Route("GET", True, self.get_posts),
        }

    def __call__(self, request: Request, base_url: str) -> Response:
        spent = self.reads.spend()
        headers = dict(spent.headers)
        try:
            spent.check()
            nsid = request.path.removeprefix("/xrpc/") if request.path.startswith("/xrpc/") else None
            if not nsid:
                raise XrpcError(404, "NotFound", "Not Found")
            route = self.routes.get(nsid)
            if route is None:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            method = "GET" if request.method == "HEAD" else request.method
            if method != route.http_method:
                raise invalid_request(
                    f"Incorrect HTTP method ({request.method}) expected {route.http_method}"
                )
            if nsid.startswith("app.bsky."):
                headers.update(_LABELERS)
            if nsid == "com.atproto.server.createSession":
                login = self.logins.spend(_identifier(request))
                headers.update(login.headers)
                login.check()
            viewer = self.sessions.viewer(request.headers.get("authorization")) if route.signed_in else None
            return Response.json(route.answer(request, base_url, viewer), headers=headers)
        except XrpcError as error:
            return Response.json(error.body(), error.status, headers)

    # com.atproto.server / identity

    def create_session(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        account = self.sessions.login(request.body)
        return self._session(account, base_url, tokens=True)

    def refresh_session(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        account = self.sessions.refresh(request.headers.get("authorization"))
        return self._session(account, base_url, tokens=True)

    def get_session(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        assert viewer is not None
        return self._session(viewer, base_url, tokens=False)

    def resolve_handle(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        handle = required(request.query, "handle")
        if handle.startswith("did:"):
            raise invalid_request("Error: handle must be a valid handle")
        did = self.store.resolve(handle)
        if did is None:
            account = self.sessions.account(handle)
            did = account.did if account else None
        if did is None:
            raise invalid_request("Unable to resolve handle")
        return {"did": did}

    def _session(self, account: Account, base_url: str, *, tokens: bool) -> Body:
        body: Body = self.sessions.tokens(account, base_url) if tokens else {}
        body.update({"handle": account.handle, "did": account.did})
        body.update({"email": account.email, "emailConfirmed": True, "emailAuthFactor": False})
        body.update({"didDoc": did_document(account, base_url), "active": True})
        return body

    # app.bsky

    def get_profile(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        actor = required(request.query, "actor")
        did = self.store.resolve(actor)
        if did is not None:
            return profile_detailed(did, actor, self.store.actor(did), self.store.post_count(did))
        account = self.sessions.account(actor)
        if account is None:
            raise invalid_request("Profile not found")
        return profile_detailed(account.did, account.handle, None, 0)

    def search_posts(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        query = request.query
        q = required(query, "q").strip()
        if not q:
            raise invalid_request("must pass non-empty search query")
        limit = integer(query, "limit", default=25, minimum=1, maximum=100)
        cursor = first(query, "cursor")
        offset = 0
        if cursor:
            if not cursor.strip().lstrip("-").isdigit():
                raise invalid_request(f"invalid value for 'cursor': {cursor!r}")
            offset = max(0, int(cursor))
        if offset > self.cap:
            raise invalid_request("invalid value for 'cursor' (can't paginate so deep)")
        author = first(query, "author")
        author_did = None
        if author:
            author_did = author if author.startswith("did:") else self.store.resolve(author)
            if author_did is None:
                raise invalid_request(f"invalid Handle for 'author': {author}")
        wanted = SearchQuery.parse(
            q,
            tags=query.get("tag", []),
            author=author_did,
            lang=first(query, "lang") or None,
            since=datetime_param(query, "since"),
            until=datetime_param(query, "until"),
            sort=first(query, "sort") or "latest",
        )
        return search_page(self.hits(wanted), offset=offset, limit=limit, cap=self.cap)

    def get_post_thread(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        assert viewer is not None
        uri = required(request.query, "uri")
        if not uri.startswith("at://"):
            raise invalid_request("Error: uri must be a valid at-uri")
        depth = integer(request.query, "depth", default=6, minimum=0, maximum=THREAD_MAX)
        height = integer(request.query, "parentHeight", default=80, minimum=0, maximum=THREAD_MAX)
        thread = post_thread(
            self.store, self.store.normalise(uri), depth=depth, parent_height=height, viewer=viewer.did
        )
        return {"thread": thread}

    def get_posts(self, request: Request, base_url: str, viewer: Account | None) -> Body:
        uris = request.query.get("uris")
        if not uris:
            raise invalid_request('Error: Params must have the property "uris"')
        if len(uris) > GET_POSTS_MAX:
            raise invalid_request(f"Error: uris must not have more than {GET_POSTS_MAX} elements")
        found: dict[str, Any] = {}
        for uri in uris:
            post = self.store.visible(self.store.normalise(uri))
            if post is not None:
                found.setdefault(str(post["uri"]), post)
        return {"posts": list(found.values())}


def _identifier(request: Request) -> str:
    """The login being attempted: the budget is per identifier and is spent before the password is checked."""
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        return ""
    identifier = data.get("identifier") if isinstance(data, dict) else None
    return identifier.strip().lstrip("@").casefold() if isinstance(identifier, str) else ""


def _utcnow() -> datetime:
    return datetime.now(UTC)
