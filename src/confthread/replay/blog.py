"""A replayed WordPress-like blog: article pages, RSS and Atom feeds, and the hostile pages a crawler meets.

A site is served at the addresses WordPress uses, with the chrome trafilatura must see past (menus,
a sidebar, comments), so extraction is tested on realistic pages. Beside the site's own pages every
replayed blog serves traps, at fixed paths, for the safety tests:

    /feed/  /feed/atom/  /tag/<tag>/feed/  /tag/<tag>/feed/atom/  /category/<name>/feed/
    /?p=<id>                a shortlink: 301 to the permalink (as is a permalink without its slash)
    /about/                 a short page that is neither a feed nor an article
    /feed/legacy/           the site's feed in windows-1252
    /feed/bad-encoding/     declares UTF-8, holds windows-1252 bytes
    /feed/lol/              a "billion laughs" entity-expansion payload
    /feed/quadratic/        one large entity referenced many times
    /loop/<n>/              redirects to /loop/<n+1>/ for ever
    /away/<path>            redirects to the same path on http://localhost:<port> (another host name)
    /redirect/javascript/   /redirect/data/   /redirect/file/     redirects to non-web schemes
    /huge/                  a 3 MB article page; /huge-gzip/: 40 MB of page in a small gzip body
    /slides.png             an image
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from confthread.replay.server import Handler, ReplayServer, Request, Response

HUGE_PAGE_BYTES = 3 * 1024 * 1024
GZIP_PAGE_BYTES = 40 * 1024 * 1024
_HTML = "text/html; charset=UTF-8"
_RSS = "application/rss+xml; charset=UTF-8"
_ATOM = "application/atom+xml; charset=UTF-8"


@dataclass(frozen=True)
class Comment:
    author: str
    date: str
    text: str


@dataclass(frozen=True)
class BlogPost:
    """One post as a WordPress database would hold it; `published` None leaves only `updated` in feeds."""

    id: int
    path: str
    title: str
    author: str
    html: str
    published: str | None
    updated: str | None = None
    excerpt: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()

    @property
    def time(self) -> str:
        return self.published or self.updated or "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class BlogSite:
    """A blog; `origin` is the address it stands for (None: the replay server's own address)."""

    name: str
    posts: tuple[BlogPost, ...]
    origin: str | None = None
    description: str = ""
    language: str = "en-GB"
    extra_routes: Mapping[str, Callable[[Request, str], Response]] = field(default_factory=dict)


def load_blog_sites(event_dir: Path) -> dict[str, BlogSite]:
    """Each `blog/<host>.json` is one site, keyed by the origin it stands for."""
    sites: dict[str, BlogSite] = {}
    folder = Path(event_dir) / "blog"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read the recorded blog in {path}: {error}") from error
        site = site_from_json(data)
        sites[site.origin or f"https://{path.stem}"] = site
    return sites


def site_from_json(data: Mapping[str, Any]) -> BlogSite:
    posts = tuple(
        BlogPost(
            id=int(post["id"]),
            path=str(post["path"]),
            title=str(post["title"]),
            author=str(post["author"]),
            html=str(post["html"]),
            published=post.get("published"),
            updated=post.get("updated"),
            excerpt=str(post.get("excerpt") or ""),
            categories=tuple(post.get("categories") or ()),
            tags=tuple(post.get("tags") or ()),
            comments=tuple(Comment(**comment) for comment in post.get("comments") or ()),
        )
        for post in data["posts"]
    )
    return BlogSite(
        name=str(data["name"]),
        posts=posts,
        origin=data.get("origin"),
        description=str(data.get("description") or ""),
        language=str(data.get("language") or "en-GB"),
    )


def serve_blog(site: BlogSite) -> ReplayServer:
    """A started-on-enter server for `site`: `with serve_blog(site) as server: ...`."""
    return ReplayServer(blog_handler(site))


def blog_handler(site: BlogSite) -> Handler:
    """Answers as a WordPress site holding `site.posts`, plus the traps in this module's docstring."""

    def handle(request: Request, base_url: str) -> Response:
        origin = site.origin or base_url
        route = site.extra_routes.get(request.path)
        if route is not None:
            return route(request, base_url)
        for answer in (_feeds, _pages, _traps):
            response = answer(site, request, origin, base_url)
            if response is not None:
                return response
        return _page(
            404, _layout(site, origin, "Page not found", "<p>Nothing was found at this location.</p>")
        )

    return handle


# -- routes ----------------------------------------------------------------------------------------


def _feeds(site: BlogSite, request: Request, origin: str, base_url: str) -> Response | None:
    parts = [part for part in request.path.split("/") if part]
    if parts in (["feed"], ["feed", "rss2"]):
        return _xml(rss(site, site.posts, origin, f"{origin}/feed/"), _RSS)
    if parts == ["feed", "atom"]:
        return _xml(atom(site, site.posts, origin, f"{origin}/feed/atom/"), _ATOM)
    if len(parts) >= 3 and parts[0] in {"tag", "category"} and parts[2] == "feed":
        field_name = "tags" if parts[0] == "tag" else "categories"
        chosen = [p for p in site.posts if parts[1] in {_slug(name) for name in getattr(p, field_name)}]
        if not chosen:
            return None
        url = f"{origin}{request.path}"
        if parts[3:] == ["atom"]:
            return _xml(atom(site, chosen, origin, url), _ATOM)
        return _xml(rss(site, chosen, origin, url, title=f"{site.name} » {parts[1]}"), _RSS)
    return None


def _pages(site: BlogSite, request: Request, origin: str, base_url: str) -> Response | None:
    if request.path == "/" and request.query.get("p"):
        post = next((p for p in site.posts if str(p.id) == request.query["p"][0]), None)
        return _redirect(f"{origin}{post.path}", 301) if post else None
    if request.path == "/":
        items = "".join(
            f'<article><h2><a href="{origin}{p.path}">{html.escape(p.title)}</a></h2>'
            f"<p>{html.escape(p.excerpt)}</p></article>"
            for p in site.posts
        )
        return _page(200, _layout(site, origin, site.name, items, kind="website"))
    if request.path == "/about/":
        return _page(200, _layout(site, origin, "About", "<p>A blog about libraries.</p>", kind="website"))
    for post in site.posts:
        if request.path == post.path:
            return _page(200, article_page(site, post, origin))
        if post.path.endswith("/") and request.path == post.path.rstrip("/"):
            return _redirect(f"{origin}{post.path}", 301)
    return None


def _traps(site: BlogSite, request: Request, origin: str, base_url: str) -> Response | None:
    path = request.path
    if path == "/feed/legacy/":
        text = rss(site, site.posts, origin, f"{origin}{path}", encoding="windows-1252")
        return Response(
            200, text.encode("windows-1252", "xmlcharrefreplace"), {"Content-Type": "application/rss+xml"}
        )
    if path == "/feed/bad-encoding/":
        accented = dataclasses.replace(site, description=f"{site.description} (café, naïve)")
        text = rss(accented, site.posts, origin, f"{origin}{path}")
        return Response(200, text.encode("windows-1252", "xmlcharrefreplace"), {"Content-Type": _RSS})
    if path == "/feed/lol/":
        return _xml(billion_laughs(), _RSS)
    if path == "/feed/quadratic/":
        return _xml(quadratic_blowup(), _RSS)
    if path.startswith("/loop/"):
        parts = path.strip("/").split("/")
        step = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return _redirect(f"/loop/{step + 1}/", 302)
    if path.startswith("/away/"):
        port = urlsplit(base_url).port
        return _redirect(f"http://localhost:{port}/{path.removeprefix('/away/')}", 302)
    schemes = {
        "/redirect/javascript/": "javascript:alert(document.cookie)",
        "/redirect/data/": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "/redirect/file/": "file:///etc/passwd",
    }
    if path in schemes:
        return _redirect(schemes[path], 302)
    if path == "/huge/":
        return _page(200, _huge_page(site, origin))
    if path == "/huge-gzip/":
        return Response(200, _gzip_page(), {"Content-Type": _HTML, "Content-Encoding": "gzip"})
    if path == "/slides.png":
        return Response(200, b"\x89PNG\r\n\x1a\n" + bytes(64), {"Content-Type": "image/png"})
    return None


def _xml(text: str, content_type: str) -> Response:
    return Response(200, text.encode("utf-8"), {"Content-Type": content_type})


def _page(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": _HTML})


def _redirect(location: str, status: int) -> Response:
    return Response(status, b"", {"Location": location, "Content-Type": _HTML})


# -- feeds -----------------------------------------------------------------------------------------


def rss(
    site: BlogSite,
    posts: Sequence[BlogPost],
    origin: str,
    url: str,
    *,
    title: str | None = None,
    encoding: str = "UTF-8",
) -> str:
    """RSS 2.0 as WordPress writes it: full text in content:encoded, an excerpt in description."""
    items = "".join(_rss_item(post, origin) for post in _newest_first(posts))
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel>\n<title>{_x(title or site.name)}</title>\n"
        f'<atom:link href="{_x(url)}" rel="self" type="application/rss+xml" />\n'
        f"<link>{_x(origin)}/</link>\n<description>{_x(site.description)}</description>\n"
        f"<language>{_x(site.language)}</language>\n<generator>https://wordpress.org/?v=6.5.3</generator>\n"
        f"{items}</channel>\n</rss>\n"
    )


def _rss_item(post: BlogPost, origin: str) -> str:
    terms = "".join(f"<category>{_cdata(name)}</category>" for name in (*post.categories, *post.tags))
    date = f"<pubDate>{_rfc822(post.published)}</pubDate>" if post.published else ""
    return (
        f"<item>\n<title>{_x(post.title)}</title>\n<link>{_x(origin + post.path)}</link>\n"
        f"<comments>{_x(origin + post.path)}#comments</comments>\n"
        f"<dc:creator>{_cdata(post.author)}</dc:creator>\n{date}\n{terms}\n"
        f'<guid isPermaLink="false">{_x(origin)}/?p={post.id}</guid>\n'
        f"<description>{_cdata(post.excerpt + ' [&#8230;]')}</description>\n"
        f"<content:encoded>{_cdata(post.html)}</content:encoded>\n</item>\n"
    )


def atom(site: BlogSite, posts: Sequence[BlogPost], origin: str, url: str) -> str:
    """Atom 1.0 as WordPress writes it; an entry without `published` gives only its `updated` time."""
    entries = "".join(_atom_entry(post, origin) for post in _newest_first(posts))
    updated = max((p.updated or p.time for p in posts), default="2026-01-01T00:00:00+00:00")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="{_x(site.language)}" xml:base="{_x(origin)}/">\n'
        f'<title type="text">{_x(site.name)}</title>\n'
        f'<subtitle type="text">{_x(site.description)}</subtitle>\n'
        f"<updated>{_x(updated)}</updated>\n"
        f'<link rel="alternate" type="text/html" href="{_x(origin)}/" />\n<id>{_x(url)}</id>\n'
        f'<link rel="self" type="application/atom+xml" href="{_x(url)}" />\n{entries}</feed>\n'
    )


