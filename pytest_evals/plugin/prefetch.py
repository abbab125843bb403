"""Starting the work of the items a process runs next, so that their model calls (and async
scorers) are in flight while pytest runs and reports the current item in its usual order.

Without pytest-xdist the upcoming items are the session's items after the current one. Under
xdist a worker runs only what the controller has sent it (``xdist.queued_items``): the
scheduler keeps that queue a window deep, and the window never starts items another worker
will run, so no call is made twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_IN_FLIGHT = 16


def window_for(limits: Iterable[int], cap: int | None) -> int:
    """How many items to start ahead: twice the calls that can be in flight (the largest
    connection limit, under the process cap) keeps the engine busy while pytest reports."""
    in_flight = max(limits, default=DEFAULT_IN_FLIGHT)
    if cap is not None:
        in_flight = min(in_flight, cap)
    return 2 * in_flight


class Prefetcher:
    def __init__(self, items: Sequence[object], window: int, plugins: Iterable[object]) -> None:
        # Here, not at the top: the hooks size the window at start-up, and a session without
        # evals should not load xdist's scheduler for that.
        from .xdist import queued_items, worker_queue

        self._items = items
        self._window = window
        self._worker: Any = worker_queue(plugins)
        self._queued_items = queued_items
        self._positions: dict[int, int] | None = None
        self._started_until = 0

    def _upcoming_serial(self, current: object) -> Sequence[object]:
        if self._positions is None:
            self._positions = {id(item): i for i, item in enumerate(self._items)}
        position = self._positions.get(id(current))
        if position is None:
            return ()
        end = min(len(self._items), position + 1 + self._window)
        begin = max(self._started_until, position)
        self._started_until = max(self._started_until, end)
        return self._items[begin:end]

    def ahead(self, current: object) -> Sequence[object]:
        """The items this process runs after ``current`` that the window may have started:
        not one it skipped past, nor one xdist has taken back for another worker."""
        if self._worker is not None:
            return self._queued_items(self._worker, self._items, current, self._window)[1:]
        if self._positions is None:
            self._positions = {id(item): i for i, item in enumerate(self._items)}
        position = self._positions.get(id(current))
        if position is None:
            return ()
        return self._items[position + 1 : position + 1 + self._window]

    def before(self, current: object) -> None:
        """Called as each item starts: start it and the next ``window`` items."""
        worker = self._worker
        upcoming = (
            self._queued_items(worker, self._items, current, self._window)
            if worker is not None
            else self._upcoming_serial(current)
        )
        for item in upcoming:
            if getattr(item, "can_start_early", False):
                item.start()  # type: ignore[attr-defined]
