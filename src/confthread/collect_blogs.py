"""Blogs into the archive: each event feed's entries, then the write-ups linked from collected posts.

A feed the user gave that fails is named in the SourceError raised at the end, after the other
feeds and the linked pages have been collected. A linked page that fails, is refused or is not an
article is only noted (`notes`): links found inside posts are never required (DESIGN.md).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urldefrag, urlsplit

from confthread.archive import Archive, Record
from confthread.config import Window
from confthread.errors import SourceError
from confthread.fanout import fan_out
from confthread.models import Platform, Post
from confthread.report import SourceProgress
from confthread.sources.articles import (
    Article,
    NotAnArticle,
    article_post,
    article_raw,
    fetch_page,
    read_article,
)
from confthread.sources.feeds import fetch_feed, parse_feed, select_entries
from confthread.sources.http import RetryPolicy
from confthread.sources.safe_fetch import (
    Fetched,
    FetchError,
    PrivateAddress,
    Refused,
    Resolver,
    SafeFetcher,
    system_resolver,
)

# Linked pages fetched in one collect; the rest wait for the next one, which skips those already read.
MAX_LINKED_PAGES = 50
# The sightings source under which a write-up is known by the link that was shared.
LINK_SOURCE = "web"
_SOCIAL: tuple[Platform, ...] = ("mastodon", "bluesky")


@dataclass
class LinkedPage:
    """A page to fetch once, the exact forms it was shared in, and when it was first shared."""

    url: str
    first_shared: datetime
    forms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Read:
    """A linked page as fetched and read, or why it could not be."""

    link: LinkedPage
    outcome: tuple[Fetched, Article] | NotAnArticle | FetchError


def shared_links(posts: Sequence[Post], window: Window) -> list[LinkedPage]:
    """Links in social posts of the window, oldest first, each page once (a #fragment is the same page).

    Posts of people who opted out are left out: their links would point back at them. Links to
    the sharing post's own server are profiles, tags and other posts, not write-ups.
    """
    pages: dict[str, LinkedPage] = {}
    for post in sorted(posts, key=lambda p: p.created_at):
        if post.platform not in _SOCIAL or post.author.opted_out or post.created_at not in window:
            continue
        home = urlsplit(post.url or post.uri).hostname
        for link in post.links:
            page = urldefrag(link.url.strip()).url
            if not page or urlsplit(page).hostname == home:
                continue
            shared = pages.setdefault(page, LinkedPage(page, post.created_at))
            if link.url not in shared.forms:
                shared.forms.append(link.url)
    return list(pages.values())


# Linked pages fetched at once: they are on many servers, so this only overlaps the waiting.
LINK_WORKERS = 4
# A linked page that failed to load may load later: not on every collect, though.
RETRY_FAILED_AFTER = timedelta(days=1)


class BlogHarvest:
    """Collects the blog side of an event; `notes` says which linked pages were skipped, and why."""

    def __init__(
        self,
        archive: Archive,
        feeds: Sequence[str],
        window: Window,
        tags: Sequence[str],
        progress: SourceProgress,
        notify: Callable[[SourceProgress], None],
        now: Callable[[], datetime],
        policy: RetryPolicy,
        allow_private_links: bool,
        *,
        resolver: Resolver = system_resolver,
        aliases: Mapping[str, str] | None = None,
        max_linked_pages: int = MAX_LINKED_PAGES,
    ) -> None:
        self.archive = archive
        self.feeds = list(feeds)
        self.window = window
        self.tags = list(tags)
        self.progress = progress
        self.notify = notify
        self.now = now
        self.policy = policy
        self.allow_private_links = allow_private_links
        self.resolver = resolver
        self.aliases = dict(aliases or {})
        self.max_linked_pages = max_linked_pages
        self.failures: list[str] = []
        self.notes: list[str] = []
        self._reading = threading.Lock()

    def run(self) -> None:
        """Every feed, then the linked pages; raises SourceError at the end if any feed failed."""
        with SafeFetcher(
            self.policy, allow_private=self.allow_private_links, resolver=self.resolver, aliases=self.aliases
        ) as fetcher:
            for url in self.feeds:
                try:
                    self._collect_feed(fetcher, url)
                except SourceError as error:
                    self.failures.append(str(error))
            self._collect_linked(fetcher)
        if self.failures:
            raise SourceError("; ".join(self.failures))

    # -- feeds ------------------------------------------------------------------------------------

    def _collect_feed(self, fetcher: SafeFetcher, url: str) -> None:
        fetched = fetch_feed(fetcher, url, self.policy)
        feed = parse_feed(
            fetched.body, url=fetched.url, media_type=fetched.content_type, charset=fetched.charset
        )
        # The address the user gave decides whether this is a tag feed, not where it redirected.
        feed = dataclasses.replace(feed, url=url)
        records = [
            Record(entry.post, entry.raw, url, local_id=entry.local_id)
            for entry in select_entries(feed, self.window, self.tags)
        ]
        self.progress.posts += self.archive.save(records, now=self.now(), platform="blog")
        self.progress.pages += 1
        self.notify(self.progress)

    # -- linked write-ups -------------------------------------------------------------------------

    def _collect_linked(self, fetcher: SafeFetcher) -> None:
        """Only the posts that share links are read; the pages are fetched LINK_WORKERS at a time."""
        known = self.archive.seen_at(LINK_SOURCE)
        waiting = [
            link
            for link in shared_links(self.archive.posts_with_links(_SOCIAL), self.window)
            if not all(form in known for form in link.forms) and not self._remembered(link.url)
        ]
        fan_out(
            waiting[: self.max_linked_pages],
            lambda link: self._read(fetcher, link),
            self._keep,
            workers=LINK_WORKERS,
            # Oldest share first: a write-up without a date of its own takes the time it was first shared.
            ordered=True,
        )
        if len(waiting) > self.max_linked_pages:
            self.notes.append(
                f"{len(waiting) - self.max_linked_pages} more linked pages were left for the next collect "
                f"(at most {self.max_linked_pages} are read in one)"
            )

    def _read(self, fetcher: SafeFetcher, link: LinkedPage) -> _Read:
        """In a worker thread: the network and the parsing, nothing stored."""
        try:
            page = fetch_page(fetcher, link.url, self.policy)
            # One page read at a time: reading holds the GIL anyway, and trafilatura builds its stop-word
            # lists (0.7 s of CPU) on first use without a lock, so parallel first reads each built them.
            with self._reading:
                article = read_article(page, now=self.now())
            return _Read(link, (page, article))
        except (NotAnArticle, FetchError) as error:
            return _Read(link, error)

    def _keep(self, read: _Read) -> None:
        """In the collect's thread: the write-up saved under each form it was shared in, or the skip."""
        link = read.link
        if isinstance(read.outcome, Exception):
            # A private address may be allowed next time: that refusal is not remembered at all.
            error = read.outcome
            self._skip(
                link, str(error), remember=_lasting(error), retry_later=not isinstance(error, PrivateAddress)
            )
            return
        page, article = read.outcome
        existing = self.archive.post("blog", article.url)
        if existing:
            post, raw = existing, self.archive.raw("blog", existing.uri) or {}
        else:
            post, raw = (
                article_post(article, first_shared=link.first_shared),
                article_raw(article, page, link.url),
            )
        records = [Record(post, raw, LINK_SOURCE, local_id=form) for form in link.forms]
        self.progress.posts += self.archive.save(records, now=self.now(), platform="blog")
        self.notify(self.progress)

    def _remembered(self, url: str) -> bool:
        """A lasting skip stands; a page that failed to load is tried again only after a day."""
        state = self.archive.cursor(_skip_key(url))
        if state is None:
            return False
        failed_at = state.get("failed_at")
        return failed_at is None or datetime.fromisoformat(failed_at) > self.now() - RETRY_FAILED_AFTER

    def _skip(self, link: LinkedPage, message: str, *, remember: bool, retry_later: bool = False) -> None:
        """Noted for the user; a page that is simply not an article is not fetched again, and one that
        failed to load not before a day has passed."""
        self.notes.append(f"skipped: {message}")
        if remember:
            state: dict[str, str] = {"skipped": message}
        elif retry_later:
            state = {"skipped": message, "failed_at": self.now().isoformat()}
        else:
            return
        self.archive.save([], now=self.now(), cursor=(_skip_key(link.url), state))


def _lasting(error: Exception) -> bool:
    """Whether a skip stands: the page is not an article, or was refused for what it is.

    A page that failed to load may load next time, and a private address may be allowed next time.
    """
    return isinstance(error, NotAnArticle) or (
        isinstance(error, Refused) and not isinstance(error, PrivateAddress)
    )


def _skip_key(url: str) -> str:
    return f"blog|skipped-link|{url}"
