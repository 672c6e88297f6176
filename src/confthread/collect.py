"""Runs every configured source into the archive and says how it went; never prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from confthread.archive import Archive
from confthread.collect_bluesky import BlueskyHarvest
from confthread.collect_mastodon import MastodonHarvest
from confthread.config import Config
from confthread.errors import SourceError, UsageError
from confthread.report import CollectReport, SourceProgress
from confthread.sources.bluesky import BlueskyClient
from confthread.sources.bluesky_session import SessionStore
from confthread.sources.http import RetryPolicy
from confthread.sources.mastodon import MastodonClient

Notify = Callable[[SourceProgress], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _ignore(progress: SourceProgress) -> None:
    """Progress for a caller who asked for none."""


@dataclass(frozen=True)
class _Job:
    """One source's work: its counters, the walk itself, and the connection to close after."""

    progress: SourceProgress
    run: Callable[[], None]
    close: Callable[[], None]


def _jobs(
    config: Config,
    archive: Archive,
    notify: Notify,
    now: Callable[[], datetime],
    policy: RetryPolicy,
    sessions: SessionStore | None,
) -> Iterator[_Job]:
    if config.bluesky:
        progress = SourceProgress(f"Bluesky {config.bluesky}")
        bluesky = BlueskyClient(
            config.bluesky, config.bluesky_handle, config.bluesky_password, policy=policy, sessions=sessions
        )
        harvest = BlueskyHarvest(archive, bluesky, config.window, progress, notify, now)
        yield _Job(progress, partial(harvest.run, config.tags), bluesky.close)
    for instance in config.mastodon:
        progress = SourceProgress(f"Mastodon {instance}")
        mastodon = MastodonClient(instance, config.mastodon_tokens.get(instance), policy)
        walk = MastodonHarvest(archive, mastodon, config.window, progress, notify, now)
        yield _Job(progress, partial(walk.run, config.tags), mastodon.close)


def collect(
    config: Config,
    *,
    progress: Notify | None = None,
    now: Callable[[], datetime] = _utcnow,
    policy: RetryPolicy | None = None,
    sessions: SessionStore | None = None,
) -> CollectReport:
    """Collect `config.tags` from every source into `config.archive`.

    A failing source is reported, not raised: what the other sources gave is still saved.
    `policy` overrides the retries and timeout of the config; `sessions` is where a Bluesky login
    is kept between runs (the user's state directory unless given).
    """
    policy = policy or RetryPolicy(attempts=config.retries, timeout=config.timeout)
    if not config.tags:
        raise UsageError("give at least one hashtag to collect, e.g. confthread collect '#ukmedlibs'")
    if not config.mastodon and not config.bluesky:
        raise UsageError("every source is switched off; drop --no-mastodon or --no-bluesky")
    notify = progress or _ignore
    sources: list[SourceProgress] = []
    with Archive(config.archive) as archive:
        run = archive.start_run(config.tags, config.window.since, config.window.until, now())
        for job in _jobs(config, archive, notify, now, policy, sessions):
            sources.append(job.progress)
            try:
                job.run()
            except SourceError as error:
                job.progress.error = str(error)
                notify(job.progress)
            finally:
                job.close()
        report = CollectReport(tuple(sources))
        archive.finish_run(
            run,
            "failed" if report.failed else "complete",
            {source.name: source.summary() for source in sources},
            now(),
        )
    return report
