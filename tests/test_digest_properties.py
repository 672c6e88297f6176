"""Properties of the whole digest over random forests of posts from several platforms and people.

The forests hold what makes the digest hard: replies pointing anywhere (earlier, later, missing, at
themselves), cross-posts and bridge accounts, Q&A labels, session tags, opt-outs and an exclude list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confthread.digest import build_digest
from confthread.models import Author, Counts, Digest, Link, Post, Session
from confthread.render import digest_to_dict, render_html, render_json

START = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def _account(platform: str, name: str, display: str, **extra: object) -> Author:
    if platform == "bluesky":
        return Author("bluesky", f"did:plc:{name}", f"{name}.bsky.example", display, **extra)  # type: ignore[arg-type]
    return Author(
        "mastodon",
        f"https://social.example/users/{name}",
        f"@{name}@social.example",
        display,
        f"https://social.example/@{name}",
        **extra,  # type: ignore[arg-type]
    )


# One person on two platforms (same display name), one with a profile link to their other account,
# bridge accounts in both directions, and people unrelated to anyone.
ACCOUNTS = {
    "ada_m": _account("mastodon", "ada", "Ada Lovelace"),
    "ada_b": _account("bluesky", "adab", "Ada Lovelace"),
    "bob_m": _account("mastodon", "bob", "Bob", links=("https://bsky.app/profile/bobby.bsky.example",)),
    "bob_b": _account("bluesky", "bobby", "Robert"),
    "cy_b": _account("bluesky", "cy", "Cy"),
    "cy_bridge": Author(
        "mastodon", "https://bsky.brid.gy/ap/did:plc:cy", "@cy.bsky.example@bsky.brid.gy", "Cy"
    ),
    "dee_m": _account("mastodon", "dee", "Dee"),
    "dee_bridge": Author("bluesky", "did:plc:deebridge", "dee.social.example.ap.brid.gy", "Dee"),
    "eve_m": _account("mastodon", "eve", "Eve Example"),
    "fay_b": _account("bluesky", "fay", "Fay"),
}
# The bridge accounts and whose they are: left out whenever that person is.
BRIDGES = {"cy_bridge": "cy_b", "dee_bridge": "dee_m"}
# One person's accounts, as a digest can tell them: a bridge, a profile link, one full name.
PEOPLE = [{"ada_m", "ada_b"}, {"bob_m", "bob_b"}, {"cy_b", "cy_bridge"}, {"dee_m", "dee_bridge"}]
# The ways an exclude list can name each person.
NAMES = {
    "ada_m": ["ada@social.example", "@ada@social.example", "https://social.example/@ada"],
    "ada_b": ["adab.bsky.example", "did:plc:adab"],
    "bob_m": ["bob@social.example"],
    "cy_b": ["cy.bsky.example", "@cy.bsky.example", "did:plc:cy"],
    "dee_m": ["dee@social.example", "https://social.example/users/dee"],
    "eve_m": ["EVE@social.example"],
    "fay_b": ["fay.bsky.example"],
}
SENTENCES = [
    "The keynote on open access and the catalogue was wonderful",
    "Slides for the metadata session are now online for everyone",
    "Who else is going to the archives tour after lunch today",
]
SESSIONS = (
    Session("s-keynote", "Opening keynote on open access", START, START + timedelta(hours=1), "Main Hall"),
    Session("s-maps", "Digitising maps", START + timedelta(hours=1), START + timedelta(hours=2), "Room 1"),
    Session("s-meta", "Metadata for all", START + timedelta(hours=1), START + timedelta(hours=2), "Room 2"),
    Session(
        "s-wiki", "Wikidata workshop", START + timedelta(hours=3), START + timedelta(hours=4), "Lab", "wiki"
    ),
)


@dataclass
class Forest:
    posts: list[Post]
    exclude: list[str]
    withheld: set[str]  # the account keys no digest may show


def _uri(author: Author, index: int) -> str:
    if author.platform == "bluesky":
        return f"at://{author.id}/app.bsky.feed.post/p{index}x"
    return f"{author.id}/statuses/p{index}x"


def _url(author: Author, index: int) -> str:
    return f"https://web.example/{author.handle.strip('@')}/p{index}x"


def marker(index: int) -> str:
    """A word only post `index` says: if it shows anywhere, that post's words did."""
    return f"mk{index}q"


