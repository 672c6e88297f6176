"""One link, one address: `link_key` reads common addresses without urlsplit, and must agree with it."""

from __future__ import annotations

import pytest

from confthread.links import link_key


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTP://Example.ORG/Talks/", "https://example.org/Talks"),
        (" https://example.org ", "https://example.org"),
        ("https://example.org//", "https://example.org"),
        ("https://bücher.example/ä/", "https://bücher.example/ä"),
        # What the plain reading leaves to urlsplit: queries, ports, users, stray tabs and newlines.
        ("https://example.org/a?utm_source=x&id=3#top", "https://example.org/a?id=3"),
        ("https://Example.org:8443/a/", "https://example.org:8443/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://ada@example.org/a", "https://example.org/a"),
        ("ht\ttps://example.org/a", "https://example.org/a"),
        ("https://exa\nmple.org/a/", "https://example.org/a"),
        # No web address.
        ("at://did:plc:abc/app.bsky.feed.post/1", None),
        ("mailto:ada@example.org", None),
        ("example.org/a", None),
        ("https://[::1/a", None),
        ("https:///a", None),
    ],
)
def test_link_key_is_the_address_a_link_stands_for(url: str, key: str | None) -> None:
    assert link_key(url) == key
