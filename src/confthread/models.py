"""The normalised model every platform is parsed into and every renderer reads from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Platform = Literal["bluesky", "mastodon", "blog"]
ThreadKind = Literal["live", "conversation", "single", "chat", "blog"]


@dataclass(frozen=True, slots=True)
class Author:
    """A person as one platform knows them.

    `id` is the identifier that survives handle changes (a Bluesky DID, a Mastodon actor URI);
    `opted_out` records a signal from the person themselves that they do not want to be archived.
    """

    platform: Platform
    id: str
    handle: str
    name: str | None = None
    url: str | None = None
    avatar: str | None = None
    opted_out: bool = False
    # Links from the profile (fields, bio): how one person's accounts on two platforms are recognised.
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Media:
    """An attachment; `alt` is kept even when empty so a missing description can be shown as such."""

    url: str
    alt: str = ""
    kind: str = "image"
    preview_url: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A link a post shares; title and description come from the platform's link card when it made one."""

    url: str
    title: str | None = None
    description: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    """Engagement as the platform reported it when the post was last collected."""

    replies: int = 0
    reposts: int = 0
    likes: int = 0
    quotes: int = 0


@dataclass(frozen=True, slots=True)
class Post:
    """One post from any platform, with UTC-aware `created_at`.

    `html` is the platform's markup exactly as received (untrusted: sanitise before showing it);
    `text` is the same content as plain text.
    """

    platform: Platform
    uri: str
    author: Author
    created_at: datetime
    text: str
    html: str = ""
    url: str | None = None
    reply_to: str | None = None
    quote_of: str | None = None
    media: tuple[Media, ...] = ()
    tags: tuple[str, ...] = ()
    language: str | None = None
    content_warning: str = ""
    links: tuple[Link, ...] = ()
    counts: Counts = Counts()
    labels: tuple[str, ...] = ()
    # Where a bridged copy came from (Bridgy Fed's `bridgyOriginalUrl`, or the original's link).
    original_url: str | None = None

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError(f"post {self.uri} has a naive created_at; times must be UTC-aware")


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """A post in reading order; `depth` grows only when someone else answers, so a live thread stays flat."""

    post: Post
    depth: int = 0
    withheld_replies: int = 0
    # Other copies of the same post (cross-posts, bridged copies), shown once here.
    also_at: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    kind: ThreadKind
    entries: tuple[ThreadEntry, ...]
    session: str | None = None
    # The programme session this thread was assigned to (`session` is its title, which may repeat).
    session_id: str | None = None
    # A Q&A chat's questions in reading order; empty for every other kind.
    questions: tuple[ChatQuestion, ...] = ()

    @property
    def posts(self) -> tuple[Post, ...]:
        return tuple(entry.post for entry in self.entries)

    @property
    def root(self) -> Post:
        return self.entries[0].post


@dataclass(frozen=True, slots=True)
class ChatQuestion:
    """One question of a Q&A chat: its post and the posts read under it (answers and their replies)."""

    number: int
    question: str
    answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Session:
    """A slot of the programme; `start` and `end` are aware, in the programme's own time zone."""

    id: str
    title: str
    start: datetime
    end: datetime
    room: str | None = None
    # A hashtag for this session alone (without '#', casefolded): the strongest sign a post is about it.
    tag: str | None = None

    @property
    def day(self) -> date:
        """The day as people at the venue know it, not the UTC date."""
        return self.start.date()


@dataclass(frozen=True, slots=True)
class SharedLink:
    """A link people shared: once per URL, with how many people shared it and in which posts (uris)."""

    url: str
    title: str | None
    people: int
    posts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the digest: a programme session's threads, or (session None) everything around it."""

    session: Session | None
    threads: tuple[str, ...] = ()
    links: tuple[SharedLink, ...] = ()


@dataclass(frozen=True, slots=True)
class PlatformFigures:
    platform: Platform
    posts: int
    people: int
    threads: int


@dataclass(frozen=True, slots=True)
class HourFigures:
    """Posts in the UTC hour that starts at `hour`."""

    hour: datetime
    posts: int


@dataclass(frozen=True, slots=True)
class ThreadFigures:
    """What a thread drew, summed over its posts and their copies, as the platforms counted it."""

    thread: str
    replies: int
    reposts: int
    likes: int


@dataclass(frozen=True, slots=True)
class Figures:
    posts: int
    people: int
    threads: int
    platforms: tuple[PlatformFigures, ...] = ()
    kinds: tuple[tuple[ThreadKind, int], ...] = ()
    per_hour: tuple[HourFigures, ...] = ()
    most_replies: tuple[ThreadFigures, ...] = ()
    most_reposts: tuple[ThreadFigures, ...] = ()
    most_likes: tuple[ThreadFigures, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a renderer needs; built from the archive without any I/O."""

    title: str
    hashtags: tuple[str, ...]
    generated_at: datetime
    threads: tuple[Thread, ...] = field(default=())
    # Day -> session -> threads: one section per programme session, then "Around the event" (session None).
    sections: tuple[Section, ...] = ()
    # Every link shared in the digest, once each.
    links: tuple[SharedLink, ...] = ()
    figures: Figures | None = None
