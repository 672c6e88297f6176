"""The Markdown digest: front matter a blog reads, post text that stays text, pictures as files beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from confthread.cli import main
from confthread.demo import run_demo
from confthread.render.markdown import escape_md, md_url, render_markdown
from tests.test_render import HOSTILE_HTML, hostile_digest, sample_digest


def front_matter(text: str) -> dict[str, str]:
    head, _, _ = text.removeprefix("---\n").partition("\n---\n")
    return dict(line.split(": ", 1) for line in head.splitlines())


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
        (
            "{{ site.secret }} {% include x %}",
            "&#123;&#123; site.secret &#125;&#125; &#123;% include x %&#125;",
        ),
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript:alert\\(1\\)\\)"),
        ("# not a heading", "\\# not a heading"),
        ("- not a list\n1. nor this", "\\- not a list\n1\\. nor this"),
        ("*bold* _it_ `code` ![img](x)", "\\*bold\\* \\_it\\_ \\`code\\` \\!\\[img\\]\\(x\\)"),
    ],
)
def test_text_is_escaped_for_markdown_liquid_and_html(raw: str, escaped: str) -> None:
    assert escape_md(raw) == escaped


def test_only_web_addresses_become_link_targets() -> None:
    assert md_url("javascript:alert(1)") is None
    assert md_url("data:text/html,x") is None
    assert md_url("https://example.org/a b)c") == "https://example.org/a%20b%29c"


def test_front_matter_and_the_threads() -> None:
    text = render_markdown(sample_digest())
    meta = front_matter(text)
    assert json.loads(meta["title"]) == "GLAM Conference 2025"
    assert json.loads(meta["tags"])[0] == "glam25"
    assert meta["date"] == "2025-03-14T09:00:00+00:00"
    assert "## Live posts by Alice Archivist" in text
    assert "[view original](https://bsky.app/profile/alice.bsky.social/post/live1)" in text
    # Replies are quoted under the post they answer.
    assert re.search(r"^> \*\*Bob\*\*", text, re.MULTILINE)
    assert "**Content warning: accessibility, venue**" in text


def test_hostile_posts_stay_text() -> None:
    text = render_markdown(hostile_digest())
    body = text.split("\n---\n", 1)[1]
    assert "<" not in body.replace("&lt;", "")
    assert "{{" not in body and "{%" not in body
    assert "](javascript" not in body.lower() and "](data:" not in body.lower()
    assert len(HOSTILE_HTML) > 10


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("md-demo")
    assert not run_demo(out).report.failed
    return out


def render(demo: Path, fmt: str, out: str) -> None:
    event = Path(__file__).parents[1] / "examples" / "ukmedlibs" / "event.toml"
    main(
        [
            "render",
            "--format",
            fmt,
            "--out",
            out,
            "--archive",
            str(demo / "ukmedlibs.db"),
            "--config",
            str(event),
        ]
    )


def test_markdown_folder_has_its_pictures_beside_it(demo: Path, tmp_path: Path) -> None:
    render(demo, "markdown", f"{tmp_path / 'blog'}/")
    index = tmp_path / "blog" / "index.md"
    text = index.read_text()
    pictures = re.findall(r"!\[[^\]]*\]\((assets/[0-9a-f]+\.(?:jpg|png))\)", text)
    assert len(pictures) >= 5
    assert all((index.parent / name).is_file() for name in pictures)
    assert "data:" not in text


def test_html_folder_and_single_file(demo: Path, tmp_path: Path) -> None:
    render(demo, "html", f"{tmp_path / 'site'}/")
    folder = BeautifulSoup((tmp_path / "site" / "index.html").read_text(), "html.parser")
    sources = [str(img["src"]) for img in folder.find_all("img")]
    assert sources and all(src.startswith("assets/") for src in sources)
    assert all((tmp_path / "site" / src).is_file() for src in sources)
    (tmp_path / "existing").mkdir()
    render(demo, "html", str(tmp_path / "existing"))
    assert (tmp_path / "existing" / "index.html").is_file()
    render(demo, "html", str(tmp_path / "one.html"))
    single = BeautifulSoup((tmp_path / "one.html").read_text(), "html.parser")
    assert all(str(img["src"]).startswith("data:image/") for img in single.find_all("img"))
    assert not (tmp_path / "assets").exists()
