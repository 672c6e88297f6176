"""The built wheel carries its templates and example event, and works installed away from the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_wheel_installs_and_renders_from_a_fresh_environment(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("confthread-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "confthread/templates/digest.html.j2",
        "confthread/templates/digest.css",
        "confthread/examples/ukmedlibs/event.toml",
    } <= names

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # Dependencies come from this environment; confthread itself only from the wheel.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import confthread; print(confthread.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(fresh))
    demo = subprocess.run(
        [fresh / "bin" / "confthread", "demo", "--out", "out"], cwd=work, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    page = (work / "out" / "ukmedlibs.html").read_text()
    assert "<style" in page and "UK Medical Libraries Conference 2026" in page
    digest = json.loads((work / "out" / "ukmedlibs.json").read_text())
    assert len(digest["threads"]) >= 4
