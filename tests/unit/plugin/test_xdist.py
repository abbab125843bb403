"""The xdist scheduler keeps every worker's queue a prefetch window deep, from the first
chunk to the last item, against xdist's own LoadScheduling with stand-in workers."""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadScheduling

from pytest_evals.plugin.xdist import WindowedLoadScheduling


class _Config:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    def getvalue(self, name: str) -> Any:
        return [f"{self.workers}*popen"] if name == "tx" else None

    def getoption(self, name: str) -> Any:
        return None  # --maxschedchunk not given


class _Gateway:
    def __init__(self, name: str) -> None:
        self.id = name


class _Worker:
    def __init__(self, name: str) -> None:
        self.gateway = _Gateway(name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def _scheduler(
    items: int, workers: int, window: int, *, plain_tests: int = 0
) -> tuple[Any, list[_Worker]]:
    scheduler = WindowedLoadScheduling(_Config(workers), None, window=window)
    nodes = [_Worker(f"gw{i}") for i in range(workers)]
    ids = [f"tests/test_app.py::test_{i}" for i in range(plain_tests)]
    ids += [f"evals/e.eval.yaml::e[{i}]" for i in range(items)]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, ids)
    scheduler.schedule()
    return scheduler, nodes


def _queued(scheduler: Any, node: _Worker) -> int:
    return len(scheduler.node2pending[node])


def _finish_one(scheduler: Any, node: _Worker, duration: float = 0.5) -> None:
    scheduler.mark_test_complete(node, scheduler.node2pending[node][0], duration)


def test_the_first_chunk_fills_each_window() -> None:
    # xdist alone would send each worker a quarter of its share: 3 of 12.
    scheduler, nodes = _scheduler(items=24, workers=2, window=8)
    assert [_queued(scheduler, n) for n in nodes] == [8, 8]


def test_queues_stay_a_window_deep_until_nothing_is_left_to_send() -> None:
    # Slow items (over xdist's 0.1 s) would make xdist wait with its top-ups.
    scheduler, nodes = _scheduler(items=300, workers=2, window=64)
    while scheduler.pending:
        for node in nodes:
            if scheduler.pending:
                assert _queued(scheduler, node) >= 63
                _finish_one(scheduler, node)
    # The tail: every worker was topped up to the window while items remained, so the
    # last calls are all in flight together rather than trickling out a few at a time.
    assert [_queued(scheduler, n) for n in nodes] in ([64, 63], [63, 64], [64, 64])


def test_the_tail_is_shared_out_rather_than_handed_to_one_worker() -> None:
    scheduler, nodes = _scheduler(items=300, workers=2, window=64)
    while len(scheduler.pending) > 10:
        _finish_one(scheduler, nodes[0])
        _finish_one(scheduler, nodes[1])
    # Worker 0 drains 20 items at once: it gets at most half of what is left each time.
    for _ in range(20):
        _finish_one(scheduler, nodes[0])
    assert not scheduler.pending
    assert _queued(scheduler, nodes[1]) >= 64
    assert sum(len(n.sent) for n in nodes) == 300
    assert sorted(nodes[0].sent + nodes[1].sent) == list(range(300))


def test_workers_shut_down_once_everything_is_sent_and_run() -> None:
    scheduler, nodes = _scheduler(items=10, workers=2, window=64)
    assert not scheduler.pending
    for node in nodes:
        while scheduler.node2pending[node]:
            _finish_one(scheduler, node)
    assert all(node.shutting_down for node in nodes)
    assert sorted(nodes[0].sent + nodes[1].sent) == list(range(10))


def _plain_phase_depths(scheduler: Any, nodes: list[_Worker]) -> list[int]:
    depths = []
    while scheduler.collection[scheduler.pending[0]].startswith("tests/"):
        for node in nodes:
            depths.append(_queued(scheduler, node))
            _finish_one(scheduler, node, duration=2.0)
    return depths


def test_ordinary_tests_are_scheduled_as_xdist_would_and_evals_after_them_get_the_window() -> None:
    # pytest tests/ --evals evals/ -n 2: 400 slow tests, then 200 datapoints.
    scheduler, nodes = _scheduler(items=200, workers=2, window=64, plain_tests=400)
    plain = LoadScheduling(_Config(2), None)
    plain_nodes = [_Worker("gw0"), _Worker("gw1")]
    ids = scheduler.collection
    for node in plain_nodes:
        plain.add_node(node)
        plain.add_node_collection(node, ids)
    plain.schedule()
    assert _plain_phase_depths(scheduler, nodes) == _plain_phase_depths(plain, plain_nodes)
    while scheduler.pending:
        for node in nodes:
            if scheduler.pending:
                _finish_one(scheduler, node)
    assert [_queued(scheduler, n) for n in nodes] in ([64, 63], [63, 64], [64, 64])