def _atom_entry(post: BlogPost, origin: str) -> str:
    terms = "".join(
        f'<category scheme="{_x(origin)}" term="{_x(name)}" />' for name in (*post.categories, *post.tags)
    )
    published = f"<published>{_x(post.published)}</published>" if post.published else ""
    return (
        f"<entry>\n<author><name>{_x(post.author)}</name><uri>{_x(origin)}/author/{_slug(post.author)}/</uri></author>\n"
        f'<title type="html">{_cdata(post.title)}</title>\n'
        f'<link rel="alternate" type="text/html" href="{_x(origin + post.path)}" />\n'
        f"<id>{_x(origin)}/?p={post.id}</id>\n"
        f"<updated>{_x(post.updated or post.time)}</updated>\n{published}\n"
        f'{terms}\n<summary type="html">{_cdata(post.excerpt)}</summary>\n'
        f'<content type="html" xml:base="{_x(origin + post.path)}">{_cdata(post.html)}</content>\n</entry>\n'
    )


def billion_laughs(levels: int = 9) -> str:
    """Nine levels of ten references each: a billion "lol"s from under a kilobyte."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [' + "".join(entities) + "]>\n"
        f'<rss version="2.0"><channel><title>&lol{levels};</title>'
        f"<item><title>&lol{levels};</title><link>https://example.invalid/lol</link></item></channel></rss>\n"
    )


def quadratic_blowup(size: int = 100_000, references: int = 2_000) -> str:
    """One entity of `size` characters referenced `references` times: no nesting, still gigabytes."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [\n'
        f' <!ENTITY a "{"a" * size}">\n]>\n'
        f'<rss version="2.0"><channel><title>{"&a;" * references}</title></channel></rss>\n'
    )


