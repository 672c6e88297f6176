"""A collect, and a second one with nothing new, against a generated event served from loopback."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.blog import FEED
from benchmarks.generate import generate
from benchmarks.minimum import Need, expected_uris, needs
from benchmarks.report import Row, SourceRow
from benchmarks.serve import ACCOUNT, Served, serve
from benchmarks.spawn import run_stage
from confthread.archive import Archive
from confthread.replay.mastodon import RateLimit


@dataclass(frozen=True)
class Settings:
    seed: int
    latency: float
    concurrency: int
    mastodon_limit: RateLimit
    bluesky_limit: RateLimit
    second: bool


def benchmark_collect(
    size: int, settings: Settings, workdir: Path
) -> tuple[list[Row], list[SourceRow], bool]:
    """Rows for the collect (and the second collect), requests by source, and whether it succeeded."""
    event = generate(size, settings.seed)
    limit, bluesky = settings.mastodon_limit, settings.bluesky_limit
    found = needs(event, (limit.limit, limit.period), (bluesky.limit, bluesky.period))
    archive, state = workdir / f"n{size}.db", workdir / f"n{size}-state"
    _start_afresh(archive, state)
    rows: list[Row] = []
    with serve(event, latency=settings.latency, mastodon_limit=limit, bluesky_limit=bluesky) as served:
        spec = {
            "stage": "collect",
            "size": size,
            "archive": str(archive),
            "state": str(state),
            "urls": {name: served.url(name) for name in served.servers},
            "account": ACCOUNT,
            "feed": FEED,
            "aliases": served.aliases(),
        }
        mark = served.made()
        first = run_stage(spec, workdir)
        made = {name: served.endpoints(name, mark[name]) for name in served.servers}
        refused = served.refused()
        unavoidable = max(need.unavoidable(settings.latency, settings.concurrency) for need in found)
        total, minimum = sum(sum(c.values()) for c in made.values()), sum(need.total for need in found)
        notes = [f"unavoidable {unavoidable:.2f} s, actual/unavoidable {_ratio(first.seconds, unavoidable)}"]
        if first.error is None:
            archived = _archived(archive)
            expected = expected_uris(found)
            notes.append(f"archived {len(archived & expected):,} of {len(expected):,} expected posts")
            notes += [f"error: {error}" for error in first.result.get("errors", [])]
        else:
            notes.append(first.error)
        rows.append(
            Row(
                "collect",
                size,
                first.seconds,
                first.peak_mib,
                f"{total:,} (min {minimum:,})",
                "; ".join(notes),
            )
        )
        sources = [_source_row(size, need, made[need.source], refused, settings) for need in found]
        if settings.second and first.error is None:
            rows.append(_second(size, spec, served, found, workdir))
    return rows, sources, first.error is None


def _second(size: int, spec: dict[str, object], served: Served, found: list[Need], workdir: Path) -> Row:
    """The same collect again: with nothing new, only one request per source page is needed."""
    mark = served.made()
    again = run_stage(spec, workdir)
    made = {name: served.endpoints(name, mark[name]) for name in served.servers}
    total = sum(sum(counts.values()) for counts in made.values())
    by_source = "; ".join(
        f"{name}: " + ", ".join(f"{endpoint} {count}" for endpoint, count in sorted(counts.items()))
        for name, counts in made.items()
        if counts
    )
    minimum = sum(need.again for need in found)
    return Row(
        "second collect, nothing new",
        size,
        again.seconds,
        again.peak_mib,
        f"{total:,} (min {minimum:,})",
        again.error or by_source,
    )


def _source_row(
    size: int, need: Need, made: dict[str, int], refused: dict[str, int], settings: Settings
) -> SourceRow:
    return SourceRow(
        size=size,
        source=need.source,
        made=made,
        minimum=need.requests,
        refused=refused.get(need.source, 0),
        unavoidable=need.unavoidable(settings.latency, settings.concurrency),
        childless=need.childless,
    )


def _start_afresh(archive: Path, state: Path) -> None:
    """A kept --workdir holds the last run's archive and login: the first collect is measured without."""
    for suffix in ("", "-wal", "-shm"):
        archive.with_name(archive.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(state, ignore_errors=True)


def _archived(path: Path) -> set[str]:
    with Archive(path, create=False) as archive:
        return {post.uri for post in archive.posts()}


def _ratio(actual: float, unavoidable: float) -> str:
    return f"{actual / unavoidable:.1f}x" if unavoidable > 0 else "—"
