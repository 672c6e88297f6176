"""The command line: parses options, calls the library, and is the only place that prints or exits."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from confthread import api
from confthread.config import build_config
from confthread.demo import run_demo
from confthread.errors import ConfthreadError
from confthread.render.pdf_options import DEFAULT_VARIANT, PAPERS, PDF_VARIANTS, Paper
from confthread.report import CollectReport
from confthread.report import Progress as Reporting

INTERRUPTED = 130
# Pictures that could not be fetched are listed up to this many; the rest are counted.
NOTES_SHOWN = 5


class ProgressDisplay:
    """Live per-source counters on a terminal; nothing at all in a pipe or with --quiet."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, source: Reporting) -> None:
        if source.name not in self._tasks:
            self._tasks[source.name] = self._progress.add_task(source.name, total=None)
        self._progress.update(self._tasks[source.name], description=source.summary())

    @contextmanager
    def shown(self) -> Iterator[ProgressDisplay]:
        with self._progress:
            yield self


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressDisplay | None]:
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    with ProgressDisplay(console).shown() as display:
        yield display


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        click.echo(message, err=True)


def _report(report: CollectReport, quiet: bool) -> None:
    for notice in report.notices:
        _say(f"note: {notice}", quiet)
    for source in report.sources:
        _say(source.summary(), quiet)
    if report.media is not None:
        _say(report.media.summary(), quiet)
        for note in report.media.notes[:NOTES_SHOWN]:
            _say(f"note: {note}", quiet)
        if len(report.media.notes) > NOTES_SHOWN:
            _say(f"note: and {len(report.media.notes) - NOTES_SHOWN} more pictures like these", quiet)
    for source in report.failed:
        click.echo(f"confthread: error: {source.error}", err=True)
    if report.failed:
        raise SystemExit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="confthread")
def cli() -> None:
    """Gather a conference hashtag from Bluesky and Mastodon into a lasting, readable digest."""


@cli.command()
@click.argument("tags", nargs=-1)
@click.option(
    "--archive",
    type=click.Path(path_type=Path),
    help="SQLite archive to create or extend (default ./confthread.db).",
)
@click.option(
    "--since", metavar="WHEN", help="ISO date or datetime, inclusive (UTC unless an offset is given)."
)
@click.option("--until", metavar="WHEN", help="ISO date or datetime, exclusive.")
@click.option("--bluesky", metavar="URL", help="Bluesky service (default https://bsky.social).")
@click.option("--no-bluesky", is_flag=True, help="Do not collect from Bluesky.")
@click.option(
    "--mastodon",
    metavar="URL",
    multiple=True,
    help="A Mastodon instance to read the tag from; repeatable (default https://mastodon.social).",
)
@click.option("--no-mastodon", is_flag=True, help="Do not collect from Mastodon.")
@click.option(
    "--feed",
    metavar="URL",
    multiple=True,
    help="An RSS or Atom feed of blog posts about the event; repeatable.",
)
@click.option(
    "--no-pictures", is_flag=True, help="Do not download pictures; the digest shows their alt text."
)
@click.option(
    "--allow-private-links",
    is_flag=True,
    help="Let pictures and links found inside posts point at loopback or private addresses.",
)
@click.option(
    "--config",
    "event_file",
    type=click.Path(path_type=Path),
    help="An event file (TOML) holding any of these settings.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
def collect(tags: Sequence[str], event_file: Path | None, quiet: bool, **options: Any) -> None:
    """Collect every post with TAG (with or without '#', any case) into the archive.

    Run it again to resume an interrupted collect or to add what is new; nothing is fetched twice.
    A Mastodon access token is read from CONFTHREAD_MASTODON_TOKEN when exactly one --mastodon is
    given. Exit status: 0 when everything worked, 1 when a source failed (what the others gave is
    saved), 2 for bad usage or input.
    """
    config = build_config({"tags": list(tags), **options}, os.environ, event_file)
    with _progress(quiet) as display:
        report = api.collect(config, progress=display)
    _report(report, quiet)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(api.FORMATS), required=True, help="What to write.")
@click.option(
    "--out",
    type=click.Path(path_type=str),
    required=True,
    help="The file to write; for html and markdown, a folder (ending in /) gets index.html or index.md "
    "with its pictures in assets/ beside it.",
)
@click.option(
    "--archive", type=click.Path(path_type=Path), help="The archive to read (default ./confthread.db)."
)
@click.option("--title", help="The digest's title (default: the event file's, or the hashtags).")
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A folder of templates that override the packaged ones by name.",
)
@click.option(
    "--schedule",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The programme (iCalendar .ics or CSV): threads are read day by day, session by session.",
)
@click.option(
    "--exclude",
    metavar="HANDLE",
    multiple=True,
    help="Leave this person out of the digest (e.g. jdoyle@medlibs.example); repeatable.",
)
@click.option(
    "--paper",
    type=click.Choice(PAPERS),
    default="a4",
    show_default=True,
    help="The PDF's page size (pdf only).",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    default=DEFAULT_VARIANT,
    show_default=True,
    help="The PDF standard to follow (pdf only): PDF/A-3b archives well and carries the JSON digest "
    "inside; 'none' writes a plain PDF.",
)
@click.option("--config", "event_file", type=click.Path(path_type=Path), help="An event file (TOML).")
def render(
    fmt: api.Format,
    out: str,
    archive: Path | None,
    title: str | None,
    templates: Path | None,
    schedule: Path | None,
    exclude: Sequence[str],
    paper: Paper,
    pdf_variant: str,
    event_file: Path | None,
) -> None:
    """Render the digest from the archive alone: no network is needed or used.

    People who opted out, and anyone given with --exclude or in the event file's exclude list, are
    left out: a reply of theirs shows only as "1 reply from a person who opted out is not shown".
    """
    config = build_config(
        {"archive": archive, "title": title, "schedule": schedule, "exclude": list(exclude)}, {}, event_file
    )
    api.write_digest(
        config.archive,
        fmt,
        out,
        title=config.title,
        templates=templates,
        schedule=config.schedule,
        exclude=config.exclude,
        timezone=config.timezone,
        paper=paper,
        pdf_variant=pdf_variant,
    )


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the archive and the digest in every format.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary; errors only.")
def demo(out: Path, quiet: bool) -> None:
    """Run the whole pipeline offline on the bundled example event."""
    with _progress(quiet) as display:
        result = run_demo(out, progress=display)
    _report(result.report, quiet)
    for digest in result.digests:
        _say(f"wrote {digest}", quiet)


def main(argv: Sequence[str] | None = None) -> None:
    """Every failure leaves as one line on stderr with a meaningful exit status, never a traceback."""
    try:
        cli.main(args=argv, prog_name="confthread", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("interrupted; what was saved is kept, and running the same command again resumes", INTERRUPTED)
    except KeyboardInterrupt:
        _fail("interrupted; what was saved is kept, and running the same command again resumes", INTERRUPTED)
    except click.ClickException as error:
        _fail(f"{error.format_message()} (see 'confthread --help')", error.exit_code)
    except ConfthreadError as error:
        _fail(str(error), error.exit_status)
    except OSError as error:
        _fail(f"{error.strerror or error}: {error.filename or ''}; check the path and its permissions", 2)


def _fail(message: str, status: int) -> None:
    click.echo(f"confthread: error: {message}", err=True)
    sys.exit(status)
