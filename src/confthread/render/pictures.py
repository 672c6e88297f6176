"""Where a page finds its pictures: inside it as data: URIs, or as files named by their content.

Pure: archived pictures in, addresses and file contents out; the caller writes the files.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from confthread.imaging import Picture

ASSETS = "assets"
# Only raster types a browser shows as an image and nothing else: an SVG could carry script.
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True, slots=True)
class Shown:
    """A picture as the page refers to it: `src` is a data: URI or a relative path under assets/."""

    src: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Placed:
    """Every picture's address by its original URL, and the files to write beside the page."""

    shown: Mapping[str, Shown]
    files: Mapping[str, bytes]


def asset_name(picture: Picture) -> str:
    """ "assets/3f2a….jpg": the same picture (an avatar on every post) is one file."""
    digest = hashlib.sha256(picture.data).hexdigest()[:20]
    return f"{ASSETS}/{digest}.{_EXTENSIONS[picture.mime]}"


def place_pictures(pictures: Mapping[str, Picture], *, as_files: bool) -> Placed:
    """Inline every picture, or name each one's file; a picture of an unexpected type is left out."""
    shown: dict[str, Shown] = {}
    files: dict[str, bytes] = {}
    for url, picture in pictures.items():
        if picture.mime not in _EXTENSIONS or picture.width <= 0 or picture.height <= 0:
            continue
        if as_files:
            src = asset_name(picture)
            files[src] = picture.data
        else:
            src = f"data:{picture.mime};base64,{base64.b64encode(picture.data).decode('ascii')}"
        shown[url] = Shown(src, picture.width, picture.height)
    return Placed(shown, files)
