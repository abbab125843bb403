"""pytest-xdist's ``--dist load`` scheduling, keeping every worker's queue deep enough for
its prefetch window. Imported only on an xdist controller.

xdist tops a worker up only when its queue runs low, and not at all while the last item took
over 0.1 s and two are still queued. An item whose call was not started early enough waits
on it for a model's latency, so the worker's queue, and with it the window of calls in
flight, would shrink until every item waits. Here a worker always has at least ``window``
items queued while any remain (its fair share at the end); everything else is xdist's.
"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadScheduling


class WindowedLoadScheduling(LoadScheduling):  # type: ignore[misc]
    def __init__(self, config: Any, log: Any, *, window: int) -> None:
        super().__init__(config, log)
        self.window = window

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if node.shutting_down:
            return
        super().check_schedule(node, duration=0)
        if not self.pending or node.shutting_down:
            return
        fair_share = -(-len(self.pending) // max(len(self.node2pending), 1))
        wanted = min(self.window, fair_share)
        queued = len(self.node2pending[node])
        if queued < wanted:
            self._send_tests(node, wanted - queued)
