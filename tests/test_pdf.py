"""The PDF digest: a book with contents, bookmarks and the JSON inside, loading nothing it was not given."""

from __future__ import annotations

import dataclasses
import gc
import http.server
import io
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image

from confthread.api import load_digest
from confthread.cli import main
from confthread.config import build_config
from confthread.demo import example_event_dir, run_demo
from confthread.errors import UsageError
from confthread.imaging import Picture
from confthread.models import Author, Digest, Link, Media, Post, Thread, ThreadEntry
from confthread.render.pdf import (
    FIGURE_SPACE,
    PageNumbers,
    PictureFetcher,
    print_html,
    render_pdf,
    wanted_pictures,
    write_pdf,
)
from confthread.render.pdf_parts import FLAT_DAY, cut
from confthread.render.pdf_pieces import BASE_URL
from confthread.render.pdf_speedups import PrintHTML, fewer_collections, keep_page_references
from confthread.resources import templates_dir

START = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
PICTURE_URL = "https://files.example/slide.png"
LOST_URL = "https://files.example/lost.jpg"
LINK_URL = "https://journal.example/articles/2026/validating-search-filters?from=ukmedlibs"


# --- helpers -------------------------------------------------------------------------------------


def pdftotext(pdf: Path, *, first: int | None = None, last: int | None = None, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if first is not None:
        args += ["-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def words(text: str) -> str:
    return " ".join(text.split())


def page_texts(pdf: Path) -> list[str]:
    pages = len(pypdf.PdfReader(pdf).pages)
    return [words(pdftotext(pdf, first=n, last=n)) for n in range(1, pages + 1)]


def outline(reader: pypdf.PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page number from 1) for every bookmark, in document order."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, str(item.title), reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def toc_numbers(pdf: Path, pages: list[str]) -> list[int]:
    """The page numbers printed after the dot leaders on the contents pages."""
    numbers = []
    for index, text in enumerate(pages, start=1):
        if not text.startswith("Contents"):
            continue
        for line in pdftotext(pdf, first=index, last=index, layout=True).splitlines():
            if match := re.search(r"\.\.\s*(\d+)\s*$", line):  # after a leader, not a DOI
                numbers.append(int(match[1]))
    return numbers


def opening(title: str, count: int) -> str:
    """The first words of the post a bookmark names ("Name: words…"), as its page shows them."""
    return " ".join(title.split(": ", 1)[-1].removesuffix("…").split()[:count])


def every_page_numbered(pages: list[str]) -> bool:
    """Each page after the cover ends with its "n / N" footer."""
    return all(text.endswith(f"{number} / {len(pages)}") for number, text in enumerate(pages[1:], start=2))


def pictures(reader: pypdf.PdfReader) -> list[Image.Image]:
    """The images in the PDF, once each, less the emoji: Noto Color Emoji's glyphs are small bitmaps."""
    found = {image.data: image.image for page in reader.pages for image in page.images}
    return [image for image in found.values() if image is not None and max(image.size) > 200]


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> Picture:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return Picture(out.getvalue(), "image/png", *size)


def person(handle: str, name: str) -> Author:
    return Author(platform="mastodon", id=f"https://social.example/users/{handle}", handle=handle, name=name)


def post(uri: str, who: Author, minute: int, text: str, **more: Any) -> Post:
    return Post(
        platform="mastodon",
        uri=f"https://social.example/users/{who.handle}/statuses/{uri}",
        author=who,
        created_at=START + timedelta(minutes=minute),
        text=text,
        url=f"https://social.example/@{who.handle}/{uri}",
        **more,
    )


def small_digest(extra: tuple[Thread, ...] = ()) -> Digest:
    """A live thread long enough to fill pages, posts in four scripts with emoji, a link and two images."""
    rhiannon, kenji, layla, noa = (
        person("rhiannon", "Rhiannon Price"),
        person("kenji", "山田 健二"),
        person("layla", "ليلى حداد"),
        person("noa", "נועה כהן"),
    )
    live = [
        post(
            f"live-{n}",
            rhiannon,
            n,
            f"Live post {n} from the keynote: " + "evidence synthesis and careful searching " * 12,
        )
        for n in range(40)
    ]
    live[3] = post(
        "live-3",
        rhiannon,
        3,
        "The slide with the timeline",
        media=(
            Media(PICTURE_URL, alt="Slide titled 'Automation in evidence synthesis: a timeline'"),
            Media(LOST_URL, alt="A photo of the queue at registration"),
        ),
    )
    live[5] = post(
        "live-5",
        rhiannon,
        5,
        "The paper she cited: validating search filters",
        html=f'<p>The paper she cited: <a href="{LINK_URL}">journal.example/articles/2026/…</a> '
        '<a href="https://social.example/tags/ukmedlibs">#<span>ukmedlibs</span></a></p>',
    )
    entries = tuple(
        ThreadEntry(p if n == 0 else dataclasses.replace(p, reply_to=live[n - 1].uri))
        for n, p in enumerate(live)
    )
    scripts = (
        post("ja", kenji, 50, "基調講演はとても良かったです 🎉 図書館の未来について", language="ja"),
        post("ar", layla, 51, "محاضرة رائعة عن مستقبل المكتبات الطبية 📚", language="ar"),
        post("he", noa, 52, "הרצאה מצוינת על עתיד הספריות הרפואיות 🙌", language="he"),
    )
    threads = (
        Thread(id="t-live", kind="live", entries=entries),
        *(Thread(id=f"t-{p.language}", kind="single", entries=(ThreadEntry(p),)) for p in scripts),
        *extra,
    )
    return Digest(
        title="Small digest", hashtags=("ukmedlibs",), generated_at=START + timedelta(days=3), threads=threads
    )


# --- the demo event ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out)
    assert not result.report.failed
    assert out / "ukmedlibs.pdf" in result.digests
    return out


def test_the_demo_pdf_has_bookmarks_by_day_session_and_thread(demo: Path) -> None:
    reader = pypdf.PdfReader(demo / "ukmedlibs.pdf")
    assert len(reader.pages) > 5
    marks = outline(reader)
    days = [title for depth, title, _ in marks if depth == 0]
    assert days == [
        "Wednesday 10 June 2026",
        "Thursday 11 June 2026",
        "Friday 12 June 2026",
        "Around the event",
    ]
    sessions = [title for depth, title, _ in marks if depth == 1]
    assert "Opening keynote: Keeping the human in the loop \u2013 evidence synthesis and AI" in sessions
    threads = [title for depth, title, _ in marks if depth == 2]
    assert any(title.startswith("Rhiannon Price: Settling in for the opening keynote") for title in threads)
    pages = [page for _, _, page in marks]
    assert pages == sorted(pages) and pages[0] > 2  # after the cover and the contents


def test_the_contents_give_the_pages_where_days_sessions_and_threads_start(demo: Path) -> None:
    pdf = demo / "ukmedlibs.pdf"
    reader = pypdf.PdfReader(pdf)
    pages = page_texts(pdf)
    marks = outline(reader)
    # The contents list what the bookmarks list, in the same order, each with its page.
    assert toc_numbers(pdf, pages) == [page for _, _, page in marks]
    for _, title, page in marks:
        assert opening(title, 5) in pages[page - 1], (title, page)


def test_the_demo_pdf_is_pdf_a_with_metadata_tags_and_the_json_inside(demo: Path) -> None:
    reader = pypdf.PdfReader(demo / "ukmedlibs.pdf")
    info = reader.metadata
    assert info is not None
    assert info["/Title"] == "UK Medical Libraries Conference 2026"
    assert "#ukmedlibs" in info["/Subject"] and "62 posts" in info["/Subject"]
    assert "ukmedlibs" in info["/Keywords"]
    assert info["/CreationDate"].startswith("D:20")
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode()
    assert 'pdfaid:part="3"' in raw and 'pdfaid:conformance="B"' in raw
    assert xmp.dc_title == {"x-default": "UK Medical Libraries Conference 2026"}
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]  # tagged
    assert "/OutputIntents" in catalog and catalog["/Lang"] == "en"
    [attached] = reader.attachments["digest.json"]
    # The same digest as the JSON file beside it (each was rendered at its own moment).
    inside, beside = json.loads(attached), json.loads((demo / "ukmedlibs.json").read_text())
    del inside["generated_at"], beside["generated_at"]
    assert inside == beside
    relationship = catalog["/AF"][0].get_object()["/AFRelationship"]
    assert relationship == "/Data"


def test_the_demo_pdf_text_has_posts_alt_texts_links_and_permalinks(demo: Path) -> None:
    text = words(pdftotext(demo / "ukmedlibs.pdf"))
    digest = json.loads((demo / "ukmedlibs.json").read_text())
    for thread in digest["threads"]:
        assert words(thread["posts"][0]["text"])[:40] in text, thread["id"]
    alts = [m["alt"] for t in digest["threads"] for p in t["posts"] for m in p["media"] if m["alt"]]
    assert alts and all(words(alt)[:50] in text for alt in alts)
    assert "Image without a description" in text
    assert "https://journal.example/articles/2026/validating-search-filters" in text.replace(" ", "")
    assert "https://medlibs.example/@rhiannon/" in text
    for trace in ("jdoyle", "Jo Doyle", "Morwenna", "Tregear"):
        assert trace not in text


def test_render_writes_letter_paper_and_a_plain_pdf_on_request(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.pdf"
    argv = ["render", "--format", "pdf", "--out", str(out), "--archive", str(demo / "ukmedlibs.db")]
    main([*argv, "--paper", "letter", "--pdf-variant", "none"])  # exits only on failure
    reader = pypdf.PdfReader(out)
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == (612, 792)
    assert reader.xmp_metadata is None and "/OutputIntents" not in reader.trailer["/Root"]
    assert list(reader.attachments) == ["digest.json"]  # a plain PDF may carry it too
    # Without the event file there is no programme: bookmarks are the threads themselves.
    assert {depth for depth, _, _ in outline(reader)} == {0}


# --- a digest built by hand ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    digest = small_digest()
    assert wanted_pictures(digest) == [PICTURE_URL, LOST_URL]
    pdf = tmp_path_factory.mktemp("small") / "small.pdf"
    pdf.write_bytes(render_pdf(digest, {PICTURE_URL: png((1600, 900), (40, 90, 160))}))
    return pdf


def test_a_hand_built_digest_prints_every_script_link_and_picture(small: Path) -> None:
    reader = pypdf.PdfReader(small)
    assert len(reader.pages) > 3
    assert [title.split(":")[0] for depth, title, _ in outline(reader) if depth == 0] == [
        "Rhiannon Price",
        "山田 健二",
        "ليلى حداد",
        "נועה כהן",
    ]
    text = words(pdftotext(small))
    assert "基調講演はとても良かったです" in text
    assert "محاضرة" in text and "הרצאה" in text
    assert "Slide titled 'Automation in evidence synthesis: a timeline'" in text
    assert "Image not kept in the archive. Image: A photo of the queue at registration" in text
    assert LINK_URL in text.replace(" ", "")
    assert "https://social.example/tags/ukmedlibs" not in text  # a hashtag is not a reference
    assert "https://social.example/@rhiannon/live-39" in text
    fonts = subprocess.run(["pdffonts", str(small)], check=True, capture_output=True, text=True).stdout
    faces = {line.split()[0].partition("+")[2] for line in fonts.splitlines()[2:]}
    assert {"Noto-Serif", "Noto-Serif-CJK-JP", "Noto-Naskh-Arabic", "Noto-Serif-Hebrew"} <= faces
    assert "Noto-Color-Emoji" in faces  # found by fontconfig: no style names it
    assert all(face.startswith("Noto-") for face in faces), faces
    assert [image.size for image in pictures(reader)] == [(1600, 900)]


def test_emoji_cjk_and_arabic_are_drawn(small: Path, tmp_path: Path) -> None:
    pages = page_texts(small)
    page = next(n for n, text in enumerate(pages, start=1) if "基調講演" in text)
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-f", str(page), "-l", str(page), str(small), str(tmp_path / "p")],
        check=True,
    )
    [image_file] = tmp_path.glob("p*.png")
    image = Image.open(image_file).convert("RGB")
    data = image.tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    ink = sum(1 for r, g, b in pixels if r + g + b < 300)
    assert ink > 500  # text is drawn
    # Emoji come in colour from Noto Color Emoji; everything else on this page is grey or blue-grey.
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 120 and max(r, g, b) > 150)
    assert coloured > 30


