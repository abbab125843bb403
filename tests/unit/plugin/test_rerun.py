"""Keeping earlier results for ``--lf``/``--sw`` and storing the session's, as pure functions
over a run book and a hand-made manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_evals.plugin.manifest import Manifest, PlannedItem, PlannedRun
from pytest_evals.plugin.rerun import ResultStore, keep_earlier_results, store_results
from pytest_evals.reporting import RunBook

from ..reporting.helpers import record, run_meta


def _manifest(selected: set[str], fingerprints: dict[str, str] | None = None) -> Manifest:
    prints = fingerprints or {"a": "fa", "b": "fb", "c": "fc"}
    meta: Any = run_meta("triage", name="triage", model=None, total=len(selected))
    planned = PlannedRun(
        meta,
        "evals/triage.eval.yaml",
        {key: (i, prints[key]) for i, key in enumerate(sorted(prints))},
        frozenset(selected),
    )
    items = {f"evals/triage.eval.yaml::triage[{k}]": PlannedItem("triage", k, 0) for k in selected}
    return Manifest({"triage": planned}, items)


def _session(manifest: Manifest, records: list[dict[str, Any]], store: ResultStore) -> RunBook:
    book = RunBook()
    meta = manifest.runs["triage"].meta
    for item in records:
        book.add_record(meta, item)
    keep_earlier_results(book, manifest, store)
    book.finish(interrupted=False, now="T1")
    store_results(book, manifest, store)
    return book


def test_a_full_session_stores_every_datapoint_and_a_rerun_keeps_the_others(
    tmp_path: Path,
) -> None:
    store = ResultStore(tmp_path)
    full = _manifest({"a", "b", "c"})
    _session(full, [record("a"), record("b", passed=False), record("c")], store)
    assert set(store.read(full.runs["triage"])) == {"a", "b", "c"}

    rerun = _manifest({"b"})
    book = RunBook()
    book.add_record(rerun.runs["triage"].meta, record("b"))
    kept = keep_earlier_results(book, rerun, store)
    book.finish(interrupted=False, now="T2")
    (run,) = book.runs
    assert (kept.rerun, kept.kept, kept.missing) == (1, 2, 0)
    assert (run.total, run.kept) == (3, 2)
    assert {r["datapoint_id"]: r["passed"] for r in run.records} == {
        "a": True,
        "b": True,
        "c": True,
    }


def test_a_changed_fingerprint_is_neither_kept_nor_stored(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    full = _manifest({"a", "b", "c"})
    _session(full, [record("a"), record("b"), record("c")], store)
    changed = _manifest({"b"}, {"a": "new", "b": "fb", "c": "fc"})
    book = RunBook()
    book.add_record(changed.runs["triage"].meta, record("b"))
    kept = keep_earlier_results(book, changed, store)
    assert (kept.kept, kept.missing) == (1, 1)
    book.finish(interrupted=False, now="T2")
    store_results(book, changed, store)
    assert set(store.read(changed.runs["triage"])) == {"b", "c"}


def test_a_store_file_of_another_shape_is_ignored(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    manifest = _manifest({"a", "b", "c"})
    _session(manifest, [record("a"), record("b"), record("c")], store)
    (path,) = tmp_path.iterdir()
    for text in ("not json", "[]", '{"version": 99}', '{"version": 1, "key": "other"}'):
        path.write_text(text)
        book = RunBook()
        # A store reads each file once a session: a new session for each shape.
        kept = keep_earlier_results(book, _manifest({"b"}), ResultStore(tmp_path))
        assert (kept.kept, kept.missing) == (0, 2), text


def test_the_manifest_survives_its_json_form() -> None:
    manifest = _manifest({"a", "c"})
    assert Manifest.from_data(manifest.to_data()) == manifest
