"""The SQLite archive, and the only module that speaks SQL.

Each call that saves runs in one transaction, so an interrupted collect leaves the archive as it was
after the last page it saved; saves are upserts keyed by (platform, uri), so saving again is harmless.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from confthread.errors import ArchiveError
from confthread.imaging import Picture
from confthread.models import Author, Counts, Link, Media, Platform, Post

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    """Register a schema step; the archive's `user_version` counts the steps already applied."""
    MIGRATIONS.append(function)
    return function


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement: executescript() would commit the migration's transaction half-way."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migration
def _initial_schema(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE authors (
            platform TEXT NOT NULL, id TEXT NOT NULL, handle TEXT NOT NULL, name TEXT,
            url TEXT, avatar TEXT, opted_out INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (platform, id)
        );
        CREATE TABLE posts (
            platform TEXT NOT NULL, uri TEXT NOT NULL, url TEXT, author_id TEXT NOT NULL,
            created_at TEXT NOT NULL, text TEXT NOT NULL, html TEXT NOT NULL,
            reply_to TEXT, quote_of TEXT, tags TEXT NOT NULL, language TEXT,
            content_warning TEXT NOT NULL DEFAULT '',
            raw TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
            -- A reply whose parent is known so far only by a source's local id.
            parent_source TEXT, parent_local_id TEXT,
            PRIMARY KEY (platform, uri)
        );
        CREATE INDEX posts_by_time ON posts (created_at);
        CREATE INDEX posts_waiting_for_parent ON posts (parent_source) WHERE parent_local_id IS NOT NULL;
        CREATE TABLE media (
            platform TEXT NOT NULL, post_uri TEXT NOT NULL, position INTEGER NOT NULL,
            url TEXT NOT NULL, alt TEXT NOT NULL, kind TEXT NOT NULL, preview_url TEXT,
            PRIMARY KEY (platform, post_uri, position)
        );
        -- Where a post was seen: a Mastodon instance knows a status by its own local id.
        CREATE TABLE sightings (
            source TEXT NOT NULL, local_id TEXT NOT NULL, platform TEXT NOT NULL, uri TEXT NOT NULL,
            PRIMARY KEY (source, local_id)
        );
        CREATE INDEX sightings_by_uri ON sightings (platform, uri);
        -- Posts whose thread was fetched from a source, and when: each instance sees its own part
        -- of a thread, and a later collect need not fetch it again.
        CREATE TABLE contexts (
            platform TEXT NOT NULL, uri TEXT NOT NULL, source TEXT NOT NULL, fetched_at TEXT NOT NULL,
            PRIMARY KEY (platform, uri, source)
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
            tags TEXT NOT NULL, since TEXT, until TEXT, outcome TEXT, summary TEXT
        );
        CREATE TABLE cursors (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
        """,
    )


@migration
def _links_counts_labels_deletions(db: sqlite3.Connection) -> None:
    """What the digest needs beyond the first slice: shared links, engagement, labels, and deletions."""
    _run_script(
        db,
        """
        ALTER TABLE posts ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE posts ADD COLUMN counts TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE posts ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE posts ADD COLUMN original_url TEXT;
        -- Set when the source says the post is gone: it stays out of every digest from then on.
        ALTER TABLE posts ADD COLUMN deleted_at TEXT;
        ALTER TABLE authors ADD COLUMN links TEXT NOT NULL DEFAULT '[]'
        """,
    )


@migration
def _source_ranks(db: sqlite3.Connection) -> None:
    """Which source a row came from, so that copies of one post from several sources settle the same
    way whatever order they arrive in; '~' sorts after every rank, so old rows yield to the next save."""
    _run_script(
        db,
        """
        ALTER TABLE posts ADD COLUMN source_rank TEXT NOT NULL DEFAULT '~';
        ALTER TABLE authors ADD COLUMN source_rank TEXT NOT NULL DEFAULT '~'
        """,
    )


@migration
def _media_files(db: sqlite3.Connection) -> None:
    """Pictures kept with the archive, so a digest is complete offline and after the posts are gone.

    `files` says what became of each URL; `blobs` holds each picture once, however many URLs share it.
    """
    _run_script(
        db,
        """
        CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, mime TEXT NOT NULL, width INTEGER NOT NULL,
                            height INTEGER NOT NULL, data BLOB NOT NULL);
        CREATE TABLE files (url TEXT PRIMARY KEY, sha256 TEXT REFERENCES blobs (sha256),
                            error TEXT, fetched_at TEXT NOT NULL)
        """,
    )


@migration
def _reply_index(db: sqlite3.Connection) -> None:
    """Walking a thread downwards asks "who answered this?" once per post: it must not scan them all."""
    db.execute("CREATE INDEX posts_by_parent ON posts (platform, reply_to) WHERE reply_to IS NOT NULL")


def _rank(uri: str, source: str, home: bool | None = None) -> str:
    """A post's or account's home instance ranks first; other sources in a fixed order.

    `home` is the source's own word for it (a Mastodon account is local when its `acct` has no host);
    without it, the source's address is compared with the uri's.
    """
    if home is None:
        home = urlsplit(uri).hostname == urlsplit(source).hostname
    return f"{0 if home else 1}|{source}"


@dataclass(frozen=True)
class Record:
    """A parsed post with the payload it came from and where it was seen."""

    post: Post
    raw: Mapping[str, Any]
    source: str
    local_id: str | None = None
    parent_local_id: str | None = None
    # Whether `source` is where the post was written (None: judge by the addresses).
    home: bool | None = None


@dataclass(frozen=True)
class Pending:
    """A tagged post whose thread context has still to be fetched from a source."""

    uri: str
    local_id: str
    is_reply: bool = False


def timestamp(moment: datetime) -> str:
    """One fixed-width UTC form, so that text order in SQL is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Archive:
    """An open archive; use as a context manager so the connection is always closed."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise ArchiveError(
                f"there is no archive at {path}; run 'confthread collect' first or pass --archive"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise ArchiveError(
                f"cannot open the archive {path} ({error}); check the path and its permissions"
            ) from None
        self._db.row_factory = sqlite3.Row
        try:
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ArchiveError(
                f"{path} is not a confthread archive ({error}); pass another --archive path"
            ) from None
        except ArchiveError:
            self._db.close()
            raise

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = cast(int, self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise ArchiveError(
                f"{self.path} was written by a newer confthread; upgrade confthread to read it"
            )
        if version == 0 and self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise ArchiveError(
                f"{self.path} is an SQLite file of something else; pass another --archive path"
            )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Sources save side by side, each on its own connection: a writer waits its turn.
        self._db.execute("PRAGMA busy_timeout = 60000")
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._transaction():
                step(self._db)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- saving ---------------------------------------------------------------------------------

    def save(
        self,
        records: Iterable[Record],
        *,
        now: datetime,
        cursor: tuple[str, Mapping[str, Any]] | None = None,
        context_of: tuple[str, Iterable[str]] | None = None,
        platform: Platform = "mastodon",
    ) -> int:
        """Store one fetched page, its cursor and the threads it completes, all or nothing.

        `context_of` is (source, uris): the posts whose thread that source has now shown in full.
        Returns how many of the posts were new to the archive.
        """
        seen = timestamp(now)
        new = 0
        with self._transaction() as db:
            for record in records:
                new += self._save_record(db, record, seen)
            if cursor is not None:
                key, value = cursor
                db.execute(
                    "INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    (key, json.dumps(value, sort_keys=True), seen),
                )
            if context_of is not None:
                source, uris = context_of
                db.executemany(
                    "INSERT INTO contexts (platform, uri, source, fetched_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO UPDATE SET fetched_at = excluded.fetched_at",
                    [(platform, uri, source, seen) for uri in uris],
                )
            self._resolve_parents(db)
        return new

    @staticmethod
    def _resolve_parents(db: sqlite3.Connection) -> None:
        """A reply names its parent by a local id, which may arrive pages or runs after the reply."""
        parent = (
            "FROM sightings s WHERE s.source = posts.parent_source AND s.local_id = posts.parent_local_id"
        )
        db.execute(
            f"UPDATE posts SET reply_to = (SELECT s.uri {parent}), parent_source = NULL, "  # noqa: S608
            f"parent_local_id = NULL WHERE parent_local_id IS NOT NULL AND EXISTS (SELECT 1 {parent})"
        )

    @staticmethod
    def _save_record(db: sqlite3.Connection, record: Record, seen: str) -> int:
        """Upsert one post; when sources disagree, the post's home instance wins, then a fixed order.

        Sources save side by side, so "last write wins" would make the archive depend on timing.
        """
        post, author = record.post, record.post.author
        db.execute(
            "INSERT INTO authors (platform, id, handle, name, url, avatar, opted_out, links, source_rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET handle = excluded.handle, "
            "name = excluded.name, url = excluded.url, avatar = excluded.avatar, "
            "opted_out = excluded.opted_out, links = excluded.links, source_rank = excluded.source_rank "
            "WHERE excluded.source_rank <= authors.source_rank",
            (
                author.platform,
                author.id,
                author.handle,
                author.name,
                author.url,
                author.avatar,
                int(author.opted_out),
                json.dumps(list(author.links)),
                _rank(author.id, record.source, record.home),
            ),
        )
        unresolved = post.reply_to is None and record.parent_local_id is not None
        waiting = (record.source, record.parent_local_id) if unresolved else (None, None)
        known = db.execute(
            "SELECT 1 FROM posts WHERE platform = ? AND uri = ?", (post.platform, post.uri)
        ).fetchone()
        written = db.execute(
            "INSERT INTO posts (platform, uri, url, author_id, created_at, text, html, reply_to, "
            "quote_of, tags, language, content_warning, raw, first_seen, last_seen, parent_source, "
            "parent_local_id, links, counts, labels, original_url, source_rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET url = excluded.url, author_id = excluded.author_id, "
            "created_at = excluded.created_at, text = excluded.text, html = excluded.html, "
            "reply_to = coalesce(excluded.reply_to, posts.reply_to), "
            "quote_of = coalesce(excluded.quote_of, posts.quote_of), tags = excluded.tags, "
            "language = excluded.language, content_warning = excluded.content_warning, "
            "raw = excluded.raw, links = excluded.links, counts = excluded.counts, "
            "labels = excluded.labels, original_url = excluded.original_url, "
            "source_rank = excluded.source_rank, "
            "parent_source = iif(posts.reply_to IS NULL, excluded.parent_source, NULL), "
            "parent_local_id = iif(posts.reply_to IS NULL, excluded.parent_local_id, NULL) "
            "WHERE excluded.source_rank <= posts.source_rank",
            (
                post.platform,
                post.uri,
                post.url,
                author.id,
                timestamp(post.created_at),
                post.text,
                post.html,
                post.reply_to,
                post.quote_of,
                json.dumps(list(post.tags)),
                post.language,
                post.content_warning,
                json.dumps(record.raw, sort_keys=True),
                seen,
                seen,
                *waiting,
                json.dumps([dataclasses.asdict(link) for link in post.links]),
                json.dumps(dataclasses.asdict(post.counts)),
                json.dumps(list(post.labels)),
                post.original_url,
                _rank(post.uri, record.source, record.home),
            ),
        ).rowcount
        # Whoever wins: a parent or quote resolved by any source stays resolved, and a post served
        # again is not deleted.
        db.execute(
            "UPDATE posts SET reply_to = coalesce(reply_to, ?3), quote_of = coalesce(quote_of, ?4), "
            "parent_source = iif(coalesce(reply_to, ?3) IS NULL, parent_source, NULL), "
            "parent_local_id = iif(coalesce(reply_to, ?3) IS NULL, parent_local_id, NULL), "
            "deleted_at = NULL, last_seen = ?5 WHERE platform = ?1 AND uri = ?2",
            (post.platform, post.uri, post.reply_to, post.quote_of, seen),
        )
        if written:
            db.execute("DELETE FROM media WHERE platform = ? AND post_uri = ?", (post.platform, post.uri))
            db.executemany(
                "INSERT INTO media (platform, post_uri, position, url, alt, kind, preview_url) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (post.platform, post.uri, position, item.url, item.alt, item.kind, item.preview_url)
                    for position, item in enumerate(post.media)
                ],
            )
        if record.local_id is not None:
            db.execute(
                "INSERT OR REPLACE INTO sightings (source, local_id, platform, uri) VALUES (?, ?, ?, ?)",
                (record.source, record.local_id, post.platform, post.uri),
            )
        return 0 if known else 1

    def thread_uris(self, platform: Platform, root: str) -> set[str]:
        """The archived posts below `root` (and root itself), following replies down."""
        rows = self._db.execute(
            "WITH RECURSIVE below(uri) AS ("
            "SELECT uri FROM posts WHERE platform = ?1 AND uri = ?2 AND deleted_at IS NULL UNION "
            "SELECT p.uri FROM posts p JOIN below b ON p.reply_to = b.uri "
            "WHERE p.platform = ?1 AND p.deleted_at IS NULL) "
            "SELECT uri FROM below",
            (platform, root),
        )
        return {row[0] for row in rows}

    def fresh_contexts(self, platform: Platform, source: str, moment: datetime) -> set[str]:
        """Posts whose thread `source` has shown since `moment`."""
        rows = self._db.execute(
            "SELECT uri FROM contexts WHERE platform = ? AND source = ? AND fetched_at >= ?",
            (platform, source, timestamp(moment)),
        )
        return {row[0] for row in rows}

    def local_ids(self, source: str, uris: Iterable[str]) -> dict[str, str]:
        """uri -> the id `source` knows it by, for the uris that source has shown."""
        found: dict[str, str] = {}
        for uri in uris:
            row = self._db.execute(
                "SELECT local_id FROM sightings WHERE source = ? AND uri = ?", (source, uri)
            ).fetchone()
            if row:
                found[uri] = row[0]
        return found

    def wanted_files(self, retry_before: datetime) -> list[tuple[str, str]]:
        """(url, kind) of pictures not yet kept: post media and avatars, never of people who opted out.

        A URL that failed is tried again once its failure is older than `retry_before`.
        """
        rows = self._db.execute(
            "WITH wanted(url, kind) AS ("
            "  SELECT iif(m.kind = 'image', m.url, coalesce(m.preview_url, m.url)), 'media' FROM media m"
            "  JOIN posts p ON p.platform = m.platform AND p.uri = m.post_uri"
            "  JOIN authors a ON a.platform = p.platform AND a.id = p.author_id"
            "  WHERE p.deleted_at IS NULL AND NOT a.opted_out"
            # Posts have no index by author: asking of each author whether a post of theirs exists
            # would read every post once per author, where this reads them once.
            "  UNION SELECT a.avatar, 'avatar' FROM authors a WHERE a.avatar IS NOT NULL AND NOT a.opted_out"
            "  AND (a.platform, a.id) IN (SELECT platform, author_id FROM posts))"
            "SELECT DISTINCT w.url, w.kind FROM wanted w LEFT JOIN files f ON f.url = w.url "
            "WHERE w.url LIKE 'http%' AND (f.url IS NULL OR (f.sha256 IS NULL AND f.fetched_at < ?)) "
            "ORDER BY w.kind DESC, w.url",
            (timestamp(retry_before),),
        )
        return [(row[0], row[1]) for row in rows]

    def keep_file(self, url: str, picture: Picture | None, now: datetime, error: str | None = None) -> None:
        """Remember a picture for `url`, or why there is none."""
        digest = hashlib.sha256(picture.data).hexdigest() if picture else None
        with self._transaction() as db:
            if picture is not None:
                db.execute(
                    "INSERT OR IGNORE INTO blobs (sha256, mime, width, height, data) VALUES (?, ?, ?, ?, ?)",
                    (digest, picture.mime, picture.width, picture.height, picture.data),
                )
            db.execute(
                "INSERT OR REPLACE INTO files (url, sha256, error, fetched_at) VALUES (?, ?, ?, ?)",
                (url, digest, error, timestamp(now)),
            )

    def file(self, url: str) -> Picture | None:
        """The picture kept for `url`, if one was."""
        row = self._db.execute(
            "SELECT b.data, b.mime, b.width, b.height FROM files f JOIN blobs b ON b.sha256 = f.sha256 "
            "WHERE f.url = ?",
            (url,),
        ).fetchone()
        return Picture(row[0], row[1], row[2], row[3]) if row else None

    def missing_quotes(self, platform: Platform) -> list[str]:
        """Posts quoted by archived posts but not archived themselves."""
        rows = self._db.execute(
            "SELECT DISTINCT quote_of FROM posts p WHERE platform = ?1 AND quote_of IS NOT NULL "
            "AND deleted_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM posts q WHERE q.platform = ?1 AND q.uri = p.quote_of) ORDER BY quote_of",
            (platform,),
        )
        return [row[0] for row in rows]

    def mark_deleted(self, platform: Platform, uris: Iterable[str], now: datetime) -> None:
        """The source says these posts are gone: their words go too; only the fact of the uri stays."""
        uris = list(uris)
        with self._transaction() as db:
            db.executemany(
                "UPDATE posts SET deleted_at = ?, text = '', html = '', raw = '{}', links = '[]' "
                "WHERE platform = ? AND uri = ? AND deleted_at IS NULL",
                [(timestamp(now), platform, uri) for uri in uris],
            )
            db.executemany(
                "DELETE FROM media WHERE platform = ? AND post_uri = ?", [(platform, uri) for uri in uris]
            )
            # Pictures no remaining post or avatar uses go with them.
            db.execute(
                "DELETE FROM files WHERE url NOT IN (SELECT url FROM media UNION SELECT preview_url "
                "FROM media WHERE preview_url IS NOT NULL "
                "UNION SELECT avatar FROM authors WHERE avatar IS NOT NULL)"
            )
            db.execute(
                "DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM files WHERE sha256 IS NOT NULL)"
            )

    # -- collection bookkeeping -------------------------------------------------------------------

    def cursor(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM cursors WHERE key = ?", (key,)).fetchone()
        return cast(dict[str, Any], json.loads(row[0])) if row else None

    def pending_contexts(
        self,
        source: str,
        tag: str,
        since: datetime | None,
        until: datetime | None,
        fresh_after: datetime,
    ) -> list[Pending]:
        """Tagged posts seen on `source` whose thread was not fetched since `fresh_after`, oldest first.

        Oldest first, so a thread's root is fetched before its replies, which it then covers.
        """
        rows = self._db.execute(
            "SELECT p.uri, s.local_id, (p.reply_to IS NOT NULL OR p.parent_local_id IS NOT NULL) AS is_reply "
            "FROM posts p "
            "JOIN sightings s ON s.platform = p.platform AND s.uri = p.uri AND s.source = ?1 "
            "LEFT JOIN contexts c ON c.platform = p.platform AND c.uri = p.uri AND c.source = ?1 "
            "WHERE EXISTS (SELECT 1 FROM json_each(p.tags) WHERE value = ?2) "
            "AND p.created_at >= ?3 AND p.created_at < ?4 "
            "AND (c.fetched_at IS NULL OR c.fetched_at < ?5) ORDER BY p.created_at, p.uri",
            (
                source,
                tag,
                timestamp(since) if since else "",
                timestamp(until) if until else "9",
                timestamp(fresh_after),
            ),
        )
        return [Pending(row["uri"], row["local_id"], bool(row["is_reply"])) for row in rows]

    def context_fetched_since(self, platform: Platform, uri: str, source: str, moment: datetime) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM contexts WHERE platform = ? AND uri = ? AND source = ? AND fetched_at >= ?",
            (platform, uri, source, timestamp(moment)),
        ).fetchone()
        return row is not None

    def start_run(
        self, tags: Sequence[str], since: datetime | None, until: datetime | None, now: datetime
    ) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, tags, since, until) VALUES (?, ?, ?, ?)",
                (
                    timestamp(now),
                    json.dumps(list(tags)),
                    since and timestamp(since),
                    until and timestamp(until),
                ),
            )
        return cast(int, cursor.lastrowid)

    def finish_run(self, run: int, outcome: str, summary: Mapping[str, Any], now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?",
                (timestamp(now), outcome, json.dumps(summary, sort_keys=True), run),
            )

    # -- reading ----------------------------------------------------------------------------------

    def hashtags(self) -> list[str]:
        """Every tag collected into this archive, in the order first asked for."""
        tags: dict[str, None] = {}
        for row in self._db.execute("SELECT tags FROM runs ORDER BY id"):
            tags.update(dict.fromkeys(json.loads(row[0])))
        return list(tags)

    def posts(self) -> list[Post]:
        return self._posts()

    def posts_with_links(self, platforms: Sequence[Platform]) -> list[Post]:
        """The posts of `platforms` that share a web link: what the blogs source reads, not every post."""
        marks = ", ".join("?" for _ in platforms)
        return self._posts(f"p.links != '[]' AND p.platform IN ({marks})", tuple(platforms))

    def post(self, platform: Platform, uri: str) -> Post | None:
        found = self._posts("p.platform = ? AND p.uri = ?", (platform, uri))
        return found[0] if found else None

    def _posts(self, where: str = "1", params: tuple[str, ...] = ()) -> list[Post]:
        """Posts not deleted, oldest first, that meet `where` (SQL on `posts p`, from this module only)."""
        media: dict[tuple[str, str], list[Media]] = {}
        for row in self._db.execute(
            "SELECT m.* FROM media m JOIN posts p ON p.platform = m.platform AND p.uri = m.post_uri "  # noqa: S608 (where from this module)
            f"WHERE p.deleted_at IS NULL AND {where} ORDER BY m.platform, m.post_uri, m.position",
            params,
        ):
            media.setdefault((row["platform"], row["post_uri"]), []).append(
                Media(url=row["url"], alt=row["alt"], kind=row["kind"], preview_url=row["preview_url"])
            )
        rows = self._db.execute(
            # A post that points at a deleted one loses the pointer: not even its uri may show.
            "SELECT p.*, a.handle, a.name, a.url AS author_url, a.avatar, a.opted_out, "  # noqa: S608
            "a.links AS author_links, "
            "iif(p.reply_to IN (SELECT uri FROM posts WHERE deleted_at IS NOT NULL), NULL, p.reply_to) "
            "AS live_reply_to, "
            "iif(p.quote_of IN (SELECT uri FROM posts WHERE deleted_at IS NOT NULL), NULL, p.quote_of) "
            "AS live_quote_of FROM posts p "
            "JOIN authors a ON a.platform = p.platform AND a.id = p.author_id "
            f"WHERE p.deleted_at IS NULL AND {where} ORDER BY p.created_at, p.platform, p.uri",
            params,
        )
        return [_post_from_row(row, media.get((row["platform"], row["uri"]), [])) for row in rows]

    def raw(self, platform: Platform, uri: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT raw FROM posts WHERE platform = ? AND uri = ?", (platform, uri)
        ).fetchone()
        return cast(dict[str, Any], json.loads(row[0])) if row else None

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every stored row except bookkeeping times, for comparing two archives in tests and audits."""
        skip = {"first_seen", "last_seen", "fetched_at", "updated_at", "started_at", "finished_at"}
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if name == "runs":
                continue
            rows = self._db.execute(f"SELECT * FROM {name}")  # noqa: S608 (names from sqlite_master)
            columns = [d[0] for d in rows.description]
            keep = [i for i, column in enumerate(columns) if column not in skip]
            tables[name] = sorted(tuple(row[i] for i in keep) for row in rows)
        return tables

    # -- added for the blogs source (issue 4): read-only ------------------------------------------

    def seen_at(self, source: str) -> dict[str, str]:
        """Local id -> uri of every post `source` knows: for blogs, each shared link -> its write-up.

        Linked write-ups are saved with source "web" and the link as shared as their local id, so a
        digest can put a write-up beside the posts that shared it, and a later collect need not fetch
        the link again.
        """
        rows = self._db.execute("SELECT local_id, uri FROM sightings WHERE source = ?", (source,))
        return {row["local_id"]: row["uri"] for row in rows}


def _post_from_row(row: sqlite3.Row, media: list[Media]) -> Post:
    platform = cast(Platform, row["platform"])
    author = Author(
        platform=platform,
        id=row["author_id"],
        handle=row["handle"],
        name=row["name"],
        url=row["author_url"],
        avatar=row["avatar"],
        opted_out=bool(row["opted_out"]),
        links=tuple(json.loads(row["author_links"])),
    )
    return Post(
        platform=platform,
        uri=row["uri"],
        author=author,
        created_at=_moment(row["created_at"]),
        text=row["text"],
        html=row["html"],
        url=row["url"],
        reply_to=row["live_reply_to"],
        quote_of=row["live_quote_of"],
        media=tuple(media),
        tags=tuple(json.loads(row["tags"])),
        language=row["language"],
        content_warning=row["content_warning"],
        links=tuple(Link(**link) for link in json.loads(row["links"])),
        counts=Counts(**json.loads(row["counts"])),
        labels=tuple(json.loads(row["labels"])),
        original_url=row["original_url"],
    )
