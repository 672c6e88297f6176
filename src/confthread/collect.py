"""Runs every configured source into the archive and says how it went; never prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from confthread.archive import Archive
from confthread.collect_mastodon import MastodonHarvest
from confthread.config import Config
from confthread.errors import SourceError, UsageError
from confthread.report import CollectReport, SourceProgress
from confthread.sources.http import RetryPolicy
from confthread.sources.mastodon import MastodonClient

BLUESKY_PENDING = (
    "Bluesky is not collected by this version of confthread yet; skipped it (pass --no-bluesky to "
    "silence this notice)"
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _ignore(progress: SourceProgress) -> None:
    """Progress for a caller who asked for none."""


def collect(
    config: Config,
    *,
    progress: Callable[[SourceProgress], None] | None = None,
    now: Callable[[], datetime] = _utcnow,
    policy: RetryPolicy | None = None,
) -> CollectReport:
    """Collect `config.tags` from every source into `config.archive`.

    A failing source is reported, not raised: what the other sources gave is still saved.
    `policy` overrides the retries and timeout of the config.
    """
    policy = policy or RetryPolicy(attempts=config.retries, timeout=config.timeout)
    if not config.tags:
        raise UsageError("give at least one hashtag to collect, e.g. confthread collect '#ukmedlibs'")
    if not config.mastodon and not config.bluesky:
        raise UsageError("every source is switched off; drop --no-mastodon or --no-bluesky")
    notify = progress or _ignore
    notices = (BLUESKY_PENDING,) if config.bluesky else ()
    sources: list[SourceProgress] = []
    with Archive(config.archive) as archive:
        run = archive.start_run(config.tags, config.window.since, config.window.until, now())
        for instance in config.mastodon:
            source = SourceProgress(f"Mastodon {instance}")
            sources.append(source)
            client = MastodonClient(instance, config.mastodon_tokens.get(instance), policy)
            try:
                MastodonHarvest(archive, client, config.window, source, notify, now).run(config.tags)
            except SourceError as error:
                source.error = str(error)
                notify(source)
            finally:
                client.close()
        report = CollectReport(tuple(sources), notices)
        archive.finish_run(
            run,
            "failed" if report.failed else "complete",
            {source.name: source.summary() for source in sources},
            now(),
        )
    return report
