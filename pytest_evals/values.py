"""Rules for plain values that every layer applies alike: what counts as a number (a finite
int or float, never a bool) within which bounds, the text of a non-string value, and how a
message names a value that should have been text. Pure."""

from __future__ import annotations

import base64
import datetime
import json
import math
from collections.abc import Mapping
from typing import Any


def is_number(value: object, *, whole: bool = False) -> bool:
    """A finite int (or float, unless ``whole``); ``True`` and ``False`` are not numbers."""
    if isinstance(value, bool):
        return False
    if whole:
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def number_problem(
    value: object,
    *,
    whole: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> str | None:
    """What is wrong with ``value`` as a number in the given bounds (``minimum`` and
    ``maximum`` inclusive, ``above`` exclusive), or None when it is fine. The text reads
    after a key: ``"'weight' " + problem``."""
    if not is_number(value, whole=whole):
        return f"must be {'a whole number' if whole else 'a number'}, got {value!r}"
    number: float = value  # type: ignore[assignment]
    if minimum is not None and maximum is not None:
        if not minimum <= number <= maximum:
            return f"must be between {minimum:g} and {maximum:g}, got {value!r}"
    elif minimum is not None and number < minimum:
        return f"must be at least {minimum:g}, got {value!r}"
    elif maximum is not None and number > maximum:
        return f"must be at most {maximum:g}, got {value!r}"
    if above is not None and not number > above:
        return f"must be above {above:g}, got {value!r}"
    return None


def is_json_data(value: Any) -> bool:
    """Only JSON's types, finite numbers, string keys: what a record, a report and
    pytest-xdist can carry as it is."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_json_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_data(v) for k, v in value.items())
    return False


JSON_VALUE_LIMIT = 1_000_000
"""The most values one datapoint may hold once YAML's aliases are written out."""


class NotJSONData(ValueError):
    """A value that has no faithful JSON form; ``path`` says where inside it."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def json_value(value: Any, *, limit: int = JSON_VALUE_LIMIT) -> Any:
    """``value`` with only JSON's types in it: what YAML adds (dates and times as ISO 8601
    text, binary as base64, sets and tuples as lists, non-string keys as text) made plain, so
    a datapoint compares, renders and travels (pytest-xdist, reports, the cache) as written.

    NotJSONData for a NaN or an infinity (JSON has none: the report would not parse), and
    past ``limit`` values: a YAML alias of aliases (a "billion laughs") expands here, in
    every report and on the way to every xdist worker.
    """
    count = 0

    def plain(value: Any, path: tuple[str | int, ...]) -> Any:
        nonlocal count
        count += 1
        if count > limit:
            # Named at its top key: the path of the millionth value says nothing.
            raise NotJSONData(
                f"holds over {limit:,} values once its YAML aliases are written out", path[:1]
            )
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise NotJSONData(f"{value!r} has no JSON form: give a number or text", path)
            return value
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                key = k if isinstance(k, str) else as_text(plain(k, path))
                out[key] = plain(v, (*path, key))
            return out
        if isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
            return [plain(v, (*path, i)) for i, v in enumerate(items)]
        if isinstance(value, (datetime.date, datetime.time)):
            return value.isoformat()
        if isinstance(value, (bytes, bytearray)):
            return base64.b64encode(value).decode("ascii")
        return str(value)

    return plain(value, ())


def _text_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(k): _text_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text_keys(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, for digests: the same text for the same value, whatever it
    holds. Keys that are not text (YAML reads ``1:``, ``yes:``, ``~:`` as a number, a bool,
    None) are written as text, where ``sort_keys`` would fail on a mix of kinds."""
    return json.dumps(_text_keys(value), sort_keys=True, ensure_ascii=False, default=str)


def as_text(value: Any) -> str:
    """The text of a value as JSON writes it, so that ``expected: true`` reads ``true`` like
    a model's answer does: strings as they are, nothing (None) as empty text, mappings with
    sorted keys."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (Mapping, list, tuple, bool, int, float)):
        return canonical_json(value)
    return str(value)


def not_text(value: object, *, quote: bool = False) -> str:
    """A value that should have been text, named as YAML read it, to follow "got ": an
    unquoted ``yes`` reads as ``True``, which the user never wrote. ``quote`` adds how to
    write it as text, for short words such as labels (``: quote it, e.g. 'yes'``)."""
    if isinstance(value, bool):
        shown = f"{value} (YAML reads yes/no/on/off/true/false as booleans)"
        example: str | None = "yes" if value else "no"
    elif value is None:
        shown = "nothing (YAML reads ~, null and an empty value as nothing)"
        example = "null"
    elif isinstance(value, (int, float)):
        shown, example = f"the number {value!r}", repr(value)
    elif isinstance(value, Mapping):
        shown, example = "a mapping", None
    elif isinstance(value, (list, tuple)):
        shown, example = "a list", None
    else:
        shown, example = repr(value), None
    if quote and example is not None:
        shown += f": quote it, e.g. '{example}'"
    return shown
