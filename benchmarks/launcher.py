"""Runs a command and reports its wall time and peak memory (`-t S`: a time limit; `-q`: no stderr)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time


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
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    # Reaped here, so Popen must not wait for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    report = {"seconds": seconds, "peak_kib": usage.ru_maxrss, "returncode": process.returncode}
    sys.stdout.write(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
