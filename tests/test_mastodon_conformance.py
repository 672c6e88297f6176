"""The Mastodon parser accepts every real recorded response in shared/real-api, and reads it right."""

from __future__ import annotations

from typing import Any

import pytest

from confthread.sources.mastodon import is_archivable, parse_status
from tests.realapi import recordings

RECORDED = recordings("mastodon")


def statuses_in(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict) and "account" in item]
    if isinstance(body, dict) and "ancestors" in body:
        return [*body["ancestors"], *body["descendants"]]
    if isinstance(body, dict) and "account" in body and "uri" in body:
        return [body]
    return []


STATUS_FILES = {name: statuses_in(body) for name, body in RECORDED.items() if statuses_in(body)}


def test_the_corpus_is_there() -> None:
    assert sum(len(found) for found in STATUS_FILES.values()) >= 40


@pytest.mark.parametrize("name", sorted(STATUS_FILES))
def test_every_recorded_status_parses(name: str) -> None:
    batch = STATUS_FILES[name]
    uris = {status["id"]: status["uri"] for status in batch}
    for status in batch:
        post = parse_status(status, instance="https://mastodon.social", uris=uris)
        assert post.uri == status["uri"]
        assert post.created_at.utcoffset() is not None
        assert post.author.handle.count("@") == 2
        assert "<" not in post.text
        assert [m.alt for m in post.media] == [a["description"] or "" for a in status["media_attachments"]]
        assert post.tags == tuple(t["name"].lower() for t in status["tags"])
        if status["in_reply_to_id"] in uris:
            assert post.reply_to == uris[status["in_reply_to_id"]]


def test_context_resolves_parents_and_honours_noindex() -> None:
    body = RECORDED["entity_context__mastodon.social_context.json"]
    batch = statuses_in(body)
    # The context leaves out the status it was asked about; the archive supplies its uri.
    focal = "https://mastodon.social/users/halcy/statuses/110446983926957470"
    uris = {status["id"]: status["uri"] for status in batch} | {"110446983926957470": focal}
    parsed = [parse_status(s, instance="https://mastodon.social", uris=uris) for s in batch]
    assert [p.reply_to for p in parsed] == [None, focal]
    noindex = [p for s, p in zip(batch, parsed, strict=True) if s["account"].get("noindex")]
    assert noindex and all(p.author.opted_out for p in noindex)
    # Followers-only posts are never archived, whatever a token lets us see.
    assert not any(is_archivable(s) for s in batch if s["visibility"] == "private")


def test_remote_status_keeps_its_origin_uri_alt_text_and_handle() -> None:
    status = RECORDED["entity_status__mastodon.social_remote_status_hashtag_gifv_alt.json"]
    post = parse_status(status, instance="https://mastodon.social", uris={})
    assert post.author.handle == "@halcy@icosahedron.website"
    assert post.uri != status["id"] and "icosahedron.website" in post.uri
    assert post.media[0].kind == "gifv" and post.media[0].alt
    assert post.tags == ("thisisahashtag",)


def test_quote_points_at_the_quoted_post_and_drops_the_fallback_line() -> None:
    status = RECORDED["status_reply_with_quote__localhost_quote_accepted.json"]
    post = parse_status(status, instance="http://localhost:3000", uris={})
    assert post.quote_of == status["quote"]["quoted_status"]["uri"]
    assert "RE:" not in post.text and "quote-inline" not in post.html
    assert post.text.endswith("yoooo check this out")
    assert post.author.handle == "@mastodonpy_test@localhost"


def test_link_cards_and_counts_are_kept() -> None:
    status = RECORDED["entity_previewcard__mastodon.social_status_with_card.json"]
    post = parse_status(status, instance="https://mastodon.social", uris={})
    card = status["card"]
    assert post.links[0].url == card["url"]
    assert post.links[0].title == card["title"]
    assert post.counts.likes == status["favourites_count"]
    assert post.counts.reposts == status["reblogs_count"]
    assert all(link.url.startswith("http") for link in post.links)
