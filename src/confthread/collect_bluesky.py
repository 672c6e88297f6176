"""Bluesky into the archive: the tag searched two ways in resumable time slices, then each thread once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from confthread.archive import Archive, Pending, Record
from confthread.config import Window
from confthread.harvest import Claim, Gathered, Harvest, Raw, by_uri
from confthread.report import SourceProgress
from confthread.sources.bluesky import BlueskyClient
from confthread.sources.bluesky_parse import mentions_tag, parse_post_view, thread_views

# One query reaches about 10,000 results; past this many, the rest of the slice is asked for anew.
SLICE_CAP = 9_000


def _cut_short(cursor: str | None, count: int, hits_total: int | None, slice_cap: int) -> bool:
    if cursor:
        return count >= slice_cap
    return hits_total is not None and count < hits_total


def sort_time(view: Mapping[str, Any]) -> datetime:
    """What search's since/until compare: the earlier of the author's clock and the index's."""
    post = parse_post_view(view)
    indexed = view.get("indexedAt")
    return min(post.created_at, datetime.fromisoformat(str(indexed))) if indexed else post.created_at


class BlueskyHarvest(Harvest):
    """Searches one Bluesky service for the tag, then fetches each tagged thread."""

    platform = "bluesky"

    def __init__(
        self,
        archive: Archive,
        client: BlueskyClient,
        window: Window,
        progress: SourceProgress,
        notify: Callable[[SourceProgress], None],
        now: Callable[[], datetime],
        *,
        slice_cap: int = SLICE_CAP,
    ) -> None:
        super().__init__(archive, window, progress, notify, now)
        self.client = client
        self.slice_cap = slice_cap

    @property
    def source(self) -> str:
        return self.client.service

    def run(self, tags: Iterable[str]) -> None:
        self.client.login()
        for tag in tags:
            # Search indexes tags from facets and record.tags only: a '#tag' typed without a facet is
            # found by the plain word, so both are asked and the word's results kept only if tagged.
            for query in (f"#{tag}", tag):
                self._search(tag, query)
            self._fetch_threads(tag)
        self._fetch_quoted()

    # -- search -------------------------------------------------------------------------------------

    def _search(self, tag: str, query: str) -> None:
        since, until = self.window.since, self.window.until
        key = self._cursor_key(query)
        state: dict[str, Any] = self.archive.cursor(key) or {}
        if state.get("complete"):
            # Done before: only what is newer than the newest post seen, one request when nothing is.
            newest = state.get("newest")
            state = {"newest": newest}
            if newest:
                since = max(filter(None, (since, datetime.fromisoformat(newest))))
        upper = datetime.fromisoformat(state["until"]) if state.get("until") else until
        cursor, count = state.get("cursor"), int(state.get("count", 0))
        while True:
            page = self.client.search(query, since=since, until=upper, cursor=cursor)
            times = [sort_time(view) for view in page.posts]
            if times and not state.get("newest"):
                state["newest"] = max(times).isoformat()
            count += len(page.posts)
            cursor, restarted = page.cursor, False
            if times and _cut_short(page.cursor, count, page.hits_total, self.slice_cap):
                # The service stops paging one query at about 10,000 results: ask again for the rest
                # of the slice, below the oldest post seen (the edge comes twice; saving is idempotent).
                edge = min(times) + timedelta(milliseconds=1)
                if upper is None or edge < upper:
                    upper, cursor, count, restarted = edge, None, 0, True
            done = cursor is None and not restarted
            if done:
                state = {"complete": True, "newest": state.get("newest")}
            else:
                state.update(cursor=cursor, count=count, until=upper and upper.isoformat())
            kept = [view for view in page.posts if self._tagged_in_window(view, tag)]
            alone = [str(view["uri"]) for view in kept if self._shows_whole_thread(view)]
            self._save(kept, cursor=(key, state), whole=alone)
            if done:
                return

    def _tagged_in_window(self, view: Mapping[str, Any], tag: str) -> bool:
        post = parse_post_view(view)
        return mentions_tag(post, tag) and post.created_at in self.window

    def _shows_whole_thread(self, view: Mapping[str, Any]) -> bool:
        """A post that answers nobody and that nobody has answered is, as listed, its whole thread.

        Its reply count comes with this very search result, as fresh as a thread fetched now would
        be, so its getPostThread is spared (over half of an event's threads are such single posts);
        a later collect during the event fetches it like any other thread, replies and all. Not when
        the archive holds replies to it from an earlier run: whether they are gone needs the thread.
        """
        record = view.get("record") or {}
        if record.get("reply") or view.get("replyCount") != 0:
            return False
        uri = str(view["uri"])
        return self.archive.thread_uris("bluesky", uri) <= {uri}

    # -- threads ------------------------------------------------------------------------------------

    def _gather(self, tagged: Pending, claim: Claim) -> Gathered:
        """The anchor's thread shows its own branch; the root's shows every reply: both are asked."""
        thread = self.client.thread(tagged.uri)
        if thread is None:
            return Gathered(tagged, None, tagged.uri)
        views, gone = thread_views(thread)
        record = (thread.get("post") or {}).get("record") or {}
        root = ((record.get("reply") or {}).get("root") or {}).get("uri") or tagged.uri
        if root != tagged.uri and claim(root):
            root_thread = self.client.thread(root)
            if root_thread is None:
                gone.append(root)
            else:
                more, more_gone = thread_views(root_thread)
                views += more
                gone += more_gone
        return Gathered(tagged, views, root, gone)

    def _vanished(self, root: str, seen: set[str]) -> list[str]:
        """Posts archived in this thread before but absent now: deleted, unless getPosts still has them.

        A deleted reply simply drops out of its thread (and takes its replies with it), so absence is
        asked about, not assumed.
        """
        missing = sorted(self.archive.thread_uris("bluesky", root) - seen)
        if not missing:
            return []
        still_there = {str(view["uri"]) for view in self.client.posts(missing)}
        return [uri for uri in missing if uri not in still_there]

    def _fetch_quoted(self) -> None:
        """Quoted posts are shown inline, so they are archived even when they are not in the thread."""
        missing = self.archive.missing_quotes("bluesky")
        if missing:
            self._save(self.client.posts(missing))

    # -- saving -------------------------------------------------------------------------------------

    def _save(
        self,
        views: Sequence[Raw],
        *,
        cursor: tuple[str, dict[str, Any]] | None = None,
        context_of: list[str] | None = None,
        whole: Sequence[str] = (),
    ) -> None:
        """`context_of`: the posts a thread was fetched for (every post saved belongs to that thread);
        `whole`: posts whose own view shows their whole thread. Either way their threads count as seen."""
        unique = by_uri(views)
        source = self.client.service
        records = [Record(parse_post_view(view), view, source, local_id=uri) for uri, view in unique.items()]
        seen = [*whole] if context_of is None else [*context_of, *unique]
        self.progress.posts += self.archive.save(
            records, now=self.now(), cursor=cursor, context_of=(source, seen), platform="bluesky"
        )
        self.progress.pages += cursor is not None
        self.notify(self.progress)
