"""A generated event served from loopback: Bluesky, each instance, the blog, the pictures; all counted."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from benchmarks.blog import BLOG_ORIGIN, OTHER_ORIGINS, web_handler
from benchmarks.generate import HOSTS, Event
from confthread.replay.bluesky import bluesky_handler
from confthread.replay.bluesky_ratelimit import GLOBAL_LIMIT, WINDOW_SECONDS
from confthread.replay.mastodon import RateLimit, mastodon_handler
from confthread.replay.media import picture
from confthread.replay.server import Handler, ReplayServer, Request, Response

ACCOUNT = {"bench.bsky.social": "bench-app-password"}
# How many different pictures the picture host serves. It makes each one from its path (a 1600 px JPEG,
# ~15 ms of CPU), on the two cores the measured collector runs on; a real host is another machine, so
# each is made once and served again to every path that hashes to it.
PICTURE_VARIETY = 64
BLUESKY_LIMIT = RateLimit(GLOBAL_LIMIT, WINDOW_SECONDS)
# Where the generated posts say their pictures and avatars live, and the pages they link to: loopback
# servers answer for them, so nothing reaches the internet.
PICTURE_ORIGINS = ("https://cdn.bsky.app", *(f"https://{host}" for host in HOSTS))
WEB_ORIGINS = (BLOG_ORIGIN, *OTHER_ORIGINS)

_MASTODON_ENDPOINTS = (
    (re.compile(r"^/api/v1/timelines/tag/"), "timeline"),
    (re.compile(r"^/api/v1/statuses/[^/]+/context"), "context"),
    (re.compile(r"^/api/v1/statuses/[^/]+/?$"), "status"),
    (re.compile(r"^/api/v[12]/instance"), "instance"),
)


class _Counted:
    """Counts the answers a handler gives by status, so refusals (429) can be told from the rest."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: Request, base_url: str) -> Response:
        response = self.handler(request, base_url)
        with self._lock:
            self.statuses[response.status] += 1
        return response


@dataclass
class Served:
    """The running servers by source name, in the order `minimum.needs` lists the sources."""

    servers: dict[str, ReplayServer] = field(default_factory=dict)
    counted: dict[str, _Counted] = field(default_factory=dict)

    def url(self, source: str) -> str:
        return self.servers[source].url

    def made(self) -> dict[str, int]:
        """How many requests each server has received so far: a mark to count a stage's from."""
        return {name: len(server.requests) for name, server in self.servers.items()}

    def endpoints(self, source: str, since: int) -> Counter[str]:
        """Requests per endpoint since the mark `since`."""
        return Counter(endpoint(source, request.path) for request in self.servers[source].requests[since:])

    def aliases(self) -> dict[str, str]:
        """Each origin the posts name, to the loopback server that answers for it."""
        pictures, web = self.url("Pictures"), self.url("Blogs")
        return {**dict.fromkeys(PICTURE_ORIGINS, pictures), **dict.fromkeys(WEB_ORIGINS, web)}

    def refused(self) -> dict[str, int]:
        return {name: counted.statuses[429] for name, counted in self.counted.items()}


def _pictures(request: Request, base_url: str) -> Response:
    variety = hashlib.sha256(request.path.encode()).digest()[0] % PICTURE_VARIETY
    return Response(200, _picture(variety), {"Content-Type": "image/jpeg"})


@lru_cache(maxsize=PICTURE_VARIETY)
def _picture(variety: int) -> bytes:
    return picture(f"/bench/{variety}")


def endpoint(source: str, path: str) -> str:
    """A request's endpoint as the tables name it: the XRPC method, Mastodon's resource, a feed, a page."""
    if source == "Pictures":
        return "picture"
    if path.startswith("/xrpc/"):
        return path.removeprefix("/xrpc/").rsplit(".", 1)[-1]
    for pattern, name in _MASTODON_ENDPOINTS:
        if pattern.match(path):
            return name
    if path.startswith("/feed"):
        return "feed"
    return "page"


@contextmanager
def serve(
    event: Event, *, latency: float, mastodon_limit: RateLimit, bluesky_limit: RateLimit = BLUESKY_LIMIT
) -> Iterator[Served]:
    """Bluesky enforces `bluesky_limit` (its own: 3000 reads per 5 minutes); each instance has
    `mastodon_limit`."""
    served = Served()
    bluesky = bluesky_handler(
        event.network.posts,
        accounts=ACCOUNT,
        rate_limit=bluesky_limit.limit,
        rate_window=bluesky_limit.period,
    )
    handlers: dict[str, Handler] = {
        "Bluesky": bluesky,
        **{
            f"Mastodon {host}": mastodon_handler(instance.statuses, rate_limit=mastodon_limit)
            for host, instance in event.instances.items()
        },
        "Blogs": web_handler(event.blog),
        "Pictures": _pictures,
    }
    with ExitStack() as stack:
        for name, handler in handlers.items():
            counted = _Counted(handler)
            served.counted[name] = counted
            served.servers[name] = stack.enter_context(ReplayServer(counted, latency=latency))
        yield served
