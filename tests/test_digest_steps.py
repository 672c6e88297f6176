"""The digest's steps take what the steps before them worked out, once for all: each must agree with
the same step done alone, on the posts as given."""

from __future__ import annotations

import gc
import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confthread.api import digest_of
from confthread.chats import QUESTION, label
from confthread.crossposts import copies_in_order, find_copies
from confthread.digest import build_digest
from confthread.figures import compute_figures
from confthread.identity import Accounts
from confthread.links import link_key, post_addresses, post_link_keys, shared_links, shared_links_in_order
from confthread.threads import build_threads, post_key, reply_parents, sorted_by_time, unique_posts
from confthread.withhold import withhold, withhold_in_order
from tests.factories import START, post
from tests.test_digest_properties import SETTINGS, Forest, forests


@SETTINGS
@given(forests(), st.randoms())
def test_withholding_posts_in_order_is_withholding_them(forest: Forest, rnd: random.Random) -> None:
    unique = unique_posts(forest.posts)
    copies = find_copies(forest.posts)
    kept, shown = withhold_in_order(unique, exclude=forest.exclude, copies=copies)
    shuffled = forest.posts[:]
    rnd.shuffle(shuffled)
    alone = withhold(list(unique.values()), exclude=forest.exclude, copies=copies)
    assert kept == alone
    assert list(shown.values()) == alone.shown
    assert copies_in_order(list(unique.values()), Accounts(list(unique.values()))) == find_copies(shuffled)


@SETTINGS
@given(forests())
def test_figures_and_links_read_in_time_order_are_those_read_thread_by_thread(forest: Forest) -> None:
    unique = unique_posts(forest.posts)
    copies = find_copies(forest.posts).others
    threads = build_threads(unique.values())
    in_time_order = sorted((entry.post for thread in threads for entry in thread.entries), key=post_key)
    assert compute_figures(threads, copies, in_time_order=in_time_order) == compute_figures(threads, copies)
    every = post_link_keys(post_addresses(threads, copies))
    assert shared_links_in_order(in_time_order, copies, skip=every) == shared_links(
        threads, copies, skip=every
    )


@SETTINGS
@given(forests())
def test_the_library_path_builds_the_same_digest_and_leaves_the_collector_as_it_was(forest: Forest) -> None:
    before = gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()
    built = digest_of(forest.posts, ["glam"], title="t", now=START, exclude=forest.exclude)
    assert built == build_digest(
        forest.posts, title="t", hashtags=["glam"], now=START, exclude=forest.exclude
    )
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


def test_the_collector_is_restored_when_the_digest_fails() -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(AttributeError):
        digest_of([object()], [])  # type: ignore[list-item]
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from("abcde")), max_size=30), st.randoms())
def test_sorting_by_time_then_uri_only_where_times_tie_is_sorting_by_both(
    drawn: list[tuple[int, str]], rnd: random.Random
) -> None:
    posts = [post(f"{letter}{index % 3}", minute=minute) for index, (minute, letter) in enumerate(drawn)]
    rnd.shuffle(posts)
    assert [id(p) for p in sorted_by_time(posts)] == [id(p) for p in sorted(posts, key=post_key)]


@given(st.lists(st.tuples(st.integers(0, 12), st.one_of(st.none(), st.integers(-1, 12))), max_size=13))
def test_reply_parents_cut_each_cycle_once_at_its_earliest_post(drawn: list[tuple[int, int | None]]) -> None:
    posts = [
        post(f"p{index}", minute=minute, reply_to=None if parent is None else f"p{parent}")
        for index, (minute, parent) in enumerate(drawn)
    ]
    by_uri = unique_posts(posts)
    parents = reply_parents(by_uri)
    links = {uri: p.reply_to for uri, p in by_uri.items() if p.reply_to in by_uri}
    assert all(links[uri] == parent != uri for uri, parent in parents.items())
    for start in parents:  # no cycle is left
        seen, at = {start}, parents.get(start)
        while at is not None:
            assert at not in seen
            seen.add(at)
            at = parents.get(at)
    for uri in links.keys() - parents.keys():  # each link cut closed a cycle, at its earliest post
        cycle, at = [uri], links[uri]
        while at != uri:
            cycle.append(at)
            at = links[at]
        assert uri == min(cycle, key=lambda u: post_key(by_uri[u]))


PLAIN_ADDRESSES = [
    f"{scheme}{host}{path}"
    for scheme in ("https://", "at://")
    for host in ("a.example", "bsky.app")
    for path in ("", "/x", "/p/1", "/é")
]
# What makes an address no key of its own, each on its own: what each check of the quick way is for.
UNPLAIN = [
    lambda a: a.replace("https://", "http://"),
    lambda a: a.replace("https://", "HTTPS://"),
    lambda a: a.replace("a.example", "A.example"),
    lambda a: a.replace("a.example", "a_b.example"),
    lambda a: a.replace("a.example", "a.example:443"),
    lambda a: a.replace("a.example", "u@a.example"),
    lambda a: a.replace("https://a.example", "https://"),
    lambda a: a + "/",
    lambda a: a + "?utm_source=x",
    lambda a: a + "#top",
    lambda a: a + "\t",
    lambda a: a + "\u3000",
    lambda a: " " + a,
    lambda a: a.replace("/", "/ ", 1),
    lambda a: "mailto:" + a,
]


@pytest.mark.parametrize("change", UNPLAIN)
@pytest.mark.parametrize("address", PLAIN_ADDRESSES)
def test_one_address_that_is_not_its_own_key_is_read_for_it(
    address: str, change: Callable[[str], str]
) -> None:
    odd = change(address)
    among = {key for key in (link_key(odd), link_key(address), "https://bsky.app/x") if key}
    others = [plain for plain in PLAIN_ADDRESSES if plain != address]
    # Alone, among plain ASCII addresses, and among others too.
    for every in ({odd}, {odd, *(plain for plain in others if plain.isascii())}, {odd, *others}):
        assert post_link_keys(every, among=among) == post_link_keys(every) & among


@given(
    st.sets(st.sampled_from(PLAIN_ADDRESSES), max_size=6),
    st.lists(st.tuples(st.sampled_from(PLAIN_ADDRESSES), st.sampled_from(UNPLAIN)), max_size=3),
    st.sets(st.sampled_from(PLAIN_ADDRESSES), max_size=3),
)
def test_the_keys_of_post_addresses_among_some_are_those_keys_among_them(
    plain: set[str], unplain: list[tuple[str, Callable[[str], str]]], linked: set[str]
) -> None:
    """Addresses that are their own key (the quick way's case), and maybe some that are not."""
    odd = [change(address) for address, change in unplain]
    every = plain | set(odd)
    among = {key for key in map(link_key, [*linked, *odd]) if key}
    assert post_link_keys(every, among=among) == post_link_keys(every) & among


@given(st.text(max_size=6))
def test_a_question_label_opens_with_a_space_a_tag_a_mention_or_q(text: str) -> None:
    if label(QUESTION, text) is not None:
        assert text[:1] in "qQ@#" or text[:1].isspace()
