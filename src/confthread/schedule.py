"""The programme: an iCalendar or CSV file read into Sessions. The only digest-stage module that reads a file.

iCalendar is read the way Pretalx, Indico and Sched export it, with a real parser (`icalendar`): folded
lines, escaped commas and semicolons, and time zones given by TZID (an IANA name, or a VTIMEZONE in the
file) are honoured. An event with a date but no time (a whole day) is not a session and is skipped, and
so is a cancelled one. Times without a zone ("floating") are in the calendar's X-WR-TIMEZONE, else in
the `timezone` the caller gives. A session's own hashtag is its X-CONFTHREAD-TAG, or a CATEGORIES
value written with '#'.

CSV has the columns title, start, end, room and optionally tag, in that order or named by a header row.
Times are ISO 8601 (2026-06-10 10:15 or 2026-06-10T10:15+01:00); without an offset, in `timezone`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from confthread.errors import UsageError
from confthread.models import Session

CSV_COLUMNS = ("title", "start", "end", "room", "tag")
ICAL_SUFFIXES = frozenset({".ics", ".ical", ".icalendar", ".ifb"})
_TAG = re.compile(r"#?(\w+)")
_FOLD = re.compile(rb"\r?\n[ \t]")


def zone_named(name: str) -> tzinfo:
    """An IANA time zone such as Europe/London; UTC by any of its usual names."""
    if name.strip().upper() in {"UTC", "Z", "GMT", "ETC/UTC"}:
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"timezone {name!r} is not a time zone; give an IANA name such as Europe/London or UTC"
        ) from None


def read_schedule(path: Path, *, timezone: str = "UTC") -> tuple[Session, ...]:
    """The sessions in `path`, by start time; the format is told by the suffix, else by the content."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"schedule {path} does not exist; check the --schedule path") from None
    except OSError as error:
        raise UsageError(
            f"schedule {path} cannot be read ({error.strerror or error}); check the --schedule path"
        ) from None
    zone = zone_named(timezone)
    if path.suffix.lower() in ICAL_SUFFIXES or _looks_like_ical(data):
        return parse_ical(data, zone=zone, source=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"schedule {path} is not UTF-8 text; save it as UTF-8 CSV or iCalendar") from None
    return parse_csv(text, zone=zone, source=str(path))


def _looks_like_ical(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().upper().startswith(b"BEGIN:VCALENDAR")


# -- iCalendar ------------------------------------------------------------------------------------


def parse_ical(data: bytes | str, *, zone: tzinfo = UTC, source: str = "the schedule") -> tuple[Session, ...]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # Unfold the octets first: a fold may split a UTF-8 character (RFC 5545 3.1), which the parser,
    # decoding line by line, would garble.
    unfolded = _FOLD.sub(b"", raw.removeprefix(b"\xef\xbb\xbf"))
    try:
        calendars = icalendar.Calendar.from_ical(unfolded, multiple=True)
    except (ValueError, KeyError, IndexError) as error:
        raise UsageError(
            f"schedule {source} is not valid iCalendar ({error}); export it again from the programme"
        ) from None
    found: list[tuple[str, Session]] = []
    for calendar in calendars:
        floating = _calendar_zone(calendar, zone)
        for event in calendar.walk("VEVENT"):
            pair = _session_from_event(event, floating, source)
            if pair is not None:
                found.append(pair)
    return _finish(found)


def _calendar_zone(calendar: icalendar.Calendar, default: tzinfo) -> tzinfo:
    name = calendar.get("X-WR-TIMEZONE")
    if name is None:
        return default
    try:
        return zone_named(str(name))
    except UsageError:
        return default


def _session_from_event(event: Any, floating: tzinfo, source: str) -> tuple[str, Session] | None:
    if str(event.get("STATUS", "")).upper() == "CANCELLED" or event.get("DTSTART") is None:
        return None
    title = _text(event.get("SUMMARY")) or "Untitled session"
    try:
        start = event.decoded("DTSTART")
        end = _event_end(event, start)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(
            f"schedule {source}: the times of {title!r} cannot be read ({error}); fix that event"
        ) from None
    if not isinstance(start, date) or not isinstance(end, date):
        # The parser keeps a malformed value as text rather than failing: say which event it is.
        raise UsageError(f"schedule {source}: the times of {title!r} are not dates and times; fix that event")
    if not isinstance(start, datetime):
        return None  # a whole-day entry ("Exhibition open") is not a session
    start, end = _aware(start, floating), _aware(end, floating)
    if end < start:
        raise UsageError(f"schedule {source}: {title!r} ends before it starts; fix its DTEND")
    uid = _text(event.get("UID")) or f"{title}|{start.isoformat()}"
    session = Session(
        id="",
        title=title,
        start=start,
        end=end,
        room=_text(event.get("LOCATION")),
        tag=_event_tag(event),
    )
    return uid, session


def _event_end(event: Any, start: object) -> object:
    """DTEND, else DTSTART + DURATION, else the start itself (RFC 5545 §3.6.1)."""
    if event.get("DTEND") is not None:
        return event.decoded("DTEND")
    duration = event.decoded("DURATION") if event.get("DURATION") is not None else None
    if isinstance(duration, timedelta) and isinstance(start, date):
        return start + duration
    return start


def _aware(moment: date, floating: tzinfo) -> datetime:
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day, tzinfo=floating)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=floating)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _event_tag(event: Any) -> str | None:
    explicit = _normalise_tag(_text(event.get("X-CONFTHREAD-TAG")))
    if explicit:
        return explicit
    categories = event.get("CATEGORIES")
    groups = categories if isinstance(categories, list) else [categories] if categories is not None else []
    for group in groups:
        for category in getattr(group, "cats", ()):
            if str(category).strip().startswith("#"):
                tag = _normalise_tag(str(category))
                if tag:
                    return tag
    return None


