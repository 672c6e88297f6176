"""Event file, command-line options and environment folded into one frozen Config; no business logic."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from confthread.errors import UsageError

DEFAULT_ARCHIVE = Path("confthread.db")
DEFAULT_BLUESKY = "https://bsky.social"
DEFAULT_MASTODON = "https://mastodon.social"
MASTODON_TOKEN_VARIABLE = "CONFTHREAD_MASTODON_TOKEN"  # noqa: S105 (a variable name, not a secret)
BLUESKY_HANDLE_VARIABLE = "CONFTHREAD_BLUESKY_HANDLE"
BLUESKY_PASSWORD_VARIABLE = "CONFTHREAD_BLUESKY_APP_PASSWORD"  # noqa: S105 (a variable name)

_TAG = re.compile(r"\w+")
_KEYS = frozenset(
    {
        "title",
        "tags",
        "allow_private_links",
        "no_pictures",
        "feed",
        "archive",
        "since",
        "until",
        "bluesky",
        "bluesky_handle",
        "no_bluesky",
        "mastodon",
        "no_mastodon",
        "mastodon_tokens",
        "retries",
        "timeout",
        "exclude",
        "schedule",
        "timezone",
    }
)


@dataclass(frozen=True)
class Window:
    """The time span of an event: `since` inclusive, `until` exclusive, either open."""

    since: datetime | None = None
    until: datetime | None = None

    def __contains__(self, moment: datetime) -> bool:
        if self.since is not None and moment < self.since:
            return False
        return self.until is None or moment < self.until


@dataclass(frozen=True)
class Config:
    tags: tuple[str, ...]
    archive: Path = DEFAULT_ARCHIVE
    window: Window = Window()
    title: str | None = None
    bluesky: str | None = DEFAULT_BLUESKY
    bluesky_handle: str | None = None
    # From the environment only, and kept out of repr: an app password is a secret.
    bluesky_password: str | None = field(default=None, repr=False)
    mastodon: tuple[str, ...] = (DEFAULT_MASTODON,)
    feeds: tuple[str, ...] = ()
    allow_private_links: bool = False
    pictures: bool = True
    retries: int = 5
    timeout: float = 30.0
    # Instance URL -> access token. Kept out of repr so a logged Config never shows a secret.
    mastodon_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The digest's settings: people left out, the programme, and the zone of its times given without one.
    exclude: tuple[str, ...] = ()
    schedule: Path | None = None
    timezone: str = "UTC"


def normalise_tag(tag: str) -> str:
    """Hashtags match in any case, with or without '#': store them one way."""
    name = tag.strip().removeprefix("#")
    if not _TAG.fullmatch(name):
        raise UsageError(f"{tag!r} is not a hashtag; give letters, digits or _ only, e.g. '#ukmedlibs'")
    return name.casefold()


def parse_when(value: str | date | datetime, option: str) -> datetime:
    """An ISO date or datetime, read as UTC unless it carries an offset."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise UsageError(
                f"{option} {value!r} is not a date; use an ISO date such as 2026-06-10 "
                "or a datetime such as 2026-06-10T09:00+01:00"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def normalise_url(url: str, option: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"{option} {url!r} is not a web address; give one like https://mastodon.social")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def read_event_file(path: Path) -> dict[str, Any]:
    """The event file's settings, checked for unknown keys so a typo is not silently ignored."""
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"event file {path} does not exist; check the --config path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"event file {path} cannot be read ({error}); check the --config path") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"event file {path} is not valid TOML ({error}); fix it and run again") from None
    unknown = sorted(set(settings) - _KEYS)
    if unknown:
        raise UsageError(
            f"event file {path} has unknown setting {unknown[0]!r}; known ones are {', '.join(sorted(_KEYS))}"
        )
    return settings


