"""The Mastodon replay server, driven by the real Mastodon.py client on the example event."""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from mastodon import (
    Mastodon,
    MastodonInternalServerError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServiceUnavailableError,
    MastodonUnauthorizedError,
)

from confthread.replay import (
    Fault,
    ReplayServer,
    Request,
    Response,
    load_mastodon_statuses,
    serve_mastodon,
    snowflake_id,
)
from confthread.resources import example_event_dir
from tests.realapi import REAL_API

MEDLIBS = "https://medlibs.example"
GLAM = "https://glam.example"
REAL_MASTODON = REAL_API / "mastodon"
WINDOW = (datetime(2026, 6, 10, tzinfo=UTC), datetime(2026, 6, 13, tzinfo=UTC))

Status = dict[str, Any]
ClientFactory = Callable[..., Mastodon]


@pytest.fixture(scope="module")
def event() -> dict[str, list[Status]]:
    return load_mastodon_statuses(example_event_dir("ukmedlibs"))


@pytest.fixture
def medlibs(event: dict[str, list[Status]]) -> Iterator[ReplayServer]:
    with serve_mastodon(event[MEDLIBS]) as server:
        yield server


@pytest.fixture
def glam(event: dict[str, list[Status]]) -> Iterator[ReplayServer]:
    with serve_mastodon(event[GLAM]) as server:
        yield server


@pytest.fixture
def client() -> Iterator[ClientFactory]:
    """Real Mastodon.py clients whose HTTP sessions are closed afterwards (no ResourceWarning)."""
    made: list[Mastodon] = []

    def make(server: ReplayServer, **options: Any) -> Mastodon:
        api = Mastodon(
            api_base_url=server.url,
            version_check_mode="none",
            ratelimit_method="throw",
            **options,
        )
        made.append(api)
        return api

    yield make
    for api in made:
        api.session.close()


def by_key(statuses: list[Status]) -> dict[str, Status]:
    """The example's posts by uri tail, e.g. 'rhiannon/statuses/116725049420169027'."""
    return {s["uri"]: s for s in statuses}


def tagged(statuses: list[Status], tag: str = "ukmedlibs") -> list[Status]:
    return [s for s in statuses if any(t["name"] == tag for t in s["tags"])]


def created(status: Any) -> datetime:
    value = status["created_at"]
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def all_pages(api: Mastodon, first: Any) -> list[Any]:
    seen: list[Any] = []
    page = first
    while page:
        seen.extend(page)
        page = api.fetch_next(page)
    return seen


def live_root(statuses: list[Status]) -> Status:
    return next(
        s for s in tagged(statuses) if s["account"]["username"] == "rhiannon" and "keynote" in s["content"]
    )


def uris(statuses: list[Any]) -> list[str]:
    return [s["uri"] for s in statuses]


# --- the example event's data ---------------------------------------------------------------


def test_example_event_shape(event: dict[str, list[Status]]) -> None:
    assert set(event) == {MEDLIBS, GLAM}
    assert len(event[MEDLIBS]) == 28
    assert len(event[GLAM]) == 16
    for base, statuses in event.items():
        host = urlsplit(base).hostname
        ids = [s["id"] for s in statuses]
        assert len(ids) == len(set(ids))
        for status in statuses:
            assert status["tags"] == [] or {t["name"] for t in status["tags"]} == {"ukmedlibs"}
            for tag in status["tags"]:
                assert tag["url"] == f"https://{host}/tags/ukmedlibs"
            parent = status["in_reply_to_id"]
            assert parent is None or parent in ids
            # An id is a snowflake of the post's own time.
            assert int(status["id"]) >> 16 == round(created(status).timestamp() * 1000)
    shared = set(uris(event[MEDLIBS])) & set(uris(event[GLAM]))
    assert len(shared) == 12
    for uri in shared:
        here, there = by_key(event[MEDLIBS])[uri], by_key(event[GLAM])[uri]
        assert here["id"] != there["id"]


def test_every_url_in_the_example_is_on_an_example_domain(event: dict[str, list[Status]]) -> None:
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", json.dumps(event)))
    assert hosts
    assert all(host.endswith(".example") for host in hosts), hosts


