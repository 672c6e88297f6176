"""One Mastodon instance into the archive: the tag timeline page by page, then each tagged thread once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from confthread.archive import Archive, Pending, Record
from confthread.config import Window
from confthread.harvest import Claim, Gathered, Harvest, Raw, by_uri
from confthread.report import SourceProgress
from confthread.sources.mastodon import MastodonClient, Status, is_archivable, parse_status

# A bound on the requests one thread may take beyond the usual two, whatever the data claims.
MAX_EXTRA_CONTEXTS = 100


def snowflake(moment: datetime | None, offset: int = 0) -> str | None:
    """Mastodon ids begin with the post's time in ms, so a time bounds a page of ids."""
    return None if moment is None else str((int(moment.timestamp() * 1000) << 16) + offset)


class MastodonHarvest(Harvest):
    """Walks one instance: the tag timeline page by page, then each tagged thread."""

    platform = "mastodon"

    def __init__(
        self,
        archive: Archive,
        client: MastodonClient,
        window: Window,
        progress: SourceProgress,
        notify: Callable[[SourceProgress], None],
        now: Callable[[], datetime],
    ) -> None:
        super().__init__(archive, window, progress, notify, now)
        self.client = client

    @property
    def source(self) -> str:
        return self.client.instance

    def run(self, tags: Iterable[str]) -> None:
        for tag in tags:
            self._walk_timeline(tag)
            self._fetch_threads(tag)

    # -- the tag timeline -------------------------------------------------------------------------

    def _walk_timeline(self, tag: str) -> None:
        key = self._cursor_key(tag)
        state = self.archive.cursor(key) or {}
        if state.get("complete"):
            self._walk_newer(tag, key, state)
            return
        since_id = snowflake(self.window.since, -1)
        max_id = state.get("max_id") or snowflake(self.window.until)
        newest = state.get("newest_id")
        while True:
            page = self.client.tag_page(tag, max_id=max_id, since_id=since_id)
            if newest is None and page.statuses:
                newest = str(page.statuses[0]["id"])
            reached_start = any(not self._after_start(status) for status in page.statuses)
            complete = not page.statuses or page.next_max_id is None or reached_start
            state = {"max_id": page.next_max_id, "newest_id": newest, "complete": complete}
            self._save(page.statuses, cursor=(key, state), window_only=True)
            if complete:
                return
            max_id = page.next_max_id

    def _walk_newer(self, tag: str, key: str, state: dict[str, object]) -> None:
        """After a complete walk only what is newer is asked for: one request when nothing is."""
        newest = str(state.get("newest_id") or snowflake(self.window.since, -1) or "0")
        until_id = snowflake(self.window.until)
        while True:
            page = self.client.tag_page(tag, min_id=newest, max_id=until_id)
            if not page.statuses:
                return
            newest = max((str(status["id"]) for status in page.statuses), key=int)
            self._save(page.statuses, cursor=(key, {**state, "newest_id": newest}), window_only=True)

    def _after_start(self, status: Status) -> bool:
        since = self.window.since
        return since is None or _created(status) >= since

    # -- thread context ---------------------------------------------------------------------------

    def _gather(self, tagged: Pending, claim: Claim) -> Gathered:
        """A reply's context shows only its own branch, so the root's is asked for too.

        The tagged post itself is already archived from the timeline; its context holds the rest.
        """
        context = self.client.context(tagged.local_id)
        if context is None:
            return Gathered(tagged, None, tagged.uri)
        ancestors, descendants = context
        tree = by_uri([*ancestors, *descendants])
        root_uri = tagged.uri
        if ancestors:
            root = self._climb(ancestors[0], tree)
            root_uri = str(root["uri"])
            if claim(root_uri):
                self._add_descendants(root, tree)
        self._follow_cut_branches(tree)
        return Gathered(tagged, list(tree.values()), root_uri)

    def _vanished(self, root: str, seen: set[str]) -> list[str]:
        """A deleted reply drops out of its thread; absence is asked about, one status at a time.

        Only posts this instance showed before can be asked about here.
        """
        missing = self.archive.thread_uris("mastodon", root) - seen
        local = self.archive.local_ids(self.client.instance, missing)
        return [uri for uri, local_id in sorted(local.items()) if not self.client.exists(local_id)]

    def _climb(self, top: Status, tree: dict[str, Status]) -> Status:
        """Guests see at most 40 ancestors, so a reply deep in a long thread may not see its root."""
        for _ in range(MAX_EXTRA_CONTEXTS):
            if not top.get("in_reply_to_id"):
                break
            context = self.client.context(str(top["id"]))
            if not context or not context[0]:
                break
            tree.update(by_uri(context[0]))
            top = context[0][0]
        return top

    def _add_descendants(self, status: Status, tree: dict[str, Status]) -> None:
        context = self.client.context(str(status["id"]))
        if context is not None:
            for reply in context[1]:
                tree.setdefault(str(reply["uri"]), reply)

    def _follow_cut_branches(self, tree: dict[str, Status]) -> None:
        """Guests get at most 60 descendants, 20 levels deep: ask again below each branch cut short.

        A post with fewer replies in the tree than its `replies_count` was cut (or has replies we may
        not see, which costs one request to learn).
        """
        asked: set[str] = set()
        for _ in range(MAX_EXTRA_CONTEXTS):
            replies = Counter(str(s["in_reply_to_id"]) for s in tree.values() if s.get("in_reply_to_id"))
            cut = next(
                (
                    status
                    for status in tree.values()
                    if int(status.get("replies_count") or 0) > replies[str(status["id"])]
                    and str(status["id"]) not in asked
                ),
                None,
            )
            if cut is None:
                return
            asked.add(str(cut["id"]))
            self._add_descendants(cut, tree)

    # -- saving -----------------------------------------------------------------------------------

    def _save(
        self,
        statuses: Sequence[Raw],
        *,
        cursor: tuple[str, dict[str, object]] | None = None,
        window_only: bool = False,
        context_of: list[str] | None = None,
    ) -> None:
        """One transaction: the page's posts, the cursor past them, and the threads they complete."""
        kept = list(by_uri(status for status in statuses if is_archivable(status)).values())
        if window_only:
            kept = [status for status in kept if _created(status) in self.window]
        instance = self.client.instance
        uris = {str(status["id"]): str(status["uri"]) for status in kept}
        records = [
            Record(
                parse_status(status, instance=instance, uris=uris),
                status,
                instance,
                local_id=str(status["id"]),
                parent_local_id=_text(status.get("in_reply_to_id")),
                home="@" not in str((status.get("account") or {}).get("acct", "@")),
            )
            for status in kept
        ]
        threads = None if context_of is None else (instance, [*context_of, *uris.values()])
        self.progress.posts += self.archive.save(records, now=self.now(), cursor=cursor, context_of=threads)
        self.progress.pages += cursor is not None
        self.notify(self.progress)


def _created(status: Raw) -> datetime:
    return datetime.fromisoformat(str(status["created_at"]))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
