"""Where the shared recordings of real servers live; tests read them in place, never copy them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# shared/ sits beside the checkout, in development and in CI; elsewhere, name its real-api folder.
REAL_API = (
    Path(os.environ.get("CONFTHREAD_REAL_API") or Path(__file__).resolve().parents[2] / "shared" / "real-api")
    / "extracted"
)


def recordings(platform: str) -> dict[str, Any]:
    folder = REAL_API / platform
    found = {
        path.name: json.loads(path.read_text())
        for path in sorted(folder.glob("*.json"))
        if not path.name.endswith(".meta.json")
    }
    assert found, f"no recordings under {folder}: the shared/ folder must sit beside the checkout"
    return found


def original(platform: str, name: str) -> Any:
    """A byte-for-byte copy of another project's recording (originals/), as JSON."""
    return json.loads((REAL_API.parent / "originals" / platform / name).read_text())
