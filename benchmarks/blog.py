"""The event's blog write-ups, as a replayed WordPress site, and the web pages posts link to."""

from __future__ import annotations

import random
from datetime import timedelta

from benchmarks.drafts import DAYS
from benchmarks.texts import TOPICS, Link
from confthread.replay.blog import BlogPost, BlogSite, blog_handler
from confthread.replay.build_bluesky import EVENT_DAY
from confthread.replay.server import Handler, Request, Response

BLOG_ORIGIN = "https://blog.example.net"
# Where the other links in posts lead (papers, slides, code): pages that are not write-ups.
OTHER_ORIGINS = ("https://doi.org", "https://slides.example.org", "https://github.com")
FEED = f"{BLOG_ORIGIN}/feed/"
# One write-up for this many posts: a few people blog about a conference.
POSTS_PER_WRITEUP = 400


def writeups(size: int, rng: random.Random, tag: str) -> BlogSite:
    """Write-ups published in the evenings of the event, tagged with its hashtag, so its feed has them."""
    posts = []
    for number in range(1, max(2, size // POSTS_PER_WRITEUP) + 1):
        day = rng.randrange(DAYS)
        published = EVENT_DAY + timedelta(days=day, hours=rng.uniform(9, 13))
        topic = rng.choice(TOPICS)
        paragraphs = "".join(
            f"<p>Day {day + 1} of #{tag}: what I learnt about {topic}, part {part}. "
            f"The session showed how {rng.choice(TOPICS)} and {topic} meet in everyday library work, "
            "with examples from three institutions and a lively discussion afterwards.</p>"
            for part in range(1, 6)
        )
        posts.append(
            BlogPost(
                id=number,
                path=f"/2026/06/{10 + day}/{tag.lower()}-notes-{number}/",
                title=f"My #{tag} write-up: {topic}",
                author=f"Blogger {number % 7}",
                html=paragraphs,
                published=published.isoformat(),
                excerpt=f"Notes on {topic} from day {day + 1}.",
                categories=("Conference reports",),
                tags=(tag,),
            )
        )
    return BlogSite(name=f"Notes from {tag}", posts=tuple(posts), origin=BLOG_ORIGIN)


def writeup_links(site: BlogSite) -> list[Link]:
    return [Link(f"{BLOG_ORIGIN}{post.path}", post.title, post.excerpt) for post in site.posts]


def web_handler(site: BlogSite) -> Handler:
    """The blog, and for any other address a plain page that is not an article (slides, a repository)."""
    blog = blog_handler(site)

    def handle(request: Request, base_url: str) -> Response:
        response = blog(request, base_url)
        if response.status != 404:
            return response
        page = "<!doctype html><html><head><title>Slides</title></head><body><nav>Menu</nav></body></html>"
        return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    return handle
