"""The ``python`` scorer: the user's own function, imported (``function: "pkg.mod:fn"``) or
defined inline (``source:`` with ``def score(item, output, expected)``).

Everything that can go wrong before scoring (import, syntax, a missing function) is a
ScorerConfigError at build time. Exceptions from the user's function propagate unchanged:
the caller reports them as a datapoint error with the user's traceback.
"""

from __future__ import annotations

import builtins
import hashlib
import inspect
import json
import linecache
from collections.abc import Callable
from typing import Any

from ..spec.references import UnresolvedReference, import_object, is_async
from ..values import as_text
from .base import ScoreFunction, ScorerConfigError, ScoreValue, ScoringContext, number_option

UserScorer = Callable[[Any, Any, Any], Any]


def _imported(function: object) -> UserScorer:
    """``function`` as the loader hands it (imported next to the spec), or a reference to
    import here."""
    if callable(function):
        return _check_callable(function, f"'function' {function!r}", "function")
    try:
        value = import_object(function)
    except UnresolvedReference as exc:
        raise ScorerConfigError(f"'function': {exc}", key="function") from None
    return _check_callable(value, f"'{function}'", "function")


def _check_callable(value: Any, label: str, key: str) -> UserScorer:
    if not callable(value):
        raise ScorerConfigError(f"{label} is not callable", key=key)
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # some builtins have no signature; let the call decide
        return value  # type: ignore[no-any-return]
    try:
        signature.bind(None, None, None)
    except TypeError:
        raise ScorerConfigError(
            f"{label} must accept (item, output, expected), but its signature is {signature}",
            key=key,
        ) from None
    return value  # type: ignore[no-any-return]


def _passing_at(user: UserScorer, threshold: float) -> UserScorer:
    """A plain number the user's function returns passes at ``threshold``."""

    def verdict(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return {"score": value, "passed": value >= threshold}

    if is_async(user):

        async def score_async(item: Any, output: Any, expected: Any) -> Any:
            return verdict(await user(item, output, expected))

        return score_async

    def score(item: Any, output: Any, expected: Any) -> Any:
        return verdict(user(item, output, expected))

    return score


def _openai_grade(grade: Any) -> UserScorer:
    """OpenAI's python grader form, ``grade(sample, item) -> float``, as a scorer."""
    try:
        inspect.signature(grade).bind(None, None)
    except (TypeError, ValueError):
        raise ScorerConfigError(
            "grade in source must accept (sample, item), as OpenAI's python grader does",
            key="source",
        ) from None

    def score(item: Any, output: Any, expected: Any) -> Any:
        text = output if isinstance(output, str) else as_text(output)
        sample = {"output_text": text, "output_json": _json_or_none(output)}
        return grade(sample, item)

    return score


def _json_or_none(output: Any) -> Any:
    if not isinstance(output, str):
        return output
    try:
        return json.loads(output)
    except ValueError:
        return None


def _compile_source(source: object) -> UserScorer:
    if not isinstance(source, str) or not source.strip():
        raise ScorerConfigError(
            "'source' must be Python code defining score(item, output, expected)", key="source"
        )
    # A stable pseudo-filename registered with linecache lets tracebacks show the user's
    # lines, as they would for a file.
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:10]
    filename = f"<python scorer source {digest}>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        raise ScorerConfigError(
            f"syntax error in source line {exc.lineno}: {exc.msg}", key="source"
        ) from None
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "pytest_evals_inline_scorer", "__builtins__": builtins}
    try:
        exec(code, namespace)
    except Exception as exc:
        raise ScorerConfigError(
            f"running source failed: {type(exc).__name__}: {exc}", key="source"
        ) from None
    if "score" not in namespace and callable(namespace.get("grade")):
        return _openai_grade(namespace["grade"])
    if "score" not in namespace:
        raise ScorerConfigError(
            "source must define a function score(item, output, expected), or OpenAI's "
            "grade(sample, item)",
            key="source",
        )
    return _check_callable(namespace["score"], "score in source", "source")


def python(
    *,
    function: str | UserScorer | None = None,
    source: str | None = None,
    pass_threshold: object = None,
) -> ScoreFunction:
    """Score with the user's ``fn(item, output, expected)``; it returns a bool, a score in
    [0, 1] or a mapping ``{score, passed, reason}``. An ``async def`` function runs on the
    call engine's loop, concurrently across datapoints. ``source`` may instead define
    OpenAI's ``grade(sample, item)``; ``pass_threshold`` (OpenAI's name) is then the score
    it passes at."""
    if function is None and source is None:
        raise ScorerConfigError(
            "the python scorer needs 'function: package.module:function' or 'source:'",
            key="function",
        )
    if function is not None and source is not None:
        raise ScorerConfigError("give either 'function' or 'source', not both", key="source")
    user = _imported(function) if function is not None else _compile_source(source)
    if pass_threshold is not None:
        user = _passing_at(user, number_option("pass_threshold", pass_threshold))

    if is_async(user):

        async def score_async(ctx: ScoringContext) -> ScoreValue:
            return await user(ctx.item, ctx.sample.output, ctx.expected)  # type: ignore[no-any-return]

        return score_async

    def score(ctx: ScoringContext) -> ScoreValue:
        return user(ctx.item, ctx.sample.output, ctx.expected)  # type: ignore[no-any-return]

    return score
