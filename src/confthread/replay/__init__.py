"""Loopback servers that stand in for Mastodon (and later Bluesky and feeds), offline and on demand."""

from confthread.replay.bluesky import DEMO_ACCOUNTS, bluesky_handler, serve_bluesky
from confthread.replay.event import BlueskyEvent, load_bluesky_posts, load_mastodon_statuses
from confthread.replay.mastodon import mastodon_handler, serve_mastodon, snowflake_id
from confthread.replay.server import Fault, Handler, ReplayServer, Request, Response

__all__ = [
    "DEMO_ACCOUNTS",
    "BlueskyEvent",
    "Fault",
    "Handler",
    "ReplayServer",
    "Request",
    "Response",
    "bluesky_handler",
    "load_bluesky_posts",
    "load_mastodon_statuses",
    "mastodon_handler",
    "serve_bluesky",
    "serve_mastodon",
    "snowflake_id",
]
