"""The programme: iCalendar as conference tools export it (zones, folding, escapes) and CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from confthread.config import build_config
from confthread.errors import UsageError
from confthread.resources import example_event_dir
from confthread.schedule import parse_csv, parse_ical, read_schedule, zone_named

LONDON = ZoneInfo("Europe/London")


def ics(*events: str, head: str = "") -> bytes:
    """A calendar with CRLF line ends, as the RFC has it."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *filter(None, [head]), *events]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260601T120000Z", *lines, "END:VEVENT"])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- iCalendar ----------------------------------------------------------------------------------


def test_the_example_programme_is_read_in_london_time() -> None:
    sessions = read_schedule(example_event_dir() / "schedule.ics")
    assert len(sessions) == 16
    keynote = sessions[0]
    assert keynote.title == "Opening keynote: Keeping the human in the loop \u2013 evidence synthesis and AI"
    assert keynote.room == "Main Hall, East Wing"  # an escaped comma
    assert keynote.start == utc("2026-06-10T09:15")  # 10:15 BST
    assert keynote.end - keynote.start == timedelta(hours=1)
    assert keynote.start.tzname() == "BST" and keynote.day.isoformat() == "2026-06-10"
    titles = [s.title for s in sessions]
    assert "Search strategies, translated: moving searches between databases" in titles
    assert [s.start for s in sessions] == sorted(s.start for s in sessions)
    assert len({s.id for s in sessions}) == 16
    assert all(s.id.startswith("s-") and s.tag is None for s in sessions)


def test_the_example_programme_is_folded_and_escaped_as_exported() -> None:
    raw = (example_event_dir() / "schedule.ics").read_bytes()
    lines = raw.split(b"\r\n")
    assert b"BEGIN:VTIMEZONE" in lines and b"TZID:Europe/London" in lines
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # folded
    assert b"\\," in raw and b"\\;" in raw and b"\\n" in raw


def test_folded_lines_escapes_and_a_fold_inside_a_character_and_an_escape() -> None:
    summary = "SUMMARY:Caf\u00e9 talks\\, posters\\; and a very long title that has to be folded over line"
    folded = summary.encode()[:40] + b"\r\n " + summary.encode()[40:]
    wide = "LOCATION:Salle \u00e9\u00e9\u00e9"
    data = ics(
        event(
            "a@test",
            "DTSTART:20260610T090000Z",
            "DTEND:20260610T100000Z",
            "DESCRIPTION:line one\\nline two \\\\ done",
        )
    )
    data = data.replace(
        b"DTSTART", folded + b"\r\n" + wide.encode()[:16] + b"\r\n " + wide.encode()[16:] + b"\r\nDTSTART"
    )
    [session] = parse_ical(data)
    assert session.title == "Café talks, posters; and a very long title that has to be folded over line"
    assert session.room == "Salle ééé"


def test_a_vtimezone_in_the_file_is_honoured() -> None:
    zone = "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:Venue Time",
            "BEGIN:STANDARD",
            "DTSTART:19701025T030000",
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
            "TZOFFSETFROM:+0300",
            "TZOFFSETTO:+0200",
            "TZNAME:VST",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:19700329T020000",
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0300",
            "TZNAME:VDT",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
        ]
    )
    summer = event("s@t", "SUMMARY:Summer", "DTSTART;TZID=Venue Time:20260610T101500", "DURATION:PT45M")
    winter = event("w@t", "SUMMARY:Winter", "DTSTART;TZID=Venue Time:20261210T101500", "DURATION:PT45M")
    got = {s.title: s for s in parse_ical(ics(summer, winter, head=zone))}
    assert got["Summer"].start == utc("2026-06-10T07:15")
    assert got["Summer"].end == utc("2026-06-10T08:00")
    assert got["Winter"].start == utc("2026-12-10T08:15")


def test_iana_zones_utc_floating_times_and_the_calendars_own_zone() -> None:
    events = [
        event(
            "1@t",
            "SUMMARY:London",
            "DTSTART;TZID=Europe/London:20261210T090000",
            "DTEND;TZID=Europe/London:20261210T100000",
        ),
        event("2@t", "SUMMARY:Zulu", "DTSTART:20260610T090000Z", "DTEND:20260610T100000Z"),
        event("3@t", "SUMMARY:Floating", "DTSTART:20260610T090000", "DTEND:20260610T100000"),
    ]
    plain = {s.title: s.start for s in parse_ical(ics(*events), zone=zone_named("Europe/Berlin"))}
    assert plain == {
        "London": utc("2026-12-10T09:00"),  # GMT in December
        "Zulu": utc("2026-06-10T09:00"),
        "Floating": utc("2026-06-10T07:00"),  # the zone the caller gave
    }
    own = parse_ical(ics(*events, head="X-WR-TIMEZONE:America/New_York"), zone=UTC)
    assert {s.title: s.start for s in own}["Floating"] == utc("2026-06-10T13:00")


def test_whole_days_cancelled_events_and_missing_ends() -> None:
    data = ics(
        event("d@t", "SUMMARY:Exhibition open", "DTSTART;VALUE=DATE:20260610", "DTEND;VALUE=DATE:20260611"),
        event("c@t", "SUMMARY:Cancelled", "STATUS:CANCELLED", "DTSTART:20260610T090000Z"),
        event("i@t", "SUMMARY:Instant", "DTSTART:20260610T090000Z"),
        event("n@t", "SUMMARY:No start"),
    )
    [instant] = parse_ical(data)
    assert instant.title == "Instant" and instant.start == instant.end


