"""The data a datapoint produces: its sample, its scores and its result record.

Plain dataclasses with ``to_dict`` so they travel through pytest reports (and so through
pytest-xdist) as builtins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .redact import redact
from .values import as_text

Status = Literal["completed", "error"]


@dataclass(frozen=True)
class TokenUsage:
    prompt: int | None = None
    completion: int | None = None

    @classmethod
    def known(cls, prompt: int | None, completion: int | None) -> TokenUsage | None:
        """The usage, or None when the provider reported neither count."""
        return None if prompt is None and completion is None else cls(prompt, completion)

    @property
    def total(self) -> int | None:
        if self.prompt is None and self.completion is None:
            return None
        return (self.prompt or 0) + (self.completion or 0)

    def to_dict(self) -> dict[str, int | None]:
        return {"prompt": self.prompt, "completion": self.completion, "total": self.total}

    def __add__(self, other: TokenUsage) -> TokenUsage:
        def add(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return TokenUsage(add(self.prompt, other.prompt), add(self.completion, other.completion))


@dataclass(frozen=True)
class Sample:
    """What the model, the target or the datapoint itself produced for one datapoint."""

    output: Any
    latency_ms: float | None = None
    tokens: TokenUsage | None = None
    cost: float | None = None
    cached: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def output_text(self) -> str:
        return as_text(self.output)

    @property
    def output_json(self) -> Any:
        """The output as JSON data: parsed when it is a JSON string, else as given; None if
        the text is not JSON."""
        if not isinstance(self.output, str):
            return self.output
        try:
            return json.loads(self.output)
        except ValueError:
            return None


@dataclass(frozen=True)
class Embedded:
    """The vectors of one scorer's texts, in their order (tokens and cost: the texts' shares
    of the requests they went out in)."""

    vectors: tuple[tuple[float, ...], ...]
    calls: tuple[Sample, ...]
    """What getting them used: the texts answered now, and apart those replayed from the
    cache (so that their recorded cost is not counted as paid now)."""


@dataclass(frozen=True)
class ScoreResult:
    """One scorer's verdict on one sample."""

    name: str
    score: float
    passed: bool
    reason: str = ""
    weight: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)
    reasoning: str | None = None
    raw: str | None = None
    calls: CallSpend | None = None
    """What the scorer's own model calls (a judge's, embeddings) used; None: it made none."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "score": self.score,
            "passed": self.passed,
            "reason": self.reason,
            "weight": self.weight,
        }
        if self.details:
            data["details"] = self.details
        if self.reasoning is not None:
            data["reasoning"] = self.reasoning
        if self.raw is not None:
            data["raw"] = self.raw
        if self.calls is not None:
            data.update(self.calls.to_dict())
        return data


def sum_tokens(usages: Iterable[TokenUsage | None]) -> TokenUsage | None:
    """The usages added up; None when none is known."""
    total: TokenUsage | None = None
    for usage in usages:
        if usage is not None:
            total = usage if total is None else total + usage
    return total


def sum_known(values: Iterable[float | None]) -> float | None:
    """The known values added up; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@dataclass(frozen=True)
class CallSpend:
    """The model calls one scorer made for one datapoint: their tokens, their cost (None
    when no call's cost is known) and whether every one came from the cache."""

    calls: int
    tokens: TokenUsage | None
    cost: float | None
    cached: bool
    replayed: float | None = None
    """The part of ``cost`` that answers from the response cache recorded: not paid now."""

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> CallSpend | None:
        if not samples:
            return None
        return cls(
            len(samples),
            sum_tokens(s.tokens for s in samples),
            sum_known(s.cost for s in samples),
            all(s.cached for s in samples),
            sum_known(s.cost for s in samples if s.cached),
        )

    def __add__(self, other: CallSpend) -> CallSpend:
        return CallSpend(
            self.calls + other.calls,
            sum_tokens((self.tokens, other.tokens)),
            sum_known((self.cost, other.cost)),
            self.cached and other.cached,
            sum_known((self.replayed, other.replayed)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokens": (self.tokens or TokenUsage()).to_dict(),
            "cost": self.cost,
            "cached": self.cached,
        }


@dataclass
class ResultRecord:
    """One datapoint's result, in the shape of SPEC §5."""

    datapoint_id: str
    eval: str
    model: str | None
    input: Any
    expected: Any
    output: Any = None
    score: float | None = None
    passed: bool = False
    scores: list[ScoreResult] = field(default_factory=list)
    latency_ms: float | None = None
    tokens: TokenUsage | None = None
    cost: float | None = None
    cached: bool = False
    status: Status = "completed"
    error: str | None = None
    repeats: list[dict[str, Any]] | None = None
    flaky: bool = False
    """The repeats disagreed: some passed, some did not."""
    judge_tokens: TokenUsage | None = None
    judge_cost: float | None = None
    """What the judge (and embedding) calls of its scorers used and cost, apart from the
    sample's ``tokens`` and ``cost``."""
    judge_cost_replayed: float | None = None
    """The part of ``judge_cost`` recorded by answers served from the response cache."""
    stopped: bool = False
    """An error because ``--evals-max-cost`` stopped it half-way (kept for what it paid)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """What the target returned as ``metadata``, or the call's (attempts, the model that
    answered), of the first sample."""

    def add_judge_spend(self, spend: CallSpend | None) -> None:
        """Note what its scorers' calls used (``judge_tokens``, ``judge_cost``)."""
        if spend is not None:
            self.judge_tokens, self.judge_cost = spend.tokens, spend.cost
            self.judge_cost_replayed = spend.replayed

    def redacted(self, secrets: Sequence[str]) -> ResultRecord:
        """This record with every secret (the values of the API key variables) taken out of
        what came from user code or a provider: the error, the output, the scorers' reasons.
        A target may raise ``RuntimeError("key " + os.environ[...])``; CI publishes reports."""

        def clean(value: Any) -> Any:
            # Outputs and metadata are JSON data: every string inside them, keys included.
            if isinstance(value, str):
                return redact(value, secrets)
            if isinstance(value, dict):
                return {clean(k): clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        return replace(
            self,
            output=clean(self.output),
            error=clean(self.error),
            scores=[
                replace(
                    s,
                    reason=clean(s.reason),
                    details=clean(s.details),
                    reasoning=clean(s.reasoning),
                    raw=clean(s.raw),
                )
                for s in self.scores
            ],
            repeats=None if self.repeats is None else clean(self.repeats),
            metadata=clean(self.metadata),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "datapoint_id": self.datapoint_id,
            "eval": self.eval,
            "model": self.model,
            "input": self.input,
            "expected": self.expected,
            "output": self.output,
            "score": self.score,
            "passed": self.passed,
            "scores": [s.to_dict() for s in self.scores],
            "latency_ms": self.latency_ms,
            "tokens": (self.tokens or TokenUsage()).to_dict(),
            "cost": self.cost,
            "cached": self.cached,
            "status": self.status,
            "error": self.error,
            "flaky": self.flaky,
            "judge_tokens": (self.judge_tokens or TokenUsage()).to_dict(),
            "judge_cost": self.judge_cost,
            "judge_cost_replayed": self.judge_cost_replayed,
            "metadata": self.metadata,
        }
        if self.repeats is not None:
            data["repeats"] = self.repeats
        if self.stopped:
            data["stopped"] = True
        return data