# -- pages -----------------------------------------------------------------------------------------


def article_page(site: BlogSite, post: BlogPost, origin: str) -> str:
    """A single post in a Twenty-Nineteen-like theme, with metadata as Yoast SEO writes it."""
    permalink = origin + post.path
    others = [p for p in site.posts if p.id != post.id]
    meta = (
        f'<link rel="canonical" href="{_x(permalink)}" />\n'
        '<meta property="og:type" content="article" />\n'
        f'<meta property="og:title" content="{_x(post.title)}" />\n'
        f'<meta property="og:url" content="{_x(permalink)}" />\n'
        f'<meta property="og:site_name" content="{_x(site.name)}" />\n'
        f'<meta property="og:description" content="{_x(post.excerpt)}" />\n'
        + (
            f'<meta property="article:published_time" content="{_x(post.published)}" />\n'
            if post.published
            else ""
        )
        + (
            f'<meta property="article:modified_time" content="{_x(post.updated)}" />\n'
            if post.updated
            else ""
        )
        + f'<meta name="author" content="{_x(post.author)}" />\n'
        + "".join(f'<meta property="article:tag" content="{_x(tag)}" />\n' for tag in post.tags)
    )
    date = (post.published or post.time)[:10]
    article = (
        f'<article id="post-{post.id}" class="post-{post.id} post type-post status-publish">\n'
        f'<header class="entry-header"><h1 class="entry-title">{html.escape(post.title)}</h1>\n'
        f'<div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date published" '
        f'datetime="{_x(post.time)}">{date}</time></span> <span class="byline">by <span class="author vcard">'
        f'<a class="url fn n" href="{_x(origin)}/author/{_slug(post.author)}/">{html.escape(post.author)}</a>'
        "</span></span></div></header>\n"
        f'<div class="entry-content">\n{post.html}\n</div>\n'
        '<footer class="entry-footer"><span class="cat-links">Posted in '
        f"{_term_links(post.categories, 'category', origin)}</span> "
        f'<span class="tags-links">Tagged {_term_links(post.tags, "tag", origin)}</span>'
        "</footer>\n</article>\n" + _post_navigation(others, origin) + _comments(post)
    )
    return _layout(site, origin, post.title, article, head=meta, sidebar=_sidebar(site, origin))


