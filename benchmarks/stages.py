"""One stage of the pipeline in a process of its own: `python -m benchmarks.stages SPEC RESULT`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from benchmarks.generate import SINCE, TAG, UNTIL, generate

Spec = dict[str, Any]
Result = dict[str, Any]

# Well after the event: threads have settled, so a second collect has nothing to fetch again.
NOW = datetime(2026, 6, 20, tzinfo=UTC)


def baseline(spec: Spec) -> Result:
    """The library imported and nothing done: the memory every other stage starts from."""
    import confthread.api  # noqa: F401, PLC0415 (importing it is what is measured)

    return {"seconds": 0.0}


def generate_stage(spec: Spec) -> Result:
    started = time.perf_counter()
    event = generate(spec["size"], spec["seed"])
    return {"seconds": time.perf_counter() - started, "posts": event.mix["posts"]}


def collect_stage(spec: Spec) -> Result:
    """A full collect through the library API into the archive the spec names."""
    from confthread.api import collect  # noqa: PLC0415 (imported here so other stages stay light)
    from confthread.config import build_config  # noqa: PLC0415
    from confthread.sources.bluesky_session import SessionStore  # noqa: PLC0415

    urls: dict[str, str] = spec["urls"]
    options = {
        "tags": [TAG],
        "archive": spec["archive"],
        "since": SINCE.date().isoformat(),
        "until": UNTIL.date().isoformat(),
        "bluesky": urls["Bluesky"],
        "mastodon": [url for name, url in urls.items() if name.startswith("Mastodon")],
        "feed": [spec["feed"]],
        # The stand-ins for the pictures and the web are on this machine.
        "allow_private_links": True,
    }
    [(handle, password)] = spec["account"].items()
    env = {"CONFTHREAD_BLUESKY_HANDLE": handle, "CONFTHREAD_BLUESKY_APP_PASSWORD": password}
    config = build_config(options, env)
    aliases: dict[str, str] = spec["aliases"]
    started = time.perf_counter()
    report = collect(config, now=lambda: NOW, sessions=SessionStore(Path(spec["state"])), aliases=aliases)
    seconds = time.perf_counter() - started
    errors = [f"{source.name}: {source.error}" for source in report.sources if source.error]
    media = getattr(report, "media", None)
    return {
        "seconds": seconds,
        "errors": errors,
        "pictures_failed": getattr(media, "failed", 0),
    }


def seed_stage(spec: Spec) -> Result:
    """An archive as a complete collect would leave it, made without the network."""
    from benchmarks.seed import seed_archive  # noqa: PLC0415

    event = generate(spec["size"], spec["seed"])
    started = time.perf_counter()
    posts = seed_archive(event, Path(spec["archive"]), NOW)
    return {"seconds": time.perf_counter() - started, "posts": posts}


def digest_stage(spec: Spec) -> Result:
    """The digest built as `load_digest` builds it, on posts already read; the reading is timed apart
    (`read_seconds`)."""
    from confthread.api import digest_of, read_posts  # noqa: PLC0415

    started = time.perf_counter()
    posts, hashtags = read_posts(Path(spec["archive"]))
    read = time.perf_counter()
    digest = digest_of(posts, hashtags, title=f"#{TAG}", now=NOW)
    done = time.perf_counter()
    return {
        "seconds": done - read,
        "read_seconds": read - started,
        "posts": len(posts),
        "threads": len(digest.threads),
    }


def html_stage(spec: Spec) -> Result:
    """`render_digest(digest, "html")` timed on a digest already built; the page is kept for Chromium."""
    from confthread.api import load_digest, render_digest  # noqa: PLC0415

    digest = load_digest(Path(spec["archive"]), now=NOW)
    started = time.perf_counter()
    page = render_digest(digest, "html")
    seconds = time.perf_counter() - started
    Path(spec["html"]).write_text(page, encoding="utf-8")
    return {"seconds": seconds, "bytes": len(page.encode())}


def pdf_stage(spec: Spec) -> Result:
    """The hook for the PDF renderer: timed through the library API once "pdf" is one of its formats."""
    from confthread import api  # noqa: PLC0415

    if "pdf" not in api.FORMATS:
        return {"skipped": "no PDF renderer yet: confthread.api.FORMATS has no 'pdf'"}
    digest = api.load_digest(Path(spec["archive"]), now=NOW)
    # Typed loosely: the "pdf" format, and whatever the renderer returns, do not exist yet.
    render = cast(Callable[[Any, str], str | bytes], api.render_digest)
    started = time.perf_counter()
    document = render(digest, "pdf")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": len(document)}


STAGES: dict[str, Callable[[Spec], Result]] = {
    "baseline": baseline,
    "generate": generate_stage,
    "collect": collect_stage,
    "seed": seed_stage,
    "digest": digest_stage,
    "html": html_stage,
    "pdf": pdf_stage,
}


def main(argv: list[str]) -> int:
    """Started once per stage, so that each stage's peak memory is its own; a stage times only its own
    work (not the interpreter's start, nor the inputs it needs) and writes what it measured as JSON."""
    spec_path, result_path = Path(argv[0]), Path(argv[1])
    spec: Spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = STAGES[spec["stage"]](spec)
    result_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
