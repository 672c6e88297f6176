"""Every stage at several sizes, each in a process of its own, written as a Markdown table (README.md)."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.collecting import Settings, benchmark_collect
from benchmarks.report import Row, SourceRow, markdown
from benchmarks.spawn import ROOT, Measured, run_command, run_stage
from confthread.replay.bluesky_ratelimit import GLOBAL_LIMIT, WINDOW_SECONDS
from confthread.replay.mastodon import RateLimit

STAGES = ("generate", "collect", "second", "digest", "html", "pdf")
OFFLINE = ("digest", "html", "pdf")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "headless_shell")
# A PDF stage, ours or the browser's, that takes longer than this is reported as not finishing.
PDF_TIMEOUT = 900.0


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="event sizes in posts, comma-separated")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request (0.05)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results.md", help="the Markdown file"
    )
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated, from {','.join(STAGES)} (default: all)"
    )
    parser.add_argument(
        "--collect-up-to", type=int, default=10_000, help="collect only events of at most this many posts"
    )
    parser.add_argument(
        "--pdf-up-to",
        type=int,
        default=20_000,
        help="time our PDF and the Chromium anchor only up to this size",
    )
    parser.add_argument(
        "--mastodon-limit",
        default="300/5",
        help="requests/seconds per instance (Mastodon: 300/300; default 300/5)",
    )
    parser.add_argument(
        "--bluesky-limit",
        default=f"{GLOBAL_LIMIT}/{WINDOW_SECONDS}",
        help=f"requests/seconds in all (Bluesky: {GLOBAL_LIMIT}/{WINDOW_SECONDS}, the default)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per source (4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir", type=Path, help="keep archives, pages and specs here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    args.stages = [stage.strip() for stage in args.stages.split(",") if stage.strip()]
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage {sorted(unknown)[0]!r}; choose from {', '.join(STAGES)}")
    for option in ("mastodon_limit", "bluesky_limit"):
        limit, _, period = getattr(args, option).partition("/")
        if not (limit.isdigit() and period.isdigit() and int(limit) > 0 and int(period) > 0):
            parser.error(f"--{option.replace('_', '-')} takes requests/seconds, e.g. 300/5")
        setattr(args, option, RateLimit(int(limit), int(period)))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return _run(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="confthread-bench-") as workdir:
        return _run(args, Path(workdir))


def _run(args: argparse.Namespace, workdir: Path) -> int:
    settings = Settings(
        args.seed,
        args.latency,
        args.concurrency,
        args.mastodon_limit,
        args.bluesky_limit,
        "second" in args.stages,
    )
    baseline = run_stage({"stage": "baseline"}, workdir)
    rows = [Row("baseline: Python with confthread.api imported", None, None, baseline.peak_mib)]
    sources: list[SourceRow] = []
    for size in args.sizes:
        size_rows, size_sources = _one_size(size, args, settings, workdir)
        rows += size_rows
        sources += size_sources
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # Written after every size, so a long run shows what it has so far.
        args.out.write_text(
            markdown("confthread benchmarks", _settings(args), rows, sources), encoding="utf-8"
        )
    return 0


def _one_size(
    size: int, args: argparse.Namespace, settings: Settings, workdir: Path
) -> tuple[list[Row], list[SourceRow]]:
    rows: list[Row] = []
    sources: list[SourceRow] = []
    if "generate" in args.stages:
        made = run_stage({"stage": "generate", "size": size, "seed": args.seed}, workdir)
        rows.append(_row("generate", size, made, f"{made.result.get('posts', 0):,} posts"))
    collected = False
    if {"collect", "second"} & set(args.stages) and size <= args.collect_up_to:
        collect_rows, sources, collected = benchmark_collect(size, settings, workdir)
        rows += collect_rows
    if not set(OFFLINE) & set(args.stages):
        return rows, sources
    archive = workdir / f"n{size}.db"
    origin = "the collected archive"
    if not collected:
        archive = workdir / f"n{size}-seeded.db"
        seeded = run_stage(
            {"stage": "seed", "size": size, "seed": args.seed, "archive": str(archive)}, workdir
        )
        rows.append(
            _row("seed archive (no network)", size, seeded, f"{seeded.result.get('posts', 0):,} posts")
        )
        origin = "an archive seeded without the network"
    spec = {"size": size, "archive": str(archive), "html": str(workdir / f"n{size}.html")}
    if "digest" in args.stages:
        made = run_stage({**spec, "stage": "digest"}, workdir)
        read = made.result.get("read_seconds")
        notes = f"digest_of on {made.result.get('posts', 0):,} posts already read from {origin}"
        if read is not None:
            notes += f" (reading them took {read:.2f} s); {made.result.get('threads', 0):,} threads"
        rows.append(_row("threads + digest", size, made, notes))
    if "html" in args.stages or "pdf" in args.stages:
        made = run_stage({**spec, "stage": "html"}, workdir)
        rows.append(
            _row("HTML", size, made, f"render_digest(digest, 'html'): {made.result.get('bytes', 0):,} bytes")
        )
    if "pdf" in args.stages:
        if size <= args.pdf_up_to:
            rows += _pdf(size, spec, workdir)
        else:
            skipped = "not run at this size (--pdf-up-to)"
            rows += [Row(stage, size, None, None, notes=skipped) for stage in ("PDF", "PDF anchor: Chromium")]
    return rows, sources


def _pdf(size: int, spec: dict[str, object], workdir: Path) -> list[Row]:
    """Our PDF (once it exists) and the anchor: headless Chromium printing the same HTML page."""
    made = run_stage({**spec, "stage": "pdf"}, workdir, timeout=PDF_TIMEOUT)
    skipped = made.result.get("skipped")
    ours = Row("PDF", size, None, None, notes=str(skipped)) if skipped else _row("PDF", size, made, "")
    anchor_row = "PDF anchor: Chromium"
    browser = next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)
    page = Path(str(spec["html"]))
    if browser is None or not page.exists():
        return [ours, Row(anchor_row, size, None, None, notes="Chromium not found, or no HTML page")]
    argv = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={workdir / f'n{size}-chromium.pdf'}",
        page.as_uri(),
    ]
    anchor = run_command(argv, timeout=PDF_TIMEOUT, quiet=True)
    notes = "whole browser: start, load and print; peak of all its processes"
    if not skipped and made.error is None and anchor.error is None:
        notes += f"; ours / Chromium = {made.seconds / anchor.seconds:.2f}"
    return [ours, _row(anchor_row, size, anchor, anchor.error or notes)]


def _row(stage: str, size: int, made: Measured, notes: str) -> Row:
    if made.error is not None:
        return Row(stage, size, None, made.peak_mib, notes=made.error)
    return Row(stage, size, made.seconds, made.peak_mib, notes=notes)


def _settings(args: argparse.Namespace) -> list[str]:
    limit: RateLimit = args.mastodon_limit
    bluesky: RateLimit = args.bluesky_limit
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs ({platform.machine()}, "
        f"{platform.system()} {platform.release()}), Python {platform.python_version()}; load average at the "
        f"end {load}: other work shared these CPUs, so the times are noisy",
        f"code: {_commit()}",
        f"command: python -m benchmarks.run {' '.join(sys.argv[1:])}".rstrip(),
        f"latency {args.latency * 1000:.0f} ms per request; Mastodon {limit.limit} requests per "
        f"{limit.period} s per instance; Bluesky {bluesky.limit} per {bluesky.period} s; unavoidable time "
        f"assumes {args.concurrency} requests in flight per source; collect only up to "
        f"{args.collect_up_to:,} posts",
        "wall time: the stage's own work, timed inside its process; peak memory: the larger of that "
        "process's ru_maxrss and the PSS of it and all its processes, sampled every 0.2 s (interpreter and "
        "imports included; see the baseline row)",
    ]


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, read-only)
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "templates"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}" + (" with uncommitted changes in src/ or templates/" if dirty else "")


if __name__ == "__main__":
    raise SystemExit(main())
