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

from ..errors import EvalInputError
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
        # utf-8-sig: spreadsheet exports start with a byte-order mark, which would otherwise
        # become part of the first column's name (or make the JSON invalid).
        return path.read_text(encoding="utf-8-sig")
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
    # Lines end at \n alone (read_text has made \r\n and \r into \n): splitlines() would also
    # break at U+2028, U+2029 and U+0085, which JSON strings may hold as they are.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            # The decoder's own "line 1 column N" counts within this one line: show the column.
            raise EvalInputError(
                f"invalid JSON: {exc.msg} (column {exc.colno})", path=path, line=number
            ) from None
        rows.append(_row(value, len(rows), path, number))
    return rows


_LIST_KEYS = ("cases", "data", "datapoints")


def _listed(value: Any, path: Path) -> list[Any]:
    # A bare list, or a mapping holding the list under "cases" / "data" as exports often do.
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list):
                return list(value[key])
    raise EvalInputError(
        "expected a list of datapoints (or a mapping with a 'cases' list)", path=path
    )


def _json_element_lines(text: str) -> list[int]:
    """The 1-based line each element of the datapoint list starts on (the top-level array,
    or the one under the key ``_listed`` picks). Only called on valid JSON."""
    decoder = json.JSONDecoder()

    def skip(position: int) -> int:
        while position < len(text) and text[position] in " \t\n\r":
            position += 1
        return position

    def items(position: int, close: str) -> list[int]:
        # The start of each element of the array or object opening at ``position``.
        starts: list[int] = []
        position = skip(position + 1)
        while text[position] != close:
            starts.append(position)
            if close == "}":
                _, position = decoder.raw_decode(text, position)  # the key
                position = skip(skip(position) + 1)  # past ':'
            _, position = decoder.raw_decode(text, position)
            position = skip(position)
            if text[position] == ",":
                position = skip(position + 1)
        return starts

    start = skip(0)
    if text[start] == "{":
        found: dict[str, int] = {}
        for key_start in items(start, "}"):
            key, after = decoder.raw_decode(text, key_start)
            found[key] = skip(skip(after) + 1)  # the last duplicate wins, as in json.loads
        start = next((found[k] for k in _LIST_KEYS if k in found and text[found[k]] == "["), -1)
        if start < 0:
            return []
    lines: list[int] = []
    line, counted = 1, 0
    for offset in items(start, "]"):
        line += text.count("\n", counted, offset)
        counted = offset
        lines.append(line)
    return lines


def _json(path: Path, text: str) -> list[RawDatapoint]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvalInputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno
        ) from None
    listed = _listed(value, path)
    lines: Sequence[int | None]
    try:
        lines = _json_element_lines(text)
    except (ValueError, IndexError):  # pragma: no cover - lines are a courtesy, never a failure
        lines = []
    if len(lines) != len(listed):
        lines = [None] * len(listed)
    return [_row(v, i, path, lines[i]) for i, v in enumerate(listed)]


def _yaml(path: Path, text: str) -> list[RawDatapoint]:
    value, lines = parse_yaml(text, source=path)
    prefix: tuple[str, ...] = ()
    if isinstance(value, Mapping):
        prefix = next(
            ((key,) for key in _LIST_KEYS if isinstance(value.get(key), list)),
            (),
        )
    return [_row(v, i, path, lines.line(*prefix, i)) for i, v in enumerate(_listed(value, path))]


def _csv(path: Path, text: str) -> list[RawDatapoint]:
    # csv.reader rather than DictReader: DictReader skips blank lines without saying so,
    # which would shift every later row's line number.
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[RawDatapoint] = []
    header: list[str] | None = None
    try:
        line = 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not cells:
                continue
            if header is None:
                duplicates = sorted({c for c in cells if cells.count(c) > 1})
                if duplicates:
                    raise EvalInputError(
                        f"the header names column(s) {', '.join(map(repr, duplicates))} "
                        "more than once",
                        path=path,
                        line=start,
                    )
                header = cells
                continue
            if len(cells) != len(header):
                # A short row is a comma gone missing as often as a long one is a comma too
                # many: either would put values under the wrong columns.
                more = "more" if len(cells) > len(header) else "fewer"
                raise EvalInputError(
                    f"this row has {more} cells than the header has columns "
                    f"({len(cells)} cells, {len(header)} columns); an empty value is an "
                    "empty cell (a,,c)",
                    path=path,
                    line=start,
                )
            rows.append(RawDatapoint(len(rows), dict(zip(header, cells, strict=True)), start))
    except csv.Error as exc:
        raise EvalInputError(f"invalid CSV: {exc}", path=path, line=reader.line_num) from None
    if header is None:
        raise EvalInputError("the CSV file has no header row", path=path)
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
