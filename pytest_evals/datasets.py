"""Dataset files (``.jsonl``, ``.json``, ``.yaml``/``.yml``, ``.csv``) read into raw
datapoints with the line each one starts on, and the ``limit`` / ``sample`` / ``seed``
selection. No pytest import."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EvalInputError
from .yaml_source import parse_yaml

SUFFIXES = (".jsonl", ".json", ".yaml", ".yml", ".csv")


@dataclass(frozen=True)
class RawDatapoint:
    """One row as read: its position in the file (the default id), the data and its line."""

    index: int
    data: Mapping[str, Any]
    line: int | None


@dataclass(frozen=True)
class Selection:
    """``limit`` keeps the first N; ``sample`` draws N at random with ``seed`` (default 0,
    so every run and every xdist worker draws the same datapoints)."""

    limit: int | None = None
    sample: int | None = None
    seed: int = 0

    def apply(self, rows: Sequence[RawDatapoint]) -> list[RawDatapoint]:
        chosen = list(rows)
        if self.sample is not None and self.sample < len(chosen):
            picked = random.Random(self.seed).sample(range(len(chosen)), self.sample)
            chosen = [chosen[i] for i in sorted(picked)]
        if self.limit is not None:
            chosen = chosen[: self.limit]
        return chosen


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalInputError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"not UTF-8 text: {exc.reason}", path=path) from None
    except OSError as exc:
        raise EvalInputError(f"cannot read the file: {exc.strerror}", path=path) from None


def _row(value: Any, index: int, path: Path, line: int | None) -> RawDatapoint:
    if not isinstance(value, Mapping):
        raise EvalInputError(
            f"datapoint {index} must be a mapping of fields, got {type(value).__name__}",
            path=path,
            line=line,
        )
    return RawDatapoint(index, value, line)


def _jsonl(path: Path, text: str) -> list[RawDatapoint]:
    rows: list[RawDatapoint] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise EvalInputError(f"invalid JSON: {exc}", path=path, line=number) from None
        rows.append(_row(value, len(rows), path, number))
    return rows


def _listed(value: Any, path: Path) -> list[Any]:
    # A bare list, or a mapping holding the list under "cases" / "data" as exports often do.
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        for key in ("cases", "data", "datapoints"):
            if isinstance(value.get(key), list):
                return list(value[key])
    raise EvalInputError(
        "expected a list of datapoints (or a mapping with a 'cases' list)", path=path
    )


def _json(path: Path, text: str) -> list[RawDatapoint]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise EvalInputError(f"invalid JSON: {exc}", path=path) from None
    return [_row(v, i, path, None) for i, v in enumerate(_listed(value, path))]


def _yaml(path: Path, text: str) -> list[RawDatapoint]:
    value, lines = parse_yaml(text, source=path)
    prefix: tuple[str, ...] = ()
    if isinstance(value, Mapping):
        prefix = next(
            ((key,) for key in ("cases", "data", "datapoints") if isinstance(value.get(key), list)),
            (),
        )
    return [_row(v, i, path, lines.line(*prefix, i)) for i, v in enumerate(_listed(value, path))]


def _csv(path: Path, text: str) -> list[RawDatapoint]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise EvalInputError("the CSV file has no header row", path=path)
    rows: list[RawDatapoint] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            if None in record:
                raise EvalInputError(
                    "this row has more cells than the header has columns", path=path, line=line
                )
            rows.append(RawDatapoint(len(rows), dict(record), line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise EvalInputError(f"invalid CSV: {exc}", path=path, line=reader.line_num) from None
    return rows


_READERS = {".jsonl": _jsonl, ".json": _json, ".yaml": _yaml, ".yml": _yaml, ".csv": _csv}


def read_dataset(path: Path) -> list[RawDatapoint]:
    """Every datapoint of a dataset file; EvalInputError naming the file (and line) when
    it is missing or malformed."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise EvalInputError(
            f"unsupported dataset format '{path.suffix}' (use one of {', '.join(SUFFIXES)})",
            path=path,
        )
    return reader(path, _read_text(path))
