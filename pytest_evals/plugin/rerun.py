"""``--lf`` and ``--sw`` for evals: pytest re-runs only the datapoints that failed (or those
from the last failure on), and each eval's gate is measured on its last complete results
with the re-run ones replaced, not on the re-run ones alone (a green eval with one
tolerated failure would turn red).

Every session stores its runs' records in pytest's cache folder (``.pytest_cache``, where
pytest keeps what ``--lf`` reads), one file per run, read only for runs of which the session
ran a part; a datapoint's stored result is kept only while its fingerprint (its data and
the eval's configuration) is unchanged. Nothing here imports pytest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..reporting import RunBook, write_json_atomic
from .manifest import Manifest, PlannedRun

STORE_FOLDER = "pytest-evals"
"""The folder of the stored results in pytest's cache (``config.cache.mkdir``)."""
_VERSION = 1

Entries = dict[str, dict[str, Any]]
"""A run's stored results: datapoint id -> ``{"fingerprint": ..., "record": {...}}``."""


class ResultStore:
    """The stored results of every run, in ``folder``: a file per run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read: dict[str, Entries] = {}
        """Each run's file, read once a session: keeping and storing both need it."""

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def read(self, planned: PlannedRun) -> Entries:
        """The run's stored results that are still valid (same datapoint, same fingerprint);
        none when there are none or they can't be read: a store is a convenience, and
        without it ``--lf`` gates on the re-run datapoints alone."""
        if planned.key not in self._read:
            self._read[planned.key] = self._load(planned)
        return dict(self._read[planned.key])

    def _load(self, planned: PlannedRun) -> Entries:
        try:
            data = json.loads(self._path(planned.key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return {}
        if data.get("key") != planned.key or not isinstance(data.get("datapoints"), dict):
            return {}
        valid = planned.datapoints
        return {
            key: entry
            for key, entry in data["datapoints"].items()
            if key in valid
            and isinstance(entry, dict)
            and entry.get("fingerprint") == valid[key][1]
            and isinstance(entry.get("record"), dict)
        }

    def write(self, planned: PlannedRun, entries: Entries) -> None:
        # Compact: the store holds every record of an eval, and only the plugin reads it.
        data = {"version": _VERSION, "key": planned.key, "datapoints": entries}
        write_json_atomic(self._path(planned.key), data, indent=None)


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


def _partial(planned: PlannedRun) -> bool:
    return len(planned.selected) < len(planned.datapoints)


def keep_earlier_results(book: RunBook, manifest: Manifest, store: ResultStore) -> KeptResults:
    """Adds to ``book`` the stored result of every datapoint of the session's runs that this
    session did not run, where it is still valid."""
    rerun = kept = missing = 0
    for planned in manifest.runs.values():
        if not _partial(planned):
            continue
        stored = store.read(planned)
        rerun += len(planned.selected)
        for datapoint_id, (position, _) in planned.datapoints.items():
            if datapoint_id in planned.selected:
                continue
            entry = stored.get(datapoint_id)
            if entry is None:
                missing += 1
            else:
                book.keep(planned.meta, entry["record"], position=position)
                kept += 1
    return KeptResults(rerun, kept, missing)


def store_results(book: RunBook, manifest: Manifest, store: ResultStore) -> None:
    """Each datapoint's latest record into ``store``, for every run of the session; a run
    the session ran only a part of keeps the others' earlier (still valid) results. Runs
    the session did not touch stay as they were."""
    for run in book:
        planned = manifest.runs.get(run.id)
        if planned is None:
            continue
        valid = planned.datapoints
        if not run.records or (run.kept and run.progress == run.kept):
            continue  # nothing new: the stored results stay as they are
        # Merged, never replaced: a session cut short (-x, Ctrl-C, a budget stop) reports
        # only part of what it selected, and the rest must keep its last results.
        entries = store.read(planned) if run.progress < len(valid) else {}
        for record in run.records:
            key = str(record.get("datapoint_id"))
            if key in valid and not record.get("kept"):
                entries[key] = {"fingerprint": valid[key][1], "record": record}
        store.write(planned, entries)
