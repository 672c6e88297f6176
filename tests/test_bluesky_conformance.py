"""The Bluesky parser accepts every real recorded response in shared/real-api, and reads it right."""

from __future__ import annotations

from typing import Any

import pytest

from confthread.sources.bluesky_parse import facets_to_html, mentions_tag, parse_post_view, thread_views
from tests.realapi import original, recordings

RECORDED = recordings("bluesky")


def views_in(body: Any) -> list[dict[str, Any]]:
    if "posts" in body:
        return list(body["posts"])
    if "thread" in body:
        return thread_views(body["thread"])[0]
    return []


@pytest.mark.parametrize("name", sorted(name for name, body in RECORDED.items() if views_in(body)))
def test_every_recorded_post_parses(name: str) -> None:
    views = views_in(RECORDED[name])
    assert views
    for view in views:
        post = parse_post_view(view)
        assert post.uri == view["uri"] and post.uri.startswith("at://")
        assert post.url is not None and post.url.startswith("https://bsky.app/profile/did:")
        assert post.author.id.startswith("did:") and post.author.handle.startswith("@")
        assert post.created_at.utcoffset() is not None
        assert post.text == view["record"]["text"]
        assert post.counts.likes == view.get("likeCount", 0)


def test_search_recording_reads_replies_quotes_images_cards_tags_and_opt_outs() -> None:
    body = RECORDED["bskyr__searchPosts__q_redistricting.json"]
    posts = [parse_post_view(view) for view in body["posts"]]
    assert sum(post.reply_to is not None for post in posts) == 12
    assert sum(post.quote_of is not None for post in posts) == 2
    assert sum(1 for post in posts for media in post.media if media.kind == "image") >= 4
    cards = [
        view["embed"]["external"]
        for view in body["posts"]
        if view.get("embed", {}).get("$type") == "app.bsky.embed.external#view"
    ]
    assert len(cards) == 4
    assert [p.links[0].url for p in posts if p.links and p.links[0].url in {c["uri"] for c in cards}] == [
        c["uri"] for c in cards
    ]
    assert all(
        p.links[0].title == (c["title"] or None)
        for p, c in zip(
            [p for p in posts if p.links and p.links[0].url in {c["uri"] for c in cards}], cards, strict=True
        )
    )
    assert sum(post.author.opted_out for post in posts) == 4
    assert any("txlege" in post.tags for post in posts)
    # A labeler's label is not the author's opt-out.
    rude = [
        post
        for post, view in zip(posts, body["posts"], strict=True)
        if any(label["val"] == "rude" for label in view["author"]["labels"])
    ]
    assert rude and not any(post.author.opted_out for post in rude)


def test_hashtags_typed_without_facets_still_count() -> None:
    body = RECORDED["bskyr__getPostThread__single_post_images.json"]
    [view], _ = thread_views(body["thread"])
    post = parse_post_view(view)
    assert not any(f["features"][0]["$type"].endswith("#tag") for f in view["record"].get("facets", []))
    assert {"rstats", "rgov"} <= set(post.tags)
    assert mentions_tag(post, "rstats") and mentions_tag(post, "RGov")
    assert not mentions_tag(post, "rst")
    assert [media.alt for media in post.media] == [image["alt"] for image in view["embed"]["images"]]


def test_a_long_parent_chain_with_a_blocked_end_is_walked_without_error() -> None:
    body = original(
        "bluesky",
        "atproto.dart__packages__bluesky__test__src__services__suite__app__bsky__feed__getPostThread.json",
    )
    views, gone = thread_views(body["thread"])
    assert len(views) >= 50 and not gone
    assert len({view["uri"] for view in views}) == len(views)


def test_record_with_media_gives_the_quote_and_the_images() -> None:
    body = original(
        "bluesky",
        "MarshalX-atproto__tests__test_atproto_client__models__test_data__thread_view_post_with_embed_media.json",
    )
    views, _ = thread_views(body.get("thread", body))
    post = parse_post_view(views[0])
    assert post.quote_of is not None and post.quote_of.startswith("at://")
    assert post.media


def test_facet_offsets_count_utf8_bytes_and_text_is_escaped() -> None:
    text = "Café <b> #Tag https://x.example"
    data = text.encode()
    tag_start = data.index(b"#Tag")
    link_start = data.index(b"https")
    facets = [
        {
            "index": {"byteStart": tag_start, "byteEnd": tag_start + 4},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Tag"}],
        },
        {
            "index": {"byteStart": link_start, "byteEnd": len(data)},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example"}],
        },
    ]
    assert facets_to_html(text, facets) == (
        '<p>Café &lt;b&gt; <a href="https://bsky.app/hashtag/Tag">#Tag</a> '
        '<a href="https://x.example">https://x.example</a></p>'
    )
