"""Child processes whose wall time and peak memory are theirs alone, read with `os.wait4`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    """`seconds` is what the child timed itself (its stage's work), else the process's wall time;
    `peak_mib` is the child's peak memory, with every process it started (see launcher.py)."""

    seconds: float
    peak_mib: float
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run_stage(spec: dict[str, Any], workdir: Path, *, timeout: float | None = None) -> Measured:
    """`benchmarks.stages` in a fresh interpreter: nothing of this process's memory is inherited."""
    name = f"{spec['stage']}-{spec.get('size', 0)}-{time.monotonic_ns()}"
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    argv = [sys.executable, "-m", "benchmarks.stages", str(spec_path), str(result_path)]
    measured = run_command(argv, timeout=timeout)
    if measured.error is not None:
        return measured
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    return Measured(float(result.get("seconds", measured.seconds)), measured.peak_mib, result)


def run_command(argv: list[str], *, timeout: float | None = None, quiet: bool = False) -> Measured:
    """Runs `argv` from the repository's root through `benchmarks.launcher`, which waits for it."""
    options = [*(["-t", str(timeout)] if timeout else []), *(["-q"] if quiet else [])]
    wrapper = [sys.executable, "-m", "benchmarks.launcher", *options, "--"]
    launched = subprocess.run(  # noqa: S603 (our own argv)
        [*wrapper, *argv], cwd=ROOT, stdout=subprocess.PIPE, check=True
    )
    report = json.loads(launched.stdout)
    seconds, peak = float(report["seconds"]), report["peak_kib"] / 1024
    if timeout and seconds >= timeout:
        return Measured(seconds, peak, error=f"did not finish in {timeout:.0f} s")
    if report["returncode"] != 0:
        return Measured(seconds, peak, error=f"{Path(argv[0]).name} exited with {report['returncode']}")
    return Measured(seconds, peak)
