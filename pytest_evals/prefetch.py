"""Starting the samples of the items a process runs next, so that their model calls are in
flight while pytest runs and reports the current item in its usual order.

Without pytest-xdist the upcoming items are the session's items after the current one. Under
xdist a worker runs only what the controller has sent it: its queue of item indexes, which
xdist's ``--dist load`` keeps topped up (a quarter to a half of the remaining items per
worker, at least two). The window reads that queue; it never starts items another worker
will run, so no call is made twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any


def _xdist_queue(plugins: Iterable[object]) -> Any | None:
    """The worker's queue of item indexes (pytest-xdist's WorkerInteractor.torun), if this
    process is an xdist worker."""
    for plugin in plugins:
        queue = getattr(plugin, "torun", None)
        if queue is not None and hasattr(queue, "lock"):
            return queue
    return None


class Prefetcher:
    def __init__(self, items: Sequence[object], window: int, plugins: Iterable[object]) -> None:
        self._items = items
        self._window = window
        self._queue = _xdist_queue(plugins)
        self._positions: dict[int, int] | None = None
        self._started_until = 0

    def _upcoming_serial(self, current: object) -> Iterable[object]:
        if self._positions is None:
            self._positions = {id(item): i for i, item in enumerate(self._items)}
        position = self._positions.get(id(current))
        if position is None:
            return ()
        end = min(len(self._items), position + 1 + self._window)
        begin = max(self._started_until, position)
        self._started_until = max(self._started_until, end)
        return self._items[begin:end]

    def _upcoming_xdist(self, queue: Any, current: object) -> Iterable[object]:
        with queue.lock() as queued:
            indexes = [i for i in itertools.islice(queued, self._window) if isinstance(i, int)]
        return [current, *(self._items[i] for i in indexes)]

    def before(self, current: object) -> None:
        """Called as each item starts: start it and the next ``window`` items."""
        queue = self._queue
        upcoming = (
            self._upcoming_xdist(queue, current)
            if queue is not None
            else self._upcoming_serial(current)
        )
        for item in upcoming:
            if getattr(item, "can_start_early", False):
                item.start()  # type: ignore[attr-defined]
