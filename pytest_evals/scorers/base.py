"""What a scorer is, and the registry that builds one from a spec entry.

A scorer type is a factory: called with the entry's options as keyword arguments, it
validates them and returns a function that scores one sample, plain or ``async``. Factories
raise ``ScorerConfigError`` for bad options; the spec loader turns that into a collection
error. Async scoring functions run on the call engine's loop, and may call models through
the context's ``models`` port (``ModelClient``): their calls share the cache, limits, budget
and retries of every model call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..records import Embedded, Sample
from ..spec.hints import did_you_mean
from ..spec.model import SCORER_COMMON_KEYS, ModelRef
from ..spec.templates import render
from ..values import is_json_data, is_number, not_text, number_problem


class ScorerConfigError(Exception):
    """A scorer entry's option is missing or invalid; ``key`` names the option."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def number_option(
    key: str,
    value: object,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
) -> float:
    """A numeric option, or ScorerConfigError saying what is wrong with it."""
    problem = number_problem(value, minimum=minimum, above=above, maximum=maximum)
    if problem is not None:
        raise ScorerConfigError(f"'{key}' {problem}", key=key)
    return float(value)  # type: ignore[arg-type]


def text_option(name: str, value: object, *, what: str, key: str | None = None) -> str:
    """A text option that is not blank, or ScorerConfigError naming what was given (``what``
    says what the option holds). ``key`` is the option when ``name`` is a part of it
    (``input[0].content`` of ``input``)."""
    if not isinstance(value, str):
        raise ScorerConfigError(
            f"'{name}' must be text ({what}), got {not_text(value)}", key=key or name
        )
    if not value.strip():
        raise ScorerConfigError(f"'{name}' is empty: it must be {what}", key=key or name)
    return value


@dataclass(frozen=True)
class Verdict:
    """A scorer's answer. ``passed=None`` lets the threshold decide."""

    score: float
    passed: bool | None = None
    reason: str = ""
    details: Mapping[str, Any] | None = None
    reasoning: str | None = None
    """A judge's reasoning, as it gave it."""
    raw: str | None = None
    """A judge's answer as it came, before parsing."""


# What a scoring function may return: a bool (1.0 / 0.0), a number in [0, 1],
# a Verdict, or a mapping {score, passed?, reason?}.
ScoreValue = bool | float | int | Verdict | Mapping[str, Any]


class ModelClient(Protocol):
    """The port through which an async scorer calls a model (a judge, say): the call engine.
    What each call used and cost is counted as the scorer's (its entry's ``tokens`` and
    ``cost``, the record's ``judge_tokens`` and ``judge_cost``), apart from the sample's."""

    async def chat(
        self,
        model: ModelRef,
        messages: Sequence[Mapping[str, str]],
        *,
        json_schema: Mapping[str, Any] | None = None,
    ) -> Sample:
        """One chat call to ``model`` (a ``model_options`` option, resolved at collection);
        ``json_schema`` asks for a JSON object matching it, in the connection's
        ``structured_output`` form."""
        ...

    async def embed(self, model: ModelRef, texts: Sequence[str]) -> Embedded:
        """The vectors of ``texts`` from ``model``'s embeddings endpoint (batched with other
        datapoints' texts, each text cached), and what the call used."""
        ...


class ScorerFailure(Exception):
    """A scorer could not score, for a reason it can say in words (a judge's verdict that
    can't be parsed): the datapoint is an error with this message, and no traceback."""


@dataclass(frozen=True)
class ScoringContext:
    """Everything a scorer may look at for one datapoint. ``models`` is set for async
    scoring functions, which run on the engine's loop; sync ones get None."""

    item: Mapping[str, Any]
    sample: Sample
    models: ModelClient | None = None
    context: tuple[str, ...] = ()
    """The texts the output is judged against (``Datapoint.context``)."""

    @property
    def output(self) -> str:
        return self.sample.output_text

    @property
    def expected(self) -> Any:
        return self.item.get("expected")

    def render(self, template: str) -> str:
        """Fill a template from this datapoint and sample."""
        return render(
            template,
            {
                "item": self.item,
                "sample": {
                    "output_text": self.sample.output_text,
                    "output": self.sample.output_text,
                    "output_json": self.sample.output_json,
                },
            },
        )


ScoreFunction = Callable[[ScoringContext], ScoreValue | Awaitable[ScoreValue]]
ScorerFactory = Callable[..., ScoreFunction]


@dataclass(frozen=True)
class ScorerType:
    """A registered scorer type.

    ``graded`` scorers pass at 0.5 by default, binary ones at 1.0. ``template_options`` name
    the options holding templates (text, or lists and mappings of texts: every text in them
    is a template), checked against every datapoint at collection.
    ``needs_expected`` scorers are a collection error on a datapoint without ``expected``.
    ``model_options`` hold ``CONNECTION/MODEL`` references and ``import_options``
    ``"package.module:function"`` ones: both are resolved at collection, like a spec's own
    model and target, and reach the factory as a ``ModelRef`` and the imported callable.
    ``needs_context`` types judge the output against the datapoint's context (a
    collection error where it has none). ``default_judge`` types get the session's judge
    (``judge_model``, ``--evals-judge-model``) as their ``model`` when the entry names none.
    ``pass_option`` decides the pass in the type's own terms, in place of ``threshold``
    (OpenAI's ``pass_threshold``, ``passing_labels``): an entry giving both is a collection
    error, since one of them would be silently ignored.
    """

    name: str
    factory: ScorerFactory
    graded: bool = False
    template_options: tuple[str, ...] = ()
    needs_expected: bool = False
    model_options: tuple[str, ...] = ()
    import_options: tuple[str, ...] = ()
    default_judge: bool = False
    needs_context: bool = False
    pass_option: str | None = None

    @property
    def default_threshold(self) -> float:
        return 0.5 if self.graded else 1.0


