"""collect against a loopback Bluesky service, through the real atproto client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from confthread.api import load_digest
from confthread.archive import Archive
from confthread.collect import collect
from confthread.collect_bluesky import BlueskyHarvest
from confthread.config import build_config
from confthread.render.json import digest_to_dict, render_json
from confthread.replay.bluesky import bluesky_handler, serve_bluesky
from confthread.replay.build_bluesky import Network
from confthread.replay.server import Fault, ReplayServer, Request, Response
from confthread.report import CollectReport, SourceProgress
from confthread.sources.bluesky import BlueskyClient
from confthread.sources.bluesky_session import SessionStore
from confthread.sources.http import RetryPolicy

FAST = RetryPolicy(attempts=2, backoff=0.01, timeout=5)
NOW = datetime(2026, 6, 20, tzinfo=UTC)
ACCOUNT = {"me.bsky.social": "abcd-efgh-ijkl-mnop"}
LOGIN = {
    "CONFTHREAD_BLUESKY_HANDLE": "me.bsky.social",
    "CONFTHREAD_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
}


def network() -> tuple[Network, list[str], list[str]]:
    net = Network()
    net.add("live1", "ada", 0, tag="UKMedLibs")
    for n in range(2, 18):
        net.add(f"live{n}", "ada", n, reply_to=f"live{n - 1}")  # 16 untagged continuations
    net.add("aside", "bob", 5.5, reply_to="live5")
    net.add("answer", "ada", 6.5, reply_to="aside")
    net.add("q", "cy", 60, tag="ukmedlibs", alt="A slide about search filters")
    net.add("r1", "dee", 61, reply_to="q")
    net.add("r2", "bob", 62, reply_to="r1")
    net.add("gone", "eve", 63, reply_to="q")
    net.add("hidden", "fay", 64, reply_to="q")
    net.add("optout", "opt", 65, reply_to="q", opted_out=True)
    net.add("elsewhere", "hal", 30)  # untagged and in no thread, but quoted
    net.add("quoter", "gus", 70, tag="ukmedlibs", quote="elsewhere")
    net.add("textonly", "jo", 80, text_tag="UKMEDLIBS")  # '#tag' in the text, no facet
    net.add("textreply", "max", 81, reply_to="textonly")  # found only through that post's thread
    net.add("rectag", "kim", 90, record_tag="ukmedlibs")
    net.add("word", "lee", 95, text="I love ukmedlibs, the word")  # the word, not the hashtag
    net.add("before", "ada", -24 * 60, tag="ukmedlibs")
    net.add("after", "ada", 4 * 24 * 60, tag="ukmedlibs")
    return net, [net.uri("gone")], [net.uri("hidden")]


@pytest.fixture
def service() -> Iterator[ReplayServer]:
    net, deleted, blocked = network()
    with serve_bluesky(net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked) as server:
        yield server


def config_for(archive: Path, url: str, env: dict[str, str] | None = None, until: str = "2026-06-13") -> Any:
    return build_config(
        {
            "tags": ["#ukmedlibs"],
            "archive": archive,
            "since": "2026-06-10",
            "until": until,
            "bluesky": url,
            "no_mastodon": True,
            "no_pictures": True,
        },
        LOGIN if env is None else env,
    )


def run(
    tmp_path: Path, name: str, url: str, *, env: dict[str, str] | None = None, now: datetime = NOW
) -> CollectReport:
    return collect(
        config_for(tmp_path / name, url, env),
        policy=FAST,
        now=lambda: now,
        sessions=SessionStore(tmp_path / "state"),
    )


def keys(path: Path) -> set[str]:
    with Archive(path) as archive:
        return {post.text.split()[1] for post in archive.posts() if post.text.startswith("Post ")}


def dump(path: Path) -> dict[str, Any]:
    with Archive(path) as archive:
        return archive.dump()


def test_collects_tagged_posts_threads_and_quotes(tmp_path: Path, service: ReplayServer) -> None:
    report = run(tmp_path, "a.db", service.url)
    assert not report.failed, report.failed
    live = {f"live{n}" for n in range(1, 18)}
    assert keys(tmp_path / "a.db") == live | {
        "aside",
        "answer",
        "q",
        "r1",
        "r2",
        "optout",
        "quoter",
        "elsewhere",
        "textonly",
        "textreply",
        "rectag",
    }
    digest = digest_to_dict(load_digest(tmp_path / "a.db", now=NOW))
    threads = {t["posts"][0]["text"].split()[1]: t for t in digest["threads"]}
    thread = threads["live1"]
    assert thread["kind"] == "live"
    assert [p["text"].split()[1] for p in thread["posts"]] == [
        *(f"live{n}" for n in range(1, 18)),
        "aside",
        "answer",
    ]
    assert thread["posts"][0]["url"].startswith("https://bsky.app/profile/did:plc:")
    question = threads["q"]
    assert [p["text"].split()[1] for p in question["posts"]] == ["q", "r1", "r2"]
    assert question["posts"][0]["withheld_replies"] == 1
    assert question["posts"][0]["media"][0]["alt"] == "A slide about search filters"
    quoter = threads["quoter"]["posts"][0]
    assert quoter["quote_of"] is not None and quoter["quote_of"].startswith("at://")
    assert "opt" not in render_json(load_digest(tmp_path / "a.db", now=NOW)).replace("optional", "")


def test_a_second_run_reuses_the_login_and_asks_only_for_what_is_newer(
    tmp_path: Path, service: ReplayServer
) -> None:
    run(tmp_path, "a.db", service.url)
    before, seen = dump(tmp_path / "a.db"), len(service.requests)
    report = run(tmp_path, "a.db", service.url)
    assert report.sources[0].posts == 0
    again = [r.path.rsplit("/", 1)[1] for r in service.requests[seen:]]
    assert again == ["app.bsky.feed.searchPosts"] * 2  # one page per query, no login, no threads
    logins = [r for r in service.requests if r.path.endswith("createSession")]
    assert len(logins) == 1
    assert dump(tmp_path / "a.db") == before
    state = list((tmp_path / "state").iterdir())
    assert len(state) == 1 and (state[0].stat().st_mode & 0o077) == 0
    assert "abcd-efgh" not in repr(before)


def threads_asked(server: ReplayServer, since: int = 0) -> list[str]:
    return [r.query["uri"][0] for r in server.requests[since:] if r.path.endswith("getPostThread")]


def test_a_post_listed_with_no_replies_and_answering_nobody_needs_no_thread_fetch(
    tmp_path: Path, service: ReplayServer
) -> None:
    net = network()[0]
    run(tmp_path, "a.db", service.url)
    asked = threads_asked(service)
    assert net.uri("quoter") not in asked and net.uri("rectag") not in asked
    assert {net.uri("live1"), net.uri("q"), net.uri("textonly")} <= set(asked)
    assert len(asked) == len(set(asked))


def test_a_post_listed_with_no_replies_still_has_its_thread_fetched_if_replies_were_archived(
    tmp_path: Path,
) -> None:
    """Replies archived before may be gone since: asking the thread is how that is found out."""
    net, deleted, blocked = network()
    with serve_bluesky(net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked) as server:
        run(tmp_path, "a.db", server.url, now=datetime(2026, 6, 11, 12, tzinfo=UTC))  # during the event
        # textreply is deleted, so the service now counts no reply to textonly.
        posts = [
            {**view, "replyCount": 0} if view["uri"] == net.uri("textonly") else view for view in net.posts
        ]
        server.handler = bluesky_handler(
            posts, accounts=ACCOUNT, deleted=[*deleted, net.uri("textreply")], blocked=blocked
        )
        seen = len(server.requests)
        # Another window is searched afresh, and lists textonly again.
        wider = config_for(tmp_path / "a.db", server.url, until="2026-06-13T12:00")
        assert not collect(wider, policy=FAST, now=lambda: NOW, sessions=SessionStore(tmp_path / "s")).failed
        assert net.uri("textonly") in threads_asked(server, seen)
    assert "textreply" not in keys(tmp_path / "a.db")


def test_the_rate_limit_is_waited_for_not_run_into(tmp_path: Path, service: ReplayServer) -> None:
    """The service says what is left of its window; the collect waits for the reset instead of a 429."""
    run(tmp_path, "clean.db", service.url)
    net, deleted, blocked = network()
    handler = bluesky_handler(
        net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked, rate_limit=2, rate_window=1
    )
    answers: list[int] = []

    def counted(request: Request, base_url: str) -> Response:
        response = handler(request, base_url)
        answers.append(response.status)
        return response

    with ReplayServer(counted) as limited:
        assert not run(tmp_path, "paced.db", limited.url).failed
    assert len(answers) > 4 and 429 not in answers  # three windows' worth, none refused
    assert keys(tmp_path / "paced.db") == keys(tmp_path / "clean.db")


def test_faults_are_retried_and_change_nothing(tmp_path: Path, service: ReplayServer) -> None:
    run(tmp_path, "clean.db", service.url)
    service.add_fault(Fault(path="searchPosts", kind="status", status=429, retry_after=1))
    service.add_fault(Fault(path="getPostThread", kind="status", status=503))
    service.add_fault(Fault(path="getPostThread", kind="drop"))
    service.add_fault(Fault(path="getPosts", kind="status", status=502))
    assert not run(tmp_path, "faulty.db", service.url).failed
    assert dump(tmp_path / "faulty.db") == dump(tmp_path / "clean.db")


def test_a_busy_tag_is_searched_in_time_slices(tmp_path: Path) -> None:
    """The service pages one query only so far; the harvest asks again below the oldest post seen."""
    net, deleted, blocked = network()
    window = config_for(tmp_path / "x.db", "http://unused").window
    with serve_bluesky(net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked) as roomy:
        run(tmp_path, "roomy.db", roomy.url)
    with (
        serve_bluesky(
            net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked, max_search_results=3
        ) as capped,
        Archive(tmp_path / "capped.db") as archive,
    ):
        client = BlueskyClient(
            capped.url, *LOGIN.values(), policy=FAST, sessions=SessionStore(tmp_path / "s"), page_size=2
        )
        try:
            BlueskyHarvest(
                archive, client, window, SourceProgress("Bluesky"), lambda _: None, lambda: NOW, slice_cap=2
            ).run(["ukmedlibs"])
        finally:
            client.close()
        searches = [r for r in capped.requests if r.path.endswith("searchPosts")]
    assert keys(tmp_path / "capped.db") == keys(tmp_path / "roomy.db")
    assert len({r.query.get("until", [""])[0] for r in searches}) > 2  # it did slice


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "Bluesky search needs a login"),
        (
            {**LOGIN, "CONFTHREAD_BLUESKY_APP_PASSWORD": "wrong-pass-word"},
            "refused the login for me.bsky.social",
        ),
    ],
)
def test_login_problems_are_one_line_and_keep_secrets(
    tmp_path: Path, service: ReplayServer, env: dict[str, str], message: str
) -> None:
    [failed] = run(tmp_path, "a.db", service.url, env=env).failed
    assert message in (failed.error or "")
    assert "wrong-pass-word" not in (failed.error or "") and "\n" not in (failed.error or "")


def test_a_proxy_answering_with_html_is_named(tmp_path: Path, service: ReplayServer) -> None:
    service.add_fault(Fault(path="searchPosts", kind="status", status=403))
    [failed] = run(tmp_path, "a.db", service.url).failed
    assert "refused the search" in (failed.error or "") and "403" in (failed.error or "")


def test_a_post_deleted_at_the_source_leaves_the_digest(tmp_path: Path) -> None:
    net, deleted, blocked = network()
    during = datetime(2026, 6, 11, 12, tzinfo=UTC)
    with serve_bluesky(net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked) as server:
        run(tmp_path, "a.db", server.url, now=during)
        assert "r1" in keys(tmp_path / "a.db")
        server.handler = bluesky_handler(
            net.posts, accounts=ACCOUNT, deleted=[*deleted, net.uri("r1")], blocked=blocked
        )
        assert not run(tmp_path, "a.db", server.url, now=during + timedelta(hours=1)).failed
    text = render_json(load_digest(tmp_path / "a.db", now=NOW))
    assert net.uri("r1") not in text and "Post r1" not in text
    assert "Post r2" in text


@pytest.mark.parametrize("stale", ["access", "refresh"])
def test_a_kept_session_the_service_no_longer_honours_means_one_fresh_login(
    tmp_path: Path, stale: str
) -> None:
    """Run 1 keeps a session; by run 2 the service's clock has moved on past the tokens' lives."""
    net, deleted, blocked = network()
    now = datetime.now(UTC)
    # "refresh": the access token is already old by the client's own clock, so the SDK refreshes first.
    clock = [now - timedelta(hours=3) if stale == "refresh" else now]
    with serve_bluesky(
        net.posts, accounts=ACCOUNT, deleted=deleted, blocked=blocked, clock=lambda: clock[0]
    ) as server:
        assert not run(tmp_path, "a.db", server.url).failed
        clock[0] = now + timedelta(days=90)
        first = len(server.requests)
        assert not run(tmp_path, "a.db", server.url).failed
        logins = [r for r in server.requests if r.path.endswith("createSession")]
        refreshes = [r for r in server.requests[first:] if r.path.endswith("refreshSession")]
    assert len(logins) == 2
    assert len(refreshes) == (1 if stale == "refresh" else 0)


def test_malformed_json_is_named_in_one_line(tmp_path: Path, service: ReplayServer) -> None:
    answer = service.handler

    def broken(request: Request, base_url: str) -> Response:
        if request.path.endswith("searchPosts"):
            return Response(200, b'{"posts": [{"uri": ', {"Content-Type": "application/json"})
        return answer(request, base_url)

    service.handler = broken
    [failed] = run(tmp_path, "a.db", service.url).failed
    assert "not JSON" in (failed.error or "") and "\n" not in (failed.error or "")


def test_a_proxy_page_instead_of_json_is_named(tmp_path: Path, service: ReplayServer) -> None:
    answer = service.handler

    def proxy(request: Request, base_url: str) -> Response:
        if request.path.endswith("searchPosts"):
            return Response(
                403, b"<html><body>Access denied by proxy</body></html>", {"Content-Type": "text/html"}
            )
        return answer(request, base_url)

    service.handler = proxy
    [failed] = run(tmp_path, "a.db", service.url).failed
    assert "HTTP 403, not from Bluesky: a proxy may be in the way" in (failed.error or "")
