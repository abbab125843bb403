"""What the prefetcher starts as each item begins: serially the next items of the session,
under xdist the worker's next item and its queue, never anything twice or out of reach."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator

from pytest_evals.plugin.prefetch import Prefetcher


class _Item:
    def __init__(self, index: int, *, early: bool = True) -> None:
        self.index = index
        self.can_start_early = early
        self.starts = 0

    def start(self) -> None:
        self.starts += 1


class _Queue:
    """pytest-xdist's worker queue: a deque behind a lock."""

    def __init__(self, indexes: list[int]) -> None:
        self.queued = deque(indexes)

    @contextlib.contextmanager
    def lock(self) -> Iterator[deque[int]]:
        yield self.queued


class _WorkerInteractor:
    def __init__(self, next_index: int | None, queued: list[int]) -> None:
        self.nextitem_index = next_index
        self.torun = _Queue(queued)


def _started(items: list[_Item]) -> list[int]:
    return [i.index for i in items if i.starts]


def test_serially_the_window_after_the_current_item_starts_once() -> None:
    items = [_Item(i) for i in range(10)]
    prefetcher = Prefetcher(items, window=3, plugins=[object()])
    prefetcher.before(items[0])
    assert _started(items) == [0, 1, 2, 3]
    prefetcher.before(items[1])
    assert _started(items) == [0, 1, 2, 3, 4]
    assert all(i.starts <= 1 for i in items)  # start() is idempotent, but is not called twice


def test_under_xdist_the_next_item_and_the_queue_start_and_nothing_else() -> None:
    items = [_Item(i) for i in range(10)]
    # The worker took item 4 off its queue as the next one before running item 2; items
    # 0, 1, 3 and 9 belong to other workers.
    worker = _WorkerInteractor(4, [5, 6, 7, 8])
    prefetcher = Prefetcher(items, window=2, plugins=[object(), worker])
    prefetcher.before(items[2])
    assert _started(items) == [2, 4, 5, 6]


def test_under_xdist_the_shutdown_marker_is_not_an_item() -> None:
    items = [_Item(i) for i in range(3)]
    worker = _WorkerInteractor(None, [])
    worker.nextitem_index = "shutdown"  # type: ignore[assignment]
    Prefetcher(items, window=4, plugins=[worker]).before(items[2])
    assert _started(items) == [2]


def test_items_that_cannot_start_early_are_left_to_their_own_turn() -> None:
    items = [_Item(0), _Item(1, early=False), _Item(2)]
    Prefetcher(items, window=4, plugins=[]).before(items[0])
    assert _started(items) == [0, 2]
