"""A loopback image host: any path answers with a picture made from the path, so no files are shipped."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from PIL import Image, ImageDraw

from confthread.replay.server import Fault, Handler, ReplayServer, Request, Response

# As large as a phone photo, so that shrinking it for the page is exercised.
WIDTH, HEIGHT = 1600, 1200


def picture(path: str) -> bytes:
    """The same path always gives the same picture: a colour from its hash and a diagonal."""
    digest = hashlib.sha256(path.encode()).digest()
    image = Image.new("RGB", (WIDTH, HEIGHT), tuple(digest[:3]))
    ImageDraw.Draw(image).line((0, 0, WIDTH, HEIGHT), fill=tuple(digest[3:6]), width=40)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def media_handler(missing: Iterable[str] = ()) -> Handler:
    """Paths containing any of `missing` answer 404, like media removed from an instance."""
    gone = tuple(missing)

    def handle(request: Request, base_url: str) -> Response:
        if any(part in request.path for part in gone):
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        return Response(200, picture(request.path), {"Content-Type": "image/jpeg"})

    return handle


def serve_media(
    *, missing: Iterable[str] = (), latency: float = 0.0, faults: Iterable[Fault] = ()
) -> ReplayServer:
    """Not yet started: use it as a context manager."""
    return ReplayServer(media_handler(missing), latency=latency, faults=faults)
