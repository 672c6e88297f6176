"""Threads placed in the programme: by a session's own hashtag, then by time and the room's words. Pure.

1. Tag: the first post of the thread (in reading order) carrying a session's own hashtag places it in
   that session; when several sessions share the tag, the one under way at the thread's start, else
   the one that starts nearest to it. The event's own hashtags never place a thread.
2. Time: otherwise the thread's first post decides: sessions under way then, and those that ended less
   than GRACE before it (people post about a talk on their way out). One such session takes the thread;
   between several (parallel rooms), the one whose title and room share the most words with the
   thread's posts; with no word in common, the one under way if only one is; else none.
3. Everything else reads under "Around the event".

The digest reads day by day (the session's day where it is held), session by session in order of
their start, each session's threads in order of their first post, then "Around the event".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from confthread.models import Section, Session, Thread

GRACE = timedelta(minutes=15)

_WORD = re.compile(r"\w+")
# Words too common in titles and posts to tell one session from another.
_STOPWORDS = frozenset(
    [
        "about",
        "after",
        "again",
        "also",
        "been",
        "before",
        "being",
        "from",
        "have",
        "here",
        "into",
        "just",
        "more",
        "most",
        "much",
        "only",
        "other",
        "over",
        "room",
        "rooms",
        "session",
        "sessions",
        "some",
        "such",
        "talk",
        "talks",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "today",
        "track",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "your",
    ]
)


def words(text: str) -> frozenset[str]:
    """Words of four letters or more, plural 's' dropped, without the commonest ones."""
    found = set()
    for word in _WORD.findall(text.casefold()):
        if len(word) < 4 or word.isdigit() or word in _STOPWORDS:
            continue
        found.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return frozenset(found)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def session_order(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (_utc(s.start), _utc(s.end), s.title, s.room or "", s.id))


def assign_session(thread: Thread, sessions: Sequence[Session], event_tags: frozenset[str]) -> Session | None:
    by_tag = _by_tag(thread, sessions, event_tags)
    if by_tag is not None:
        return by_tag
    return _by_time(thread, sessions)


def _by_tag(thread: Thread, sessions: Sequence[Session], event_tags: frozenset[str]) -> Session | None:
    tagged = [s for s in sessions if s.tag and s.tag not in event_tags]
    if not tagged:
        return None
    for post in thread.posts:
        tags = {tag.lstrip("#").casefold() for tag in post.tags}
        matching = [s for s in tagged if s.tag in tags]
        if not matching:
            continue
        start = _utc(thread.root.created_at)
        under_way = [s for s in matching if _utc(s.start) <= start < _utc(s.end) + GRACE]
        if under_way:
            return under_way[0]
        return min(matching, key=lambda s: abs(_utc(s.start) - start))
    return None


def _by_time(thread: Thread, sessions: Sequence[Session]) -> Session | None:
    start = _utc(thread.root.created_at)
    running = [s for s in sessions if _utc(s.start) <= start < _utc(s.end)]
    ended = [s for s in sessions if _utc(s.end) <= start < _utc(s.end) + GRACE]
    candidates = running + ended
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    said = words(" ".join(post.text for post in thread.posts))
    scores = [(len(words(f"{s.title} {s.room or ''}") & said), s) for s in candidates]
    best = max(score for score, _ in scores)
    leaders = [s for score, s in scores if score == best]
    if best > 0 and len(leaders) == 1:
        return leaders[0]
    return running[0] if len(running) == 1 else None


def arrange(
    threads: Sequence[Thread], sessions: Iterable[Session], hashtags: Iterable[str]
) -> tuple[tuple[Thread, ...], tuple[Section, ...]]:
    """Threads in reading order with their session set, and the sections they read in."""
    programme = session_order(sessions)
    event_tags = frozenset(tag.lstrip("#").casefold() for tag in hashtags)
    placed: dict[str, list[Thread]] = {session.id: [] for session in programme}
    around: list[Thread] = []
    for thread in threads:
        session = assign_session(thread, programme, event_tags) if programme else None
        if session is None:
            around.append(thread)
        else:
            placed[session.id].append(
                dataclasses.replace(thread, session=session.title, session_id=session.id)
            )
    ordered = [thread for session in programme for thread in placed[session.id]] + around
    sections = [Section(session, tuple(t.id for t in placed[session.id])) for session in programme]
    sections.append(Section(None, tuple(t.id for t in around)))
    return tuple(ordered), tuple(sections)
