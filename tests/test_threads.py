"""Thread reconstruction: reading order, kinds, and totality on broken or shuffled input."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from confthread.digest import build_digest, withhold_opted_out
from confthread.models import Post
from confthread.threads import build_threads
from tests.factories import START, post


def uris(thread_posts: tuple[Post, ...]) -> list[str]:
    return [p.uri for p in thread_posts]


def test_live_thread_reads_as_one_column_with_the_authors_continuation_first() -> None:
    posts = [
        post("a1", "ada", 0),
        post("a2", "ada", 2, "a1"),
        post("b1", "bob", 1, "a1"),  # a reply to the root, earlier than the continuation
        post("a3", "ada", 4, "a2"),
        post("c1", "cy", 3, "a2"),
        post("a-answer", "ada", 5, "c1"),  # the live-poster answers cy
    ]
    [thread] = build_threads(posts)
    assert thread.kind == "live"
    assert uris(thread.posts) == ["a1", "a2", "a3", "c1", "a-answer", "b1"]
    depths = {entry.post.uri: entry.depth for entry in thread.entries}
    assert depths == {"a1": 0, "a2": 0, "a3": 0, "c1": 1, "a-answer": 2, "b1": 1}


def test_kinds_and_thread_order() -> None:
    posts = [post("late", "ada", 30), post("q", "bob", 10), post("r", "cy", 11, "q")]
    threads = build_threads(posts)
    assert [(t.kind, t.root.uri) for t in threads] == [("conversation", "q"), ("single", "late")]


def test_orphans_become_roots_and_cycles_are_cut_at_the_earliest_post() -> None:
    posts = [
        post("orphan", "ada", 5, "missing-parent"),
        post("x", "ada", 1, "z"),
        post("y", "bob", 2, "x"),
        post("z", "cy", 3, "y"),
        post("self", "dee", 4, "self"),
    ]
    threads = build_threads(posts)
    assert [t.root.uri for t in threads] == ["x", "self", "orphan"]
    assert uris(threads[0].posts) == ["x", "y", "z"]


def test_opted_out_replies_are_counted_never_shown() -> None:
    posts = [
        post("q", "bob", 0),
        post("secret", "eve", 1, "q", opted_out=True),
        post("reply-to-secret", "cy", 2, "secret"),
        post("quoting", "dee", 3, quote_of="secret"),
    ]
    digest = build_digest(posts, title="t", hashtags=["x"], now=START)
    shown = [p for thread in digest.threads for p in thread.posts]
    assert "secret" not in {p.uri for p in shown}
    assert all("secret" not in (p.reply_to, p.quote_of) for p in shown)
    first = digest.threads[0].entries[0]
    assert (first.post.uri, first.withheld_replies) == ("q", 1)


# -- properties over random forests ---------------------------------------------------------------


@st.composite
def forests(draw: st.DrawFn) -> list[Post]:
    count = draw(st.integers(min_value=1, max_value=40))
    people = ["ada", "bob", "cy", "dee"]
    posts = []
    for index in range(count):
        # Parents may point anywhere: earlier, later, missing, or at the post itself.
        parent = draw(st.one_of(st.none(), st.integers(min_value=-2, max_value=count)))
        reply_to = None if parent is None else (f"p{parent}" if parent >= 0 else "gone")
        posts.append(
            post(
                f"p{index}",
                draw(st.sampled_from(people)),
                draw(st.integers(0, 500)),
                reply_to,
                opted_out=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return posts


@given(forests(), st.randoms())
def test_every_post_once_parents_first_and_order_independent(posts: list[Post], rnd: random.Random) -> None:
    threads = build_threads(posts)
    placed = [p.uri for thread in threads for p in thread.posts]
    assert sorted(placed) == sorted(p.uri for p in posts)
    for thread in threads:
        seen: set[str] = set()
        for entry in thread.entries:
            parent = entry.post.reply_to
            if parent in {p.uri for p in thread.posts} and entry.post is not thread.root:
                assert parent in seen
            seen.add(entry.post.uri)
    shuffled = posts[:]
    rnd.shuffle(shuffled)
    assert build_threads(shuffled) == threads


@given(forests())
def test_nothing_of_an_opted_out_author_survives(posts: list[Post]) -> None:
    hidden = {p.uri for p in posts if p.author.opted_out}
    shown, _ = withhold_opted_out(posts)
    digest = build_digest(posts, title="t", hashtags=[], now=START)
    rendered = [p for thread in digest.threads for p in thread.posts]
    assert {p.uri for p in rendered} == {p.uri for p in shown}
    assert not any(p.author.opted_out for p in rendered)
    assert not any({p.uri, p.reply_to, p.quote_of} & hidden for p in rendered)


def test_every_continuation_of_a_post_stays_in_its_column_before_the_answers() -> None:
    posts = [
        post("a1", "ada", 0),
        post("b1", "bob", 1, "a1"),
        post("a2", "ada", 2, "a1"),
        post("a3", "ada", 3, "a1"),
        post("c1", "cy", 4, "a1"),
    ]
    [thread] = build_threads(posts)
    assert [(e.post.uri, e.depth) for e in thread.entries] == [
        ("a1", 0),
        ("a2", 0),
        ("a3", 0),
        ("b1", 1),
        ("c1", 1),
    ]


def test_a_cycle_cut_at_a_continuation_leaves_its_parent_answered_by_others_only() -> None:
    posts = [
        post("c", "ada", 0, "p"),  # the earliest of the cycle: its link is cut
        post("p", "ada", 1, "c"),
        post("d", "bob", 2, "p"),
    ]
    [thread] = build_threads(posts)
    assert thread.kind == "live"
    assert [(e.post.uri, e.depth) for e in thread.entries] == [("c", 0), ("p", 0), ("d", 1)]
