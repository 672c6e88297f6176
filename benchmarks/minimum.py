"""What a collect of a generated event cannot do without: the requests its data needs, and their time."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmarks.generate import SINCE, TAG, UNTIL, Event
from confthread.collect_blogs import MAX_LINKED_PAGES, shared_links
from confthread.config import Window
from confthread.models import Post
from confthread.replay.bluesky_ratelimit import GLOBAL_LIMIT, WINDOW_SECONDS
from confthread.replay.bluesky_search import SearchQuery
from confthread.replay.mastodon import GUEST_CONTEXT
from confthread.sources.bluesky import POSTS_PER_CALL, SEARCH_PAGE
from confthread.sources.bluesky_parse import mentions_tag, parse_post_view
from confthread.sources.mastodon import PAGE_SIZE, parse_status


@dataclass(frozen=True)
class Need:
    """One source's minimum: requests per endpoint, how many must follow one another, and its budget.

    `childless` counts thread fetches of posts that showed no replies when listed, which the minimum
    still asks for: a Mastodon instance may fetch replies from other servers when asked for a
    context, so its count does not tell. (Bluesky's count does: its minimum leaves them out.)
    """

    source: str
    requests: Mapping[str, int]
    chain: int
    limit: int
    period: float
    again: int
    childless: int = 0
    uris: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def unavoidable(self, latency: float, concurrency: int) -> float:
        """Seconds no client can beat: dependent requests one after another, the rest `concurrency`
        at a time, and whole rate-limit windows waited out once the budget is spent."""
        by_latency = max(self.chain, math.ceil(self.total / concurrency)) * latency
        windows = math.ceil(self.total / self.limit) - 1
        return max(by_latency, windows * self.period + latency if windows > 0 else 0.0)


def needs(
    event: Event,
    mastodon_limit: tuple[int, float],
    bluesky_limit: tuple[int, float] = (GLOBAL_LIMIT, WINDOW_SECONDS),
) -> list[Need]:
    """Bluesky, each instance, the blog and the pages posts link to, then the pictures (the order the
    runner serves them in), worked out from the generated data with the replay servers' own rules,
    never from what the collector did, so that the two can be compared. A limit is (requests, seconds)."""
    found = [bluesky_need(event.network.posts, *bluesky_limit)]
    for host, instance in event.instances.items():
        found.append(mastodon_need(host, instance.statuses, *mastodon_limit))
    archived = archived_posts(event, expected_uris(found))
    return [*found, blogs_need(archived), pictures_need(archived)]


def archived_posts(event: Event, uris: frozenset[str]) -> list[Post]:
    """The posts of `uris` as the project's parsers read them, once each."""
    posts = {str(view["uri"]): parse_post_view(view) for view in event.network.posts if view["uri"] in uris}
    for host, instance in event.instances.items():
        local = {str(status["id"]): str(status["uri"]) for status in instance.statuses}
        for status in instance.statuses:
            if status["uri"] in uris and status["uri"] not in posts:
                posts[str(status["uri"])] = parse_status(status, instance=f"https://{host}", uris=local)
    return list(posts.values())


def expected_uris(found: Iterable[Need]) -> frozenset[str]:
    """Every post a complete collect archives: the tagged threads, whole, and the posts they quote."""
    return frozenset().union(*(need.uris for need in found))


def bluesky_need(
    posts: list[dict[str, Any]], limit: int = GLOBAL_LIMIT, period: float = WINDOW_SECONDS
) -> Need:
    """A thread root listed by search with no replies is its whole thread: its count is as fresh as
    a getPostThread, so none is needed (collect_bluesky spares it too)."""
    hashtag = SearchQuery.parse(f"#{TAG}", since=SINCE, until=UNTIL)
    word = SearchQuery.parse(TAG, since=SINCE, until=UNTIL)
    pages = {query: sum(map(search.matches, posts)) for query, search in (("#", hashtag), ("word", word))}
    roots: set[str] = set()
    for view in posts:
        post = parse_post_view(view)
        if mentions_tag(post, TAG.casefold()) and SINCE <= post.created_at < UNTIL:
            roots.add(_bluesky_root(view))
    members = {str(view["uri"]) for view in posts if _bluesky_root(view) in roots}
    quoted = {_quoted(view) for view in posts if str(view["uri"]) in members} - {None} - members
    by_uri = {str(view["uri"]): view for view in posts}
    childless = sum(1 for root in roots if not by_uri[root].get("replyCount"))
    return Need(
        source="Bluesky",
        requests={
            "createSession": 1,
            "searchPosts": sum(_search_pages(hits) for hits in pages.values()),
            "getPostThread": len(roots) - childless,
            "getPosts": math.ceil(len(quoted) / POSTS_PER_CALL),
        },
        # A login, one query's pages in turn, then the thread of a post on its last page.
        chain=1 + max(_search_pages(hits) for hits in pages.values()) + 1,
        limit=limit,
        period=period,
        again=len(pages),
        uris=frozenset(members | {uri for uri in quoted if uri}),
    )


def mastodon_need(host: str, statuses: list[dict[str, Any]], limit: int, period: float) -> Need:
    by_id = {str(status["id"]): status for status in statuses}
    children: dict[str, list[str]] = {}
    for status in statuses:
        if status.get("in_reply_to_id") in by_id:
            children.setdefault(str(status["in_reply_to_id"]), []).append(str(status["id"]))
    tagged = [status for status in statuses if _tagged(status)]
    roots = {_mastodon_root(status, by_id) for status in tagged}
    contexts, deepest, members = 0, 0, set[str]()
    for root in roots:
        depths = _depths(root, children)
        members.update(str(by_id[local]["uri"]) for local in depths)
        # A guest sees 20 levels below the post asked about: each post at such a cut edge with
        # replies of its own costs one more request, asked after the one that showed it.
        cut = GUEST_CONTEXT.depth or 0
        edges = [local for local, depth in depths.items() if depth and depth % cut == 0 and local in children]
        # A guest also sees at most 60 replies at once, whatever their depth.
        contexts += max(1 + len(edges), math.ceil((len(depths) - 1) / (GUEST_CONTEXT.descendants or 1)))
        deepest = max(deepest, 1 + max(depths.values()) // cut)
    # A short page does not end a timeline (Mastodon may filter a page after paging it): an empty one does.
    pages = math.ceil(len(tagged) / PAGE_SIZE) + 1
    return Need(
        source=f"Mastodon {host}",
        requests={"timeline": pages, "context": contexts},
        chain=max(pages + 1, deepest),
        limit=limit,
        period=period,
        again=1,
        childless=sum(1 for root in roots if root not in children),
        uris=frozenset(members),
    )


def blogs_need(archived: list[Post]) -> Need:
    """The event's feed, read on every collect, and each page that posts link to, once: at most
    MAX_LINKED_PAGES in one collect, so a second collect reads the next ones."""
    pages = len(shared_links(archived, Window(SINCE, UNTIL)))
    first = min(pages, MAX_LINKED_PAGES)
    later = min(pages - first, MAX_LINKED_PAGES)
    return Need("Blogs", {"feed": 1, "page": first}, chain=2, limit=pages + 2, period=0.0, again=1 + later)


def pictures_need(archived: list[Post]) -> Need:
    """Each picture once: the images of archived posts and their authors' avatars, none of people
    who opted out. No rate limit; they can be fetched as soon as the post naming them is known."""
    urls: set[str] = set()
    for post in archived:
        if not post.author.opted_out:
            urls.update(
                media.url if media.kind == "image" else media.preview_url or media.url for media in post.media
            )
            urls.add(post.author.avatar or "")
    urls.discard("")
    return Need("Pictures", {"picture": len(urls)}, chain=1, limit=len(urls) + 1, period=0.0, again=0)


def _search_pages(hits: int) -> int:
    """A page short of full ends a query; a query that fills its last page needs one empty page more.

    Past the service's cap (about 10,000 results) a query is asked anew below the oldest post seen;
    a client that does so on a full page, before the cap, spends no page on it.
    """
    return hits // SEARCH_PAGE + 1


def _bluesky_root(view: Mapping[str, Any]) -> str:
    reply = view["record"].get("reply") or {}
    return str(reply.get("root", {}).get("uri") or view["uri"])


def _quoted(view: Mapping[str, Any]) -> str | None:
    embed = view.get("embed") or {}
    if str(embed.get("$type", "")).startswith("app.bsky.embed.record"):
        return str(embed["record"]["uri"])
    return None


def _tagged(status: Mapping[str, Any]) -> bool:
    names = {str(tag["name"]).casefold() for tag in status.get("tags") or ()}
    return TAG.casefold() in names and status.get("visibility") == "public"


def _mastodon_root(status: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """The topmost post this instance holds: a thread is as far up as the instance can see."""
    current = status
    while str(current.get("in_reply_to_id")) in by_id:
        current = by_id[str(current["in_reply_to_id"])]
    return str(current["id"])


def _depths(root: str, children: Mapping[str, list[str]]) -> dict[str, int]:
    depths, stack = {root: 0}, [root]
    while stack:
        local = stack.pop()
        for child in children.get(local, ()):
            depths[child] = depths[local] + 1
            stack.append(child)
    return depths
