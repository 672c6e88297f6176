"""Turn a Digest into the files people read: a self-contained HTML page and a JSON twin."""

from confthread.render.html import render_html
from confthread.render.json import digest_to_dict, render_json

__all__ = ["digest_to_dict", "render_html", "render_json"]