def _normalise_tag(value: str | None) -> str | None:
    match = _TAG.fullmatch(value.strip()) if value else None
    return match.group(1).casefold() if match else None


# -- CSV ------------------------------------------------------------------------------------------


def parse_csv(text: str, *, zone: tzinfo = UTC, source: str = "the schedule") -> tuple[Session, ...]:
    reader = csv.reader(io.StringIO(text))
    columns: Sequence[str] = CSV_COLUMNS
    found: list[tuple[str, Session]] = []
    first = True
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if first:
            first = False
            header = [cell.casefold() for cell in cells]
            if "title" in header and "start" in header:
                columns = _header(header, source)
                continue
        found.append(
            _session_from_row(dict(zip(columns, cells, strict=False)), reader.line_num, zone, source)
        )
    return _finish(found)


def _header(header: list[str], source: str) -> list[str]:
    missing = [name for name in ("title", "start", "end") if name not in header]
    if missing:
        raise UsageError(f"schedule {source} has no {missing[0]!r} column; give title,start,end,room[,tag]")
    return header


def _session_from_row(row: dict[str, str], line: int, zone: tzinfo, source: str) -> tuple[str, Session]:
    title = _text(row.get("title"))
    if not title:
        raise UsageError(f"schedule {source} line {line}: the title is empty; give each session a title")
    start = _csv_time(row.get("start", ""), "start", line, zone, source)
    end = _csv_time(row.get("end", ""), "end", line, zone, source)
    if end < start:
        raise UsageError(f"schedule {source} line {line}: {title!r} ends before it starts")
    session = Session(
        id="",
        title=title,
        start=start,
        end=end,
        room=_text(row.get("room")),
        tag=_normalise_tag(row.get("tag")),
    )
    return f"{title}|{start.isoformat()}|{session.room}", session


def _csv_time(value: str, column: str, line: int, zone: tzinfo, source: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"schedule {source} line {line}: {column} {value!r} is not a date and time; "
            "use ISO 8601 such as 2026-06-10 10:15 or 2026-06-10T10:15+01:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


# -- both -----------------------------------------------------------------------------------------


def _finish(found: Iterable[tuple[str, Session]]) -> tuple[Session, ...]:
    """Sessions by start time, each with an id that is stable across exports and safe in a web page."""
    ordered = sorted(found, key=lambda pair: (_utc(pair[1].start), _utc(pair[1].end), pair[1].title, pair[0]))
    sessions: list[Session] = []
    used: set[str] = set()
    for uid, session in ordered:
        ident = "s-" + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:12]
        number = 2
        while ident in used:  # a UID repeated (a recurring slot): keep every occurrence apart
            ident = "s-" + hashlib.sha256(f"{uid}#{number}".encode()).hexdigest()[:12]
            number += 1
        used.add(ident)
        sessions.append(Session(ident, session.title, session.start, session.end, session.room, session.tag))
    return tuple(sessions)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
