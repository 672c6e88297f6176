"""Bluesky post views (app.bsky.feed.defs#postView) parsed into Posts. Pure: no network, no clock."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from confthread.models import Author, Counts, Link, Media, Post

OPT_OUT_LABEL = "!no-unauthenticated"
_TYPED_TAG = re.compile(r"(?<![\w&#])#(\w+)")
# Self-labels an author puts on a post; shown as a content warning in front of it.
WARNING_LABELS = {
    "graphic-media": "graphic media",
    "nudity": "nudity",
    "sexual": "sexual content",
    "porn": "adult content",
    "gore": "graphic media",
}

View = Mapping[str, Any]


def web_url(uri: str) -> str:
    """The bsky.app page of an at:// post uri; by DID, since handles change."""
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def parse_author(author: View) -> Author:
    labels = {str(label.get("val")) for label in author.get("labels") or ()}
    did = str(author["did"])
    return Author(
        platform="bluesky",
        id=did,
        handle="@" + str(author.get("handle") or did),
        name=author.get("displayName") or None,
        url=f"https://bsky.app/profile/{did}",
        avatar=author.get("avatar") or None,
        opted_out=OPT_OUT_LABEL in labels,
    )


def parse_post_view(view: View) -> Post:
    record: Mapping[str, Any] = view.get("record") or {}
    text = str(record.get("text") or "")
    facets = list(record.get("facets") or ())
    embed: Mapping[str, Any] = view.get("embed") or {}
    self_labels = [str(v.get("val")) for v in (record.get("labels") or {}).get("values") or ()]
    return Post(
        platform="bluesky",
        uri=str(view["uri"]),
        url=web_url(str(view["uri"])),
        author=parse_author(view["author"]),
        created_at=_created_at(record, view),
        text=text,
        html=facets_to_html(text, facets),
        reply_to=((record.get("reply") or {}).get("parent") or {}).get("uri"),
        quote_of=_quoted_uri(embed),
        media=tuple(_media(embed)),
        tags=tuple(dict.fromkeys(tag.casefold() for tag in _tags(record, facets, text))),
        language=(record.get("langs") or [None])[0],
        content_warning=", ".join(
            dict.fromkeys(WARNING_LABELS[v] for v in self_labels if v in WARNING_LABELS)
        ),
        links=_links(embed, facets),
        counts=Counts(
            replies=int(view.get("replyCount") or 0),
            reposts=int(view.get("repostCount") or 0),
            likes=int(view.get("likeCount") or 0),
            quotes=int(view.get("quoteCount") or 0),
        ),
        labels=tuple(str(label.get("val")) for label in view.get("labels") or ()),
        original_url=record.get("bridgyOriginalUrl") or None,
    )


def mentions_tag(post: Post, tag: str) -> bool:
    """The tag however the post carries it: a facet, `record.tags`, or '#tag' typed without a facet."""
    return tag.casefold() in post.tags


def _created_at(record: Mapping[str, Any], view: View) -> datetime:
    """The author's clock, read as UTC when it names no zone; the index time when it is unreadable."""
    for value in (record.get("createdAt"), view.get("indexedAt")):
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValueError(f"post {view.get('uri')} has no readable time")


def facets_to_html(text: str, facets: list[Mapping[str, Any]]) -> str:
    """Escaped text with links made from facets; facet offsets count UTF-8 bytes, not characters."""
    data = text.encode()
    parts: list[str] = []
    position = 0
    spans = sorted(
        ((int(f["index"]["byteStart"]), int(f["index"]["byteEnd"]), f) for f in facets if "index" in f),
        key=lambda span: span[0],
    )
    for start, end, facet in spans:
        if start < position or end > len(data) or start >= end:
            continue  # overlapping or out of range: broken facets are shown as plain text
        parts.append(_escape(data[position:start]))
        label = _escape(data[start:end])
        href = _facet_href(facet)
        parts.append(f'<a href="{html.escape(href)}">{label}</a>' if href else label)
        position = end
    parts.append(_escape(data[position:]))
    paragraphs = "".join(parts).split("\n\n")
    return "".join(f"<p>{paragraph.replace(chr(10), '<br>')}</p>" for paragraph in paragraphs)


