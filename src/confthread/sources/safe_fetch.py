"""The one careful HTTP GET that feeds and linked pages go through: every hop checked, every byte counted.

A page someone linked to is a URL chosen by a stranger, fetched from the user's machine: without care
it can make confthread read the user's router, a cloud metadata service or a 50 GB file. So a URL is
resolved once, every address it resolves to must be public (unless the user allows private ones, or
gave that host themselves), and the connection goes to the address that was checked, so a second DNS
answer cannot swap it for another. Redirects are followed by hand so each hop passes the same checks.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import Retry, Timeout
from urllib3.util.connection import create_connection

from confthread.errors import SourceError
from confthread.sources.http import USER_AGENT, RetryPolicy

SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Connections kept open per host: as many as the threads that may fetch from it at once.
_POOL_SIZE = 4
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)

Resolver = Callable[[str, int], Sequence[str]]


class FetchError(SourceError):
    """A URL could not be fetched; the message names it and says what to do."""


class Refused(FetchError):
    """A URL was not fetched, or not read to the end, because fetching it would not be safe."""


class PrivateAddress(Refused):
    """A URL that leads to a loopback, private, link-local or reserved address, and that is not allowed."""


@dataclass(frozen=True)
class Limits:
    """How much one fetch may take: bytes after decompression, redirect hops, and wall-clock time.

    The deadline exists because a server that trickles one byte at a time never trips a read timeout.
    """

    max_bytes: int = 10_000_000
    max_redirects: int = 5
    deadline: float = 120.0


@dataclass(frozen=True)
class Fetched:
    """A response body read in full; `url` is where it came from after redirects."""

    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: tuple[str, ...] = ()


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local or reserved.

    IPv6 forms that carry an IPv4 address inside (mapped, 6to4, Teredo) are judged by that address.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and not is_public(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast


def retries_for_links(policy: RetryPolicy) -> Retry:
    """A linked page is optional: one more try after a dropped connection, none after an HTTP error."""
    return Retry(
        total=1,
        connect=1,
        read=1,
        status=0,
        other=0,
        redirect=0,
        backoff_factor=policy.backoff,
        status_forcelist=(),
        respect_retry_after_header=False,
        raise_on_status=False,
        raise_on_redirect=False,
    )


@dataclass(frozen=True)
class _Target:
    """One hop: the URL as the user knows it, and the checked addresses the connection may use."""

    url: str
    scheme: str
    hostname: str
    port: int
    addresses: tuple[str, ...]
    path: str


class _PinnedConnection(HTTPConnection):
    """Connects to the addresses that were checked, in order, and never asks DNS again.

    A hostile name server could otherwise answer the check with a public address and the connection
    with a private one. Trying each address in turn keeps what urllib3 would do for a dual-stack host.
    """

    addresses: tuple[str, ...] = ()

    def _new_conn(self) -> socket.socket:
        failure: OSError | None = None
        for address in self.addresses:
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as error:
                failure = error
        if isinstance(failure, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from failure
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}") from failure


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    """The same, with TLS verified against the host name as usual."""


class SafeFetcher:
    """GETs URLs under the checks in this module's docstring; use as a context manager.

    `aliases` maps an origin ("https://journal.example") to a stand-in that answers for it (a replay
    server); the checks apply to the stand-in, and every URL reported keeps the original origin.
    `resolver` is how host names become addresses; tests give a fake one.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.policy = policy
        self.allow_private = allow_private
        self.resolver = resolver
        self.aliases = {_origin(urlsplit(key)): value.rstrip("/") for key, value in (aliases or {}).items()}
        self._pools: dict[tuple[str, str, int, tuple[str, ...]], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()

    def get(
        self,
        url: str,
        *,
        what: str,
        limits: Limits,
        retries: Retry,
        accept: str,
        trusted: bool = False,
        content_types: frozenset[str] | None = None,
    ) -> Fetched:
        """The body of `url`, or a FetchError naming `what` ("feed", "linked page") and the URL.

        `trusted` is for URLs the user gave: their host may be private; a redirect to another
        host is checked like any link. `content_types`, when given, are the media types worth reading.
        """
        deadline = time.monotonic() + limits.deadline
        trusted_host = urlsplit(url).hostname if trusted else None
        current, hops = url, [url]
        for _ in range(limits.max_redirects + 1):
            target = self._target(current, what=what, trusted_host=trusted_host)
            response = self._request(target, what=what, retries=retries, accept=accept)
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                return self._read(response, target, hops, what, limits, deadline, content_types)
            _discard(response)
            current = urljoin(current, location.strip())
            hops.append(current)
        raise Refused(
            f"{what} {url} redirects more than {limits.max_redirects} times; "
            "open it in a browser and give the address it ends at"
        )

    # -- one hop ----------------------------------------------------------------------------------

    def _target(self, url: str, *, what: str, trusted_host: str | None) -> _Target:
        """Where a URL really leads, refused unless its scheme and every address pass the checks."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise Refused(f"{what} {_shown(url)} is not a web address (http or https); it was not fetched")
        try:
            stand_in = self.aliases.get(_origin(parts))
            real = urlsplit(urlunsplit((*urlsplit(stand_in)[:2], *parts[2:]))) if stand_in else parts
            port = real.port or _DEFAULT_PORTS[real.scheme]
        except (ValueError, KeyError):
            raise Refused(f"{what} {_shown(url)} has an invalid port; it was not fetched") from None
        hostname = real.hostname or ""
        addresses = self._resolve(hostname, port, url, what)
        if parts.hostname != trusted_host and not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise PrivateAddress(
                        f"{what} {_shown(url)} leads to a private or local network address ({address}); "
                        "it was not fetched (pass --allow-private-links to allow such links)"
                    )
        path = urlunsplit(("", "", real.path or "/", real.query, ""))
        return _Target(url, real.scheme, hostname, port, tuple(addresses), path)

    def _resolve(self, hostname: str, port: int, url: str, what: str) -> list[str]:
        try:
            addresses = [str(address) for address in self.resolver(hostname, port)]
            for address in addresses:
                ipaddress.ip_address(address.split("%", 1)[0])
        except (OSError, ValueError, UnicodeError):
            addresses = []
        if not addresses:
            raise FetchError(
                f"{what} {_shown(url)}: the host {hostname} could not be found; check the address"
            )
        return addresses

    def _request(
        self, target: _Target, *, what: str, retries: Retry, accept: str
    ) -> urllib3.BaseHTTPResponse:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
        }
        timeout = Timeout(connect=self.policy.timeout, read=self.policy.timeout)
        try:
            response = self._pool(target).urlopen(
                "GET",
                target.path,
                headers=headers,
                retries=retries,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                timeout=timeout,
            )
        except MaxRetryError as error:
            raise self._failure(target.url, what, error.reason, retried=True) from None
        except HTTPError as error:
            raise self._failure(target.url, what, error, retried=False) from None
        if response.status >= 400:
            _discard(response)
            raise _status_error(target.url, what, response.status)
        return response

    def _failure(self, url: str, what: str, reason: Exception | None, *, retried: bool) -> FetchError:
        tries = " after several tries" if retried else ""
        if isinstance(reason, Urllib3Timeout):
            return FetchError(
                f"{what} {url} did not answer within {self.policy.timeout:g} s{tries}; "
                "check the address, or run collect again later"
            )
        if isinstance(reason, SSLError):
            return FetchError(
                f"{what} {url} failed the secure connection check ({_reason(reason)}); check the address"
            )
        return FetchError(
            f"{what} {url} could not be reached{tries} ({_reason(reason)}); "
            "check the address and your connection"
        )

    def _pool(self, target: _Target) -> urllib3.HTTPConnectionPool:
        """One pool per host and checked addresses, so keep-alive connections serve later fetches.

        Fetches may run in several threads at once (pictures do): pools are made under a lock.
        """
        key = (target.scheme, target.hostname, target.port, target.addresses)
        with self._lock:
            pool = self._pools.get(key)
            return pool if pool is not None else self._new_pool(target, key)

    def _new_pool(
        self, target: _Target, key: tuple[str, str, int, tuple[str, ...]]
    ) -> urllib3.HTTPConnectionPool:
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                target.hostname,
                target.port,
                maxsize=_POOL_SIZE,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
            )
            base: type[_PinnedConnection] = _PinnedHTTPSConnection
        else:
            pool = urllib3.HTTPConnectionPool(target.hostname, target.port, maxsize=_POOL_SIZE)
            base = _PinnedConnection
        pool.ConnectionCls = type("PinnedConnection", (base,), {"addresses": target.addresses})
        self._pools[key] = pool
        return pool

    # -- the body ---------------------------------------------------------------------------------

    def _read(
        self,
        response: urllib3.BaseHTTPResponse,
        target: _Target,
        hops: list[str],
        what: str,
        limits: Limits,
        deadline: float,
        content_types: frozenset[str] | None,
    ) -> Fetched:
        """The body, read a chunk at a time so a response over the cap is abandoned, not downloaded."""
        media_type, charset = _content_type(response.headers.get("Content-Type", ""))
        if content_types is not None and media_type not in content_types:
            _discard(response)
            raise Refused(f"{what} {target.url} is not a web page ({media_type or 'no type given'})")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            _discard(response)
            raise _too_large(target.url, what, limits)
        body = bytearray()
        try:
            while chunk := response.read(_CHUNK):
                body += chunk
                if len(body) > limits.max_bytes:
                    _discard(response)
                    raise _too_large(target.url, what, limits)
                if time.monotonic() > deadline:
                    _discard(response)
                    raise FetchError(
                        f"{what} {target.url} took longer than {limits.deadline:g} s to download; "
                        "run collect again later"
                    )
        except DecodeError:
            _discard(response)
            raise FetchError(
                f"{what} {target.url} sent a compressed body that could not be unpacked; "
                "run collect again later"
            ) from None
        except HTTPError as error:
            _discard(response)
            raise self._failure(target.url, what, error, retried=False) from None
        response.release_conn()
        return Fetched(target.url, response.status, media_type, charset, bytes(body), tuple(hops[1:]))


def _content_type(header: str) -> tuple[str, str | None]:
    media_type = header.split(";", 1)[0].strip().lower()
    match = _CHARSET.search(header)
    return media_type, match.group(1) if match else None


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close without reading the rest: draining would download exactly what a cap refused."""
    response.close()
    response.release_conn()


def _status_error(url: str, what: str, status: int) -> FetchError:
    if status in {404, 410}:
        return FetchError(f"{what} {url} was not found (HTTP {status}); check the address")
    if status in {401, 403}:
        return FetchError(f"{what} {url} is not public (HTTP {status}); give an address anyone can read")
    if status >= 500 or status == 429:
        return FetchError(f"{what} {url} failed with HTTP {status}; run collect again later")
    return FetchError(f"{what} {url} answered HTTP {status}; check the address")


def _too_large(url: str, what: str, limits: Limits) -> Refused:
    size = f"{limits.max_bytes / 1_000_000:g} MB"
    return Refused(f"{what} {url} is larger than {size}; it was not read to the end")


def _origin(parts: SplitResult) -> str:
    netloc = (parts.hostname or "").lower()
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        netloc = f"{netloc}:{parts.port}"
    return f"{parts.scheme}://{netloc}"


def _shown(url: str) -> str:
    """A URL as a message may show it: a data: URL can be megabytes long."""
    return url if len(url) <= 200 else url[:200] + "…"


def _reason(error: Exception | None) -> str:
    """The last part of urllib3's nested explanation, which is the one a person can act on."""
    return str(error or "no answer").strip().rsplit(": ", 1)[-1]
