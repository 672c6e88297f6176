"""Golden files: each behaviour of the digest as input posts beside the JSON digest they must give."""

from __future__ import annotations

import json
import os
import random

import pytest

from confthread.render import digest_to_dict, render_json
from tests.golden_builder import GOLDEN, build_case, case_names, load_case

UPDATE = os.environ.get("CONFTHREAD_UPDATE_GOLDEN") == "1"


def test_there_are_golden_cases() -> None:
    assert {"threads_and_quotes", "crossposts", "consent", "sessions", "chats", "links_and_figures"} <= set(
        case_names()
    )


@pytest.mark.parametrize("name", case_names())
def test_digest_matches_its_golden_file(name: str) -> None:
    case = load_case(name)
    got = digest_to_dict(build_case(case))
    expected_path = GOLDEN / f"{name}.expected.json"
    if UPDATE:
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected


@pytest.mark.parametrize("name", case_names())
def test_golden_input_order_does_not_matter(name: str) -> None:
    case = load_case(name)
    shuffled = dict(case, posts=random.Random(name).sample(case["posts"], len(case["posts"])))
    assert render_json(build_case(shuffled)) == render_json(build_case(case))
