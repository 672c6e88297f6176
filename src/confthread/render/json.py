"""The JSON digest: the machine-readable twin of the HTML page, in the shape DESIGN.md fixes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from confthread.figures import compute_figures
from confthread.models import (
    Author,
    Digest,
    Figures,
    Media,
    Section,
    Session,
    SharedLink,
    Thread,
    ThreadEntry,
    ThreadFigures,
)
from confthread.render.consent import visible_threads


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with an explicit "+00:00", whatever zone the datetime arrived in."""
    return moment.astimezone(UTC).isoformat()


def _author_to_dict(author: Author) -> dict[str, Any]:
    return {"handle": author.handle, "name": author.name, "url": author.url}


def _media_to_dict(media: Media) -> dict[str, Any]:
    return {"url": media.url, "alt": media.alt}


def _entry_to_dict(entry: ThreadEntry) -> dict[str, Any]:
    post = entry.post
    data: dict[str, Any] = {
        "uri": post.uri,
        "url": post.url,
        "platform": post.platform,
        "author": _author_to_dict(post.author),
        "created_at": iso_utc(post.created_at),
        "text": post.text,
        "reply_to": post.reply_to,
        "quote_of": post.quote_of,
        "media": [_media_to_dict(media) for media in post.media],
        "also_at": list(entry.also_at),
    }
    # Only a count, and only when there is something to count: a withheld reply leaves no other trace.
    if entry.withheld_replies > 0:
        data["withheld_replies"] = entry.withheld_replies
    return data


def _thread_to_dict(thread: Thread, entries: tuple[ThreadEntry, ...]) -> dict[str, Any]:
    return {
        "id": thread.id,
        "kind": thread.kind,
        "session": thread.session,
        "posts": [_entry_to_dict(entry) for entry in entries],
    }


def _link_to_dict(link: SharedLink, shown: set[str]) -> dict[str, Any] | None:
    posts = [uri for uri in link.posts if uri in shown]
    if not posts:
        return None
    return {"url": link.url, "title": link.title, "people": link.people, "posts": posts}


def _links_to_list(links: tuple[SharedLink, ...], shown: set[str]) -> list[dict[str, Any]]:
    return [item for item in (_link_to_dict(link, shown) for link in links) if item is not None]


def _session_to_dict(
    section: Section, session: Session, threads: list[str], shown: set[str]
) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "day": session.day.isoformat(),
        "start": iso_utc(session.start),
        "end": iso_utc(session.end),
        "room": session.room,
        "tag": session.tag,
        "threads": threads,
        "links": _links_to_list(section.links, shown),
    }


def _programme(digest: Digest, thread_ids: list[str], shown: set[str]) -> dict[str, Any]:
    """`sessions` in programme order, each with its threads; `around_the_event` holds the rest."""
    visible = set(thread_ids)
    sessions = []
    placed: set[str] = set()
    around_links: tuple[SharedLink, ...] = ()
    for section in digest.sections:
        threads = [thread_id for thread_id in section.threads if thread_id in visible]
        if section.session is None:
            around_links = section.links
            continue
        placed.update(threads)
        sessions.append(_session_to_dict(section, section.session, threads, shown))
    return {
        "sessions": sessions,
        "around_the_event": {
            "threads": [thread_id for thread_id in thread_ids if thread_id not in placed],
            "links": _links_to_list(around_links, shown),
        },
    }


def _chat_to_dict(thread: Thread, entries: tuple[ThreadEntry, ...]) -> dict[str, Any]:
    shown = {entry.post.uri for entry in entries}
    return {
        "thread": thread.id,
        "host": _author_to_dict(entries[0].post.author),
        "questions": [
            {
                "number": question.number,
                "question": question.question,
                "answers": [uri for uri in question.answers if uri in shown],
            }
            for question in thread.questions
            if question.question in shown
        ],
    }


def _figures_to_dict(figures: Figures) -> dict[str, Any]:
    def top(items: tuple[ThreadFigures, ...], measure: str) -> list[dict[str, Any]]:
        return [{"thread": item.thread, measure: getattr(item, measure)} for item in items]

    return {
        "posts": figures.posts,
        "people": figures.people,
        "threads": figures.threads,
        "platforms": [
            {"platform": p.platform, "posts": p.posts, "people": p.people, "threads": p.threads}
            for p in figures.platforms
        ],
        "kinds": dict(figures.kinds),
        "posts_per_hour": [{"hour": iso_utc(h.hour), "posts": h.posts} for h in figures.per_hour],
        "most_replies": top(figures.most_replies, "replies"),
        "most_reposts": top(figures.most_reposts, "reposts"),
        "most_likes": top(figures.most_likes, "likes"),
    }


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """A new dict of plain JSON types; posts keep the thread's reading order.

    The keys DESIGN.md fixes come first; `sessions`, `around_the_event`, `links`, `chats` and
    `figures` sit beside them and name posts and threads only when they are shown above.
    """
    visible = visible_threads(digest)
    shown = {entry.post.uri for _, entries in visible for entry in entries}
    thread_ids = [thread.id for thread, _ in visible]
    figures = digest.figures
    if figures is None or figures.posts != len(shown):
        # A digest built by hand, or one the last guard trimmed: count what is actually shown.
        figures = compute_figures([dataclasses.replace(t, entries=e) for t, e in visible])
    return {
        "title": digest.title,
        "hashtags": list(digest.hashtags),
        "generated_at": iso_utc(digest.generated_at),
        "threads": [_thread_to_dict(thread, entries) for thread, entries in visible],
        **_programme(digest, thread_ids, shown),
        "links": _links_to_list(digest.links, shown),
        "chats": [_chat_to_dict(thread, entries) for thread, entries in visible if thread.kind == "chat"],
        "figures": _figures_to_dict(figures),
    }


def render_json(digest: Digest) -> str:
    """Indented UTF-8 text (not ASCII escapes), ending in a newline like any text file."""
    return json.dumps(digest_to_dict(digest), indent=2, ensure_ascii=False) + "\n"
