"""Runs every configured source into the archive and says how it went; never prints."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confthread.archive import Archive
from confthread.collect_blogs import BlogHarvest
from confthread.collect_bluesky import BlueskyHarvest
from confthread.collect_mastodon import MastodonHarvest
from confthread.collect_media import MediaHarvest
from confthread.config import Config
from confthread.errors import SourceError, UsageError
from confthread.report import CollectReport, MediaProgress, Progress, SourceProgress
from confthread.sources.bluesky import BlueskyClient
from confthread.sources.bluesky_session import SessionStore
from confthread.sources.http import RetryPolicy
from confthread.sources.mastodon import MastodonClient
from confthread.sources.safe_fetch import SafeFetcher

Notify = Callable[[Progress], None]
# Seconds between the starts of passes for pictures while the sources are still adding posts; at
# least this many times longer than asking the archive took, which grows with the archive.
PICTURE_PASS = 0.25
PICTURE_ASKING = 10


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _ignore(progress: Progress) -> None:
    """Progress for a caller who asked for none."""


class _Cancelled(Exception):
    """Raised in a source's thread at its next save, once the user has interrupted the collect."""


@dataclass(frozen=True)
class _Source:
    """One source's counters and its walk, which runs in a thread of its own on its own connection."""

    progress: SourceProgress
    harvest: Callable[[Archive, Notify], None]


def _sources(
    config: Config, now: Callable[[], datetime], policy: RetryPolicy, sessions: SessionStore | None
) -> list[_Source]:
    found: list[_Source] = []
    if config.bluesky:
        service = config.bluesky
        progress = SourceProgress(f"Bluesky {service}")

        def bluesky(archive: Archive, notify: Notify, progress: SourceProgress = progress) -> None:
            client = BlueskyClient(
                service, config.bluesky_handle, config.bluesky_password, policy=policy, sessions=sessions
            )
            try:
                BlueskyHarvest(archive, client, config.window, progress, notify, now).run(config.tags)
            finally:
                client.close()

        found.append(_Source(progress, bluesky))
    for instance in config.mastodon:
        progress = SourceProgress(f"Mastodon {instance}")

        def mastodon(
            archive: Archive, notify: Notify, progress: SourceProgress = progress, instance: str = instance
        ) -> None:
            client = MastodonClient(instance, config.mastodon_tokens.get(instance), policy)
            try:
                MastodonHarvest(archive, client, config.window, progress, notify, now).run(config.tags)
            finally:
                client.close()

        found.append(_Source(progress, mastodon))
    return found


def _run(source: _Source, path: Path, notify: Notify) -> None:
    with Archive(path) as archive:
        try:
            source.harvest(archive, notify)
        except SourceError as error:
            source.progress.error = str(error)
            notify(source.progress)


def _keep_pictures(
    config: Config,
    media: MediaProgress,
    settled: threading.Event,
    notify: Notify,
    now: Callable[[], datetime],
    policy: RetryPolicy,
    aliases: Mapping[str, str] | None,
) -> None:
    """Alongside the sources: each pass keeps the pictures wanted so far, the last one after the last post."""
    with (
        Archive(config.archive) as archive,
        SafeFetcher(policy, allow_private=config.allow_private_links, aliases=aliases) as fetcher,
    ):
        harvest = MediaHarvest(archive, fetcher, policy, media, notify, now)
        while True:
            last = settled.is_set()
            started = time.monotonic()
            asking = harvest.run()
            if last:
                return
            # A long pass is followed at once by the next, which finds what arrived meanwhile.
            pause = max(PICTURE_PASS, PICTURE_ASKING * asking)
            settled.wait(pause - (time.monotonic() - started))


def collect(
    config: Config,
    *,
    progress: Notify | None = None,
    now: Callable[[], datetime] = _utcnow,
    policy: RetryPolicy | None = None,
    sessions: SessionStore | None = None,
    aliases: Mapping[str, str] | None = None,
) -> CollectReport:
    """Collect `config.tags` from every source into `config.archive`, the sources side by side.

    A failing source is reported, not raised: what the other sources gave is still saved.
    `policy` overrides the retries and timeout of the config; `sessions` is where a Bluesky login
    is kept between runs (the user's state directory unless given); `aliases` maps an origin of
    pictures and linked pages to a stand-in server that answers for it (the demo's replay servers).
    """
    policy = policy or RetryPolicy(attempts=config.retries, timeout=config.timeout)
    if not config.tags:
        raise UsageError("give at least one hashtag to collect, e.g. confthread collect '#ukmedlibs'")
    if not config.mastodon and not config.bluesky:
        raise UsageError("every source is switched off; drop --no-mastodon or --no-bluesky")
    cancelled = threading.Event()

    def notify(source: Progress) -> None:
        if cancelled.is_set():
            raise _Cancelled
        (progress or _ignore)(source)

    sources = _sources(config, now, policy, sessions)
    media = MediaProgress() if config.pictures else None
    # Set once every post is in: the pictures' last pass comes after it.
    settled = threading.Event()
    blogs = SourceProgress("Blogs")
    with Archive(config.archive) as archive:
        run = archive.start_run(config.tags, config.window.since, config.window.until, now())
        harvest = BlogHarvest(
            archive,
            config.feeds,
            config.window,
            config.tags,
            blogs,
            notify,
            now,
            policy,
            config.allow_private_links,
            aliases=aliases,
        )
        with ThreadPoolExecutor(max_workers=len(sources) + 1, thread_name_prefix="confthread-source") as pool:
            running = [pool.submit(_run, source, config.archive, notify) for source in sources]
            pictures = (
                pool.submit(_keep_pictures, config, media, settled, notify, now, policy, aliases)
                if media is not None
                else None
            )
            try:
                for future in running:
                    future.result()
                try:
                    # After the platforms: the write-ups people linked to are found in what they collected.
                    harvest.run()
                except SourceError as error:
                    blogs.error = str(error)
                settled.set()
                if pictures is not None:
                    pictures.result()
            except BaseException:
                # Ctrl-C reaches this thread only: the other threads stop at their next save.
                cancelled.set()
                settled.set()
                raise
        report = CollectReport(
            (*(source.progress for source in sources), blogs), notices=tuple(harvest.notes), media=media
        )
        archive.finish_run(
            run,
            "failed" if report.failed else "complete",
            {source.name: source.summary() for source in report.sources},
            now(),
        )
    return report
