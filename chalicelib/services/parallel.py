"""Work that waits on AWS and providers, not on the CPU, done a few at a time: the sweep's tickets and a
delivery run's messages. Each item is its own conditional write, so they never wait on one another."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_parallel(work: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``work`` on each item, at most ``workers`` at once (threads), results in the items' order. One
    worker: one after another, in this thread (what the tests over fakes use)."""
    if workers <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(work, items))
