"""XRPC wire conventions of the replayed Bluesky: error bodies, parameter checks, datetimes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# An XRPC query string as the replay server parsed it (parse_qs: every name maps to a list).
Query = dict[str, list[str]]

_FRACTION = re.compile(r"(\.\d{6})\d+")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class XrpcError(Exception):
    """Raised anywhere below the handler, which answers with the `{"error", "message"}` body XRPC uses.

    Raising instead of returning keeps the search, thread and session code free of HTTP plumbing.
    """

    def __init__(self, status: int, error: str, message: str | None = None) -> None:
        super().__init__(message or error)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.message is not None:
            body["message"] = self.message
        return body


def invalid_request(message: str) -> XrpcError:
    """What @atproto/xrpc-server answers when a request breaks the method's lexicon."""
    return XrpcError(400, "InvalidRequest", message)


def first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def required(query: Query, name: str) -> str:
    value = first(query, name)
    if value is None:
        raise invalid_request(f'Error: Params must have the property "{name}"')
    return value


def integer(query: Query, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer parameter held to its lexicon bounds, with the lexicon validator's messages."""
    raw = first(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_request(f"Error: {name} must be an integer") from None
    if value > maximum:
        raise invalid_request(f"Error: {name} can not be greater than {maximum}")
    if value < minimum:
        raise invalid_request(f"Error: {name} can not be less than {minimum}")
    return value


def parse_datetime(value: str) -> datetime:
    """Lenient like the AppView: a bare date is midnight UTC, a missing offset means UTC.

    Fractions finer than microseconds (some clients send them) are cut rather than refused.
    """
    text = value.strip()
    if _DATE_ONLY.match(text):
        text += "T00:00:00"
    moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def datetime_param(query: Query, name: str) -> datetime | None:
    raw = first(query, name)
    if raw is None or not raw.strip():
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise invalid_request(f"invalid Datetime for '{name}': {raw!r}") from None


def field(mapping: Any, *path: str) -> Any:
    """A nested value of a post's wire JSON, or None where any step is missing or not an object."""
    value = mapping
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
