"""``--lf`` and ``--sw`` for evals: pytest re-runs only the datapoints that failed (or those
from the last failure on), and each eval's gate is measured on its last complete results
with the re-run ones replaced, not on the re-run ones alone (a green eval with one
tolerated failure would turn red).

Every session stores its runs' records in pytest's cache (``.pytest_cache``, where pytest
keeps what ``--lf`` reads); a datapoint's stored result is kept only while its fingerprint
(its data and the eval's configuration) is unchanged. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..reporting import RunBook
from .manifest import Manifest

STORE_KEY = "pytest-evals/results"
"""The key of the stored results in pytest's cache (``config.cache``)."""
_VERSION = 1


@dataclass(frozen=True)
class KeptResults:
    rerun: int
    """Datapoints this session ran, in runs that kept earlier results."""
    kept: int
    missing: int
    """Datapoints neither run now nor with a valid earlier result: left out of the gate."""

    def line(self, flag: str) -> str:
        def noun(n: int) -> str:
            return f"{n:,} datapoint" + ("" if n == 1 else "s")

        text = (
            f"{flag}: gates count each eval's last results: {noun(self.rerun)} re-run, "
            f"{self.kept:,} kept from earlier sessions"
        )
        if self.missing:
            text += f"; {noun(self.missing)} with no earlier result left out"
        return text


def _stored_runs(store: object) -> Mapping[str, Any]:
    if isinstance(store, dict) and store.get("version") == _VERSION:
        runs = store.get("runs")
        if isinstance(runs, dict):
            return runs
    return {}


def keep_earlier_results(book: RunBook, manifest: Manifest, store: object) -> KeptResults:
    """Adds to ``book`` the stored result of every datapoint of the session's runs that this
    session did not run, where it is still valid."""
    stored_runs = _stored_runs(store)
    rerun = kept = missing = 0
    for planned in manifest.runs.values():
        stored = (stored_runs.get(planned.key) or {}).get("datapoints") or {}
        skipped = len(planned.datapoints) - len(planned.selected)
        if not skipped:
            continue
        rerun += len(planned.selected)
        for datapoint_id, (position, fingerprint) in planned.datapoints.items():
            if datapoint_id in planned.selected:
                continue
            entry = stored.get(datapoint_id)
            if (
                isinstance(entry, dict)
                and entry.get("fingerprint") == fingerprint
                and isinstance(entry.get("record"), dict)
            ):
                book.keep(planned.meta, entry["record"], position=position)
                kept += 1
            else:
                missing += 1
    return KeptResults(rerun, kept, missing)


def updated_store(store: object, book: RunBook, manifest: Manifest) -> dict[str, Any]:
    """``store`` with the session's results in: each datapoint's latest record, for every
    datapoint still in its spec with the same fingerprint; runs this session did not touch
    stay as they were."""
    runs = dict(_stored_runs(store))
    for run in book:
        planned = manifest.runs.get(run.id)
        if planned is None:
            continue
        valid = planned.datapoints
        earlier = (runs.get(planned.key) or {}).get("datapoints") or {}
        datapoints = {
            key: entry
            for key, entry in earlier.items()
            if key in valid
            and isinstance(entry, dict)
            and entry.get("fingerprint") == valid[key][1]
        }
        for record in run.records:
            key = str(record.get("datapoint_id"))
            if key in valid:
                datapoints[key] = {"fingerprint": valid[key][1], "record": record}
        runs[planned.key] = {"run_id": run.id, "datapoints": datapoints}
    return {"version": _VERSION, "runs": runs}
