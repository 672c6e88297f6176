"""The whole pipeline, offline, on the bundled example event served from loopback replay servers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from confthread.api import FORMATS, write_digest
from confthread.collect import collect
from confthread.config import build_config
from confthread.replay.event import load_mastodon_statuses
from confthread.replay.mastodon import serve_mastodon
from confthread.report import CollectReport, SourceProgress
from confthread.resources import example_event_dir
from confthread.sources.http import RetryPolicy

# Loopback answers at once; a fault here is a bug worth seeing quickly, not a network to wait out.
DEMO_POLICY = RetryPolicy(attempts=2, backoff=0.1, timeout=10)


@dataclass(frozen=True)
class DemoResult:
    archive: Path
    digests: tuple[Path, ...]
    report: CollectReport


def run_demo(out: Path, *, progress: Callable[[SourceProgress], None] | None = None) -> DemoResult:
    event = example_event_dir()
    archive = out / f"{event.name}.db"
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serve_mastodon(statuses))
            for statuses in load_mastodon_statuses(event).values()
        ]
        # No environment: the demo must never send a user's real credentials anywhere.
        config = build_config(
            {"archive": archive, "mastodon": [server.url for server in servers]},
            env={},
            event_file=event / "event.toml",
        )
        report = collect(config, policy=DEMO_POLICY, progress=progress)
    digests = tuple(
        write_digest(archive, fmt, out / f"{event.name}.{fmt}", title=config.title) for fmt in FORMATS
    )
    return DemoResult(archive, digests, report)
