"""Where the packaged templates and example event live, installed or in a source checkout.

A wheel carries `templates/` and `examples/` inside the package; a source checkout keeps them at the
top level of the repository, beside `src/`. Both are found relative to this file, never the cwd.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _bundled(name: str) -> Path:
    for candidate in (_PACKAGE / name, _CHECKOUT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"confthread's {name}/ folder is missing; reinstall confthread")


def templates_dir() -> Path:
    return _bundled("templates")


def example_event_dir(name: str = "ukmedlibs") -> Path:
    return _bundled("examples") / name