# --- tag timeline ---------------------------------------------------------------------------


def test_paging_the_tag_timeline_gives_every_tagged_status_once(
    medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    api = client(medlibs)
    seen = all_pages(api, api.timeline_hashtag("ukmedlibs", limit=3))

    ids = [int(s["id"]) for s in seen]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(set(ids))
    assert sorted(uris(seen)) == sorted(uris(tagged(event[MEDLIBS])))
    assert len(seen) == 10
    # Untagged continuations and the untagged stray post are not in the timeline.
    assert all(s["tags"] for s in seen)
    # The window's edges: one tagged post the day before, one the day after.
    outside = [s for s in seen if not WINDOW[0] <= created(s) < WINDOW[1]]
    assert sorted(created(s).date().isoformat() for s in outside) == ["2026-06-09", "2026-06-13"]
    # Each page followed the Link header: limit kept, max_id the last id of the previous page.
    pages = [r for r in medlibs.requests if r.path.startswith("/api/v1/timelines/tag/")]
    assert len(pages) == 5  # 3 + 3 + 3 + 1, then an empty page
    assert all(r.query["limit"] == ["3"] for r in pages)
    assert pages[1].query["max_id"] == [str(ids[2])]


def test_glam_timeline_holds_its_own_and_followed_posts(
    glam: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    api = client(glam)
    seen = all_pages(api, api.timeline_hashtag("ukmedlibs"))
    assert len(seen) == 6
    accts = {s["account"]["acct"] for s in seen}
    assert accts == {
        "amara",
        "dafydd",
        "priya@medlibs.example",
        "rhiannon@medlibs.example",
        "ukmedlibsconf@medlibs.example",
    }
    medlibs_uris = set(uris(event[MEDLIBS]))
    assert sum(uri in medlibs_uris for uri in uris(seen)) == 4


@pytest.mark.parametrize("typed", ["UKMedLibs", "UKMEDLIBS", "ukmedlibs"])
def test_tag_matches_in_any_case(medlibs: ReplayServer, client: ClientFactory, typed: str) -> None:
    api = client(medlibs)
    seen = all_pages(api, api.timeline_hashtag(typed, limit=40))
    assert len(seen) == 10
    assert api.timeline_hashtag("nosuchtag") == []


def test_link_header_is_mastodons(medlibs: ReplayServer, event: dict[str, list[Status]]) -> None:
    newest_first = sorted(tagged(event[MEDLIBS]), key=lambda s: int(s["id"]), reverse=True)
    base = f"{medlibs.url}/api/v1/timelines/tag/UKMedLibs"
    with requests.get(f"{base}?limit=4", timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["Link"] == (
            f'<{base}?limit=4&max_id={newest_first[3]["id"]}>; rel="next", '
            f'<{base}?limit=4&min_id={newest_first[0]["id"]}>; rel="prev"'
        )
        assert response.headers["X-RateLimit-Limit"] == "300"
        assert int(response.headers["X-RateLimit-Remaining"]) > 0
        assert response.headers["X-RateLimit-Reset"].endswith("Z")
        assert [s["id"] for s in response.json()] == [s["id"] for s in newest_first[:4]]
    # An empty page carries no Link header.
    with requests.get(f"{base}?max_id={newest_first[-1]['id']}", timeout=5) as response:
        assert response.json() == []
        assert "Link" not in response.headers


def test_min_id_returns_the_oldest_page_above_it(
    medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    oldest_first = sorted(tagged(event[MEDLIBS]), key=lambda s: int(s["id"]))
    api = client(medlibs)

    page = api.timeline_hashtag("ukmedlibs", min_id=oldest_first[0]["id"], limit=3)
    assert [s["id"] for s in page] == [s["id"] for s in reversed(oldest_first[1:4])]

    # Paging forward (towards newer posts) with fetch_previous reaches the newest post.
    forward: list[Any] = []
    while page:
        forward.extend(page)
        page = api.fetch_previous(page)
    assert sorted(int(s["id"]) for s in forward) == [int(s["id"]) for s in oldest_first[1:]]


def test_since_id_returns_the_newest_page_above_it(
    medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    newest_first = sorted(tagged(event[MEDLIBS]), key=lambda s: int(s["id"]), reverse=True)
    api = client(medlibs)
    page = api.timeline_hashtag("ukmedlibs", since_id=newest_first[-1]["id"], limit=3)
    assert [s["id"] for s in page] == [s["id"] for s in newest_first[:3]]


def test_limit_defaults_to_20_and_is_capped_at_40(
    event: dict[str, list[Status]], client: ClientFactory
) -> None:
    template = tagged(event[MEDLIBS])[0]
    start = datetime(2026, 6, 10, 9, tzinfo=UTC)
    many = []
    for n in range(50):
        status = copy.deepcopy(template)
        status["id"] = snowflake_id(start + timedelta(minutes=n))
        status["uri"] = f"https://medlibs.example/users/x/statuses/{status['id']}"
        many.append(status)
    with serve_mastodon(many) as server:
        api = client(server)
        assert len(api.timeline_hashtag("ukmedlibs")) == 20
        assert len(api.timeline_hashtag("ukmedlibs", limit=100)) == 40
        assert len(all_pages(api, api.timeline_hashtag("ukmedlibs", limit=40))) == 50


def test_non_ascii_tags(event: dict[str, list[Status]], client: ClientFactory) -> None:
    status = copy.deepcopy(tagged(event[MEDLIBS])[0])
    status["tags"] = [{"name": "bibliothèque", "url": "https://medlibs.example/tags/bibliothèque"}]
    with serve_mastodon([status]) as server:
        api = client(server)
        assert uris(api.timeline_hashtag("Bibliothèque")) == [status["uri"]]
        assert server.requests[-1].path == "/api/v1/timelines/tag/Bibliothèque"


def test_only_public_statuses_are_in_the_tag_timeline(
    event: dict[str, list[Status]], client: ClientFactory
) -> None:
    statuses = copy.deepcopy(tagged(event[MEDLIBS])[:3])
    statuses[0]["visibility"] = "unlisted"
    statuses[1]["visibility"] = "private"
    with serve_mastodon(statuses) as server:
        api = client(server)
        assert uris(api.timeline_hashtag("ukmedlibs")) == [statuses[2]["uri"]]
        assert api.status(statuses[0]["id"])["uri"] == statuses[0]["uri"]
        with pytest.raises(MastodonNotFoundError):
            api.status(statuses[1]["id"])


# --- statuses and context -------------------------------------------------------------------


def test_status_by_id(medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory) -> None:
    api = client(medlibs)
    root = live_root(event[MEDLIBS])
    fetched = api.status(root["id"])
    assert fetched["uri"] == root["uri"]
    assert fetched["content"] == root["content"]


def test_unknown_status_is_404(medlibs: ReplayServer, client: ClientFactory) -> None:
    api = client(medlibs)
    with pytest.raises(MastodonNotFoundError, match="Record not found"):
        api.status("1")
    with pytest.raises(MastodonNotFoundError):
        api.status_context("1")
    with requests.get(f"{medlibs.url}/api/v1/statuses/1", timeout=5) as response:
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    with requests.get(f"{medlibs.url}/api/v1/accounts/1/statuses", timeout=5) as response:
        assert response.status_code == 404
        assert "error" in response.json()


def test_context_of_the_live_thread(
    medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    statuses = event[MEDLIBS]
    root = live_root(statuses)
    api = client(medlibs)
    context = api.status_context(root["id"])
    assert context["ancestors"] == []
    descendants = context["descendants"]
    assert len(descendants) == 14
    authors = [s["account"]["acct"] for s in descendants]
    # Depth first, replies by id ascending: Rhiannon's eleven continuations first (each is the
    # oldest reply to its parent), then Tomasz's reply to post 8, then Dafydd's reply to post 5
    # and Rhiannon's answer to it.
    assert authors == ["rhiannon"] * 11 + ["tomasz", "dafydd@glam.example", "rhiannon"]
    chain = descendants[:11]
    assert chain[0]["in_reply_to_id"] == root["id"]
    for parent, child in itertools.pairwise(chain):
        assert child["in_reply_to_id"] == parent["id"]
    tomasz, dafydd, answer = descendants[11:]
    assert tomasz["in_reply_to_id"] == chain[6]["id"]  # post 8
    assert dafydd["in_reply_to_id"] == chain[3]["id"]  # post 5
    assert answer["in_reply_to_id"] == dafydd["id"]
    assert not any(s["tags"] for s in descendants)

    last = chain[-1]
    ancestors = api.status_context(last["id"])["ancestors"]
    assert uris(ancestors) == [root["uri"], *uris(chain[:-1])]


def test_the_live_thread_is_partial_on_glam(
    glam: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    root = live_root(event[GLAM])
    medlibs_root = live_root(event[MEDLIBS])
    assert root["uri"] == medlibs_root["uri"]
    assert root["id"] != medlibs_root["id"]
    api = client(glam)
    descendants = api.status_context(root["id"])["descendants"]
    assert [s["account"]["acct"] for s in descendants] == [
        "rhiannon@medlibs.example",
        "rhiannon@medlibs.example",
        "rhiannon@medlibs.example",
        "rhiannon@medlibs.example",
        "dafydd",
        "rhiannon@medlibs.example",
    ]


def test_context_of_a_nested_reply(
    medlibs: ReplayServer, event: dict[str, list[Status]], client: ClientFactory
) -> None:
    question = next(s for s in tagged(event[MEDLIBS]) if "hive mind" in s["content"])
    api = client(medlibs)
    replies = api.status_context(question["id"])["descendants"]
    assert [s["account"]["acct"] for s in replies] == [
        "fiona@glam.example",
        "tomasz",
        "jdoyle",
        "slidesharer@freeslides.example",
    ]
    nested = replies[1]
    ancestors = api.status_context(nested["id"])["ancestors"]
    assert uris(ancestors) == [question["uri"], replies[0]["uri"]]
    assert "<script>" in replies[3]["content"]


def test_context_survives_cycles_and_missing_parents(
    event: dict[str, list[Status]], client: ClientFactory
) -> None:
    a, b, c = copy.deepcopy(tagged(event[MEDLIBS])[:3])
    a["in_reply_to_id"], b["in_reply_to_id"] = b["id"], a["id"]  # a cycle
    c["in_reply_to_id"] = "999"  # a parent this instance never saw
    with serve_mastodon([a, b, c]) as server:
        api = client(server)
        assert uris(api.status_context(a["id"])["ancestors"]) == [b["uri"]]
        assert uris(api.status_context(a["id"])["descendants"]) == [b["uri"]]
        assert api.status_context(c["id"])["ancestors"] == []


def test_instance_documents(medlibs: ReplayServer) -> None:
    for version in ("v1", "v2"):
        with requests.get(f"{medlibs.url}/api/{version}/instance/", timeout=5) as response:
            document = response.json()
            assert document["version"] == "4.3.0"
            assert document.get("domain", document.get("uri")) == "medlibs.example"


# --- authentication -------------------------------------------------------------------------


def test_token_is_required_when_set(event: dict[str, list[Status]], client: ClientFactory) -> None:
    root = live_root(event[MEDLIBS])
    with serve_mastodon(event[MEDLIBS], token="s3cret") as server:
        # (Mastodon.py reads the error message only where it expects an object, not a list.)
        with pytest.raises(MastodonUnauthorizedError, match="The access token is invalid"):
            client(server).status(root["id"])
        with pytest.raises(MastodonUnauthorizedError):
            client(server).timeline_hashtag("ukmedlibs")
        with pytest.raises(MastodonUnauthorizedError):
            client(server, access_token="wrong").timeline_hashtag("ukmedlibs")
        page = client(server, access_token="s3cret").timeline_hashtag("ukmedlibs")
        assert len(page) == 10
        assert server.requests[-1].headers["authorization"] == "Bearer s3cret"


# --- faults ---------------------------------------------------------------------------------


def test_a_503_is_seen_once_then_the_server_recovers(
    event: dict[str, list[Status]], client: ClientFactory
) -> None:
    fault = Fault(path=r"/timelines/tag/", kind="status", status=503)
    with serve_mastodon(event[MEDLIBS], faults=[fault]) as server:
        api = client(server)
        with pytest.raises(MastodonServiceUnavailableError):
            api.timeline_hashtag("ukmedlibs")
        assert len(api.timeline_hashtag("ukmedlibs")) == 10
        tag_requests = [r for r in server.requests if "/timelines/tag/" in r.path]
        assert len(tag_requests) == 2


def test_a_429_carries_retry_after_and_rate_limit_headers(
    medlibs: ReplayServer, client: ClientFactory
) -> None:
    medlibs.add_fault(Fault(path="/timelines/tag/", kind="status", status=429, retry_after=2))
    medlibs.add_fault(Fault(path="/timelines/tag/", kind="status", status=429, retry_after=7))
    with requests.get(f"{medlibs.url}/api/v1/timelines/tag/ukmedlibs", timeout=5) as response:
        assert response.status_code == 429
        assert response.json() == {"error": "Too many requests"}
        assert response.headers["Retry-After"] == "2"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        reset = datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
        assert timedelta(0) < reset - datetime.now(UTC) <= timedelta(seconds=3)
    api = client(medlibs)
    with pytest.raises(MastodonRatelimitError):
        api.timeline_hashtag("ukmedlibs")
    assert len(api.timeline_hashtag("ukmedlibs")) == 10


def test_faults_apply_in_order_and_count_down(medlibs: ReplayServer) -> None:
    medlibs.add_fault(Fault(path=r"^/api/v1/statuses/", kind="status", status=502, times=2))
    medlibs.add_fault(Fault(path=r"/api/v1/statuses/", kind="status", status=500))
    statuses = []
    for _ in range(4):
        with requests.get(f"{medlibs.url}/api/v1/statuses/1", timeout=5) as response:
            statuses.append(response.status_code)
    assert statuses == [502, 502, 500, 404]
    with requests.get(f"{medlibs.url}/api/v2/instance", timeout=5) as response:
        assert response.status_code == 200


def test_a_dropped_connection_is_a_network_error(
    event: dict[str, list[Status]], client: ClientFactory
) -> None:
    fault = Fault(path="/timelines/tag/", kind="drop")
    with serve_mastodon(event[MEDLIBS], faults=[fault]) as server:
        api = client(server)
        with pytest.raises(MastodonNetworkError):
            api.timeline_hashtag("ukmedlibs")
        assert len(api.timeline_hashtag("ukmedlibs")) == 10


def test_a_delay_makes_the_client_time_out(event: dict[str, list[Status]], client: ClientFactory) -> None:
    fault = Fault(path="/timelines/tag/", kind="delay", seconds=5)
    with serve_mastodon(event[MEDLIBS], faults=[fault]) as server:
        api = client(server, request_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(MastodonNetworkError):
            api.timeline_hashtag("ukmedlibs")
        assert time.monotonic() - started < 3
        assert len(api.timeline_hashtag("ukmedlibs")) == 10


def test_latency_is_added_to_every_request(event: dict[str, list[Status]]) -> None:
    with serve_mastodon(event[MEDLIBS], latency=0.2) as server:
        started = time.monotonic()
        with requests.get(f"{server.url}/api/v2/instance", timeout=5) as response:
            assert response.status_code == 200
        assert time.monotonic() - started >= 0.2


def test_the_request_log_records_every_call(event: dict[str, list[Status]], client: ClientFactory) -> None:
    root = live_root(event[MEDLIBS])
    fault = Fault(path=r"/context$", kind="status", status=500)
    with serve_mastodon(event[MEDLIBS], faults=[fault]) as server:
        api = client(server)
        api.timeline_hashtag("UKMedLibs", limit=5)
        with pytest.raises(MastodonInternalServerError):
            api.status_context(root["id"])
        api.status_context(root["id"])
        assert [(r.method, r.path, r.query) for r in server.requests] == [
            ("GET", "/api/v2/instance/", {}),
            ("GET", "/api/v1/timelines/tag/UKMedLibs", {"limit": ["5"]}),
            ("GET", f"/api/v1/statuses/{root['id']}/context", {}),
            ("GET", f"/api/v1/statuses/{root['id']}/context", {}),
        ]
        assert all(isinstance(r, Request) for r in server.requests)
        assert server.requests[1].headers["host"] == urlsplit(server.url).netloc


def test_a_failing_handler_answers_500() -> None:
    def broken(request: Request, base_url: str) -> Response:
        raise RuntimeError("boom")

    with ReplayServer(broken) as server, requests.get(f"{server.url}/x", timeout=5) as response:
        assert response.status_code == 500
        assert "boom" in response.json()["error"]


def test_the_server_is_reusable_after_close(event: dict[str, list[Status]]) -> None:
    server = serve_mastodon(event[GLAM])
    with pytest.raises(RuntimeError):
        _ = server.url
    for _ in range(2):
        server.start()
        with requests.get(f"{server.url}/api/v2/instance", timeout=5) as response:
            assert response.json()["domain"] == "glam.example"
        server.close()
    server.close()


def test_snowflake_ids_follow_mastodon() -> None:
    moment = datetime(2026, 6, 10, 9, 15, tzinfo=UTC)
    assert int(snowflake_id(moment)) == int(moment.timestamp() * 1000) << 16
    assert int(snowflake_id(moment, 7)) - int(snowflake_id(moment)) == 7
    with pytest.raises(ValueError, match="timezone"):
        snowflake_id(datetime(2026, 6, 10))
    with pytest.raises(ValueError, match="sequence"):
        snowflake_id(moment, 1 << 16)


# --- the real recordings --------------------------------------------------------------------


def real_status_lists() -> list[Path]:
    if not REAL_MASTODON.is_dir():
        return []
    found = []
    for path in sorted(REAL_MASTODON.glob("*.json")):
        if path.name.endswith(".meta.json"):
            continue
        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, list) and body and all("uri" in s and "account" in s for s in body):
            found.append(path)
    return found


def test_the_real_recordings_include_tag_timeline_pages() -> None:
    names = [path.name for path in real_status_lists()]
    assert sum("tag_timeline_page" in name for name in names) == 3


@pytest.mark.parametrize("path", real_status_lists(), ids=lambda p: p.stem)
def test_every_recorded_status_list_can_be_served_and_paged(path: Path, client: ClientFactory) -> None:
    statuses = json.loads(path.read_text(encoding="utf-8"))
    with serve_mastodon(statuses) as server:
        api = client(server)
        for status in statuses:
            assert api.status(status["id"])["uri"] == status["uri"]
        tags = {tag["name"] for status in statuses for tag in status["tags"]}
        for tag in tags:
            seen = all_pages(api, api.timeline_hashtag(tag, limit=4))
            expected = sorted(tagged(statuses, tag), key=lambda s: int(s["id"]), reverse=True)
            assert [s["id"] for s in seen] == [s["id"] for s in expected]


def test_the_recorded_tag_timeline_exchange_is_reproduced(client: ClientFactory) -> None:
    """The server, given the recorded statuses, answers each recorded request as Mastodon did."""
    pages = ["page1", "page2_max_id", "page3_max_id"]
    statuses: list[Status] = []
    for page in pages:
        statuses += json.loads((REAL_MASTODON / f"pagination_iterator__tag_timeline_{page}.json").read_text())
    exchanges = sorted(REAL_MASTODON.glob("pagination_iterator__tag_timeline_*.meta.json"))
    assert len(exchanges) == 5
    with serve_mastodon(statuses) as server:
        for meta_path in exchanges:
            meta = json.loads(meta_path.read_text())
            recorded_uri = urlsplit(meta["request"]["uri"])
            recorded_base = f"{recorded_uri.scheme}://{recorded_uri.netloc}"
            recorded_body = json.loads(
                meta_path.with_name(meta_path.name.replace(".meta.json", ".json")).read_text()
            )
            url = f"{server.url}{recorded_uri.path}?{recorded_uri.query}"
            with requests.get(url, timeout=5) as response:
                assert response.status_code == meta["status"]
                assert [s["id"] for s in response.json()] == [s["id"] for s in recorded_body]
                recorded_link = meta["headers"].get("link")
                if recorded_link is None:
                    assert "Link" not in response.headers
                else:
                    assert response.headers["Link"] == recorded_link.replace(recorded_base, server.url)
