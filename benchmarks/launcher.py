"""Runs a command and reports its wall time and peak memory (`-t S`: a time limit; `-q`: no stderr).

Peak memory is the larger of the command's own `ru_maxrss` (exact, but one process: Linux reports the
largest of a process and its children, never their sum) and the sum of proportional set sizes (PSS)
over the command and every process below it, sampled while it runs: a renderer that lays a book out
in several processes, or a browser, is charged for all of them, and pages they share count once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

# Often enough to see a stage's plateau; seldom enough to take little of the CPUs it is measured on.
SAMPLE_SECONDS = 0.2


def main(argv: list[str]) -> int:
    """A process started straight from the runner would report the runner's peak as its own: Linux
    carries the peak of the memory a process replaces at exec into its `ru_maxrss`, and the runner
    holds the whole served event. This launcher is small, so what it starts reports only itself."""
    options, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    timeout = float(options[options.index("-t") + 1]) if "-t" in options else None
    # -q: a browser's chatter on stderr says nothing about the benchmark.
    stderr = subprocess.DEVNULL if "-q" in options else None
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)  # noqa: S603 (the runner's argv)
    timer = threading.Timer(timeout, process.kill) if timeout else None
    if timer is not None:
        timer.start()
    tree_kib = 0
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            tree_kib = max(tree_kib, _tree_pss_kib(process.pid))
            time.sleep(SAMPLE_SECONDS)
    finally:
        if timer is not None:
            timer.cancel()
    # Reaped here, so Popen must not wait for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    report = {
        "seconds": seconds,
        "peak_kib": max(usage.ru_maxrss, tree_kib),
        "returncode": process.returncode,
    }
    sys.stdout.write(json.dumps(report))
    return 0


def _tree_pss_kib(root: int) -> int:
    """The PSS of `root` and all its descendants; a process that ends while it is read counts nothing."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text(encoding="ascii").split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
