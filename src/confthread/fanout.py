"""Network calls in worker threads, storage in the caller's: SQLite connections stay in one thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import takewhile
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
    ordered: bool = False,
) -> None:
    """Keep `workers` fetches in flight; store each result as it arrives, in this thread.

    `skip` is asked only when an item is about to start, so what earlier results stored (a thread
    that already holds this post, say) can spare a fetch. `ordered` stores the results in the order
    of `items` instead, where what is stored first decides what later results become. A fetch that
    raises stops the fan-out: what was stored stays stored, and the error reaches the caller.
    """
    remaining = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="confthread-fetch") as pool:
        # In the order started: a result waits here until it may be stored.
        running: list[Future[R]] = []

        def refill() -> None:
            while len(running) < workers:
                item = next((candidate for candidate in remaining if not skip(candidate)), None)
                if item is None:
                    return
                running.append(pool.submit(fetch, item))

        refill()
        while running:
            wait(running[:1] if ordered else running, return_when=FIRST_COMPLETED)
            finished = list(takewhile(Future.done, running)) if ordered else [f for f in running if f.done()]
            for future in finished:
                running.remove(future)
                store(future.result())
            refill()