def build_config(
    options: Mapping[str, Any], env: Mapping[str, str], event_file: Path | None = None
) -> Config:
    """Options given on the command line win over the event file; unset options are None or empty."""
    settings = read_event_file(event_file) if event_file else {}
    if event_file is not None and settings.get("schedule"):
        # A path in the event file is relative to the event file, wherever the command is run from.
        settings["schedule"] = event_file.parent / str(settings["schedule"])
    # The opt-out list only grows: a name given on the command line never re-admits one from the file.
    exclude = [*_as_list(settings.get("exclude"), "exclude"), *_as_list(options.get("exclude"), "exclude")]
    settings.update({key: value for key, value in options.items() if value not in (None, (), [], False)})

    tags = tuple(dict.fromkeys(normalise_tag(tag) for tag in _as_list(settings.get("tags"), "tags")))
    since = settings.get("since")
    until = settings.get("until")
    window = Window(
        parse_when(since, "--since") if since is not None else None,
        parse_when(until, "--until") if until is not None else None,
    )
    if window.since and window.until and window.since >= window.until:
        raise UsageError("--since must be earlier than --until; the window would hold nothing")

    bluesky: str | None = None
    if not settings.get("no_bluesky"):
        bluesky = normalise_url(str(settings.get("bluesky") or DEFAULT_BLUESKY), "--bluesky")
    mastodon: tuple[str, ...] = ()
    if not settings.get("no_mastodon"):
        given = _as_list(settings.get("mastodon"), "mastodon") or [DEFAULT_MASTODON]
        mastodon = tuple(dict.fromkeys(normalise_url(str(url), "--mastodon") for url in given))

    return Config(
        tags=tags,
        archive=Path(settings.get("archive") or DEFAULT_ARCHIVE),
        window=window,
        title=settings.get("title"),
        bluesky=bluesky,
        bluesky_handle=env.get(BLUESKY_HANDLE_VARIABLE) or settings.get("bluesky_handle"),
        bluesky_password=env.get(BLUESKY_PASSWORD_VARIABLE),
        mastodon=mastodon,
        feeds=tuple(
            dict.fromkeys(normalise_url(str(url), "--feed") for url in _as_list(settings.get("feed"), "feed"))
        ),
        allow_private_links=bool(settings.get("allow_private_links")),
        pictures=not settings.get("no_pictures"),
        retries=_number(settings, "retries", 5, int),
        timeout=_number(settings, "timeout", 30.0, float),
        mastodon_tokens=_mastodon_tokens(mastodon, settings.get("mastodon_tokens") or {}, env),
        exclude=tuple(dict.fromkeys(_excluded(name) for name in exclude)),
        schedule=Path(settings["schedule"]) if settings.get("schedule") else None,
        timezone=_timezone(settings.get("timezone")),
    )


def _excluded(name: Any) -> str:
    """A full handle, DID, actor URI or profile address: a bare name could be anyone on any instance."""
    text = str(name).strip() if isinstance(name, str) else ""
    bare = text.lstrip("@")
    if not bare or not any(mark in bare for mark in "@.:"):
        raise UsageError(
            f"--exclude {name!r} is not a full handle; give it with its instance or domain, "
            "like jdoyle@medlibs.example or name.bsky.social"
        )
    return text


def _timezone(name: Any) -> str:
    if name is None:
        return "UTC"
    try:
        ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"timezone {name!r} in the event file is not a time zone; give an IANA name such as Europe/London"
        ) from None
    return str(name).strip()


def _number(settings: Mapping[str, Any], name: str, default: float, kind: type[int] | type[float]) -> Any:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UsageError(f"{name} in the event file must be a number of 0 or more, not {value!r}")
    return kind(value)


def _mastodon_tokens(
    instances: tuple[str, ...], named: Mapping[str, str], env: Mapping[str, str]
) -> dict[str, str]:
    """A token goes to the one instance it belongs to, never to every instance in the list."""
    if len(instances) == 1 and env.get(MASTODON_TOKEN_VARIABLE):
        return {instances[0]: env[MASTODON_TOKEN_VARIABLE]}
    tokens: dict[str, str] = {}
    for url, variable in named.items():
        instance = normalise_url(url, "mastodon_tokens")
        if instance not in instances:
            raise UsageError(f"mastodon_tokens names {url}, which is not one of the --mastodon instances")
        if not env.get(variable):
            raise UsageError(f"the token for {instance} should be in ${variable}, which is not set")
        tokens[instance] = env[variable]
    return tokens


def _as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise UsageError(f"{name} in the event file must be a list of strings")
