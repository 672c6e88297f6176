"""The archive keeps what it is given, exactly, and refuses what is not its own."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confthread.archive import MIGRATIONS, Archive, Record
from confthread.errors import ArchiveError
from confthread.imaging import Picture
from confthread.models import Author, Counts, Link, Media, Post

NOW = datetime(2026, 6, 20, tzinfo=UTC)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
authors = st.builds(
    Author,
    platform=st.just("mastodon"),
    id=st.sampled_from(["u1", "u2", "u3"]),
    handle=st.just("@h@x.example"),
    name=st.none() | text,
    url=st.none() | text,
    avatar=st.none() | text,
    opted_out=st.booleans(),
    links=st.lists(text, max_size=2).map(tuple),
)
media = st.builds(
    Media, url=text, alt=text, kind=st.sampled_from(["image", "video"]), preview_url=st.none() | text
)
posts = st.builds(
    Post,
    platform=st.just("mastodon"),
    uri=text,
    author=authors,
    created_at=moments,
    text=text,
    html=text,
    url=st.none() | text,
    reply_to=st.none() | text,
    quote_of=st.none() | text,
    media=st.tuples(media) | st.just(()),
    tags=st.lists(text, max_size=3).map(tuple),
    language=st.none() | text,
    content_warning=text,
    links=st.lists(
        st.builds(
            Link, url=text, title=st.none() | text, description=st.none() | text, image=st.none() | text
        ),
        max_size=2,
    ).map(tuple),
    counts=st.builds(Counts, *(st.integers(0, 10**6) for _ in range(4))),
    labels=st.lists(text, max_size=2).map(tuple),
    original_url=st.none() | text,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(posts, max_size=8, unique_by=lambda p: p.uri))
def test_posts_round_trip(tmp_path: Path, batch: list[Post]) -> None:
    # One author id means one author row: the last save of it wins, as on the platform.
    latest = {p.author.id: p.author for p in batch}
    expected = [
        Post(**{**{f: getattr(p, f) for f in p.__slots__}, "author": latest[p.author.id]}) for p in batch
    ]
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.db"
    with Archive(path) as archive:
        archive.save([Record(p, {"uri": p.uri}, "src") for p in batch], now=NOW)
        archive.save([Record(p, {"uri": p.uri}, "src") for p in batch], now=NOW)  # idempotent
        stored = archive.posts()
    key = lambda p: (p.created_at, p.uri)  # noqa: E731
    assert sorted(stored, key=key) == sorted(expected, key=key)


def test_a_resolved_parent_is_not_forgotten_by_a_later_page(tmp_path: Path) -> None:
    author = Author("mastodon", "u", "@u@x.example")
    reply = Post("mastodon", "r", author, NOW, "hi", reply_to="p")
    with Archive(tmp_path / "a.db") as archive:
        archive.save([Record(reply, {}, "src", "1")], now=NOW)
        archive.save([Record(Post("mastodon", "r", author, NOW, "hi edited"), {}, "src", "1")], now=NOW)
        [stored] = archive.posts()
    assert (stored.reply_to, stored.text) == ("p", "hi edited")


def test_failed_save_leaves_nothing_half_written(tmp_path: Path) -> None:
    good = Post("mastodon", "ok", Author("mastodon", "u", "@u@x.example"), NOW, "fine")
    with Archive(tmp_path / "a.db") as archive:
        with pytest.raises(TypeError):
            archive.save(
                [Record(good, {}, "src"), Record(good, {"x": object()}, "src")],
                now=NOW,
                cursor=("k", {"max_id": "1"}),
            )
        assert archive.posts() == []
        assert archive.cursor("k") is None


def test_schema_is_versioned_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda p: p.write_bytes(b"not a database at all, just some words " * 20),
            "not a confthread archive",
        ),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(), "something else"),
        (lambda p: sqlite3.connect(p).execute("PRAGMA user_version = 999").connection.commit(), "newer"),
    ],
)
def test_foreign_files_are_refused_untouched(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "other.db"
    setup(path)
    before = path.read_bytes()
    with pytest.raises(ArchiveError, match=message):
        Archive(path)
    assert path.read_bytes() == before


def test_reading_a_missing_archive_does_not_create_one(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="run 'confthread collect' first"):
        Archive(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_a_post_deleted_at_the_source_leaves_no_words_behind(tmp_path: Path) -> None:
    author = Author("mastodon", "u", "@u@x.example")
    gone = Post(
        "mastodon",
        "gone",
        author,
        NOW,
        "regrettable words",
        html="<p>regrettable words</p>",
        media=(Media("https://x.example/m.png", "alt"),),
    )
    kept = Post("mastodon", "kept", author, NOW, "fine")
    with Archive(tmp_path / "a.db") as archive:
        archive.save(
            [Record(gone, {"content": "regrettable words"}, "src"), Record(kept, {}, "src")], now=NOW
        )
        archive.keep_file("https://x.example/m.png", Picture(b"jpeg bytes", "image/jpeg", 1, 1), NOW)
        archive.mark_deleted("mastodon", ["gone"], NOW)
        assert [post.uri for post in archive.posts()] == ["kept"]
        assert archive.file("https://x.example/m.png") is None
        assert "regrettable" not in repr(archive.dump())
        archive.save([Record(gone, {}, "src")], now=NOW)  # seen again: it was restored at the source
        assert [post.uri for post in archive.posts()] == ["gone", "kept"]


def test_an_archive_of_the_first_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO authors (platform, id, handle) VALUES ('mastodon', 'u', '@u@x.example')")
    db.execute(
        "INSERT INTO posts (platform, uri, author_id, created_at, text, html, tags, raw, first_seen, "
        "last_seen) VALUES ('mastodon', 'old', 'u', '2026-06-10T09:00:00.000000+00:00', 'hi', '', '[]', "
        "'{}', '', '')"
    )
    db.close()
    with Archive(path) as archive:
        [post] = archive.posts()
    assert (post.uri, post.text, post.links, post.counts) == ("old", "hi", (), Counts())
