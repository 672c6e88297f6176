"""Where a stage spends its time (cProfile): `python -m benchmarks.hotspots digest|html|collect --size N`."""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from benchmarks.blog import FEED
from benchmarks.generate import SINCE, TAG, UNTIL, generate
from benchmarks.seed import seed_archive
from benchmarks.serve import ACCOUNT, serve
from benchmarks.stages import NOW
from confthread.replay.mastodon import RateLimit


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.hotspots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("stage", choices=("digest", "html", "collect"))
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.0, help="for collect (default 0)")
    parser.add_argument("--again", action="store_true", help="for collect: profile a second collect only")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="for collect: count each thread's CPU time, not the wall time it spent (waiting included)",
    )
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="confthread-profile-") as folder:
        work = Path(folder)
        if args.stage == "collect":
            timer = time.thread_time if args.cpu else time.perf_counter
            stats = _profile_collect(args.size, args.latency, work, again=args.again, timer=timer)
        else:
            stats = _profile_offline(args.stage, args.size, work)
    for order in ("tottime", "cumulative"):
        stats.sort_stats(order).print_stats(args.top)
    return 0


def _profile_offline(stage: str, size: int, work: Path) -> pstats.Stats:
    # Imported after the event is made.
    from confthread.api import digest_of, load_digest, read_posts, render_digest  # noqa: PLC0415

    archive = work / "seeded.db"
    seed_archive(generate(size), archive, NOW)
    profile = cProfile.Profile()
    if stage == "digest":  # as the digest stage times it
        posts, hashtags = read_posts(archive)
        profile.runcall(digest_of, posts, hashtags, title=f"#{TAG}", now=NOW)
    else:
        digest = load_digest(archive, now=NOW)
        profile.runcall(render_digest, digest, "html")
    return pstats.Stats(profile, stream=sys.stdout)


def _profile_collect(
    size: int, latency: float, work: Path, *, again: bool, timer: Callable[[], float]
) -> pstats.Stats:
    """The collector's worker threads are profiled too (not the replay servers'), and added up with
    the main thread: the totals are summed over threads, so with `timer` the wall clock they include
    the waiting, and with `time.thread_time` they are the CPU the collector itself spent."""
    from confthread.api import collect  # noqa: PLC0415
    from confthread.config import build_config  # noqa: PLC0415
    from confthread.sources.bluesky_session import SessionStore  # noqa: PLC0415

    event = generate(size)
    with serve(event, latency=latency, mastodon_limit=RateLimit(300, 5)) as served:
        options = {
            "tags": [TAG],
            "archive": work / "collected.db",
            "since": SINCE.date().isoformat(),
            "until": UNTIL.date().isoformat(),
            "bluesky": served.url("Bluesky"),
            "mastodon": [served.url(name) for name in served.servers if name.startswith("Mastodon")],
            "feed": [FEED],
            "allow_private_links": True,
        }
        [(handle, password)] = ACCOUNT.items()
        env = {"CONFTHREAD_BLUESKY_HANDLE": handle, "CONFTHREAD_BLUESKY_APP_PASSWORD": password}
        config = build_config(options, env)
        aliases = served.aliases()
        sessions = SessionStore(work / "state")
        if again:
            collect(config, now=lambda: NOW, sessions=sessions, aliases=aliases)
        main = cProfile.Profile(timer)
        with _profiled_threads("confthread", timer) as threads:
            main.runcall(collect, config, now=lambda: NOW, sessions=sessions, aliases=aliases)
    return pstats.Stats(main, *threads, stream=sys.stdout)


@contextmanager
def _profiled_threads(prefix: str, timer: Callable[[], float]) -> Iterator[list[cProfile.Profile]]:
    """Threads named `prefix…` started meanwhile run under a profile of their own, kept in the list."""
    profiles: list[cProfile.Profile] = []
    original: Callable[[threading.Thread], None] = threading.Thread.run

    def run(thread: threading.Thread) -> None:
        if not thread.name.startswith(prefix):
            original(thread)
            return
        profile = cProfile.Profile(timer)
        profiles.append(profile)
        profile.runcall(original, thread)

    threading.Thread.run = run  # type: ignore[method-assign,assignment]
    try:
        yield profiles
    finally:
        threading.Thread.run = original  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    raise SystemExit(main())
