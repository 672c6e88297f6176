"""Golden cases: a compact JSON description of posts (and a programme, an exclude list) -> a Digest.

Each case is `tests/golden/<name>.input.json` beside `<name>.expected.json`, the JSON digest it must
give. Run `CONFTHREAD_UPDATE_GOLDEN=1 pytest tests/test_golden.py` to write the expected files after a
deliberate change, then read the diff: that review is the test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confthread.digest import build_digest
from confthread.models import Author, Counts, Digest, Link, Post
from confthread.schedule import parse_csv

GOLDEN = Path(__file__).parent / "golden"
GENERATED_AT = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)


def author(spec: dict[str, Any]) -> Author:
    return Author(
        platform=spec["platform"],
        id=spec["id"],
        handle=spec["handle"],
        name=spec.get("name"),
        url=spec.get("url"),
        opted_out=spec.get("opted_out", False),
        links=tuple(spec.get("links", ())),
    )


def post(spec: dict[str, Any], authors: dict[str, Author]) -> Post:
    by = authors[spec["by"]]
    return Post(
        platform=by.platform,
        uri=spec["uri"],
        author=by,
        created_at=datetime.fromisoformat(spec["at"]),
        text=spec["text"],
        url=spec.get("url"),
        reply_to=spec.get("reply_to"),
        quote_of=spec.get("quote_of"),
        tags=tuple(spec.get("tags", ())),
        links=tuple(Link(**link) for link in spec.get("links", ())),
        counts=Counts(**spec.get("counts", {})),
        original_url=spec.get("original_url"),
    )


def case_posts(case: dict[str, Any]) -> list[Post]:
    authors = {key: author(spec) for key, spec in case["authors"].items()}
    return [post(spec, authors) for spec in case["posts"]]


def build_case(case: dict[str, Any]) -> Digest:
    schedule = "\n".join(case.get("schedule_csv", []))
    return build_digest(
        case_posts(case),
        title=case.get("title", "Golden case"),
        hashtags=case.get("hashtags", ["glam"]),
        now=GENERATED_AT,
        sessions=parse_csv(schedule) if schedule else (),
        exclude=case.get("exclude", []),
    )


def load_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.input.json").read_text(encoding="utf-8"))
    return data


def case_names() -> list[str]:
    return sorted(path.name.removesuffix(".input.json") for path in GOLDEN.glob("*.input.json"))