def test_a_live_thread_reads_as_running_text_and_posts_stay_whole(small: Path) -> None:
    pages = page_texts(small)
    # Forty long live posts span pages; each continuation carries only its time and address.
    starts = [n for n, text in enumerate(pages, start=1) if "Live post" in text]
    assert len(starts) >= 2
    full = " ".join(pages)
    assert full.count("Rhiannon Price @rhiannon on Mastodon") == 1


# --- confinement ---------------------------------------------------------------------------------


class Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def hostile_post(remote: str) -> Post:
    html = (
        f'<p>Look <img src="file:///etc/passwd"> and <img src="{remote}/img.png">'
        f'<span style="background: url({remote}/bg.png)">styled</span>'
        '<a href="file:///etc/passwd" rel="attachment">passwd</a> '
        f'<a href="{remote}/attach" rel="attachment">attach</a></p>'
        f'<style>@import url("{remote}/import.css"); body {{ background: url(file:///etc/passwd) }}</style>'
        f'<link rel="stylesheet" href="{remote}/style.css"><link rel="attachment" href="file:///etc/passwd">'
        f'<object data="file:///etc/passwd"></object><iframe src="{remote}/frame"></iframe>'
        '<svg><image href="file:///etc/passwd"/></svg>'
    )
    return post(
        "hostile",
        person("mallory", "Mallory"),
        60,
        "Look and styled passwd attach",
        html=html,
        media=(
            Media("file:///etc/passwd", alt="a file on the renderer's disk"),
            Media(f"{remote}/picture.jpg", alt="a picture on someone's server"),
        ),
        links=(Link(f"{remote}/card", title="A link card", image=f"{remote}/card.png"),),
    )


