"""Scorers for structured output: ``json`` (parses, optionally matches a JSON Schema) and
``numeric`` (the first number in the output is close enough to the expected one)."""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Mapping
from typing import Any

from .base import ScoreFunction, ScorerConfigError, ScoringContext, Verdict, number_option
from .text import show

_FENCED = re.compile(r"^\s*```")


def json(*, schema: Mapping[str, Any] | bool | None = None) -> ScoreFunction:
    """The output is JSON (a structured output counts as parsed) and, given a ``schema``,
    valid against it."""
    validator: Any = None
    # Imported here: jsonschema takes longer to import than the rest of the plugin.
    from jsonschema import exceptions as schema_exceptions
    from jsonschema import validators

    if schema is not None:
        # jsonschema's stubs want a dict; any mapping (or true/false) is a valid schema.
        schema_value: Any = schema
        if not isinstance(schema, (Mapping, bool)):
            raise ScorerConfigError(
                f"'schema' must be a JSON Schema mapping, got {schema!r}", key="schema"
            )
        validator_class = validators.validator_for(schema_value)
        try:
            validator_class.check_schema(schema_value)
        except schema_exceptions.SchemaError as exc:
            raise ScorerConfigError(
                f"invalid JSON Schema at {exc.json_path}: {exc.message}", key="schema"
            ) from None
        # "format" is only an annotation unless a checker is given; users who write
        # format: date-time expect it checked.
        validator = validator_class(schema_value, format_checker=validator_class.FORMAT_CHECKER)

    def score(ctx: ScoringContext) -> Verdict:
        output = ctx.sample.output
        if isinstance(output, str):
            try:
                data = jsonlib.loads(output)
            except ValueError as exc:
                hint = " (it is wrapped in a ``` code fence)" if _FENCED.match(output) else ""
                return Verdict(0.0, reason=f"output is not valid JSON{hint}: {exc}")
        else:
            data = output
        if validator is None:
            return Verdict(1.0)
        errors = list(validator.iter_errors(data))
        if not errors:
            return Verdict(1.0)
        best = schema_exceptions.best_match(errors)
        more = f" (and {len(errors) - 1} more schema errors)" if len(errors) > 1 else ""
        return Verdict(
            0.0,
            reason=f"schema violation at {best.json_path}: {best.message[:300]}{more}",
            details={"errors": [f"{e.json_path}: {e.message}"[:300] for e in errors[:10]]},
        )

    return score


# A number as people and models write it: "-3", "1,234.5", ".5", "6.02e23". The look-behind
# keeps digits glued to letters or dots ("gpt4", "v1.2") from counting as the answer.
_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
)


def parse_number(text: str) -> float | None:
    """The first number in ``text``, or None."""
    match = _NUMBER.search(text)
    return None if match is None else float(match.group(0).replace(",", ""))


def _expected_number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            pass
    # A bad datapoint, not a miss: raising makes it a datapoint error, never a silent 0.
    raise ValueError(f"numeric scorer: expected must be a number, got {value!r}")


def _format(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def numeric(*, tolerance: float = 0.0, rel_tolerance: float = 0.0) -> ScoreFunction:
    """The first number in the output is within ``tolerance`` (absolute) or
    ``rel_tolerance`` (relative to expected) of the expected number (any of, if a list)."""
    absolute = number_option("tolerance", tolerance, minimum=0)
    relative = number_option("rel_tolerance", rel_tolerance, minimum=0)

    def allowed(target: float) -> float:
        return max(absolute, relative * abs(target))

    def score(ctx: ScoringContext) -> Verdict:
        raw = ctx.expected
        targets = [_expected_number(v) for v in (raw if isinstance(raw, list) else [raw])]
        output = ctx.sample.output
        if isinstance(output, (int, float)) and not isinstance(output, bool):
            parsed: float | None = float(output)
        else:
            parsed = parse_number(ctx.output)
        if parsed is None:
            return Verdict(0.0, reason=f"no number in output {show(ctx.output)}")
        if not targets:
            raise ValueError("numeric scorer: expected is an empty list")
        # With rel_tolerance the nearest target is not always the one that passes.
        passing = [t for t in targets if abs(parsed - t) <= allowed(t)]
        closest = passing[0] if passing else min(targets, key=lambda t: abs(parsed - t))
        off = abs(parsed - closest)
        shown = f"parsed {_format(parsed)} vs expected {_format(closest)}"
        details = {"parsed": parsed, "expected": closest}
        if passing:
            return Verdict(1.0, reason=shown, details=details)
        return Verdict(
            0.0,
            reason=f"{shown} (off by {off:.6g}, allowed {allowed(closest):.6g})",
            details=details,
        )

    return score