@st.composite
def forests(draw: st.DrawFn) -> Forest:
    count = draw(st.integers(min_value=1, max_value=30))
    keys = sorted(ACCOUNTS)
    drawn = [draw(st.sampled_from(keys)) for _ in range(count)]
    opted_out = set(draw(st.lists(st.sampled_from(keys), max_size=2)))
    named = draw(st.lists(st.sampled_from(sorted(NAMES)), max_size=2))
    exclude = [draw(st.sampled_from(NAMES[key])) for key in named]
    withheld = opted_out | set(named)
    # A bridge account names its person: known from the list alone. Other accounts of a person are
    # known only from an account of theirs that posted (its name, its profile links).
    withheld |= {bridge for bridge, person in BRIDGES.items() if person in named}
    for person in PEOPLE:
        if person & withheld & set(drawn):
            withheld |= person
    authors = {key: ACCOUNTS[key] for key in keys}
    for key in opted_out:
        author = authors[key]
        authors[key] = Author(
            author.platform,
            author.id,
            author.handle,
            author.name,
            author.url,
            opted_out=True,
            links=author.links,
        )
    posts = []
    for index, key in enumerate(drawn):
        author = authors[key]
        parent = draw(st.one_of(st.none(), st.integers(min_value=-1, max_value=count - 1)))
        reply_to = None
        if parent is not None:
            reply_to = "https://gone.example/1" if parent < 0 else _uri(authors[drawn[parent]], parent)
        quoted = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count - 1)))
        label = draw(st.sampled_from(["", "", "", "Q1 ", "Q2 ", "A1: ", "a2) "]))
        copied = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count - 1)))
        posts.append(
            Post(
                platform=author.platform,
                uri=_uri(author, index),
                url=_url(author, index),
                author=author,
                created_at=START + timedelta(minutes=draw(st.integers(0, 300))),
                text=f"{label}{draw(st.sampled_from(SENTENCES))} {marker(index)}",
                reply_to=reply_to,
                quote_of=None if quoted is None else _uri(authors[drawn[quoted]], quoted),
                tags=tuple(draw(st.lists(st.sampled_from(["glam", "wiki"]), max_size=2))),
                links=tuple(
                    Link(url, title)
                    for url, title in draw(
                        st.lists(
                            st.sampled_from([("https://a.example/x", "A"), ("https://a.example/x/", None)]),
                            max_size=2,
                        )
                    )
                ),
                counts=Counts(replies=draw(st.integers(0, 3)), likes=draw(st.integers(0, 3))),
                original_url=None
                if copied is None or key not in BRIDGES
                else _url(authors[drawn[copied]], copied),
            )
        )
    return Forest(posts, exclude, {ACCOUNTS[key].id for key in withheld})


def digest_of(posts: list[Post], exclude: list[str]) -> Digest:
    return build_digest(posts, title="t", hashtags=["glam"], now=START, sessions=SESSIONS, exclude=exclude)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(forests())
def test_every_post_at_most_once_and_parents_first(forest: Forest) -> None:
    digest = digest_of(forest.posts, forest.exclude)
    shown = [entry for thread in digest.threads for entry in thread.entries]
    places = [entry.post.uri for entry in shown] + [uri for entry in shown for uri in entry.also_at]
    assert len(places) == len(set(places))
    assert set(places) <= {post.uri for post in forest.posts}
    for thread in digest.threads:
        seen: set[str] = set()
        members = {post.uri for post in thread.posts}
        for entry in thread.entries:
            if entry.post.reply_to in members:
                assert entry.post.reply_to in seen, (thread.kind, entry.post.uri)
            seen.add(entry.post.uri)
    if not forest.withheld:
        # With nobody left out, every post is shown once, as itself or as a copy of another.
        assert sorted(places) == sorted(post.uri for post in forest.posts)


@SETTINGS
@given(forests())
def test_nothing_of_a_withheld_person_anywhere(forest: Forest) -> None:
    digest = digest_of(forest.posts, forest.exclude)
    assert not any(post.author.id in forest.withheld for thread in digest.threads for post in thread.posts)
    rendered = render_json(digest) + render_html(digest)
    for index, post in enumerate(forest.posts):
        if post.author.id not in forest.withheld:
            continue
        for trace in (post.uri, post.url or "", marker(index), post.author.handle, post.author.id):
            assert trace not in rendered, trace


@SETTINGS
@given(forests(), st.randoms())
def test_the_digest_is_the_same_whatever_the_input_order(forest: Forest, rnd: random.Random) -> None:
    digest = digest_of(forest.posts, forest.exclude)
    shuffled = forest.posts[:]
    rnd.shuffle(shuffled)
    again = digest_of(shuffled, list(reversed(forest.exclude)))
    assert again == digest
    assert render_json(again) == render_json(digest)


@SETTINGS
@given(forests())
def test_sections_read_every_thread_once_in_order(forest: Forest) -> None:
    digest = digest_of(forest.posts, forest.exclude)
    in_sections = [thread_id for section in digest.sections for thread_id in section.threads]
    assert in_sections == [thread.id for thread in digest.threads]
    assert [s.session for s in digest.sections][-1] is None  # "Around the event" closes the digest
    data = digest_to_dict(digest)
    placed = [t for s in data["sessions"] for t in s["threads"]] + data["around_the_event"]["threads"]
    assert placed == [thread["id"] for thread in data["threads"]]
    shown = {post["uri"] for thread in data["threads"] for post in thread["posts"]}
    for link in data["links"]:
        assert set(link["posts"]) <= shown
    for chat in data["chats"]:
        asked = [q["question"] for q in chat["questions"]]
        thread = next(t for t in data["threads"] if t["id"] == chat["thread"])
        assert thread["kind"] == "chat"
        assert sorted(asked + [a for q in chat["questions"] for a in q["answers"]]) == sorted(
            p["uri"] for p in thread["posts"]
        )
    assert data["figures"]["posts"] == sum(len(t["posts"]) for t in data["threads"])
