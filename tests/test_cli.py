"""The command line: options as documented, exit statuses, and one-line errors instead of tracebacks."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path

import click
import pytest
from rich.console import Console

from confthread.cli import ProgressDisplay, cli, main
from confthread.replay.build_mastodon import Instance
from confthread.replay.mastodon import serve_mastodon
from confthread.report import SourceProgress

README = (Path(__file__).parents[1] / "README.md").read_text()


def one_post_instance() -> Instance:
    instance = Instance("a.example")
    instance.add("only", "ada", 0, tags=("demo",))
    return instance


def invoke(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        status = 0
    except SystemExit as leaving:
        status = int(leaving.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("confthread: error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["collect", "--no-bluesky"], "at least one hashtag"),
        (["collect", "#x", "--since", "next tuesday"], "--since 'next tuesday' is not a date"),
        (["collect", "#x", "--since", "2026-06-12", "--until", "2026-06-10"], "earlier than --until"),
        (["collect", "#no spaces"], "is not a hashtag"),
        (["collect", "#x", "--mastodon", "ftp://example.org"], "is not a web address"),
        (["collect", "#x", "--config", "missing.toml"], "does not exist"),
        (["collect", "#x", "--frobnicate"], "No such option"),
        (["render", "--format", "pdfx", "--out", "x"], "Invalid value"),
        (
            ["render", "--format", "json", "--out", "x.json", "--archive", "none.db"],
            "run 'confthread collect'",
        ),
    ],
)
def test_bad_input_is_one_line_with_status_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = invoke(capsys, *argv)
    assert status == 2
    assert expected in one_line_error(err)
    assert not list(tmp_path.iterdir()), "bad input must not create files"


def test_a_broken_event_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "event.toml"
    bad.write_text('tags = ["x"]\nmastodon = "https://a.example"\nsince = 2026-06-10\nuntil = [\n')
    status, _, err = invoke(capsys, "collect", "--config", str(bad))
    assert status == 2 and "is not valid TOML" in one_line_error(err)
    bad.write_text('tags = ["x"]\ntagz = ["y"]\n')
    status, _, err = invoke(capsys, "collect", "--config", str(bad))
    assert status == 2 and "unknown setting 'tagz'" in one_line_error(err)


def test_rendering_a_file_that_is_not_an_archive_leaves_it_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "notes.db"
    other.write_text("my notes, not a database\n" * 100)
    status, _, err = invoke(
        capsys, "render", "--format", "json", "--out", str(tmp_path / "d.json"), "--archive", str(other)
    )
    assert status == 2 and "not a confthread archive" in one_line_error(err)
    assert other.read_text() == "my notes, not a database\n" * 100
    assert not (tmp_path / "d.json").exists()


def test_an_unreachable_instance_fails_with_status_1_and_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = one_post_instance()
    impatient = tmp_path / "event.toml"
    impatient.write_text("retries = 1\ntimeout = 2\n")
    with serve_mastodon(instance.statuses) as good:
        status, out, err = invoke(
            capsys,
            "collect",
            "demo",
            "--no-bluesky",
            "--no-pictures",
            "--config",
            str(impatient),
            "--archive",
            str(tmp_path / "a.db"),
            "--mastodon",
            f"http://127.0.0.1:{port}",
            "--mastodon",
            good.url,
            "--since",
            "2026-06-01",
        )
    assert status == 1
    errors = [line for line in err.splitlines() if line.startswith("confthread: error:")]
    assert len(errors) == 1 and f"127.0.0.1:{port} could not be reached" in errors[0]
    assert f"Mastodon {good.url}: 1 new posts" in err
    assert out == ""
    status, _, _ = invoke(
        capsys,
        "render",
        "--format",
        "json",
        "--archive",
        str(tmp_path / "a.db"),
        "--out",
        str(tmp_path / "d.json"),
    )
    digest = json.loads((tmp_path / "d.json").read_text())
    assert status == 0 and [t["posts"][0]["uri"] for t in digest["threads"]] == [
        "https://a.example/users/ada/statuses/only"
    ]


def test_quiet_collect_prints_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    instance = one_post_instance()
    with serve_mastodon(instance.statuses) as server:
        status, out, err = invoke(
            capsys,
            "collect",
            "#Demo",
            "--quiet",
            "--no-bluesky",
            "--no-pictures",
            "--mastodon",
            server.url,
            "--archive",
            str(tmp_path / "a.db"),
        )
    assert (status, out, err) == (0, "", "")


def test_bluesky_without_a_login_fails_alone_and_says_what_to_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONFTHREAD_BLUESKY_HANDLE", raising=False)
    monkeypatch.delenv("CONFTHREAD_BLUESKY_APP_PASSWORD", raising=False)
    with serve_mastodon(one_post_instance().statuses) as server:
        status, _, err = invoke(
            capsys,
            "collect",
            "demo",
            "--mastodon",
            server.url,
            "--archive",
            str(tmp_path / "a.db"),
            "--no-pictures",
            "--bluesky",
            "http://127.0.0.1:9",
        )
    assert status == 1
    [error] = [line for line in err.splitlines() if line.startswith("confthread: error:")]
    assert (
        "CONFTHREAD_BLUESKY_HANDLE and CONFTHREAD_BLUESKY_APP_PASSWORD" in error and "--no-bluesky" in error
    )
    assert f"Mastodon {server.url}: 1 new posts" in err


def test_every_option_has_help_and_is_in_the_readme() -> None:
    context = click.Context(cli)
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"confthread {name}" in README, name
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                assert parameter.help, (name, parameter.name)
                longest = max(parameter.opts, key=len)
                if longest != "--help":
                    assert re.search(rf"`{re.escape(longest)}[ `]|{re.escape(longest)} ", README), longest
    assert cli.get_help(context)


def test_progress_shows_each_sources_counts_on_a_terminal() -> None:
    screen = io.StringIO()
    display = ProgressDisplay(Console(file=screen, force_terminal=True, width=120))
    with display.shown():
        display(SourceProgress("Mastodon https://a.example", pages=2, posts=31, threads=4))
        display(SourceProgress("Mastodon https://b.example", pages=1, posts=5))
    shown = screen.getvalue()
    assert "Mastodon https://a.example: 31 new posts from 2 result pages and 4 threads" in shown
    assert "Mastodon https://b.example: 5 new posts" in shown