def assert_nothing_leaked(pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert set(reader.attachments) <= {"digest.json"}
    text = "".join(page.extract_text() for page in reader.pages)
    assert "root:x:0:0" not in text and "color: red" not in text
    assert pictures(reader) == []


def test_a_hostile_post_loads_nothing(listener: str) -> None:
    extra = Thread(id="t-hostile", kind="single", entries=(ThreadEntry(hostile_post(listener)),))
    digest = small_digest((extra,))
    document = print_html(digest, {})
    fetcher = PictureFetcher(document.pictures)
    pdf = write_pdf(document, json_text="{}", fetcher=fetcher)
    assert set(fetcher.asked) <= set(document.pictures)
    assert Recorder.hits == []
    assert_nothing_leaked(pdf)
    text = words(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    # The pictures show as their alt text; the link to the disk is neither followed nor printed.
    assert "a picture on someone's server" in text and "a file on the renderer's disk" in text
    assert "file:///etc/passwd" not in text


def test_even_a_hostile_template_reaches_neither_the_disk_nor_the_network(
    tmp_path: Path, listener: str
) -> None:
    """The fetcher is the last line: a user's own template asks for everything, and gets nothing."""
    folder = tmp_path / "templates" / "print"
    folder.mkdir(parents=True)
    (folder / "digest.html.j2").write_text(
        f'<html><head><link rel="stylesheet" href="{listener}/style.css">'
        '<link rel="attachment" href="file:///etc/passwd">'
        f"<style>@import url({listener}/import.css);"
        " @font-face { font-family: x; src: url(file:///etc/passwd) }"
        f" body {{ background: url({listener}/bg.png) }} p {{ background: url(passwd) }}</style></head><body>"
        f'<img src="file:///etc/passwd"><img src="/etc/passwd"><img src="{listener}/img.png">'
        f'<a rel="attachment" href="{listener}/attach">x</a><object data="{listener}/object"></object>'
        '<svg width="10" height="10"><image href="file:///etc/passwd" width="10" height="10"/></svg>'
        "<p>hello</p></body></html>"
    )
    document = print_html(small_digest(), {}, templates=tmp_path / "templates")
    fetcher = PictureFetcher({})
    pdf = write_pdf(document, json_text="{}", fetcher=fetcher)
    assert fetcher.asked  # everything went through the fetcher ...
    assert "file:///etc/passwd" in fetcher.asked
    assert any(url.startswith(listener) for url in fetcher.asked)
    assert Recorder.hits == []  # ... and the fetcher gave nothing out
    assert_nothing_leaked(pdf)


def test_a_variant_that_does_not_exist_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown PDF variant 'pdf/z'"):
        render_pdf(small_digest(), variant="pdf/z")


# --- the book in parts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def programme_digest(demo: Path) -> Digest:
    """The demo event's digest with its programme: days, sessions and resources per session."""
    config = build_config(
        {"archive": demo / "ukmedlibs.db"}, env={}, event_file=example_event_dir() / "event.toml"
    )
    return load_digest(
        demo / "ukmedlibs.db",
        title=config.title,
        schedule=config.schedule,
        exclude=config.exclude,
        timezone=config.timezone,
    )


def test_parts_are_cut_between_threads_once_they_hold_enough_posts(programme_digest: Digest) -> None:
    book = print_html(programme_digest, {}).view
    view = book.view
    parts = cut(book, limit=4)
    order = [thread.thread.id for thread in view.threads]
    assert [t for part in parts for t in order if t in part.threads] == order
    sizes = {thread.thread.id: len(thread.entries) for thread in view.threads}
    for part in parts[:-1]:
        held = [sizes[t] for t in order if t in part.threads]
        assert sum(held) >= 4 > sum(held[:-1])
    assert [part.first for part in parts] == [True] + [False] * (len(parts) - 1)
    assert [part.last for part in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[0].carry is None and all(part.carry for part in parts[1:])
    for day in view.days:
        holding = [
            part
            for part in parts
            if any(t.thread.id in part.threads for s in day.sessions for t in s.threads)
        ]
        assert [part for part in parts if day.anchor in part.headings] == holding[:1]
        assert all(day.anchor in part.sections for part in holding)
        for session in day.sessions:
            anchor = book.anchors[session.session.id]
            first, last = session.threads[0].thread.id, session.threads[-1].thread.id
            assert [part for part in parts if anchor in part.headings] == [
                p for p in parts if first in p.threads
            ]
            assert [part for part in parts if anchor in part.endings] == [
                p for p in parts if last in p.threads
            ]
            for part in parts[1:]:
                if anchor in part.sections and anchor not in part.headings:
                    assert part.carry == (day.label, session.session.title)


def test_a_digest_without_a_programme_is_cut_under_one_running_header() -> None:
    digest = small_digest()
    parts = cut(print_html(digest, {}).view, limit=1)
    assert len(parts) == len(digest.threads)
    assert all(part.carry == (FLAT_DAY, "") for part in parts[1:])
    assert not any(part.headings or part.sections or part.endings for part in parts)
    assert cut(print_html(digest, {}).view) == [
        dataclasses.replace(parts[0], threads=frozenset(t.id for t in digest.threads), last=True)
    ]


@pytest.fixture(scope="module")
def in_parts(programme_digest: Digest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The demo's book cut into parts of a few posts, so that they open inside days and sessions."""
    document = print_html(programme_digest, {}, part_posts=4)
    assert threading.active_count() == 1  # so the parts are laid out by forked processes
    pdf = tmp_path_factory.mktemp("parts") / "parts.pdf"
    pdf.write_bytes(write_pdf(document, json_text=json.dumps({"parts": len(document.parts)}), created=START))
    return pdf, len(document.parts)


def test_a_book_in_parts_has_the_contents_and_bookmarks_of_the_whole(
    in_parts: tuple[Path, int], programme_digest: Digest, tmp_path: Path
) -> None:
    pdf, parts = in_parts
    assert parts >= 4
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(write_pdf(print_html(programme_digest, {}), json_text="{}"))
    marks, whole_marks = outline(pypdf.PdfReader(pdf)), outline(pypdf.PdfReader(whole))
    assert [(depth, title) for depth, title, _ in marks] == [
        (depth, title) for depth, title, _ in whole_marks
    ]
    assert {depth for depth, _, _ in marks} == {0, 1, 2}
    pages = page_texts(pdf)
    assert toc_numbers(pdf, pages) == [page for _, _, page in marks]
    # Each part starts a page, so the book is longer, never shorter.
    assert len(pages) >= len(page_texts(whole)) + 1


def test_every_page_of_a_book_in_parts_is_numbered_and_headed(in_parts: tuple[Path, int]) -> None:
    pdf, _ = in_parts
    pages = page_texts(pdf)
    days = {title for depth, title, _ in outline(pypdf.PdfReader(pdf)) if depth == 0}
    assert every_page_numbered(pages)
    body = [text for text in pages if not text.startswith("Contents")][1:]
    # A part that opens inside a day carries its running header.
    assert all(
        any(text.startswith(day) for day in days | {"Resources mentioned", "In figures"}) for text in body
    )


def test_the_contents_of_a_book_in_parts_link_to_where_threads_start(in_parts: tuple[Path, int]) -> None:
    pdf, _ = in_parts
    reader = pypdf.PdfReader(pdf)
    destinations = reader.named_destinations
    marks = outline(reader)
    contents = [index for index, text in enumerate(page_texts(pdf)) if text.startswith("Contents")]
    # A contents line that wraps is a link on each of its lines.
    names = dict.fromkeys(
        str(link["/Dest"])
        for index in contents
        for link in (annotation.get_object() for annotation in reader.pages[index].get("/Annots", []))
        if "/Dest" in link
    )
    targets = [reader.get_destination_page_number(destinations[name]) + 1 for name in names]
    assert targets == [page for _, _, page in marks]


def test_a_book_in_parts_is_one_tagged_pdf_a_with_the_json_inside(in_parts: tuple[Path, int]) -> None:
    pdf, parts = in_parts
    reader = pypdf.PdfReader(pdf)
    assert json.loads(reader.attachments["digest.json"][0]) == {"parts": parts}
    assert b"pdfaid:part" in reader.xmp_metadata.stream.get_data() if reader.xmp_metadata else False
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    keys = tree["/ParentTree"]["/Nums"][::2]
    assert len(keys) == len(set(keys)) and tree["/ParentTreeNextKey"] == max(keys) + 1
    assert {page["/StructParents"] for page in reader.pages} <= set(keys)
    assert len(tree["/K"]) == 1
    # Screen readers reach the text of the last part through the one structure tree.
    structure = subprocess.run(
        ["pdfinfo", "-struct-text", str(pdf)], check=True, capture_output=True, text=True
    )
    last_words = words(page_texts(pdf)[-1]).split(" / ")[0].split()[-6:-1]
    assert " ".join(last_words) in words(structure.stdout.replace('"', " "))


def test_a_generated_conference_prints_in_parts_with_its_contents_right(tmp_path: Path) -> None:
    from benchmarks.generate import generate  # noqa: PLC0415 (the benchmark's conference, only here)
    from benchmarks.seed import seed_archive  # noqa: PLC0415
    from benchmarks.stages import NOW  # noqa: PLC0415

    archive = tmp_path / "generated.db"
    seed_archive(generate(1200, seed=3), archive, NOW)
    digest = load_digest(archive, now=NOW)
    document = print_html(digest, {})
    assert len(document.parts) >= 2
    pdf = tmp_path / "generated.pdf"
    pdf.write_bytes(write_pdf(document, json_text="{}"))
    pages = page_texts(pdf)
    marks = outline(pypdf.PdfReader(pdf))
    assert len(marks) == len(digest.threads)
    assert toc_numbers(pdf, pages) == [page for _, _, page in marks]
    for _, title, page in marks:
        assert opening(title, 4) in pages[page - 1], (title, page)
    assert every_page_numbered(pages)


@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1", "none"])
def test_page_numbers_are_drawn_as_artifacts_in_every_variant(variant: str, tmp_path: Path) -> None:
    import pikepdf  # noqa: PLC0415 (reads the drawing itself, which pypdf does not parse)

    pdf = tmp_path / "numbered.pdf"
    pdf.write_bytes(write_pdf(print_html(small_digest(), {}, part_posts=10), variant=variant))
    pages = page_texts(pdf)
    assert every_page_numbered(pages)
    with pikepdf.open(pdf) as book:
        for page in book.pages:
            drawing = b"".join(stream.read_bytes() for stream in page.obj.Contents)
            assert drawing.endswith(
                b"/Artifact BMC q /PageNumber" + str(book.pages.index(page) + 1).encode() + b" Do Q EMC\n"
            )
            numbered = page.obj.Resources.XObject[f"/PageNumber{book.pages.index(page) + 1}"].read_bytes()
            assert b"BDC" not in numbered and b"MCID" not in numbered


def test_parts_laid_out_one_by_one_make_the_same_book(
    in_parts: tuple[Path, int], programme_digest: Digest, tmp_path: Path
) -> None:
    pdf, _ = in_parts
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()  # with another thread running, the parts are not forked but laid out here
    try:
        again = write_pdf(print_html(programme_digest, {}, part_posts=4), json_text="{}")
    finally:
        stop.set()
        other.join()
    # Not the same bytes: the fonts WeasyPrint subsets carry the time they were made.
    (tmp_path / "again.pdf").write_bytes(again)
    assert page_texts(tmp_path / "again.pdf") == page_texts(pdf)
    assert outline(pypdf.PdfReader(tmp_path / "again.pdf")) == outline(pypdf.PdfReader(pdf))


def test_where_there_is_no_fork_the_parts_are_laid_out_one_by_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import multiprocessing  # noqa: PLC0415 (a platform without fork, as Windows is)

    def no_fork(method: str | None = None) -> Any:
        raise AssertionError(f"asked for a {method} context where there is no fork")

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    document = print_html(small_digest(), {}, part_posts=10)
    assert len(document.parts) > 1
    pdf = tmp_path / "one-by-one.pdf"
    pdf.write_bytes(write_pdf(document))
    pages = page_texts(pdf)
    assert pages[-1].endswith(f"{len(pages)} / {len(pages)}")


# --- contents page numbers -----------------------------------------------------------------------


def test_contents_numbers_are_padded_to_one_width_before_and_after_layout() -> None:
    blank = PageNumbers(width=3)
    found = PageNumbers(width=3, pages={"t-a": 7, "t-b": 112})
    assert blank.label("t-a") == FIGURE_SPACE * 3
    assert found.label("t-a") == FIGURE_SPACE * 2 + "7"
    assert found.label("t-b") == "112"


def test_contents_too_narrow_for_their_numbers_are_laid_out_again_and_still_right(tmp_path: Path) -> None:
    guest = person("guest", "A Guest")
    more = tuple(
        Thread(
            id=f"t-more-{n}",
            kind="single",
            entries=(ThreadEntry(post(f"more-{n}", guest, 60 + n, "Yes " * 300)),),
        )
        for n in range(12)
    )
    document = print_html(small_digest(more), {})
    # One figure is too narrow for the page numbers of this digest: the front is laid out again, wider.
    document = dataclasses.replace(document, numbers=PageNumbers(width=1))
    pdf = tmp_path / "narrow.pdf"
    pdf.write_bytes(write_pdf(document, json_text="{}"))
    marks = outline(pypdf.PdfReader(pdf))
    assert max(page for _, _, page in marks) >= 10
    assert toc_numbers(pdf, page_texts(pdf)) == [page for _, _, page in marks]


def test_page_references_kept_between_calls_are_the_ones_pydyf_gives() -> None:
    import pydyf  # noqa: PLC0415 (the property is replaced once a PDF is written)

    document = pydyf.PDF()
    for _ in range(5):
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    expected = tuple(f"{number} 0 R".encode("ascii") for number in document.pages["Kids"][::3])
    keep_page_references()
    assert document.page_references == expected
    document.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(document.page_references) == 6
    assert document.page_references[-1] == f"{document.objects[-1].number} 0 R".encode("ascii")


def test_the_leaner_stylesheet_lays_out_the_same_book(tmp_path: Path) -> None:
    import weasyprint  # noqa: PLC0415 (the stock renderer, to compare with)

    document = print_html(small_digest(), {})
    books = {
        name: renderer(
            string=document.parts[0][0], base_url=BASE_URL, url_fetcher=PictureFetcher({})
        ).render()
        for name, renderer in (("stock", weasyprint.HTML), ("lean", PrintHTML))
    }
    texts = {}
    for name, book in books.items():
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(book.write_pdf())
        texts[name] = page_texts(pdf)
    assert len(texts["lean"]) > 3
    assert texts["lean"] == texts["stock"]
    assert [page.anchors.keys() for page in books["lean"].pages] == [
        page.anchors.keys() for page in books["stock"].pages
    ]


def test_footnotes_and_list_markers_survive_the_leaner_stylesheet(tmp_path: Path) -> None:
    html = (
        "<html lang=en><body><p>Called here<span style='float: footnote'>The footnote itself</span></p>"
        "<ol><li>first</li><li>second</li></ol></body></html>"
    )
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(PrintHTML(string=html).write_pdf())
    text = words(pdftotext(pdf))
    assert "Called here1" in text
    assert "1. The footnote itself" in text
    assert "1. first 2. second" in text


def test_collections_are_fewer_while_a_pdf_is_made_and_as_before_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= 50_000
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("layout failed")
    assert gc.get_threshold() == before


def custom_front(tmp_path: Path, added: str) -> Path:
    """The packaged print template with `added` at the head of its contents."""
    packaged = (templates_dir() / "print" / "digest.html.j2").read_text(encoding="utf-8")
    assert '<nav class="toc">' in packaged
    custom = tmp_path / "templates" / "print"
    custom.mkdir(parents=True)
    (custom / "digest.html.j2").write_text(packaged.replace('<nav class="toc">', '<nav class="toc">' + added))
    return tmp_path / "templates"


def test_contents_a_page_longer_once_numbered_are_laid_out_again_with_their_numbers(tmp_path: Path) -> None:
    templates = custom_front(
        tmp_path, '{% if numbers.pages %}<p style="break-after: page">Numbered</p>{% endif %}'
    )
    pdf = tmp_path / "longer.pdf"
    pdf.write_bytes(write_pdf(print_html(small_digest(), {}, templates=templates)))
    pages = page_texts(pdf)
    assert pages[1].startswith("Numbered")
    marks = outline(pypdf.PdfReader(pdf))
    assert toc_numbers(pdf, pages) == [page for _, _, page in marks]


def test_a_custom_template_whose_contents_never_settle_is_told_what_to_change(tmp_path: Path) -> None:
    pages_before_the_first_thread = (
        "{% for _ in range(numbers.pages.values()|min if numbers.pages else 0) %}"
        '<p style="break-after: page">More</p>{% endfor %}'
    )
    document = print_html(small_digest(), {}, templates=custom_front(tmp_path, pages_before_the_first_thread))
    with pytest.raises(UsageError, match="must give each number the same room"):
        write_pdf(document)