def test_session_tags_come_from_the_explicit_property_or_a_hashtag_category() -> None:
    data = ics(
        event("a@t", "SUMMARY:A", "DTSTART:20260610T090000Z", "X-CONFTHREAD-TAG:#GLAMwiki"),
        event("b@t", "SUMMARY:B", "DTSTART:20260610T100000Z", "CATEGORIES:Workshop,#MapsTalk"),
        event("c@t", "SUMMARY:C", "DTSTART:20260610T110000Z", "CATEGORIES:Workshop"),
    )
    assert [(s.title, s.tag) for s in parse_ical(data)] == [("A", "glamwiki"), ("B", "mapstalk"), ("C", None)]


def test_repeated_uids_still_give_distinct_stable_ids() -> None:
    data = ics(
        event("same@t", "SUMMARY:Coffee", "DTSTART:20260610T100000Z"),
        event("same@t", "SUMMARY:Coffee", "DTSTART:20260611T100000Z"),
    )
    first = [s.id for s in parse_ical(data)]
    assert len(set(first)) == 2 and first == [s.id for s in parse_ical(data)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n", "is not valid iCalendar"),
        (ics(event("x@t", "SUMMARY:Broken", "DTSTART:tomorrow")), "'Broken' are not dates and times"),
        (
            ics(event("x@t", "SUMMARY:Back", "DTSTART:20260610T100000Z", "DTEND:20260610T090000Z")),
            "ends before",
        ),
    ],
)
def test_a_broken_calendar_is_one_clear_usage_error(data: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_ical(data, source="programme.ics")


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_with_a_header_in_any_order_offsets_and_a_default_zone() -> None:
    text = (
        "room,title,start,end,tag\n"
        'Main Hall,"Keynote, day one",2026-06-10 10:15,2026-06-10 11:15,\n'
        "Lab,Wikidata,2026-06-10T13:00+00:00,2026-06-10T15:00Z,#GLAMwiki\n"
        "\n"
    )
    keynote, wiki = parse_csv(text, zone=LONDON)
    assert (keynote.title, keynote.room, keynote.tag) == ("Keynote, day one", "Main Hall", None)
    assert keynote.start == utc("2026-06-10T09:15") and keynote.start.tzname() == "BST"
    assert (wiki.start, wiki.end, wiki.tag) == (utc("2026-06-10T13:00"), utc("2026-06-10T15:00"), "glamwiki")


def test_csv_without_a_header_is_title_start_end_room_tag() -> None:
    [session] = parse_csv("Opening,2026-06-10T09:00,2026-06-10T10:00\n")
    assert (session.title, session.room, session.start) == ("Opening", None, utc("2026-06-10T09:00"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "title,start,end\nKeynote,next tuesday,2026-06-10 11:00\n",
            "line 2: start 'next tuesday' is not a date",
        ),
        ("title,start,room\nKeynote,2026-06-10 10:00,Hall\n", "no 'end' column"),
        ("Keynote,2026-06-10 11:00,2026-06-10 10:00\n", "line 1: 'Keynote' ends before it starts"),
        (",2026-06-10 10:00,2026-06-10 11:00\n", "line 1: the title is empty"),
    ],
)
def test_a_broken_csv_names_the_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_csv(text, source="programme.csv")


# --- files and settings ---------------------------------------------------------------------------


def test_the_format_is_told_by_suffix_or_content(tmp_path: Path) -> None:
    calendar = tmp_path / "programme.txt"
    calendar.write_bytes(b"\xef\xbb\xbf" + ics(event("a@t", "SUMMARY:A", "DTSTART:20260610T090000Z")))
    table = tmp_path / "programme.csv"
    table.write_text("title,start,end\nB,2026-06-10 09:00,2026-06-10 10:00\n", encoding="utf-8-sig")
    assert [s.title for s in read_schedule(calendar)] == ["A"]
    assert [s.title for s in read_schedule(table)] == ["B"]
    with pytest.raises(UsageError, match="does not exist; check the --schedule path"):
        read_schedule(tmp_path / "missing.ics")
    with pytest.raises(UsageError, match="is not a time zone"):
        read_schedule(table, timezone="Mars/Olympus")


def test_event_file_settings_schedule_is_relative_to_the_event_file(tmp_path: Path) -> None:
    folder = tmp_path / "event"
    folder.mkdir()
    event_file = folder / "event.toml"
    event_file.write_text(
        'tags = ["x"]\nschedule = "programme.ics"\ntimezone = "Europe/London"\n'
        'exclude = ["jo@medlibs.example"]\n'
    )
    config = build_config({"exclude": ["@kim.bsky.social"]}, {}, event_file)
    assert config.schedule == folder / "programme.ics"
    assert config.timezone == "Europe/London"
    # The command line adds to the event file's list; it never re-admits anyone.
    assert config.exclude == ("jo@medlibs.example", "@kim.bsky.social")
    given = build_config({"schedule": Path("other.csv")}, {}, event_file)
    assert given.schedule == Path("other.csv")
    assert build_config({}, {}).schedule is None and build_config({}, {}).timezone == "UTC"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('exclude = ["jdoyle"]', "'jdoyle' is not a full handle"),
        ('exclude = ["@"]', "is not a full handle"),
        ('timezone = "Nowhere/Special"', "is not a time zone"),
        ("exclude = 3", "must be a list of strings"),
    ],
)
def test_bad_digest_settings_are_usage_errors(tmp_path: Path, settings: str, message: str) -> None:
    event_file = tmp_path / "event.toml"
    event_file.write_text(settings + "\n")
    with pytest.raises(UsageError, match=message):
        build_config({}, {}, event_file)
