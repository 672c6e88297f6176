"""Images made small enough for a digest page, checked to be images at all. Pure: bytes in, bytes out."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# A picture larger than this is a decompression bomb, not a conference photo.
MAX_PIXELS = 50_000_000


class NotAnImage(ValueError):
    """Bytes that Pillow cannot read as an image, or that claim to be an implausibly large one."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str
    width: int
    height: int


def shrink(data: bytes, max_side: int) -> Picture:
    """At most `max_side` pixels on its longer side, upright, as JPEG (or PNG where it is transparent).

    Re-encoding also drops metadata such as GPS positions that a photo may carry.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.width * opened.height > MAX_PIXELS:
                raise NotAnImage(f"{opened.width}x{opened.height} pixels is too large to be a picture")
            # A JPEG can be decoded straight at a fraction of its size: most of the work saved.
            opened.draft("RGB", (max_side, max_side))
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        SyntaxError,
    ) as error:
        raise NotAnImage(str(error) or "not an image") from None
    image.thumbnail((max_side, max_side))
    transparent = image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info)
    out = io.BytesIO()
    if transparent:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        mime = "image/png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=82)
        mime = "image/jpeg"
    return Picture(out.getvalue(), mime, image.width, image.height)
