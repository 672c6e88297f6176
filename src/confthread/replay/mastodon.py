"""A replayed Mastodon instance: the REST endpoints confthread reads, with Mastodon's semantics."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from confthread.replay.bluesky_ratelimit import Budget, Spent
from confthread.replay.mastodon_instance import instance_domain, instance_v1, instance_v2
from confthread.replay.mastodon_store import MastodonStore, TagQuery
from confthread.replay.server import Fault, Handler, ReplayServer, Request, Response

_TAG_TIMELINE = re.compile(r"^/api/v1/timelines/tag/(?P<tag>[^/]+)/?$")
_STATUS = re.compile(r"^/api/v1/statuses/(?P<id>[^/]+)/?$")
_CONTEXT = re.compile(r"^/api/v1/statuses/(?P<id>[^/]+)/context/?$")
_INSTANCE = re.compile(r"^/api/v(?P<version>[12])/instance/?$")

# Mastodon's DEFAULT_STATUSES_LIMIT; a client may ask for up to twice as many.
_DEFAULT_LIMIT = 20
_MAX_LIMIT = 40
# The query parameters Mastodon carries over into the tag timeline's Link header (PERMITTED_PARAMS).
_LINK_PARAMS = ("local", "limit", "only_media")
_RATE_LIMIT = 300
_RATE_PERIOD = 300
_TRUTHY = frozenset({"1", "true", "t", "on", "yes", "y"})


def snowflake_id(created_at: datetime, sequence: int = 0) -> str:
    """Mastodon's id scheme, so ids sort by time and `max_id`/`min_id` paging behaves as it does live.

    The low 16 bits tell apart statuses created in the same millisecond (and, here, the copies of
    one post on different instances).
    """
    if created_at.tzinfo is None:
        raise ValueError("snowflake_id needs a timezone-aware datetime (UTC), not a naive one")
    if not 0 <= sequence < 1 << 16:
        raise ValueError(f"a snowflake sequence is 0..65535, not {sequence}")
    millis = round(created_at.timestamp() * 1000)
    return str((millis << 16) + sequence)


@dataclass(frozen=True)
class ContextLimits:
    """How much of a thread one context request shows (Mastodon's StatusesController#context)."""

    ancestors: int
    descendants: int
    depth: int | None


GUEST_CONTEXT = ContextLimits(ancestors=40, descendants=60, depth=20)
SIGNED_IN_CONTEXT = ContextLimits(ancestors=4096, descendants=4096, depth=None)


@dataclass(frozen=True)
class RateLimit:
    """A budget that is enforced: `limit` requests per `period` seconds, windows aligned to the epoch.

    Mastodon allows an anonymous reader 300 API requests per 5 minutes per address; a benchmark may
    scale the period down (300 per 5 s) to stay short. `clock` (UTC) replaces the wall clock.
    """

    limit: int = _RATE_LIMIT
    period: int = _RATE_PERIOD
    clock: Callable[[], datetime] | None = None


def mastodon_handler(
    statuses: Sequence[Mapping[str, Any]], *, token: str | None = None, rate_limit: RateLimit | None = None
) -> Handler:
    """Answers as one instance holding `statuses` (Status entities in wire JSON) would.

    With `token`, every request must carry it, as on an instance that closed its public API. With
    `rate_limit`, a request beyond the budget is answered 429, as Rack::Attack does on a real instance;
    without it every answer shows a fresh budget and none is refused.
    """
    store = MastodonStore(statuses)
    accounts = {str((s.get("account") or {}).get("id")) for s in statuses}
    clock = (rate_limit and rate_limit.clock) or _utcnow
    budget = None if rate_limit is None else Budget(rate_limit.limit, clock, rate_limit.period)

    def handle(request: Request, base_url: str) -> Response:
        if budget is None:
            headers = rate_limit_headers()
        else:
            spent = budget.spend()
            headers = _spent_headers(spent, clock())
            if not spent.allowed:
                return Response.json({"error": "Too many requests"}, 429, headers)
        if token is not None and request.headers.get("authorization") != f"Bearer {token}":
            return Response.json({"error": "The access token is invalid"}, 401, headers)
        if request.method not in {"GET", "HEAD"}:
            return Response.json({"error": "Not Found"}, 404, headers)
        if match := _TAG_TIMELINE.match(request.path):
            return _tag_timeline(store, match["tag"], request, base_url, headers)
        if match := _CONTEXT.match(request.path):
            status = store.status(match["id"])
            if status is None:
                return _not_found(headers)
            limits = GUEST_CONTEXT if "authorization" not in request.headers else SIGNED_IN_CONTEXT
            context = {
                "ancestors": store.ancestors(status)[-limits.ancestors :],
                "descendants": store.descendants(status, limits.descendants, limits.depth),
            }
            return Response.json(context, headers=headers)
        if match := _STATUS.match(request.path):
            status = store.status(match["id"])
            return _not_found(headers) if status is None else Response.json(status, headers=headers)
        if match := _INSTANCE.match(request.path):
            domain = instance_domain(statuses, base_url)
            if match["version"] == "1":
                document = instance_v1(domain, len(accounts), len(statuses))
            else:
                document = instance_v2(domain, len(accounts))
            return Response.json(document, headers=headers)
        return Response.json({"error": "Not Found"}, 404, headers)

    return handle


def serve_mastodon(
    statuses: Sequence[Mapping[str, Any]],
    *,
    token: str | None = None,
    latency: float = 0.0,
    faults: Iterable[Fault] = (),
    rate_limit: RateLimit | None = None,
) -> ReplayServer:
    """Not yet started: use it as a context manager, or call start() and close()."""
    handler = mastodon_handler(statuses, token=token, rate_limit=rate_limit)
    return ReplayServer(handler, latency=latency, faults=faults)


def rate_limit_headers(now: datetime | None = None) -> dict[str, str]:
    """A fresh budget on every response, so a client pacing itself by them never has to wait.

    The reset time is the end of the current five-minute window, in Mastodon's format.
    """
    moment = now or datetime.now(UTC)
    seconds = int(moment.timestamp())
    reset = moment + timedelta(seconds=_RATE_PERIOD - seconds % _RATE_PERIOD)
    return {
        "X-RateLimit-Limit": str(_RATE_LIMIT),
        "X-RateLimit-Remaining": str(_RATE_LIMIT - 1),
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _spent_headers(spent: Spent, now: datetime) -> dict[str, str]:
    """The budget in Mastodon's headers; a refusal also says, in Retry-After, how long to wait."""
    reset = int(spent.headers["RateLimit-Reset"])
    headers = {
        "X-RateLimit-Limit": spent.headers["RateLimit-Limit"],
        "X-RateLimit-Remaining": spent.headers["RateLimit-Remaining"],
        "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    if not spent.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(reset - now.timestamp())))
    return headers


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _tag_timeline(
    store: MastodonStore, tag: str, request: Request, base_url: str, headers: dict[str, str]
) -> Response:
    query = TagQuery(
        tag=tag,
        limit=_limit(_first(request, "limit")),
        max_id=_id_param(_first(request, "max_id")),
        since_id=_id_param(_first(request, "since_id")),
        min_id=_id_param(_first(request, "min_id")),
        local=_truthy(_first(request, "local")),
        remote=_truthy(_first(request, "remote")),
        only_media=_truthy(_first(request, "only_media")),
        any=_tags(request, "any"),
        all=_tags(request, "all"),
        none=_tags(request, "none"),
    )
    page = store.tag_timeline(query)
    if page:
        kept = {name: _first(request, name) for name in _LINK_PARAMS}
        permitted = {name: value for name, value in kept.items() if value is not None}
        endpoint = f"{base_url}/api/v1/timelines/tag/{quote(tag, safe='')}"
        next_url = f"{endpoint}?{_query({**permitted, 'max_id': str(page[-1]['id'])})}"
        prev_url = f"{endpoint}?{_query({**permitted, 'min_id': str(page[0]['id'])})}"
        headers = {**headers, "Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}
    return Response.json(page, headers=headers)


def _not_found(headers: dict[str, str]) -> Response:
    return Response.json({"error": "Record not found"}, 404, headers)


def _query(params: Mapping[str, str]) -> str:
    # Rails' to_query sorts the keys: "limit=10&max_id=…", "local=true&max_id=…&only_media=true".
    return urlencode(sorted(params.items()))


def _first(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _tags(request: Request, name: str) -> tuple[str, ...]:
    return tuple(request.query.get(f"{name}[]", [])) + tuple(request.query.get(name, []))


def _limit(raw: str | None) -> int:
    # Rails' `params[:limit].to_i.abs`: a non-number is 0, and 0 gives an empty page.
    if raw is None:
        return _DEFAULT_LIMIT
    digits = re.match(r"\s*[-+]?\d+", raw)
    return min(abs(int(digits.group())) if digits else 0, _MAX_LIMIT)


def _id_param(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


def _truthy(raw: str | None) -> bool:
    return raw is not None and raw.lower() in _TRUTHY