def _escape(chunk: bytes) -> str:
    return html.escape(chunk.decode(errors="replace"), quote=False)


def _facet_href(facet: Mapping[str, Any]) -> str | None:
    for feature in facet.get("features") or ():
        kind = str(feature.get("$type", ""))
        if kind.endswith("#link"):
            return str(feature.get("uri"))
        if kind.endswith("#mention"):
            return f"https://bsky.app/profile/{feature.get('did')}"
        if kind.endswith("#tag"):
            return f"https://bsky.app/hashtag/{feature.get('tag')}"
    return None


def _features(facets: list[Mapping[str, Any]], suffix: str) -> Iterator[Mapping[str, Any]]:
    for facet in facets:
        for feature in facet.get("features") or ():
            if str(feature.get("$type", "")).endswith(suffix):
                yield feature


def _tags(record: Mapping[str, Any], facets: list[Mapping[str, Any]], text: str) -> Iterator[str]:
    """Search indexes only facets and `record.tags`; a '#Tag' typed without a facet is a tag all the same."""
    yield from (str(feature.get("tag")) for feature in _features(facets, "#tag"))
    yield from (str(tag) for tag in record.get("tags") or ())
    yield from _TYPED_TAG.findall(text)


def _links(embed: Mapping[str, Any], facets: list[Mapping[str, Any]]) -> tuple[Link, ...]:
    """The link card first, with its title; then links in the text."""
    links: dict[str, Link] = {}
    external = _external(embed)
    if external and external.get("uri"):
        url = str(external["uri"])
        links[url] = Link(
            url,
            external.get("title") or None,
            external.get("description") or None,
            external.get("thumb") or None,
        )
    for feature in _features(facets, "#link"):
        url = str(feature.get("uri"))
        if url.startswith(("http://", "https://")):
            links.setdefault(url, Link(url))
    return tuple(links.values())


def _external(embed: Mapping[str, Any]) -> Mapping[str, Any] | None:
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.external"):
        return embed.get("external")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _external(embed.get("media") or {})
    return None


def _quoted_uri(embed: Mapping[str, Any]) -> str | None:
    kind = str(embed.get("$type", ""))
    record = embed.get("record") or {}
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        record = record.get("record") or {}
    elif not kind.startswith("app.bsky.embed.record"):
        return None
    uri = record.get("uri")
    # Only posts: a quoted feed, list or starter pack is not a post of the digest.
    return str(uri) if uri and "/app.bsky.feed.post/" in str(uri) else None


def _media(embed: Mapping[str, Any]) -> Iterator[Media]:
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.images"):
        for image in embed.get("images") or ():
            yield Media(
                url=str(image.get("fullsize") or image.get("thumb")),
                alt=str(image.get("alt") or ""),
                kind="image",
                preview_url=image.get("thumb"),
            )
    elif kind.startswith("app.bsky.embed.video"):
        yield Media(
            url=str(embed.get("playlist") or embed.get("thumbnail")),
            alt=str(embed.get("alt") or ""),
            kind="video",
            preview_url=embed.get("thumbnail"),
        )
    elif kind.startswith("app.bsky.embed.recordWithMedia"):
        yield from _media(embed.get("media") or {})


def thread_views(node: Mapping[str, Any]) -> tuple[list[View], list[str]]:
    """Every post view in a getPostThread tree, parents and replies, and the uris reported gone.

    Blocked posts are neither: we cannot see them, and they are not ours to show. Walks iteratively,
    since a parent chain can be hundreds of posts long.
    """
    views: list[View] = []
    gone: list[str] = []
    stack: list[tuple[Mapping[str, Any], bool, bool]] = [(node, True, True)]
    while stack:
        current, go_up, go_down = stack.pop()
        kind = str(current.get("$type", ""))
        if current.get("notFound") or kind.endswith("#notFoundPost"):
            gone.append(str(current.get("uri")))
            continue
        if "post" not in current or current.get("blocked") or kind.endswith("#blockedPost"):
            continue
        views.append(current["post"])
        if go_up and current.get("parent"):
            stack.append((current["parent"], True, False))
        if go_down:
            stack.extend((reply, False, True) for reply in current.get("replies") or ())
    return views, gone
