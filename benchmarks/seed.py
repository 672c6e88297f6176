"""An archive filled straight from a generated event, for sizes too large to collect over the network."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TypeVar

from benchmarks.generate import SINCE, TAG, UNTIL, Event
from benchmarks.minimum import bluesky_need, mastodon_need
from confthread.archive import Archive, Record
from confthread.sources.bluesky_parse import parse_post_view
from confthread.sources.mastodon import parse_status

BATCH = 500
T = TypeVar("T")


def seed_archive(event: Event, path: Path, now: datetime) -> int:
    """Exactly the posts a complete collect archives (the tagged threads, whole, and quoted posts),
    saved the way the collectors save them; pictures are left out. Returns how many posts it holds."""
    with Archive(path) as archive:
        run = archive.start_run([TAG.casefold()], SINCE, UNTIL, now)
        keep = bluesky_need(event.network.posts).uris
        views = (view for view in event.network.posts if view["uri"] in keep)
        for batch in _batches(
            Record(parse_post_view(v), v, "bluesky", local_id=str(v["uri"])) for v in views
        ):
            archive.save(batch, now=now, platform="bluesky")
        for host, instance in event.instances.items():
            source = f"https://{host}"
            keep = mastodon_need(host, instance.statuses, 1, 1.0).uris
            uris = {str(status["id"]): str(status["uri"]) for status in instance.statuses}
            records = (
                Record(
                    parse_status(status, instance=source, uris=uris),
                    status,
                    source,
                    local_id=str(status["id"]),
                    parent_local_id=None
                    if status["in_reply_to_id"] is None
                    else str(status["in_reply_to_id"]),
                )
                for status in instance.statuses
                if status["uri"] in keep
            )
            for batch in _batches(records):
                archive.save(batch, now=now)
        archive.finish_run(run, "complete", {}, now)
        return len(archive.posts())


def _batches(items: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _text(value: object) -> str | None:
    return None if value is None else str(value)
