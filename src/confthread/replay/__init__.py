"""Loopback servers that stand in for Mastodon (and later Bluesky and feeds), offline and on demand."""

from confthread.replay.event import load_mastodon_statuses
from confthread.replay.mastodon import mastodon_handler, serve_mastodon, snowflake_id
from confthread.replay.server import Fault, Handler, ReplayServer, Request, Response

__all__ = [
    "Fault",
    "Handler",
    "ReplayServer",
    "Request",
    "Response",
    "load_mastodon_statuses",
    "mastodon_handler",
    "serve_mastodon",
    "snowflake_id",
]
