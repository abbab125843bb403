"""Everything that touches pytest-xdist: the controller's bridge to its workers (the session
folder every process shares, the scheduler), the ``--dist load`` scheduling that keeps every
worker's prefetch window full, and a worker's view of its own queue.

xdist sends each worker a first chunk of a quarter of its share (at least two items), tops a
worker up only when its queue runs low, and not at all while the last item took over 0.1 s
and two are still queued. An item whose call was not started early enough waits on it for a
model's latency, so the worker's queue, and with it the window of calls in flight, would
shrink until every item waits. Here a worker always has ``window`` items queued while any
remain, from the first chunk on; once fewer remain than the workers could hold, a worker is
topped up to an equal share of what is left (queued or not), so no worker is handed the
whole tail while another idles. Only eval items are sent ahead like this: while the next
item to send is an ordinary test (``pytest tests/ --evals evals/``), xdist's own short
queues keep slow tests spread over the workers. Everything else is xdist's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScheduling

from ..spec.model import is_spec_path

SHARED_DIR_KEY = "pytest_evals_shared_dir"


def is_eval_item(nodeid: str) -> bool:
    return is_spec_path(nodeid.split("::", 1)[0])


class WindowedLoadScheduling(LoadScheduling):  # type: ignore[misc]
    def __init__(self, config: Any, log: Any, *, window: int) -> None:
        super().__init__(config, log)
        self.window = window

    def schedule(self) -> None:
        first = self.collection is None
        super().schedule()
        if first and self.pending:
            for node in self.nodes:
                self._top_up(node)

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if node.shutting_down:
            return
        super().check_schedule(node, duration=duration)
        self._top_up(node)

    def _top_up(self, node: Any) -> None:
        if not self.pending or node.shutting_down:
            return
        if not is_eval_item(self.collection[self.pending[0]]):
            return
        queues = self.node2pending
        left = len(self.pending) + sum(len(queued) for queued in queues.values())
        equal_share = -(-left // max(len(queues), 1))
        missing = min(self.window, equal_share) - len(queues[node])
        if missing > 0:
            self._send_tests(node, missing)


class XdistBridge:
    """On the controller: hands every worker the session's shared folder, and schedules
    ``--dist load`` so that every worker's prefetch window stays full."""

    def __init__(self, shared_dir: Path, window: Callable[[], int]) -> None:
        self.shared_dir = shared_dir
        self.window = window

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[SHARED_DIR_KEY] = str(self.shared_dir)

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "load":
            return None
        return WindowedLoadScheduling(config, log, window=self.window())


def worker_shared_dir(config: pytest.Config) -> Path | None:
    """The session folder the controller handed this worker, if this is a worker."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and SHARED_DIR_KEY in workerinput:
        return Path(workerinput[SHARED_DIR_KEY])
    return None


def worker_queue(plugins: Iterable[object]) -> Any | None:
    """pytest-xdist's WorkerInteractor (its ``torun`` queue of item indexes and the
    ``nextitem_index`` it took off that queue), if this process is an xdist worker."""
    for plugin in plugins:
        queue = getattr(plugin, "torun", None)
        if queue is not None and hasattr(queue, "lock"):
            return plugin
    return None


def queued_items(
    worker: Any, items: Sequence[object], current: object, window: int
) -> list[object]:
    """The item running now, the next one (which the worker took off its queue before it
    runs the current one) and up to ``window`` queued after it: what this worker runs next,
    and nothing another worker will run."""
    with worker.torun.lock() as queued:
        indexes = [worker.nextitem_index, *itertools.islice(queued, window)]
    return [current, *(items[i] for i in indexes if isinstance(i, int))]
