"""The whole pipeline, offline, on the bundled example event served from loopback replay servers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from confthread.api import FORMATS, write_digest
from confthread.collect import collect
from confthread.config import BLUESKY_HANDLE_VARIABLE, BLUESKY_PASSWORD_VARIABLE, Config, build_config
from confthread.replay.blog import load_blog_sites, serve_blog
from confthread.replay.bluesky import serve_bluesky
from confthread.replay.event import load_bluesky_posts, load_mastodon_statuses, web_origins
from confthread.replay.mastodon import serve_mastodon
from confthread.replay.media import serve_media
from confthread.report import CollectReport, Progress
from confthread.resources import example_event_dir
from confthread.sources.bluesky_session import SessionStore
from confthread.sources.http import RetryPolicy

SUFFIXES = {"html": ".html", "json": ".json", "markdown": ".md", "pdf": ".pdf"}
# Loopback answers at once; a fault here is a bug worth seeing quickly, not a network to wait out.
DEMO_POLICY = RetryPolicy(attempts=2, backoff=0.1, timeout=10)


@dataclass(frozen=True)
class DemoResult:
    archive: Path
    digests: tuple[Path, ...]
    report: CollectReport


@dataclass(frozen=True)
class ExampleEvent:
    """The example event served from this machine: a config that reads it, and what collect needs."""

    config: Config
    aliases: dict[str, str]
    sessions: SessionStore


@contextmanager
def serve_example(archive: Path, event: Path | None = None) -> Iterator[ExampleEvent]:
    """Every stand-in the example needs, running: instances, Bluesky, blogs, and a picture host."""
    event = event or example_event_dir()
    bluesky = load_bluesky_posts(event)
    [(handle, password)] = bluesky.accounts.items()
    with ExitStack() as stack:
        mastodon = [
            stack.enter_context(serve_mastodon(statuses))
            for statuses in load_mastodon_statuses(event).values()
        ]
        service = stack.enter_context(
            serve_bluesky(
                bluesky.posts, accounts=bluesky.accounts, deleted=bluesky.deleted, blocked=bluesky.blocked
            )
        )
        pictures = stack.enter_context(serve_media())
        blogs = {
            origin: stack.enter_context(serve_blog(site)) for origin, site in load_blog_sites(event).items()
        }
        # Only the example's own account: the demo must never send a user's real credentials anywhere,
        # nor keep its login beside theirs.
        config = build_config(
            {
                "archive": archive,
                "mastodon": [server.url for server in mastodon],
                "bluesky": service.url,
                # The stand-ins for the web the posts point at are on this machine.
                "allow_private_links": True,
            },
            env={BLUESKY_HANDLE_VARIABLE: handle, BLUESKY_PASSWORD_VARIABLE: password},
            event_file=event / "event.toml",
        )
        aliases = dict.fromkeys(web_origins(event), pictures.url) | {
            origin: server.url for origin, server in blogs.items()
        }
        sessions = SessionStore(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        yield ExampleEvent(config, aliases, sessions)


def run_demo(out: Path, *, progress: Callable[[Progress], None] | None = None) -> DemoResult:
    event = example_event_dir()
    with serve_example(out / f"{event.name}.db", event) as example:
        config = example.config
        report = collect(
            config, policy=DEMO_POLICY, progress=progress, sessions=example.sessions, aliases=example.aliases
        )
    digests = tuple(
        write_digest(
            config.archive,
            fmt,
            out / f"{event.name}{SUFFIXES[fmt]}",
            title=config.title,
            schedule=config.schedule,
            exclude=config.exclude,
            timezone=config.timezone,
        )
        for fmt in FORMATS
    )
    return DemoResult(config.archive, digests, report)
