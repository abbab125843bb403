"""What collection decided, for the controller: every run the session is to run (reported even
if none of its datapoints gets to run), every datapoint its spec holds (selected or not,
each with a fingerprint of what its result depends on), and which test item stands for
which datapoint.

Under pytest-xdist the controller collects nothing: each worker writes its manifest into the
session's shared folder when its collection finishes, before it runs a test, and the
controller reads one back (every worker collects the same items).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..reporting import write_json_atomic
from ..spec.model import ModelRef
from ..values import canonical_json
from ..wire import RunMeta
from .items import DatapointItem

_PREFIX = "manifest-"


@dataclass(frozen=True)
class PlannedRun:
    meta: RunMeta
    key: str
    """The same run in every session, whatever its id: spec path and model."""
    datapoints: dict[str, tuple[int, str]]
    """Every datapoint of the run's spec: its position and its fingerprint."""
    selected: frozenset[str]
    """The datapoints this session runs."""


@dataclass(frozen=True)
class PlannedItem:
    run_id: str
    datapoint_id: str
    position: int


@dataclass(frozen=True)
class Manifest:
    runs: dict[str, PlannedRun]
    items: dict[str, PlannedItem]
    """By pytest node id."""

    @classmethod
    def of(
        cls,
        items: Iterable[object],
        totals: Mapping[str, int],
        *,
        by_node: bool = True,
        unselected: Iterable[object] = (),
        fingerprints: bool = True,
    ) -> Manifest:
        """The manifest of a process's selected ``items`` (the eval items among them);
        ``totals``: each run's selected items. ``by_node=False`` leaves ``items`` empty:
        only a worker's items can crash under the controller. ``unselected``: an item of
        each run none of whose datapoints was selected (--lf), planned with none.
        ``fingerprints=False`` (no pytest cache to store results in) leaves them empty."""
        evals = [item for item in items if isinstance(item, DatapointItem)]
        chosen: dict[str, list[DatapointItem]] = {}
        for item in evals:
            chosen.setdefault(item.run_id, []).append(item)
        runs = {
            run_id: _planned_run(
                members[0], members, totals.get(run_id, len(members)), fingerprints
            )
            for run_id, members in chosen.items()
        }
        for other in unselected:
            if isinstance(other, DatapointItem) and other.run_id not in runs:
                runs[other.run_id] = _planned_run(other, [], 0, fingerprints)
        planned = (
            {
                item.nodeid: PlannedItem(item.run_id, item.datapoint.id, item.position)
                for item in evals
            }
            if by_node
            else {}
        )
        return cls(runs, planned)

    def to_data(self) -> dict[str, Any]:
        return {
            "runs": [
                {
                    "meta": run.meta,
                    "key": run.key,
                    "datapoints": {k: list(v) for k, v in run.datapoints.items()},
                    "selected": sorted(run.selected),
                }
                for run in self.runs.values()
            ],
            "items": {k: [v.run_id, v.datapoint_id, v.position] for k, v in self.items.items()},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Manifest:
        runs = {}
        for entry in data["runs"]:
            meta: RunMeta = entry["meta"]
            runs[meta["id"]] = PlannedRun(
                meta,
                entry["key"],
                {k: (int(p), str(f)) for k, (p, f) in entry["datapoints"].items()},
                frozenset(entry["selected"]),
            )
        items = {k: PlannedItem(r, d, int(p)) for k, (r, d, p) in data["items"].items()}
        return cls(runs, items)


def write_worker_manifest(folder: Path, worker_id: str, manifest: Manifest) -> None:
    write_json_atomic(folder / f"{_PREFIX}{worker_id}.json", manifest.to_data())


def read_worker_manifest(folder: Path) -> Manifest | None:
    """A worker's manifest, or None while none was written (no worker finished collecting,
    or none collected an eval)."""
    for path in sorted(folder.glob(f"{_PREFIX}*.json")):
        try:
            return Manifest.from_data(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _planned_run(
    first: DatapointItem, members: list[DatapointItem], total: int, fingerprints: bool
) -> PlannedRun:
    meta = first.run_meta(total)
    model = meta["model"]
    key = meta["spec_path"] if model is None else f"{meta['spec_path']} [{model}]"
    # A result stays valid while neither its datapoint nor what produced and judged it
    # changes: the eval's configuration, its scorers, the model and its parameters, the
    # repeats (--evals-repeat included).
    # The judges count as resolved (a default judge is in no scorer's options), and a
    # datapoint's context as read from its files.
    ref = first.model
    parameters = None if ref is None else [ref.temperature, ref.max_tokens, ref.seed, ref.params]
    judged = [_model_parts(m) for s in first.plan.scorers for m in s.models]
    written = [model, parameters, first.plan.repeat, meta["config"], meta["scorers"]]
    base = canonical_json([*written, judged] if judged else written)
    datapoints = {
        datapoint.id: (
            position,
            _fingerprint(
                base.encode(),
                [datapoint.data, list(datapoint.context)] if datapoint.context else datapoint.data,
            )
            if fingerprints
            else "",
        )
        for position, datapoint in enumerate(first.spec.datapoints)
    }
    return PlannedRun(meta, key, datapoints, frozenset(m.datapoint.id for m in members))


def _model_parts(ref: ModelRef) -> list[Any]:
    return [ref.label, ref.temperature, ref.max_tokens, ref.seed, ref.params]


def _fingerprint(base: bytes, data: Any) -> str:
    digest = hashlib.sha256(base)
    digest.update(canonical_json(data).encode())
    return digest.hexdigest()[:20]