def _layout(
    site: BlogSite,
    origin: str,
    title: str,
    main: str,
    *,
    head: str = "",
    sidebar: str = "",
    kind: str | None = None,
) -> str:
    og = f'<meta property="og:type" content="{kind}" />\n' if kind else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{_x(site.language)}">\n<head>\n<meta charset="UTF-8" />\n'
        f"<title>{html.escape(title)} &#8211; {html.escape(site.name)}</title>\n{og}{head}"
        f'<link rel="alternate" type="application/rss+xml" title="{_x(site.name)} &#187; Feed" '
        f'href="{_x(origin)}/feed/" />\n'
        f'<script>window._wpemojiSettings = {{"baseUrl": "https://s.w.org/images/core/emoji/"}};</script>\n'
        '</head>\n<body class="single single-post">\n'
        '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>\n'
        f'<header id="masthead" class="site-header"><p class="site-title"><a href="{_x(origin)}/" rel="home">'
        f'{html.escape(site.name)}</a></p><p class="site-description">{html.escape(site.description)}</p>\n'
        '<nav id="site-navigation" class="main-navigation" aria-label="Top Menu">'
        '<ul id="menu-top" class="menu">'
        f'<li><a href="{_x(origin)}/">Home</a></li><li><a href="{_x(origin)}/about/">About this blog</a></li>'
        f'<li><a href="{_x(origin)}/category/conferences/">Conference reports</a></li>'
        f'<li><a href="{_x(origin)}/contact/">Get in touch</a></li></ul></nav></header>\n'
        '<div id="content" class="site-content">'
        f'<main id="main" class="site-main">\n{main}</main>\n{sidebar}</div>\n'
        '<footer id="colophon" class="site-footer"><div class="site-info">'
        "Proudly powered by WordPress | Theme: Twenty Nineteen. Cookie settings.</div></footer>\n"
        "<script>window.dataLayer = window.dataLayer || []; dataLayer.push({'event': 'pageview'});</script>\n"
        "</body>\n</html>\n"
    )


