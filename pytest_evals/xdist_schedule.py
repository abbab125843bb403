"""pytest-xdist's ``--dist load`` scheduling, keeping every worker's queue deep enough for
its prefetch window. Imported only on an xdist controller.

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

from typing import Any

from xdist.scheduler import LoadScheduling

from .plugin import SPEC_SUFFIXES


def is_eval_item(nodeid: str) -> bool:
    return nodeid.split("::", 1)[0].endswith(SPEC_SUFFIXES)


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
