"""Starting the samples of the items a process runs next, so that their model calls are in
flight while pytest runs and reports the current item in its usual order.

Without pytest-xdist the upcoming items are the session's items after the current one. Under
xdist a worker runs only what the controller has sent it: the next item, which the worker
takes off its queue before it runs the current one, then the queue of item indexes that the
scheduler (``xdist_schedule.py``) keeps a window deep. The window reads those; it never
starts items another worker will run, so no call is made twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any


def _xdist_worker(plugins: Iterable[object]) -> Any | None:
    """pytest-xdist's WorkerInteractor (its ``torun`` queue of item indexes and the
    ``nextitem_index`` it took off that queue), if this process is an xdist worker."""
    for plugin in plugins:
        queue = getattr(plugin, "torun", None)
        if queue is not None and hasattr(queue, "lock"):
            return plugin
    return None


class Prefetcher:
    def __init__(self, items: Sequence[object], window: int, plugins: Iterable[object]) -> None:
        self._items = items
        self._window = window
        self._worker = _xdist_worker(plugins)
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

    def _upcoming_xdist(self, worker: Any, current: object) -> Iterable[object]:
        with worker.torun.lock() as queued:
            indexes = [worker.nextitem_index, *itertools.islice(queued, self._window)]
        return [current, *(self._items[i] for i in indexes if isinstance(i, int))]

    def before(self, current: object) -> None:
        """Called as each item starts: start it and the next ``window`` items."""
        worker = self._worker
        upcoming = (
            self._upcoming_xdist(worker, current)
            if worker is not None
            else self._upcoming_serial(current)
        )
        for item in upcoming:
            if getattr(item, "can_start_early", False):
                item.start()  # type: ignore[attr-defined]
