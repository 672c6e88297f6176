"""collect against loopback Mastodon instances, which speak the API as Mastodon.py reads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from confthread.api import load_digest
from confthread.archive import Archive
from confthread.collect import collect
from confthread.config import build_config
from confthread.render.json import digest_to_dict, render_json
from confthread.replay.build_mastodon import Instance
from confthread.replay.mastodon import RateLimit, mastodon_handler, serve_mastodon
from confthread.replay.server import Fault, ReplayServer, Request, Response
from confthread.report import CollectReport, Progress, SourceProgress
from confthread.sources.http import RetryPolicy
from confthread.sources.mastodon import MastodonClient
from confthread.sources.pacing import Pacer, mastodon_budget

FAST = RetryPolicy(attempts=2, backoff=0.01, timeout=5)
NOW = datetime(2026, 6, 20, tzinfo=UTC)  # the event is over and settled


def event() -> tuple[Instance, Instance]:
    """Two instances: a live thread, a conversation across both, and the edges of the window."""
    home, other = Instance("medlibs.example"), Instance("glam.example")
    home.add("live1", "ada", 0, tags=("UKMedLibs",))
    for n in range(2, 8):
        home.add(f"live{n}", "ada", n, reply_to=f"live{n - 1}")  # untagged continuation
    home.add("aside", "bob", 3.5, reply_to="live3")
    home.add("answer", "ada", 4.5, reply_to="aside")
    home.add("secret", "bob", 5.5, reply_to="live2", visibility="private")
    home.add("optout", "eve", 6.5, reply_to="live1", noindex=True)
    home.add("q", "cy", 60, tags=("ukmedlibs",), alt="A slide about search filters")
    other.add("q", "cy", 60, home="medlibs.example", tags=("ukmedlibs",), alt="A slide about search filters")
    other.add("r1", "dee", 61, reply_to="q", tags=("ukmedlibs",))
    home.add("r1", "dee", 61, home="glam.example", reply_to="q", tags=("ukmedlibs",))
    home.add("r2", "bob", 62, reply_to="r1")
    home.add("before", "ada", -24 * 60, tags=("ukmedlibs",))  # 9 June: outside
    home.add("after", "ada", 4 * 24 * 60, tags=("ukmedlibs",))  # 14 June: outside
    home.add("untagged", "bob", 30)
    other.add("glam", "fay", 90, tags=("UKMEDLIBS",), alt="")
    return home, other


@pytest.fixture
def servers() -> Iterator[tuple[ReplayServer, ReplayServer]]:
    home, other = event()
    with serve_mastodon(home.statuses) as a, serve_mastodon(other.statuses) as b:
        yield a, b


def run(
    archive: Path,
    *urls: str,
    env: dict[str, str] | None = None,
    tags: tuple[str, ...] = ("#UKMedLibs",),
    progress: Any = None,
    now: datetime = NOW,
    **options: Any,
) -> CollectReport:
    config = build_config(
        {
            "tags": list(tags),
            "archive": archive,
            "since": "2026-06-10",
            "until": "2026-06-13",
            "mastodon": list(urls),
            "no_bluesky": True,
            "no_pictures": True,
            **options,
        },
        env or {},
    )
    return collect(config, policy=FAST, now=lambda: now, progress=progress)


def archived(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Archive(path) as archive:
        return archive.dump()


def uris(path: Path) -> set[str]:
    with Archive(path) as archive:
        return {post.uri.rsplit("/", 1)[1] for post in archive.posts()}


def test_collects_tagged_posts_and_their_whole_threads_once(tmp_path: Path, servers: Any) -> None:
    a, b = servers
    report = run(tmp_path / "a.db", a.url, b.url)
    assert not report.failed
    live = [f"live{n}" for n in range(1, 8)]
    assert uris(tmp_path / "a.db") == {*live, "aside", "answer", "optout", "q", "r1", "r2", "glam"}
    digest = digest_to_dict(load_digest(tmp_path / "a.db", now=NOW))
    threads = {t["posts"][0]["uri"].rsplit("/", 1)[1]: t for t in digest["threads"]}
    thread = threads["live1"]
    assert thread["kind"] == "live"
    assert [p["uri"].rsplit("/", 1)[1] for p in thread["posts"]] == [*live, "aside", "answer"]
    assert thread["posts"][0]["withheld_replies"] == 1
    assert [p["uri"].rsplit("/", 1)[1] for p in threads["q"]["posts"]] == ["q", "r1", "r2"]
    assert threads["q"]["posts"][1]["author"]["handle"] == "@dee@glam.example"
    assert threads["q"]["posts"][0]["media"] == [
        {"url": "https://medlibs.example/media/q.png", "alt": "A slide about search filters"}
    ]
    assert threads["glam"]["posts"][0]["media"][0]["alt"] == ""
    assert digest["hashtags"] == ["ukmedlibs"]


def test_a_second_collect_asks_only_for_what_is_newer(tmp_path: Path, servers: Any) -> None:
    a, b = servers
    run(tmp_path / "a.db", a.url, b.url)
    before = archived(tmp_path / "a.db")
    first = len(a.requests), len(b.requests)
    report = run(tmp_path / "a.db", a.url, b.url, tags=("ukmedlibs",))
    assert (report.sources[0].posts, report.sources[1].posts) == (0, 0)
    again = [*a.requests[first[0] :], *b.requests[first[1] :]]
    # One page of each timeline, and nothing else: not even the instance's description.
    assert [(r.path, sorted(r.query)) for r in again] == [
        ("/api/v1/timelines/tag/ukmedlibs", ["limit", "max_id", "min_id"]),
    ] * 2
    assert archived(tmp_path / "a.db") == before


def test_transient_faults_are_retried_and_change_nothing(tmp_path: Path, servers: Any) -> None:
    a, b = servers
    run(tmp_path / "clean.db", a.url, b.url)
    a.add_fault(Fault(path="/timelines/tag/", kind="status", status=429, retry_after=1))
    a.add_fault(Fault(path="/context", kind="status", status=503))
    b.add_fault(Fault(path="/timelines/tag/", kind="drop"))
    b.add_fault(Fault(path="/context", kind="status", status=502))
    report = run(tmp_path / "faulty.db", a.url, b.url)
    assert not report.failed
    assert archived(tmp_path / "faulty.db") == archived(tmp_path / "clean.db")


def test_a_source_that_keeps_failing_is_named_and_the_others_are_kept(tmp_path: Path, servers: Any) -> None:
    a, b = servers
    a.add_fault(Fault(path="/timelines/tag/", kind="status", status=500, times=10))
    report = run(tmp_path / "a.db", a.url, b.url)
    [failed] = report.failed
    assert failed.name == f"Mastodon {a.url}" and "HTTP 500" in (failed.error or "")
    assert {"q", "r1", "glam"} <= uris(tmp_path / "a.db")


def big_instance(count: int = 95) -> Instance:
    instance = Instance("medlibs.example")
    for n in range(count):
        instance.add(f"p{n}", "ada", n, tags=("ukmedlibs",))
        instance.add(f"reply{n}", "bob", n + 0.5, reply_to=f"p{n}")
    return instance


@pytest.mark.parametrize("interruption", ["failure", "kill"])
def test_an_interrupted_collect_resumes_and_ends_as_a_clean_run_would(
    tmp_path: Path, interruption: str
) -> None:
    instance = big_instance()
    with serve_mastodon(instance.statuses) as server:
        run(tmp_path / "clean.db", server.url)

        faulted: list[Fault] = []

        def interrupt(progress: Progress) -> None:
            if not isinstance(progress, SourceProgress):
                return
            if progress.pages == 1 and interruption == "failure" and not faulted:
                # Every try of the second page fails: FAST allows 2 retries after the first attempt.
                faulted.append(Fault(path="/timelines/tag/", kind="status", status=503, times=3))
                server.add_fault(faulted[0])
            if progress.pages == 2 and interruption == "kill":
                raise KeyboardInterrupt

        if interruption == "kill":
            with pytest.raises(KeyboardInterrupt):
                run(tmp_path / "a.db", server.url, progress=interrupt)
        else:
            assert run(tmp_path / "a.db", server.url, progress=interrupt).failed
        seen = len(server.requests)
        assert 0 < len(uris(tmp_path / "a.db")) < 2 * 95
        assert not run(tmp_path / "a.db", server.url).failed
        resumed = [r for r in server.requests[seen:] if "timelines" in r.path]
        # The first page is not asked for again: the walk goes on from the saved cursor.
        assert all("max_id" in r.query and r.query["max_id"][0] != str(20) for r in resumed)
        assert len(resumed) <= 3
    assert archived(tmp_path / "a.db") == archived(tmp_path / "clean.db")


def test_each_token_goes_to_its_own_instance_only(tmp_path: Path) -> None:
    home, other = event()
    with serve_mastodon(home.statuses, token="secret-a") as a, serve_mastodon(other.statuses) as b:
        tokens = {"mastodon_tokens": {a.url: "TOKEN_A"}}
        path = tmp_path / "event.toml"
        path.write_text(f'[mastodon_tokens]\n"{a.url}" = "TOKEN_A"\n')
        config = build_config(
            {
                "tags": ["ukmedlibs"],
                "archive": tmp_path / "a.db",
                "mastodon": [a.url, b.url],
                "no_bluesky": True,
                "no_pictures": True,
            },
            {"TOKEN_A": "secret-a"},
            path,
        )
        assert tokens and not collect(config, policy=FAST, now=lambda: NOW).failed
        assert all(r.headers.get("authorization") == "Bearer secret-a" for r in a.requests)
        assert not any("authorization" in r.headers for r in b.requests)


def test_a_refused_token_is_reported_without_revealing_it(tmp_path: Path) -> None:
    home, _ = event()
    with serve_mastodon(home.statuses, token="right") as a:
        report = run(tmp_path / "a.db", a.url, env={"CONFTHREAD_MASTODON_TOKEN": "wrong-token-value"})
    [failed] = report.failed
    assert "401" in (failed.error or "") and "wrong-token-value" not in (failed.error or "")
    with Archive(tmp_path / "a.db") as archive:
        assert "wrong-token-value" not in repr(archive.dump())


@pytest.mark.parametrize(("root_tags", "expected_contexts"), [(("ukmedlibs",), 3), ((), 4)])
def test_a_live_thread_deeper_than_a_guest_may_see_is_archived_whole(
    tmp_path: Path, root_tags: tuple[str, ...], expected_contexts: int
) -> None:
    """Guests get 40 ancestors and 60 descendants, 20 levels deep: collect follows every cut branch."""
    instance = Instance("medlibs.example")
    instance.add("live1", "ada", 0, tags=root_tags)
    for n in range(2, 46):
        instance.add(f"live{n}", "ada", n, reply_to=f"live{n - 1}")
    instance.add("late-question", "bob", 50, reply_to="live45", tags=("ukmedlibs",))
    with serve_mastodon(instance.statuses) as server:
        assert not run(tmp_path / "a.db", server.url).failed
        contexts = [r for r in server.requests if r.path.endswith("/context")]
    digest = digest_to_dict(load_digest(tmp_path / "a.db", now=NOW))
    [thread] = digest["threads"]
    assert [p["uri"].rsplit("/", 1)[1] for p in thread["posts"]] == [
        *(f"live{n}" for n in range(1, 46)),
        "late-question",
    ]
    # Tagged root: its context, then two more below the cuts at depth 20 and 40; the late question
    # came with the root's thread and is not asked about. Untagged root: the late question's context
    # shows 40 ancestors, one more climbs to the root, one for the root's replies, and together they
    # leave no branch cut.
    assert len(contexts) == expected_contexts


def test_a_slow_answer_times_out_and_is_asked_again(tmp_path: Path, servers: Any) -> None:
    a, b = servers
    run(tmp_path / "clean.db", a.url, b.url)
    clean_requests = len(a.requests)
    a.add_fault(Fault(path="/timelines/tag/", kind="delay", seconds=4.0))
    config = build_config(
        {
            "tags": ["ukmedlibs"],
            "archive": tmp_path / "slow.db",
            "since": "2026-06-10",
            "until": "2026-06-13",
            "mastodon": [a.url, b.url],
            "no_bluesky": True,
            "no_pictures": True,
        },
        {},
    )
    # Far enough apart that a loaded machine's ordinary answers still come well within the timeout.
    impatient = RetryPolicy(attempts=2, backoff=0.01, timeout=1.5)
    assert not collect(config, policy=impatient, now=lambda: NOW).failed
    slow_run = a.requests[clean_requests:]
    timelines = [r for r in slow_run if "/timelines/" in r.path]
    assert timelines[0].query == timelines[1].query  # the timed-out page, asked again
    assert len(slow_run) == clean_requests + 1
    assert archived(tmp_path / "slow.db") == archived(tmp_path / "clean.db")


def test_a_post_deleted_at_the_source_leaves_the_digest_on_the_next_collect(tmp_path: Path) -> None:
    home, other = event()
    during = datetime(2026, 6, 11, 12, tzinfo=UTC)  # threads are still growing, so they are asked again
    with serve_mastodon(home.statuses) as a, serve_mastodon(other.statuses) as b:
        run(tmp_path / "a.db", a.url, b.url, now=during)
        assert "q" in uris(tmp_path / "a.db")
        for server, instance in ((a, home), (b, other)):
            server.handler = mastodon_handler([s for s in instance.statuses if not s["uri"].endswith("/q")])
        assert not run(tmp_path / "a.db", a.url, b.url, now=during + timedelta(hours=1)).failed
    digest = render_json(load_digest(tmp_path / "a.db", now=NOW))
    assert "/statuses/q" not in digest and "Post q " not in digest
    assert "r1" in uris(tmp_path / "a.db") and "q" not in uris(tmp_path / "a.db")


def test_a_deleted_reply_is_noticed_and_its_replies_stay(tmp_path: Path) -> None:
    home, other = event()
    during = datetime(2026, 6, 11, 12, tzinfo=UTC)
    with serve_mastodon(home.statuses) as a, serve_mastodon(other.statuses) as b:
        run(tmp_path / "a.db", a.url, b.url, now=during)
        # "aside" answers live3 and is answered by "answer": deleting it hides "answer" from the tree too.
        a.handler = mastodon_handler([s for s in home.statuses if not s["uri"].endswith("/aside")])
        assert not run(tmp_path / "a.db", a.url, b.url, now=during + timedelta(hours=1)).failed
    assert "aside" not in uris(tmp_path / "a.db")
    assert {"answer", "live3"} <= uris(tmp_path / "a.db")


def test_an_instance_s_rate_limit_is_waited_for_not_run_into(tmp_path: Path) -> None:
    """The instance says what is left of its window; the collect waits for the reset instead of a 429."""
    instance = big_instance(30)
    with serve_mastodon(instance.statuses) as unlimited:
        run(tmp_path / "clean.db", unlimited.url, tags=("ukmedlibs",))
    answers: list[int] = []
    handler = mastodon_handler(instance.statuses, rate_limit=RateLimit(12, 1))

    def counted(request: Request, base_url: str) -> Response:
        response = handler(request, base_url)
        answers.append(response.status)
        return response

    with ReplayServer(counted) as limited:
        report = run(tmp_path / "paced.db", limited.url, tags=("ukmedlibs",))
    assert not report.failed
    assert len(answers) > 24 and 429 not in answers  # three windows' worth, none refused
    assert uris(tmp_path / "paced.db") == uris(tmp_path / "clean.db")


def test_a_pacer_waits_for_the_reset_once_the_window_is_spent() -> None:
    clock, slept = [1000.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(mastodon_budget, clock=lambda: clock[0], sleep=sleep)
    window = {"x-ratelimit-reset": "1970-01-01T00:16:45Z"}  # 1005 s after the epoch
    with pacer.request() as heard:  # nothing known yet: no wait
        heard({**window, "x-ratelimit-remaining": "2"})
    with pacer.request() as first, pacer.request() as second:  # two left, two in flight
        first({**window, "x-ratelimit-remaining": "0"})
        second({**window, "x-ratelimit-remaining": "1"})  # an earlier answer, arriving late
    assert slept == []
    with pacer.request() as heard:  # none left: wait for the reset, then go
        heard({"x-ratelimit-reset": "1970-01-01T00:16:50Z", "x-ratelimit-remaining": "9"})
    assert slept == [5.0]
    with pacer.request() as heard:  # a server that tells nothing is never waited for
        heard({})
    assert slept == [5.0]


def test_a_netrc_entry_for_the_instance_never_reaches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with serve_mastodon([]) as server:
        MastodonClient(server.url).tag_page("ukmedlibs")
        assert "authorization" not in server.requests[-1].headers
        MastodonClient(server.url, token="the-token").tag_page("ukmedlibs")
        assert server.requests[-1].headers["authorization"] == "Bearer the-token"
