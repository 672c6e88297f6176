"""Pictures kept with the archive: post images, video stills and avatars, fetched once and shrunk.

A picture that cannot be had is noted and skipped: it never fails the collect, and the digest shows
its alt text instead.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import _imaging as pillow

from confthread.archive import Archive
from confthread.fanout import fan_out
from confthread.imaging import NotAnImage, Picture, shrink
from confthread.report import MediaProgress
from confthread.sources.http import RetryPolicy
from confthread.sources.safe_fetch import FetchError, Limits, SafeFetcher, retries_for_links

# What a page shows: a picture across a reading column (and a printed page), an avatar beside a name.
LONGEST_SIDE = {"media": 1280, "avatar": 128}
LIMITS = Limits(max_bytes=25_000_000, max_redirects=5, deadline=60.0)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic"})
RETRY_FAILED_AFTER = timedelta(days=1)
# Pictures downloaded at once, and shrunk at once: Pillow works outside the GIL, so shrinking
# keeps the cores busy without holding up a download, and each shrink holds a whole decoded picture.
WORKERS = 4
SHRINKING = os.cpu_count() or 2
# Freed image buffers Pillow keeps for the next picture (its PILLOW_BLOCKS_MAX): enough for every
# image a shrink holds at once (the decoded photo, the shrunk copy, the steps between), for each shrink
# at once. Without them each photo's ~10 MB go back to the system and are faulted in afresh for the
# next, some 2,600 page faults: a quarter of the CPU a picture costs. With fewer, more memory is kept
# rather than less (freed in one thread, allocated anew in another).
KEPT_IMAGE_BUFFERS = 4 * SHRINKING


@dataclass(frozen=True)
class _Result:
    url: str
    picture: Picture | None
    error: str | None


class MediaHarvest:
    def __init__(
        self,
        archive: Archive,
        fetcher: SafeFetcher,
        policy: RetryPolicy,
        progress: MediaProgress,
        notify: Callable[[MediaProgress], None],
        now: Callable[[], datetime],
    ) -> None:
        self.archive = archive
        self.fetcher = fetcher
        self.policy = policy
        self.progress = progress
        self.notify = notify
        self.now = now
        self._downloading = threading.BoundedSemaphore(WORKERS)
        self._shrinking = threading.BoundedSemaphore(SHRINKING)
        # What PILLOW_BLOCKS_MAX sets when Pillow is imported, set here; only ever raised, so a
        # larger cache the user chose stays.
        if pillow.get_blocks_max() < KEPT_IMAGE_BUFFERS:
            pillow.set_blocks_max(KEPT_IMAGE_BUFFERS)

    def run(self) -> float:
        """Fetch what is wanted so far; returns the seconds the archive took to say what that is."""
        asked = time.monotonic()
        wanted = self.archive.wanted_files(self.now() - RETRY_FAILED_AFTER)
        asking = time.monotonic() - asked
        # Threads waiting to shrink hold only the downloaded bytes, and downloads go on meanwhile.
        fan_out(wanted, self._fetch, self._store, workers=WORKERS + 2 * SHRINKING)
        return asking

    def _fetch(self, item: tuple[str, str]) -> _Result:
        url, kind = item
        try:
            with self._downloading:
                fetched = self.fetcher.get(
                    url,
                    what="picture",
                    limits=LIMITS,
                    retries=retries_for_links(self.policy),
                    accept="image/*",
                    content_types=IMAGE_TYPES,
                )
            with self._shrinking:
                return _Result(url, shrink(fetched.body, LONGEST_SIDE[kind]), None)
        except FetchError as error:
            return _Result(url, None, str(error))
        except NotAnImage as error:
            return _Result(url, None, f"picture {url} is not an image ({error})")

    def _store(self, result: _Result) -> None:
        self.archive.keep_file(result.url, result.picture, self.now(), result.error)
        if result.picture is None:
            self.progress.failed += 1
            self.progress.notes.append(result.error or result.url)
        else:
            self.progress.kept += 1
        self.notify(self.progress)
