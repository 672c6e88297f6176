"""Network calls in worker threads, storage in the caller's: SQLite connections stay in one thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fan_out(
    items: Iterable[T],
    fetch: Callable[[T], R],
    store: Callable[[R], None],
    *,
    workers: int,
    skip: Callable[[T], bool] = lambda item: False,
) -> None:
    """Keep `workers` fetches in flight; store each result as it arrives, in this thread.

    `skip` is asked only when an item is about to start, so what earlier results stored (a thread
    that already holds this post, say) can spare a fetch. A fetch that raises stops the fan-out:
    what was stored stays stored, and the error reaches the caller.
    """
    remaining = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="confthread-fetch") as pool:
        running: set[Future[R]] = set()

        def refill() -> None:
            while len(running) < workers:
                item = next((candidate for candidate in remaining if not skip(candidate)), None)
                if item is None:
                    return
                running.add(pool.submit(fetch, item))

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.discard(future)
                store(future.result())
            refill()
