"""`confthread render --schedule FILE --exclude HANDLE` end to end, on the example event's archive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from confthread.cli import main
from confthread.demo import run_demo


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    assert not run_demo(out).report.failed
    return out / "ukmedlibs.db"


def render(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        main(["render", *argv])
        status = 0
    except SystemExit as leaving:
        status = int(leaving.code or 0)
    return status, capsys.readouterr().err


def test_exclude_and_schedule_on_the_command_line(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    programme = tmp_path / "programme.csv"
    programme.write_text(
        "title,start,end,room,tag\nOutreach panel,2026-06-11 11:00,2026-06-11 12:00,Room 2,\n",
        encoding="utf-8",
    )
    outputs = {fmt: tmp_path / f"digest.{fmt}" for fmt in ("json", "html")}
    for fmt, out in outputs.items():
        status, err = render(
            capsys,
            "--format",
            fmt,
            "--out",
            str(out),
            "--archive",
            str(archive),
            "--schedule",
            str(programme),
            "--exclude",
            "tomasz@medlibs.example",
            "--exclude",
            "@fiona@glam.example",
        )
        assert (status, err) == (0, "")
    text = outputs["json"].read_text() + outputs["html"].read_text()
    for trace in (
        "tomasz@medlibs.example",
        "Tomasz Nowak",
        "fiona@glam.example",
        "Fiona MacLeod",
        "evidence huddle",
    ):
        assert trace not in text, trace
    digest = json.loads(outputs["json"].read_text())
    [panel] = digest["sessions"]
    # CSV times without an offset are UTC unless the event file names a timezone.
    assert (panel["title"], panel["start"]) == ("Outreach panel", "2026-06-11T11:00:00+00:00")
    in_panel = [thread for thread in digest["threads"] if thread["id"] in panel["threads"]]
    assert len(in_panel) == 3  # Priya's question, and on Bluesky Nia's and Leo's posts of that hour
    question = next(thread for thread in in_panel if thread["posts"][0]["text"].startswith("Question for"))
    # Fiona's and Jo's replies (and Tomasz's, under Fiona's) are gone; two are counted on the question.
    assert question["posts"][0]["withheld_replies"] == 2
    assert "2 replies from people who opted out are not shown" in outputs["html"].read_text()


def test_the_event_files_list_and_programme(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event"
    event.mkdir()
    shutil.copy(
        Path(__file__).parents[1] / "examples" / "ukmedlibs" / "schedule.ics", event / "programme.ics"
    )
    (event / "event.toml").write_text('schedule = "programme.ics"\nexclude = ["@amara@glam.example"]\n')
    out = tmp_path / "d.json"
    status, err = render(
        capsys,
        "--format",
        "json",
        "--out",
        str(out),
        "--archive",
        str(archive),
        "--config",
        str(event / "event.toml"),
        "--exclude",
        "dafydd@glam.example",
    )
    assert (status, err) == (0, "")
    text = out.read_text()
    assert "amara@glam.example" not in text and "dafydd@glam.example" not in text
    digest = json.loads(text)
    assert len(digest["sessions"]) == 16


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--schedule", "missing.ics"], "schedule missing.ics does not exist"),
        (["--exclude", "jdoyle"], "'jdoyle' is not a full handle"),
    ],
)
def test_bad_digest_options_are_one_line_with_status_2(
    archive: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    status, err = render(capsys, "--format", "json", "--out", "d.json", "--archive", str(archive), *extra)
    assert status == 2
    assert err.count("\n") == 1 and message in err and err.startswith("confthread: error: ")
    assert not (tmp_path / "d.json").exists()
