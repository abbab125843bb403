from __future__ import annotations

from pytest_evals.reporting import Run, RunBook, build_report

from .helpers import errored, judged, make_run, record, run_meta


def test_run_created_from_meta_on_first_record() -> None:
    book = RunBook()
    run = book.add_record(run_meta(total=2, pass_rate=0.9), record("a"), now="T0")
    assert isinstance(run, Run)
    assert (run.id, run.name, run.eval, run.model) == (
        "capitals[local/gpt-4o-mini]",
        "capitals",
        "capitals",
        "local/gpt-4o-mini",
    )
    assert run.spec_path == "evals/capitals.eval.yaml"
    assert run.total == 2 and run.pass_rate_required == 0.9
    assert run.created_at == "T0"
    assert run.status == "running" and run.progress == 1
    assert book.get(run.id) is run


def test_runs_in_first_seen_order_records_in_arrival_order() -> None:
    book = RunBook()
    first, second = run_meta("b-run", name="b"), run_meta("a-run", name="a")
    book.add_record(first, record("2"))
    book.add_record(second, record("9"))
    book.add_record(first, record("1"))
    assert [run.id for run in book.runs] == ["b-run", "a-run"]
    assert [r["datapoint_id"] for r in book.runs[0].records] == ["2", "1"]
    assert len(book) == 2


def test_a_repeated_datapoint_replaces_its_record_in_place() -> None:
    book = RunBook()
    meta = run_meta(total=2)
    book.add_record(meta, record("a", passed=False))
    book.add_record(meta, record("b"))
    run = book.add_record(meta, record("a"))
    assert run.progress == 2
    assert [(r["datapoint_id"], r["passed"]) for r in run.records] == [("a", True), ("b", True)]


def test_finish_completes_runs() -> None:
    book = RunBook()
    book.add_record(run_meta(total=2), record("a"))
    book.add_record(run_meta(total=2), record("b", passed=False))
    book.finish(interrupted=False, now="T1")
    (run,) = book.runs
    assert run.status == "completed"
    assert run.finished_at == "T1"


def test_interrupted_cancels_unfinished_runs_keeping_records() -> None:
    book = RunBook()
    done, partial = run_meta("done", total=1), run_meta("partial", total=3)
    book.add_record(done, record("a"))
    book.add_record(partial, record("a"))
    book.add_record(partial, record("b", passed=False))
    book.finish(interrupted=True, now="T1")
    statuses = {run.id: (run.status, run.progress) for run in book.runs}
    assert statuses == {"done": ("completed", 1), "partial": ("cancelled", 2)}


def test_a_run_where_every_datapoint_errored_failed() -> None:
    book = RunBook()
    book.add_record(run_meta("broken", total=2), errored("a"))
    book.add_record(run_meta("broken", total=2), errored("b"))
    book.add_record(run_meta("half", total=2), errored("a"))
    book.add_record(run_meta("half", total=2), record("b"))
    book.finish(interrupted=False, now="T1")
    assert {run.id: run.status for run in book.runs} == {"broken": "failed", "half": "completed"}


def test_not_interrupted_short_run_is_completed() -> None:
    # e.g. items skipped at run time: nothing was cut short by the user.
    book = RunBook()
    book.add_record(run_meta(total=5), record("a"))
    book.finish(interrupted=False, now="T1")
    assert book.runs[0].status == "completed"


def test_a_json_report_reads_back_into_the_same_runs() -> None:
    runs = [make_run([record("a"), record("b", passed=False)], pass_rate=0.5)]
    summaries, verdicts = judged(runs)
    report = build_report(runs, summaries, verdicts, session={})
    report["runs"][0]["config"]["pass_rate"] = 0.5
    book = RunBook.from_report(report)
    (back,) = book.runs
    (original,) = runs
    assert back.records == original.records
    assert (back.id, back.status, back.total, back.progress) == (
        original.id,
        original.status,
        original.total,
        original.progress,
    )
    assert back.pass_rate_required == 0.5
    # A record read back is replaced in place like any other.
    book.add_record(run_meta(), record("b"))
    assert [r["passed"] for r in book.runs[0].records] == [True, True]


def test_finish_orders_runs_by_spec_path_and_records_by_datapoint() -> None:
    book = RunBook()
    later, earlier = run_meta("z-run", name="z"), run_meta("a-run", name="a")
    book.add_record(later, record("3"), position=2)
    book.add_record(later, record("1"), position=0)
    book.add_record(earlier, record("x"), position=0)
    book.add_record(later, record("2"), position=1)
    book.finish(interrupted=False, now="T1")
    assert [run.id for run in book.runs] == ["a-run", "z-run"]
    assert [r["datapoint_id"] for r in book.get("z-run").records] == ["1", "2", "3"]  # type: ignore[union-attr]
    # Positions follow the new order: a later record replaces the right one.
    book.add_record(later, record("2", passed=False), position=1)
    assert [r["passed"] for r in book.get("z-run").records] == [True, False, True]  # type: ignore[union-attr]


def test_a_run_that_lost_a_datapoint_to_a_crashed_worker_failed() -> None:
    book = RunBook()
    meta = run_meta(total=2)
    book.add_record(meta, record("a"))
    book.add_record(meta, errored("b", "worker 'gw0' crashed"), crashed=True)
    book.finish(interrupted=False, now="T1")
    (run,) = book.runs
    assert (run.status, run.crashed) == ("failed", 1)
    assert run.failure == "a worker crashed while running a datapoint"


def test_a_planned_run_none_of_whose_datapoints_ran() -> None:
    for tests_ran, status in ((True, "cancelled"), (False, "pending")):
        book = RunBook()
        book.plan(run_meta(total=2))
        book.finish(interrupted=True, now="T1", tests_ran=tests_ran)
        (run,) = book.runs
        assert (run.status, run.progress, run.total) == (status, 0, 2)


def test_kept_records_count_towards_the_total() -> None:
    book = RunBook()
    meta = run_meta(total=1)
    book.add_record(meta, record("b"), position=1)
    book.keep(meta, record("a"), position=0)
    book.finish(interrupted=False, now="T1")
    (run,) = book.runs
    assert (run.status, run.progress, run.total, run.kept) == ("completed", 2, 2, 1)
    assert [r["datapoint_id"] for r in run.records] == ["a", "b"]
