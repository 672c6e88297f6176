"""Pictures kept with the archive: shrunk, deduplicated, never of people who opted out, never fatal."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from confthread.archive import Archive
from confthread.collect import collect
from confthread.collect_media import WORKERS
from confthread.config import build_config
from confthread.imaging import NotAnImage, shrink
from confthread.replay.build_mastodon import Instance
from confthread.replay.mastodon import serve_mastodon
from confthread.replay.media import media_handler, serve_media
from confthread.replay.server import ReplayServer, Request, Response
from confthread.report import CollectReport
from confthread.sources.http import RetryPolicy

FAST = RetryPolicy(attempts=1, backoff=0.01, timeout=5)
NOW = datetime(2026, 6, 20, tzinfo=UTC)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_a_photo_is_shrunk_upright_and_stripped_of_its_metadata() -> None:
    photo = Image.new("RGB", (4000, 3000), "navy")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°, as phones write it
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS position
    picture = shrink(encoded(photo, "JPEG", exif=exif), 1280)
    assert (picture.width, picture.height, picture.mime) == (960, 1280, "image/jpeg")
    assert not Image.open(io.BytesIO(picture.data)).getexif()


def test_transparency_is_kept_and_small_pictures_are_not_enlarged() -> None:
    logo = Image.new("RGBA", (64, 32), (0, 0, 0, 0))
    picture = shrink(encoded(logo, "PNG"), 1280)
    assert (picture.width, picture.height, picture.mime) == (64, 32, "image/png")


@pytest.mark.parametrize("data", [b"<html>not a picture</html>", b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_what_is_not_a_picture_is_refused(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        shrink(data, 1280)


def test_a_decompression_bomb_is_refused() -> None:
    bomb = encoded(Image.new("1", (20_000, 20_000)), "PNG", optimize=True)
    assert len(bomb) < 200_000
    with pytest.raises(NotAnImage):
        shrink(bomb, 1280)


def instance() -> Instance:
    home = Instance("medlibs.example")
    home.add("one", "ada", 0, tags=("demo",), alt="A slide")
    home.add("two", "bob", 1, tags=("demo",), alt="")
    home.add("gone", "cy", 2, tags=("demo",), alt="A picture that was removed")
    home.add("private", "eve", 3, tags=("demo",), alt="Eve's photo", noindex=True)
    return home


def run(tmp_path: Path, url: str, aliases: dict[str, str], *, allow: bool = True) -> CollectReport:
    config = build_config(
        {
            "tags": ["demo"],
            "archive": tmp_path / "a.db",
            "mastodon": [url],
            "no_bluesky": True,
            "allow_private_links": allow,
        },
        {},
    )
    return collect(config, policy=FAST, now=lambda: NOW, aliases=aliases)


def test_pictures_are_kept_once_and_a_missing_one_is_only_a_note(tmp_path: Path) -> None:
    with serve_mastodon(instance().statuses) as server, serve_media(missing=["/media/gone"]) as pictures:
        report = run(tmp_path, server.url, {"https://medlibs.example": pictures.url})
        fetched = {r.path for r in pictures.requests}
    assert not report.failed
    media = report.media
    assert media is not None
    assert (media.kept, media.failed) == (5, 1)  # 3 images and 2 avatars (ada, bob, cy: one shared host)
    assert "/media/gone.png" in media.notes[0]
    assert not any("eve" in path for path in fetched), "nothing of a person who opted out is fetched"
    with Archive(tmp_path / "a.db") as archive:
        slide = archive.file("https://medlibs.example/media/one.png")
        assert slide is not None and max(slide.width, slide.height) == 1280
        avatar = archive.file("https://medlibs.example/avatars/ada.png")
        assert avatar is not None and max(avatar.width, avatar.height) == 128
        assert archive.file("https://medlibs.example/media/gone.png") is None


def test_a_second_collect_fetches_no_picture_again(tmp_path: Path) -> None:
    with serve_mastodon(instance().statuses) as server, serve_media() as pictures:
        run(tmp_path, server.url, {"https://medlibs.example": pictures.url})
        first = len(pictures.requests)
        run(tmp_path, server.url, {"https://medlibs.example": pictures.url})
        assert len(pictures.requests) == first


def test_pictures_on_private_addresses_are_refused_unless_allowed(tmp_path: Path) -> None:
    with serve_mastodon(instance().statuses) as server, serve_media() as pictures:
        report = run(tmp_path, server.url, {"https://medlibs.example": pictures.url}, allow=False)
        assert not pictures.requests
    media = report.media
    assert media is not None
    assert media.kept == 0 and media.failed == 6
    assert all("private" in note or "loopback" in note for note in media.notes), media.notes[:2]


def test_no_more_pictures_are_downloaded_at_once_than_allowed(tmp_path: Path) -> None:
    """Shrinking runs beside the downloads, never as extra downloads: a host sees WORKERS at most."""
    home = Instance("medlibs.example")
    for n in range(12):
        home.add(f"p{n}", "ada", n, tags=("demo",), alt=f"Slide {n}")
    in_flight, most = [0], [0]
    lock = threading.Lock()
    pictures_of = media_handler()

    def counting(request: Request, base_url: str) -> Response:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return pictures_of(request, base_url)

    with serve_mastodon(home.statuses) as server, ReplayServer(counting) as pictures:
        report = run(tmp_path, server.url, {"https://medlibs.example": pictures.url})
    assert report.media is not None and report.media.kept == 13  # 12 slides and ada's avatar
    assert 1 < most[0] <= WORKERS