def _sidebar(site: BlogSite, origin: str) -> str:
    recent = "".join(
        f'<li><a href="{_x(origin + p.path)}">{html.escape(p.title)}</a></li>' for p in site.posts
    )
    return (
        '<aside id="secondary" class="widget-area" role="complementary">\n'
        '<section id="search-2" class="widget widget_search">'
        f'<form role="search" method="get" class="search-form" action="{_x(origin)}/">'
        '<label><span class="screen-reader-text">Search for:</span>'
        '<input type="search" class="search-field" placeholder="Search the archive" name="s" />'
        "</label></form></section>\n"
        '<section id="recent-posts-2" class="widget widget_recent_entries">'
        f'<h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul></section>\n'
        '<section id="text-3" class="widget widget_text"><h2 class="widget-title">Subscribe</h2>'
        '<div class="textwidget"><p>Sign up to the newsletter for monthly library news '
        "and the odd recipe.</p></div></section>\n"
        "</aside>\n"
    )


def _post_navigation(others: Sequence[BlogPost], origin: str) -> str:
    if not others:
        return ""
    links = "".join(
        f'<div class="nav-previous"><a href="{_x(origin + p.path)}" rel="prev">'
        '<span class="meta-nav">Previous Post</span> '
        f'<span class="post-title">{html.escape(p.title)}</span></a></div>'
        for p in others[:2]
    )
    return (
        '<nav class="navigation post-navigation" aria-label="Posts">'
        '<h2 class="screen-reader-text">Post navigation</h2>'
        f'<div class="nav-links">{links}</div></nav>\n'
    )


def _comments(post: BlogPost) -> str:
    items = "".join(
        f'<li id="comment-{n}" class="comment even thread-even depth-1"><article class="comment-body">'
        '<footer class="comment-meta"><div class="comment-author vcard">'
        f'<b class="fn">{html.escape(c.author)}</b> <span class="says">says:</span></div>'
        f'<div class="comment-metadata"><time datetime="{_x(c.date)}">{_x(c.date[:10])}</time></div>'
        f'</footer><div class="comment-content"><p>{html.escape(c.text)}</p></div></article></li>'
        for n, c in enumerate(post.comments, start=1)
    )
    heading = (
        f'<h2 class="comments-title">{len(post.comments)} thoughts on “{html.escape(post.title)}”</h2>'
        if post.comments
        else ""
    )
    return (
        f'<div id="comments" class="comments-area">{heading}<ol class="comment-list">{items}</ol>\n'
        '<div id="respond" class="comment-respond">'
        '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>'
        '<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
        '<p class="comment-notes">Your email address will not be published. '
        "Required fields are marked *</p>"
        '<p class="comment-form-comment"><label for="comment">Comment *</label>'
        '<textarea id="comment" name="comment"></textarea></p>'
        '<p class="form-submit"><input name="submit" type="submit" class="submit" value="Post Comment" />'
        "</p></form></div></div>\n"
    )


def _term_links(names: Sequence[str], kind: str, origin: str) -> str:
    return ", ".join(
        f'<a href="{_x(origin)}/{kind}/{_slug(n)}/" rel="tag">{html.escape(n)}</a>' for n in names
    )


def _huge_page(site: BlogSite, origin: str) -> str:
    paragraph = "<p>" + "All work and no play makes a very long conference report. " * 20 + "</p>\n"
    body = paragraph * (HUGE_PAGE_BYTES // len(paragraph) + 1)
    post = BlogPost(
        id=9999, path="/huge/", title="A very long report", author="Anon", html=body, published=None
    )
    return article_page(site, post, origin)


@functools.cache
def _gzip_page() -> bytes:
    """Spaces compress about a thousand to one: a body of some kilobytes that unpacks to megabytes."""
    head = b"<!DOCTYPE html><html><head><title>Unpacks big</title></head><body><p>"
    return gzip.compress(head + b" " * GZIP_PAGE_BYTES + b"</p></body></html>", compresslevel=9)


# -- helpers ---------------------------------------------------------------------------------------


def _newest_first(posts: Sequence[BlogPost]) -> list[BlogPost]:
    return sorted(posts, key=lambda post: _parse(post.time), reverse=True)


def _parse(moment: str) -> datetime:
    value = datetime.fromisoformat(moment)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _rfc822(moment: str) -> str:
    return format_datetime(_parse(moment))


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


def _x(text: str) -> str:
    return html.escape(text, quote=True)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
