"""App-password logins and the JWT-shaped session tokens a Bluesky PDS issues, refreshes and checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from confthread.replay.bluesky_xrpc import XrpcError, invalid_request

Clock = Callable[[], datetime]

# bsky.social's lifetimes: the SDK refreshes 15 minutes before the access token runs out.
ACCESS_TTL = timedelta(hours=2)
REFRESH_TTL = timedelta(days=60)
# A PDS keeps a used refresh token working for a while, so two requests racing to refresh both win.
REFRESH_GRACE = timedelta(hours=2)

# What an app-password login may do (a full login would carry com.atproto.access).
ACCESS_SCOPE = "com.atproto.appPass"
REFRESH_SCOPE = "com.atproto.refresh"

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    password: str

    @property
    def email(self) -> str:
        return f"{self.handle.split('.')[0]}@confthread.example"


def did_document(account: Account, base_url: str) -> dict[str, Any]:
    """A did:plc document whose `#atproto_pds` service is this server, so the SDK stays on it.

    The SDK moves to the PDS a session's document names (as it does from bsky.social to a
    `*.host.bsky.network` PDS); pointing back here keeps every later call on the replay.
    """
    key = hashlib.sha256(account.did.encode()).digest()
    multibase = "zQ3sh" + "".join(_BASE58[byte % 58] for byte in key[:43])
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/suites/secp256k1-2019/v1",
        ],
        "id": account.did,
        "alsoKnownAs": [f"at://{account.handle}"],
        "verificationMethod": [
            {
                "id": f"{account.did}#atproto",
                "type": "Multikey",
                "controller": account.did,
                "publicKeyMultibase": multibase,
            }
        ],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": base_url}],
    }


class Sessions:
    """Checks passwords and tokens; thread-safe. Tokens are signed with a key of this instance only.

    Access problems answer 401 (as a PDS behind the bsky.social entryway does); a refresh token that
    is bad, expired or revoked answers 400 `ExpiredToken`/`InvalidToken`, as `refreshSession` does.
    """

    def __init__(
        self,
        accounts: Iterable[Account],
        *,
        clock: Clock,
        access_ttl: timedelta = ACCESS_TTL,
        refresh_ttl: timedelta = REFRESH_TTL,
    ) -> None:
        self._accounts: dict[str, Account] = {}
        for account in accounts:
            for key in (account.handle.casefold(), account.did, account.email.casefold()):
                self._accounts[key] = account
        self._clock = clock
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._refreshed: dict[str, datetime] = {}

    def login(self, body: bytes) -> Account:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            raise invalid_request("Request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_request("Input must be an object")
        for name in ("identifier", "password"):
            if not isinstance(data.get(name), str):
                raise invalid_request(f'Input must have the property "{name}"')
        account = self._accounts.get(data["identifier"].strip().lstrip("@").casefold())
        if account is None or not hmac.compare_digest(account.password, data["password"]):
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        return account

    def account(self, identifier: str) -> Account | None:
        return self._accounts.get(identifier.casefold()) or self._accounts.get(identifier)

    def viewer(self, authorization: str | None) -> Account:
        """The account an access token belongs to; every app.bsky call on a PDS needs one."""
        payload = self._verify(authorization, status=401)
        if payload.get("scope") != ACCESS_SCOPE:
            raise XrpcError(401, "InvalidToken", "Bad token scope")
        return self._subject(payload, status=401)

    def refresh(self, authorization: str | None) -> Account:
        payload = self._verify(authorization, status=400)
        if payload.get("scope") != REFRESH_SCOPE:
            raise XrpcError(400, "InvalidToken", "Invalid token type")
        now = self._clock()
        with self._lock:
            first_use = self._refreshed.setdefault(str(payload.get("jti")), now)
        if now - first_use > REFRESH_GRACE:
            raise XrpcError(400, "ExpiredToken", "Token has been revoked")
        return self._subject(payload, status=400)

    def tokens(self, account: Account, base_url: str) -> dict[str, str]:
        now = self._clock()
        audience = f"did:web:{urlsplit(base_url).hostname}"
        access = {
            "scope": ACCESS_SCOPE,
            "sub": account.did,
            "aud": audience,
            "iat": int(now.timestamp()),
            "exp": int((now + self._access_ttl).timestamp()),
            "jti": secrets.token_urlsafe(16),
        }
        refresh = {
            "scope": REFRESH_SCOPE,
            "sub": account.did,
            "aud": "did:web:bsky.social",
            "jti": secrets.token_urlsafe(32),
            "iat": int(now.timestamp()),
            "exp": int((now + self._refresh_ttl).timestamp()),
        }
        return {
            "accessJwt": self._sign({"typ": "at+jwt", "alg": "HS256"}, access),
            "refreshJwt": self._sign({"typ": "refresh+jwt", "alg": "HS256"}, refresh),
        }

    def _sign(self, header: dict[str, str], payload: dict[str, Any]) -> str:
        signing_input = f"{_encode(header)}.{_encode(payload)}"
        signature = hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def _verify(self, authorization: str | None, *, status: int) -> dict[str, Any]:
        if not authorization or not authorization.startswith("Bearer "):
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        parts = authorization.removeprefix("Bearer ").strip().split(".")
        unverified = XrpcError(status, "InvalidToken", "Token could not be verified")
        if len(parts) != 3:
            raise unverified
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
        expected = _b64(hmac.new(self._secret, signing_input, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            raise unverified
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            raise unverified from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            raise unverified
        if payload["exp"] <= self._clock().timestamp():
            raise XrpcError(status, "ExpiredToken", "Token has expired")
        return payload

    def _subject(self, payload: dict[str, Any], *, status: int) -> Account:
        account = self._accounts.get(str(payload.get("sub")))
        if account is None:
            raise XrpcError(status, "InvalidToken", "Token could not be verified")
        return account


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encode(part: dict[str, Any]) -> str:
    return _b64(json.dumps(part, separators=(",", ":")).encode("utf-8"))
