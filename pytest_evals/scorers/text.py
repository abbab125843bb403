"""Text scorers: ``exact_match``, ``contains``/``icontains``, ``string_check`` and ``regex``.

Binary scorers return a Verdict with ``passed=None`` so a user's ``threshold`` still decides;
a miss carries a short reason for the failure report.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..spec.hints import did_you_mean
from ..spec.templates import TemplateError, references
from ..values import as_text
from .base import ScoreFunction, ScorerConfigError, ScoringContext, Verdict

_SHOWN_CHARS = 200


def show(value: Any, limit: int = _SHOWN_CHARS) -> str:
    """A value quoted for a reason, cut to ``limit`` characters so reports stay readable."""
    text = repr(value) if isinstance(value, str) else repr(as_text(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def check_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ScorerConfigError(f"'{key}' must be true or false, got {value!r}", key=key)
    return value


def acceptable(expected: Any) -> list[str]:
    """The expected value as a list of acceptable strings (a list means "any of")."""
    if isinstance(expected, (list, tuple)):
        return [as_text(v) for v in expected]
    return [as_text(expected)]


def _expected_phrase(candidates: list[str]) -> str:
    if len(candidates) == 1:
        return show(candidates[0])
    return "one of [" + ", ".join(show(c, 60) for c in candidates) + "]"


def _no_expected() -> Verdict:
    return Verdict(0.0, False, "the datapoint has no expected value")


def _normalize_text(text: str) -> str:
    # Unicode category P* covers typographic punctuation too (ellipsis, curly quotes).
    kept = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    return " ".join(kept.split())


def exact_match(*, ignore_case: bool = False, normalize: bool = False) -> ScoreFunction:
    """Output equals expected (or any of a list of expected values) after stripping."""
    fold = check_bool("ignore_case", ignore_case)
    squash = check_bool("normalize", normalize)

    def prepare(text: str) -> str:
        text = text.strip()
        if squash:
            text = _normalize_text(text)
        return text.casefold() if fold else text

    def score(ctx: ScoringContext) -> Verdict:
        if ctx.expected is None:
            return _no_expected()
        candidates = acceptable(ctx.expected)
        output = prepare(ctx.output)
        if any(prepare(c) == output for c in candidates):
            return Verdict(1.0)
        return Verdict(
            0.0, reason=f"expected {_expected_phrase(candidates)}, got {show(ctx.output)}"
        )

    return score


def _contains(*, ignore_case: bool) -> ScoreFunction:
    def score(ctx: ScoringContext) -> Verdict:
        if ctx.expected is None:
            return _no_expected()
        candidates = acceptable(ctx.expected)
        output = ctx.output.casefold() if ignore_case else ctx.output
        if any((c.casefold() if ignore_case else c) in output for c in candidates):
            return Verdict(1.0)
        return Verdict(
            0.0,
            reason=f"expected output to contain {_expected_phrase(candidates)}, "
            f"got {show(ctx.output)}",
        )

    return score


def contains() -> ScoreFunction:
    """Expected (or any of a list) occurs in the output."""
    return _contains(ignore_case=False)


def icontains() -> ScoreFunction:
    """Expected (or any of a list) occurs in the output, ignoring case."""
    return _contains(ignore_case=True)


_OPERATIONS = ("eq", "ne", "like", "ilike")


def _check_template(key: str, template: object) -> str:
    if not isinstance(template, str):
        raise ScorerConfigError(f"'{key}' must be a template string, got {template!r}", key=key)
    try:
        references(template)
    except TemplateError as exc:
        raise ScorerConfigError(str(exc), key=key) from None
    return template


def string_check(
    *,
    operation: str | None = None,
    input: str = "{{ output }}",  # shadows the builtin: it is the option's name
    reference: str = "{{ expected }}",
) -> ScoreFunction:
    """Compare two rendered templates: ``eq``, ``ne``, ``like`` (substring), ``ilike``."""
    if operation is None:
        raise ScorerConfigError(
            f"'operation' is required: one of {', '.join(_OPERATIONS)}", key="operation"
        )
    if operation not in _OPERATIONS:
        raise ScorerConfigError(
            f"unknown operation {operation!r}{did_you_mean(str(operation), _OPERATIONS)} "
            f"(known: {', '.join(_OPERATIONS)})",
            key="operation",
        )
    input_template = _check_template("input", input)
    reference_template = _check_template("reference", reference)

    def score(ctx: ScoringContext) -> Verdict:
        # Stripped like exact_match: a trailing newline from a model is not a difference.
        left = ctx.render(input_template).strip()
        right = ctx.render(reference_template).strip()
        if operation == "eq":
            ok, reason = left == right, f"expected {show(right)}, got {show(left)}"
        elif operation == "ne":
            ok, reason = left != right, f"expected anything but {show(right)}"
        elif operation == "like":
            ok, reason = right in left, f"{show(right)} does not occur in {show(left)}"
        else:
            ok = right.casefold() in left.casefold()
            reason = f"{show(right)} does not occur in {show(left)} (ignoring case)"
        return Verdict(1.0) if ok else Verdict(0.0, reason=reason)

    return score


_FLAGS: dict[str, re.RegexFlag] = {
    "IGNORECASE": re.IGNORECASE,
    "I": re.IGNORECASE,
    "MULTILINE": re.MULTILINE,
    "M": re.MULTILINE,
    "DOTALL": re.DOTALL,
    "S": re.DOTALL,
    "VERBOSE": re.VERBOSE,
    "X": re.VERBOSE,
    "ASCII": re.ASCII,
    "A": re.ASCII,
}


def _regex_flags(flags: object) -> re.RegexFlag:
    names = [flags] if isinstance(flags, str) else flags
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScorerConfigError(
            f"'flags' must be a list of flag names such as [IGNORECASE, MULTILINE], got {flags!r}",
            key="flags",
        )
    combined = re.RegexFlag(0)
    for name in names:
        flag = _FLAGS.get(name.upper())
        if flag is None:
            long_names = [n for n in _FLAGS if len(n) > 1]
            raise ScorerConfigError(
                f"unknown regex flag {name!r}{did_you_mean(name.upper(), long_names)} "
                f"(known: {', '.join(long_names)} or their letters i, m, s, x, a)",
                key="flags",
            )
        combined |= flag
    return combined


def regex(*, pattern: str | None = None, flags: list[str] | str | None = None) -> ScoreFunction:
    """The pattern matches somewhere in the output (``re.search``)."""
    if pattern is None:
        raise ScorerConfigError("'pattern' is required", key="pattern")
    if not isinstance(pattern, str):
        raise ScorerConfigError(f"'pattern' must be a string, got {pattern!r}", key="pattern")
    compiled_flags = _regex_flags([] if flags is None else flags)
    try:
        compiled = re.compile(pattern, compiled_flags)
    except re.error as exc:
        raise ScorerConfigError(
            f"invalid regular expression {pattern!r}: {exc}", key="pattern"
        ) from None

    def score(ctx: ScoringContext) -> Verdict:
        match = compiled.search(ctx.output)
        if match is None:
            return Verdict(
                0.0, reason=f"pattern {show(pattern, 80)} not found in {show(ctx.output)}"
            )
        return Verdict(1.0, details={"match": match.group(0)[:_SHOWN_CHARS]})

    return score
