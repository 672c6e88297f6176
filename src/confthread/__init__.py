"""confthread: a readable, lasting record of a conference's hashtag across Bluesky, Mastodon and blogs."""

from confthread.models import Author, Counts, Digest, Link, Media, Post, Thread, ThreadEntry

__all__ = ["Author", "Counts", "Digest", "Link", "Media", "Post", "Thread", "ThreadEntry"]
__version__ = "0.1.0"
