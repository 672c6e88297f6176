"""Small builders for model objects, so tests say only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from confthread.models import Author, Media, Post

START = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def author(name: str, *, opted_out: bool = False) -> Author:
    return Author(
        platform="mastodon",
        id=f"https://social.example/users/{name}",
        handle=f"@{name}@social.example",
        name=name.title(),
        opted_out=opted_out,
    )


def post(
    uri: str,
    by: str = "ada",
    minute: int = 0,
    reply_to: str | None = None,
    *,
    opted_out: bool = False,
    text: str | None = None,
    media: tuple[Media, ...] = (),
    quote_of: str | None = None,
) -> Post:
    return Post(
        platform="mastodon",
        uri=uri,
        author=author(by, opted_out=opted_out),
        created_at=START + timedelta(minutes=minute),
        text=text or f"post {uri}",
        html=f"<p>{text or 'post ' + uri}</p>",
        url=f"https://social.example/@{by}/{uri}",
        reply_to=reply_to,
        media=media,
        quote_of=quote_of,
    )
