"""The benchmark's generated conference, its Mastodon rate limit, and its runner end to end (no timings)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from benchmarks import run
from benchmarks.blog import BLOG_ORIGIN
from benchmarks.generate import TAG, Event, generate
from benchmarks.minimum import bluesky_need, mastodon_need, needs

from confthread.crossposts import find_copies
from confthread.models import Post
from confthread.replay.build_bluesky import Network
from confthread.replay.build_mastodon import Instance
from confthread.replay.mastodon import RateLimit, serve_mastodon
from confthread.sources.bluesky_parse import mentions_tag, parse_post_view
from confthread.sources.mastodon import parse_status
from confthread.threads import build_threads


@pytest.fixture(scope="module")
def event() -> Event:
    return generate(2000, seed=7)


@pytest.fixture(scope="module")
def posts(event: Event) -> list[Post]:
    """Every generated post parsed by the project's own parsers, once per uri."""
    parsed = {view["uri"]: parse_post_view(view) for view in event.network.posts}
    for host, instance in event.instances.items():
        uris = {status["id"]: status["uri"] for status in instance.statuses}
        for status in instance.statuses:
            parsed.setdefault(status["uri"], parse_status(status, instance=f"https://{host}", uris=uris))
    return list(parsed.values())


def test_the_event_has_the_size_asked_for_and_the_platform_split(event: Event, posts: list[Post]) -> None:
    platforms = Counter(post.platform for post in posts)
    assert len(posts) == 2000
    assert 0.55 <= platforms["bluesky"] / 2000 <= 0.65
    on = {host: {status["uri"] for status in instance.statuses} for host, instance in event.instances.items()}
    first, second = on.values()
    assert first and second and first & second  # two instances, and federation shows some posts on both
    assert {post.created_at.date().isoformat() for post in posts} == {
        "2026-06-10",
        "2026-06-11",
        "2026-06-12",
    }


def test_the_event_has_the_mix_of_a_conference(posts: list[Post]) -> None:
    with_images = [post for post in posts if post.media]
    assert 0.12 <= len(with_images) / len(posts) <= 0.18
    assert all(media.alt for post in with_images for media in post.media)
    assert any(post.quote_of for post in posts if post.platform == "bluesky")
    assert any(post.links for post in posts)
    assert any(link.url.startswith(BLOG_ORIGIN) for post in posts for link in post.links)  # write-ups
    assert any(any(ord(c) >= 0x1F300 for c in post.text) for post in posts)  # emoji
    assert {"ja", "ar", "ru"} & {post.language for post in posts if post.language}
    platform = {post.uri: post.platform for post in posts}
    copies = find_copies(posts).others.items()
    # One person's cross-posts, found by the digest's own rules.
    assert any(
        {platform[kept], *(copy.platform for copy in others)} == {"bluesky", "mastodon"}
        for kept, others in copies
    )


def test_live_threads_are_tagged_once_and_run_5_to_40_posts(posts: list[Post]) -> None:
    live = [thread for thread in build_threads(posts) if thread.kind == "live"]
    assert len(live) >= 10
    lengths = []
    for thread in live:
        own = [post for post in thread.posts if post.author.id == thread.root.author.id]
        assert mentions_tag(thread.root, TAG.casefold())
        assert not any(post.tags for post in own[1:])
        lengths.append(len(own))
    # Only the event's very last thread may have been cut short to make the size exact.
    assert max(lengths) <= 40 and sorted(lengths)[1] >= 5


def test_the_same_seed_gives_the_same_event() -> None:
    def wire(event: Event) -> str:
        instances = {host: instance.statuses for host, instance in event.instances.items()}
        return json.dumps([event.network.posts, instances], sort_keys=True)

    assert wire(generate(300, seed=5)) == wire(generate(300, seed=5))
    assert wire(generate(300, seed=5)) != wire(generate(300, seed=6))


def test_the_minimum_counts_each_cut_a_guest_sees_in_a_long_thread() -> None:
    instance = Instance("bench.example")
    instance.add("p1", "ada", 0, tags=(TAG,))
    for n in range(2, 46):  # 44 replies deep: cut after levels 20 and 40
        instance.add(f"p{n}", "ada", n, reply_to=f"p{n - 1}")
    need = mastodon_need("bench.example", instance.statuses, 300, 300)
    assert need.requests == {"timeline": 2, "context": 3}
    assert len(need.uris) == 45


def test_the_bluesky_minimum_fetches_no_thread_of_a_post_listed_without_replies() -> None:
    net = Network()
    net.add("alone", "ada", 0, tag=TAG)
    net.add("asked", "bob", 1, tag=TAG)
    net.add("answer", "cy", 2, reply_to="asked")
    need = bluesky_need(net.posts)
    assert need.requests["getPostThread"] == 1  # "asked" only
    assert need.uris == {net.uri("alone"), net.uri("asked"), net.uri("answer")}


def test_every_source_has_a_minimum(event: Event) -> None:
    found = needs(event, (300, 5))
    assert [need.source for need in found] == [
        "Bluesky",
        "Mastodon mastodon.bench.example",
        "Mastodon glam.bench.example",
        "Blogs",
        "Pictures",
    ]
    assert all(need.total > 0 for need in found)


def test_a_mastodon_rate_limit_answers_429_once_spent() -> None:
    instance = Instance("bench.example")
    instance.add("p1", "ada", 0, tags=(TAG,))
    clock = [datetime(2026, 6, 10, 9, 0, 1, tzinfo=UTC)]
    limit = RateLimit(3, 60, clock=lambda: clock[0])
    with serve_mastodon(instance.statuses, rate_limit=limit) as server:
        url = f"{server.url}/api/v1/timelines/tag/{TAG}"
        answers = [requests.get(url, timeout=5) for _ in range(4)]
        clock[0] = datetime(2026, 6, 10, 9, 1, 0, tzinfo=UTC)  # the next window
        later = requests.get(url, timeout=5)
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["Retry-After"] == "59"
    assert refused.headers["X-RateLimit-Reset"] == "2026-06-10T09:01:00.000000Z"
    assert refused.json() == {"error": "Too many requests"}
    assert later.status_code == 200


def test_without_a_rate_limit_nothing_is_refused() -> None:
    instance = Instance("bench.example")
    instance.add("p1", "ada", 0, tags=(TAG,))
    with serve_mastodon(instance.statuses) as server:
        answers = [requests.get(f"{server.url}/api/v1/timelines/tag/{TAG}", timeout=5) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert "Retry-After" not in answers[-1].headers


def test_the_runner_writes_a_table_for_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    stages = "generate,collect,second,digest,html"
    argv = [
        "--sizes",
        "100",
        "--latency",
        "0",
        "--stages",
        stages,
        "--out",
        str(out),
        "--workdir",
        str(tmp_path),
    ]
    assert run.main(argv) == 0
    table = out.read_text(encoding="utf-8")
    for stage in ("generate", "collect", "second collect, nothing new", "threads + digest", "HTML"):
        assert f"| {stage} | 100 |" in table
    assert "archived " in table and "error:" not in table
    for source in ("Bluesky", "Mastodon glam.bench.example", "Blogs", "Pictures"):
        assert f"| 100 | {source} | " in table