class ScorerRegistry:
    """Scorer types by name: the built-ins plus those added by ``pytest_evals_register_scorers``."""

    def __init__(self) -> None:
        self._types: dict[str, ScorerType] = {}

    def register(
        self,
        name: str,
        factory: ScorerFactory,
        *,
        graded: bool = False,
        template_options: Iterable[str] = (),
        needs_expected: bool = False,
        model_options: Iterable[str] = (),
        import_options: Iterable[str] = (),
        default_judge: bool = False,
        needs_context: bool = False,
        pass_option: str | None = None,
    ) -> None:
        """Add a scorer type; a later registration under the same name replaces the earlier."""
        self._types[name] = ScorerType(
            name,
            factory,
            graded,
            tuple(template_options),
            needs_expected,
            tuple(model_options),
            tuple(import_options),
            default_judge,
            needs_context,
            pass_option,
        )

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        return sorted(self._types)

    def get(self, name: str) -> ScorerType:
        """The type registered as ``name``; ScorerConfigError with a did-you-mean if none."""
        try:
            return self._types[name]
        except KeyError:
            hint = did_you_mean(name, self._types)
            raise ScorerConfigError(
                f"unknown scorer type '{name}'{hint} (known: {', '.join(self.names())})",
                key="type",
            ) from None

    def build(self, type_name: str, options: Mapping[str, Any]) -> ScoreFunction:
        """Create the scoring function for one spec entry, validating its options."""
        scorer_type = self.get(type_name)
        _check_option_names(type_name, scorer_type.factory, options)
        try:
            return scorer_type.factory(**options)
        except ScorerConfigError:
            raise
        except TypeError as exc:
            # An option the factory does not take: name it, with a hint.
            raise ScorerConfigError(
                f"invalid options for scorer '{type_name}': {exc}", key=None
            ) from None
        except Exception as exc:
            # A plugin's factory that breaks is that entry's collection error, not a
            # traceback through pytest-evals.
            raise ScorerConfigError(
                f"the factory of scorer type '{type_name}' raised {type(exc).__name__}: {exc}"
            ) from None


def _check_option_names(type_name: str, factory: ScorerFactory, options: Mapping[str, Any]) -> None:
    """An option the factory does not take is named, with a hint, before Python's own
    TypeError could speak of keyword arguments."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    accepted = [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    for key in options:
        if key not in accepted:
            known = ", ".join(accepted) or "none"
            hint = did_you_mean(str(key), [*accepted, *SCORER_COMMON_KEYS])
            raise ScorerConfigError(
                f"scorer type '{type_name}' has no option '{key}'{hint} (its options: {known})",
                key=str(key),
            )


def _check_verdict(verdict: Verdict) -> None:
    """A verdict says what it means and holds only what a report can carry."""
    if verdict.passed is not None and not isinstance(verdict.passed, bool):
        # "no" is truthy.
        raise TypeError(f"'passed' must be true or false, got {verdict.passed!r}")
    if not is_number(verdict.score):
        raise TypeError(f"'score' must be a number, got {verdict.score!r}")
    for name in ("reasoning", "raw"):
        text = getattr(verdict, name)
        if text is not None and not isinstance(text, str):
            raise TypeError(f"'{name}' must be text, got {text!r}")
    details = verdict.details
    if details is not None and not (isinstance(details, Mapping) and is_json_data(dict(details))):
        raise TypeError(
            "'details' must be a mapping of JSON data (text keys; strings, finite "
            f"numbers, booleans, null, lists, mappings), got {details!r}"
        )


def normalize(value: ScoreValue, *, threshold: float) -> Verdict:
    """Turn whatever a scoring function returned into a Verdict with a definite ``passed``.

    Raises TypeError/ValueError for values that are not scores; the caller reports that
    as a scorer error on the datapoint.
    """
    if isinstance(value, Verdict):
        verdict = value
    elif isinstance(value, bool):
        verdict = Verdict(1.0 if value else 0.0, value)
    elif isinstance(value, (int, float)):
        verdict = Verdict(float(value))
    elif isinstance(value, Mapping):
        if "score" not in value and "passed" not in value:
            raise ValueError(f"a scorer mapping needs 'score' or 'passed', got {dict(value)!r}")
        passed = value.get("passed")
        score = value.get("score")
        if score is None:
            score = 1.0 if passed is True else 0.0
        verdict = Verdict(score, passed, str(value.get("reason") or ""), value.get("details"))
    else:
        raise TypeError(
            f"a scorer must return a bool, a number or a mapping, got {type(value).__name__}"
        )
    _check_verdict(verdict)
    verdict = replace(verdict, score=float(verdict.score))
    if not 0.0 <= verdict.score <= 1.0:
        raise ValueError(f"score {verdict.score} is outside [0, 1]")
    if verdict.passed is None:
        verdict = replace(verdict, passed=verdict.score >= threshold)
    return verdict
