"""The last guard before output: posts of people who opted out never reach a rendered file."""

from __future__ import annotations

from confthread.models import Digest, Thread, ThreadEntry


def visible_entries(thread: Thread) -> tuple[ThreadEntry, ...]:
    """The thread's entries in reading order, without any post whose author opted out.

    The digest stage should already have removed them; checking again here costs nothing and
    means a bug upstream cannot publish someone who asked not to be archived.
    """
    return tuple(entry for entry in thread.entries if not entry.post.author.opted_out)


def visible_threads(digest: Digest) -> tuple[tuple[Thread, tuple[ThreadEntry, ...]], ...]:
    """Each thread with its visible entries; a thread left with no posts is dropped entirely."""
    pairs = ((thread, visible_entries(thread)) for thread in digest.threads)
    return tuple((thread, entries) for thread, entries in pairs if entries)
