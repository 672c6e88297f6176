"""Small formatters the HTML template uses: times, safe links, language tags and post content."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from confthread.models import Post
from confthread.render.json import iso_utc
from confthread.sanitise import clean_html

# Fixed English names, so the page reads the same whatever locale the machine runs in.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# A BCP 47 tag in its common shapes ("en", "pt-BR", "zh-Hant-TW"); anything else is not a language.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WEB_SCHEMES = frozenset({"http", "https"})


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def readable_day(day: date) -> str:
    """ "Wednesday 10 June 2026": a day of the programme, as people at the venue call it."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_day(day: date) -> str:
    """ "Wed 10 Jun": a day under a chart's axis."""
    return f"{_WEEKDAYS[day.weekday()][:3]} {day.day} {_MONTHS[day.month - 1][:3]}"


def iso_time(moment: datetime) -> str:
    """The machine-readable form for `<time datetime>`, always UTC with an offset."""
    return iso_utc(moment)


def zone_name(moment: datetime) -> str:
    """ "BST", "CEST", or "UTC+0530" where the zone has no abbreviation."""
    name = moment.tzname() or "UTC"
    return "UTC" if name in {"UTC", "+00"} else (name if name[0].isalpha() else f"UTC{moment:%z}")


def readable_date(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "14 March 2025" — no leading zero, month spelled out, never ambiguous between countries."""
    local = moment.astimezone(zone or UTC)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def clock_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "09:05 UTC", or "10:05 BST" in the event's zone — for a post on the same day as the one before."""
    local = moment.astimezone(zone or UTC)
    return f"{local:%H:%M} {zone_name(local)}"


def readable_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "14 March 2025, 09:05 UTC": readers are in many time zones, so the zone is always named."""
    return f"{readable_date(moment, zone)}, {clock_time(moment, zone)}"


def date_range(first: datetime, last: datetime, zone: tzinfo | None = None) -> str:
    """ "10 June 2026", "10-12 June 2026" or "30 June - 2 July 2026", written with en dashes."""
    start, end = first.astimezone(zone or UTC), last.astimezone(zone or UTC)
    if start.date() == end.date():
        return readable_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\u2013{readable_date(end)}"
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} \u2013 {readable_date(end)}"
    return f"{readable_date(start)} \u2013 {readable_date(end)}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute web address, else None: nothing else may become a link.

    `javascript:`, `data:` and relative addresses (which a file on disk would resolve against
    the reader's own machine) are refused.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return url.strip()


def lang_attr(language: str | None) -> str | None:
    """The post's language tag if it looks like one; platforms send free text here at times."""
    if language and _LANGUAGE_TAG.fullmatch(language.strip()):
        return language.strip()
    return None


def _text_to_html(text: str) -> Markup:
    """Plain text as paragraphs and line breaks, every character escaped."""
    paragraphs = [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in part.split("\n")))
        for part in paragraphs
    )


def post_html(post: Post) -> Markup:
    """The post's markup through the allow-list sanitiser, or its plain text when that is empty."""
    cleaned = clean_html(post.html).strip() if post.html else ""
    if cleaned:
        # clean_html is the one place that decides what post markup may do; its output is trusted.
        return Markup(cleaned)  # noqa: S704
    return _text_to_html(post.text)


def count_noun(number: int, singular: str, plural: str) -> str:
    """ "1 thread", "3 threads"."""
    return f"{number} {singular if number == 1 else plural}"
