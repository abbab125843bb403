"""The pytest side of an eval: a spec file is a collector, each datapoint (x model) an item.

The sample is produced in the item's setup and scored in its call, so a broken call is a
pytest error and a quality miss a pytest failure.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

from ..calls.pipeline import DatapointPlan, DatapointWork, start, wait_samples, wait_scores
from ..calls.pricing import prices_for
from ..calls.sampling import SampleSource, prompt_messages
from ..errors import BudgetExceeded, EvalInputError, SampleError
from ..load import LoadedSpec, load_spec
from ..records import ResultRecord, Sample
from ..scorers import builtin_registry
from ..scorers.base import ScoringContext
from ..scorers.combine import BoundScorer, Outcome, ScorerCrash, score_sample
from ..scorers.failures import error_text, quality_failure_text
from ..scorers.outcome import RecordContext, completed_record, error_record
from ..spec.connections import Connection, missing_key_message
from ..spec.connections_loader import parse_model_ref
from ..spec.model import AtLeast, Datapoint, EvalSpec, ModelRef
from ..spec.references import (
    Target,
    UnresolvedReference,
    import_target,
    target_parameters,
)
from ..spec.templates import TemplateError
from ..wire import RunMeta
from .state import STATE_KEY, EvalsState

_UNSAFE_ID = re.compile(r"[\s\[\]]+|::")


class EvalSampleError(Exception):
    """Setup could not produce the sample; carries the error record."""

    def __init__(self, record: ResultRecord) -> None:
        super().__init__(record.error)
        self.record = record


class EvalScorerError(Exception):
    """A scorer raised while scoring; carries the error record."""

    def __init__(self, record: ResultRecord) -> None:
        super().__init__(record.error)
        self.record = record


class EvalQualityFailure(Exception):
    """The datapoint was scored and did not pass."""

    def __init__(self, record: ResultRecord) -> None:
        super().__init__(f"datapoint {record.datapoint_id} did not pass")
        self.record = record


def display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _id_part(text: str) -> str:
    return _UNSAFE_ID.sub("_", text) or "_"


def _model_id_parts(models: Sequence[ModelRef]) -> dict[ModelRef, str]:
    """The model name, or CONNECTION-NAME where two connections serve the same name."""
    names = [m.name for m in models]
    return {
        m: _id_part(m.name if names.count(m.name) == 1 else f"{m.connection}-{m.name}")
        for m in models
    }


class EvalSpecFile(pytest.File):
    """One ``*.eval.yaml`` file."""

    def _state(self) -> EvalsState:
        return self.config.stash[STATE_KEY]

    def _fail(self, error: EvalInputError) -> pytest.Collector.CollectError:
        where = self.path if error.path is None else Path(error.path)
        shown = display_path(where, self.config.rootpath)
        located = EvalInputError(
            error.message,
            path=shown,
            line=error.line,
            datapoint_id=error.datapoint_id,
            key=error.key,
        )
        return self.CollectError(str(located))

    def collect(self) -> Iterator[pytest.Item]:
        state = self._state()
        registry = builtin_registry()
        self.ihook.pytest_evals_register_scorers(registry=registry)
        try:
            connections = state.services.connections()
            parse_model = functools.partial(parse_model_ref, connections=connections)
            loaded = load_spec(
                self.path,
                registry=registry,
                parse_model=parse_model,
                default_judge=state.services.default_judge,
            )
            spec = loaded.spec
            models = self._models(spec, connections)
            target = import_target(spec.target, spec_dir=self.path.parent) if spec.target else None
            parameters = _checked_parameters(spec, target) if target is not None else ()
        except EvalInputError as exc:
            raise self._fail(exc) from None
        self._check_api_keys([*models, *loaded.scorer_models], connections)
        self._check_prices([*models, *loaded.scorer_models], connections)
        for tag in spec.tags:
            # Registered first so --strict-markers accepts the spec's tags.
            self.config.addinivalue_line("markers", f"{tag}: eval tag from a spec file")
            self.add_marker(tag)
        yield from self._items(loaded, models, target, parameters, connections)

    def _overridden(self, spec: EvalSpec) -> bool:
        """``--evals-model`` applies: the spec calls a model (not a target, not given outputs)."""
        override = self._state().settings.model_override
        return override is not None and bool(spec.models) and spec.target is None

    def _models(self, spec: EvalSpec, connections: Mapping[str, Any]) -> list[ModelRef]:
        override = self._state().settings.model_override
        if override is None or not self._overridden(spec):
            return list(spec.models)
        try:
            chosen = parse_model_ref(override, connections=connections)
        except EvalInputError as exc:
            raise exc.located(key="--evals-model") from None
        # One model in place of the spec's (a `models:` matrix included: one item per
        # datapoint), with the first one's parameters: only where the calls go changes.
        first = spec.models[0]
        return [
            ModelRef(
                chosen.connection,
                chosen.name,
                first.temperature,
                first.max_tokens,
                first.seed,
                first.params,
            )
        ]

    def _check_api_keys(
        self, models: Sequence[ModelRef], connections: Mapping[str, Connection]
    ) -> None:
        """One error per spec file, and the whole explanation once per connection."""
        state = self._state()
        if state.settings.cache_mode == "replay":
            return  # replay makes no calls: no key needed
        missing: dict[str, Connection] = {}
        for model in models:
            connection = connections[model.connection]
            if connection.api_key_env and not os.environ.get(connection.api_key_env):
                missing[connection.name] = connection
        if not missing:
            return
        lines = []
        for name, connection in missing.items():
            if name in state.reported_missing_keys:
                lines.append(f"connection '{name}' has no API key (see above)")
            else:
                state.reported_missing_keys.add(name)
                lines.append(missing_key_message(connection))
        shown = display_path(self.path, self.config.rootpath)
        raise self.CollectError(f"{shown}: " + "; ".join(lines))

    def _check_prices(
        self, models: Sequence[ModelRef], connections: Mapping[str, Connection]
    ) -> None:
        """A budget can only be held where every call's cost is known: refuse the session
        before any call rather than spend past ``--evals-max-cost`` unseen."""
        settings = self._state().settings
        if settings.max_cost_usd is None or settings.cache_mode == "replay":
            return
        unpriced = [m for m in models if prices_for(connections[m.connection], m.name) is None]
        if unpriced:
            names = ", ".join(sorted({m.label for m in unpriced}))
            raise self.CollectError(
                f"{display_path(self.path, self.config.rootpath)}: --evals-max-cost "
                f"{settings.max_cost_usd:g} can't be held: no prices are known for {names}; "
                "give the connection prices = {input_per_mtok = ..., output_per_mtok = ...}"
            )

    def _items(
        self,
        loaded: LoadedSpec,
        models: Sequence[ModelRef],
        target: Target | None,
        parameters: tuple[str, ...],
        connections: Mapping[str, Connection],
    ) -> Iterator[DatapointItem]:
        spec = loaded.spec
        judges = [connections[m.connection] for m in loaded.scorer_models]
        calls_of = {
            model: tuple({c.name: c for c in [connections[model.connection], *judges]}.values())
            for model in models
        }
        judged_only = tuple({c.name: c for c in judges}.values())
        settings = self._state().settings
        rule = spec.repeat_pass
        if (
            isinstance(rule, AtLeast)
            and settings.repeat is not None
            and rule.count > settings.repeat
            and any(not d.has_output for d in spec.datapoints)
        ):
            raise self._fail(
                EvalInputError(
                    f"repeat_pass at_least {rule.count} of {settings.repeat} repeat(s) can "
                    "never pass: --evals-repeat is lower than the eval's at_least",
                    key="--evals-repeat",
                )
            )
        model_parts = _model_id_parts(models)
        matrix = spec.model_matrix and not self._overridden(spec)
        seen: dict[str, str] = {}
        for position, datapoint in enumerate(spec.datapoints):
            choices: Sequence[ModelRef | None] = models or [None]
            for model in choices:
                part = _id_part(datapoint.id)
                if model is not None and matrix:
                    part = f"{part}-{model_parts[model]}"
                if part in seen and seen[part] != datapoint.id:
                    # Two ids that differ only in characters a test id can't hold: renaming
                    # one by position would make --lf and -k pick the wrong datapoint.
                    raise self._fail(
                        EvalInputError(
                            f"datapoints '{seen[part]}' and '{datapoint.id}' get the same test "
                            f"id '{part}' (spaces, brackets and '::' become '_'): give one of "
                            "them another id",
                            line=datapoint.line,
                            datapoint_id=datapoint.id,
                            key="id",
                            path=datapoint.source,
                        )
                    )
                seen[part] = datapoint.id
                source = SampleSource(
                    spec, None if datapoint.has_output else model, target, parameters
                )
                plan = DatapointPlan(
                    source,
                    datapoint,
                    repeat=1 if datapoint.has_output else (settings.repeat or spec.repeat),
                    scorers=loaded.scorers,
                )
                name = f"{spec.name}[{part}]"
                yield DatapointItem.from_parent(
                    self,
                    name=name,
                    # Given as text, so pytest 9 parses it as it parses the ids it stores for
                    # --lf/--ff/--sw (names and params apart); built from the parent, the
                    # id would keep "[...]" in the name and never match them.
                    nodeid=f"{self.nodeid}::{name}",
                    plan=plan,
                    position=position,
                    model=model,
                    connections=judged_only if source.model is None else calls_of[source.model],
                )


def _checked_parameters(spec: EvalSpec, target: Target) -> tuple[str, ...]:
    """What the target asks for; a prompt the spec writes but the target would never see is
    refused, not silently dropped."""
    try:
        parameters = target_parameters(target)
    except UnresolvedReference as exc:
        raise EvalInputError(str(exc), key="target") from None
    written = [
        key
        for key, value in (
            ("system_prompt", spec.system_prompt),
            ("prompt", spec.prompt),
            ("messages", spec.messages),
        )
        if value is not None
    ]
    if written and not {"prompt", "messages"} & set(parameters):
        raise EvalInputError(
            f"the target takes neither 'prompt' nor 'messages', so the spec's '{written[0]}' "
            "would not be used: declare one of them (def answer(prompt): ...) or drop it",
            key=written[0],
        )
    return parameters


def junit_properties(record: ResultRecord) -> list[tuple[str, str]]:
    """The per-testcase properties of SPEC §5, as strings (JUnit takes scalars)."""
    tokens = record.tokens.total if record.tokens else None
    return [
        ("eval.score", "" if record.score is None else f"{record.score:.6g}"),
        ("eval.passed", str(record.passed).lower()),
        ("eval.latency_ms", "" if record.latency_ms is None else f"{record.latency_ms:.6g}"),
        ("eval.tokens", "" if tokens is None else str(tokens)),
        ("eval.cost", "" if record.cost is None else f"{record.cost:.8g}"),
        ("eval.model", record.model or ""),
    ]


def run_id(spec: EvalSpec, model: ModelRef | None, *, where: str | None = None) -> str:
    """``NAME``, ``NAME[CONN/MODEL]``; with ``where`` (the spec's path, when another spec
    file of the session has the same name) ``NAME (PATH)`` so each file is its own run."""
    name = spec.name if where is None else f"{spec.name} ({where})"
    return name if model is None else f"{name}[{model.label}]"


def separate_namesakes(items: Sequence[pytest.Item], root: Path) -> None:
    """Give the items of spec files that share a ``name`` run ids naming their file: one
    run and one gate per spec file, never two files' records merged under one gate."""
    paths: dict[str, set[Path]] = {}
    evals = [item for item in items if isinstance(item, DatapointItem)]
    for item in evals:
        paths.setdefault(item.spec.name, set()).add(item.spec.path)
    for item in evals:
        if len(paths[item.spec.name]) > 1:
            where = display_path(item.spec.path, root)
            item.run_id = run_id(item.spec, item.model, where=where)


class DatapointItem(pytest.Item):
    """One datapoint of one eval (for one model)."""

    def __init__(
        self,
        *,
        plan: DatapointPlan,
        position: int,
        model: ModelRef | None,
        connections: tuple[Connection, ...],
        **kwargs: Any,
    ) -> None:
        """``connections``: those its calls go through, its scorers' included."""
        super().__init__(**kwargs)
        self.plan = plan
        self.position = position
        """The datapoint's place in its spec: reports keep this order."""
        self.spec: EvalSpec = plan.source.spec
        self.datapoint: Datapoint = plan.datapoint
        self.model = model
        self.connections = connections
        self.run_id = run_id(self.spec, model)
        self.record: ResultRecord | None = None
        self._work: DatapointWork | None = None
        self._samples: list[Sample] = []
        self._context = RecordContext(self.spec.name, model.label if model else None)

    @property
    def scorers(self) -> tuple[BoundScorer, ...]:
        return self.plan.scorers

    def concurrency_limits(self) -> set[int]:
        return {c.max_concurrency for c in self.connections}

    # -- phases --------------------------------------------------------------------------

    @property
    def can_start_early(self) -> bool:
        return self.plan.can_start_early

    def start(self) -> None:
        """Start the datapoint's work, if not started yet: the prefetcher calls this for
        the items coming next, so their calls are in flight while earlier items run."""
        if self._work is None:
            services = self.config.stash[STATE_KEY].services
            self._work = start(self.plan, services.engine)

    def holds_spend(self) -> bool:
        return self._work is not None and self._work.holds_spend(
            given_output=self.datapoint.has_output
        )

    def _stop_for_budget(self, reason: str) -> None:
        """Stop the session after this item, unless items this process runs next were
        started and may hold answered calls: those run first, so what they cost is reported.
        Each of them the budget then refuses asks again; the window starts no new item after
        the stop, so one of them, or the item after them, stops the session."""
        ahead = self.config.stash[STATE_KEY].ahead_of(self)
        if not any(isinstance(i, DatapointItem) and i.holds_spend() for i in ahead):
            self.session.shouldstop = reason

    def setup(self) -> None:
        self.start()
        assert self._work is not None
        try:
            self._samples = wait_samples(self._work)
        except SampleError as exc:
            self._work.cancel()
            if isinstance(exc, BudgetExceeded):
                # Not this datapoint's fault: it is not run, and the session stops after it
                # (an xdist worker hands the reason to the controller, which stops them all).
                self._stop_for_budget(str(exc))
                if not self._spent_this_session():
                    pytest.skip(str(exc))
                # Some of its repeats were answered: kept, as their spend is the session's.
                raise EvalSampleError(self._stopped(exc, list(exc.produced))) from None
            raise EvalSampleError(self._error(str(exc))) from None

    def _keep(self, record: ResultRecord) -> ResultRecord:
        """The item's record, with the API keys taken out of what user code wrote in it."""
        self.record = record.redacted(self.config.stash[STATE_KEY].services.secrets())
        return self.record

    def _error(self, message: str, samples: Sequence[Sample] = ()) -> ResultRecord:
        calls = self._work.scorer_calls if self._work is not None else None
        judged = calls.spend() if calls is not None else None
        return self._keep(error_record(self._context, self.datapoint, message, samples, judged))

    def _stopped(self, exc: BudgetExceeded, samples: Sequence[Sample]) -> ResultRecord:
        """The record of a datapoint the budget stopped after some of its calls were paid."""
        record = self._error(f"not scored: {exc}", samples)
        record.stopped = True
        return record

    def _spent_this_session(self) -> bool:
        """Whether any of its calls was answered (and paid for) in this session."""
        work = self._work
        return work is not None and bool(work.paid(given_output=self.datapoint.has_output))

    def runtest(self) -> None:
        assert self._work is not None
        try:
            awaited = wait_scores(self._work, len(self._samples))
        except (CancelledError, SampleError) as exc:
            if isinstance(exc, BudgetExceeded):
                # As in setup: the stop's, not the datapoint's; the session ends after it.
                self._stop_for_budget(str(exc))
                if not self._spent_this_session():
                    pytest.skip(str(exc))
                # Its sample or some judge calls were paid for: kept in the report (as an
                # unscored datapoint), or the summary would spend less than the session did.
                raise EvalScorerError(self._stopped(exc, self._samples)) from None
            reason = str(exc) or "the session stopped before the scorers finished"
            raise EvalScorerError(
                self._error(f"scoring was cancelled: {reason}", self._samples)
            ) from None
        outcomes: list[Outcome] = []
        for sample, values in zip(self._samples, awaited, strict=True):
            context = ScoringContext(
                item=self.datapoint.data, sample=sample, context=self.datapoint.context
            )
            try:
                outcomes.append(
                    score_sample(
                        self.scorers, context, eval_threshold=self.spec.threshold, awaited=values
                    )
                )
            except ScorerCrash as crash:
                raise EvalScorerError(self._error(str(crash), self._samples)) from None
        record = self._keep(
            completed_record(
                self._context, self.datapoint, self._samples, outcomes, self.spec.repeat_pass
            )
        )
        if not record.passed:
            raise EvalQualityFailure(record)

    def release(self) -> None:
        """Drop what the item no longer needs once reported: a session of 100,000
        datapoints keeps every item alive until it ends."""
        self.record = None
        self._samples = []
        self._work = None

    # -- reporting -------------------------------------------------------------------------

    def location_text(self) -> str:
        shown = display_path(self.datapoint.source, self.config.rootpath)
        return shown if self.datapoint.line is None else f"{shown}:{self.datapoint.line}"

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        error = excinfo.value
        if isinstance(error, EvalQualityFailure):
            return quality_failure_text(
                error.record, self.location_text(), self.spec.threshold, self._prompt_sent()
            )
        if isinstance(error, (EvalSampleError, EvalScorerError)):
            return error_text(error.record, self.location_text(), self._prompt_sent())
        return super().repr_failure(excinfo, style=style)

    def _prompt_sent(self) -> list[dict[str, str]] | None:
        """The messages the model (or a target that takes them) was given; None where no
        prompt is rendered (given outputs, a target taking the item) or it can't be."""
        try:
            return prompt_messages(self.plan.source, self.datapoint)
        except TemplateError:
            return None

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.datapoint.line - 1 if self.datapoint.line else None
        return self.datapoint.source, line, self.name

    def run_meta(self, total: int) -> RunMeta:
        """This item's run, described for the controller (``wire``)."""
        return RunMeta(
            id=self.run_id,
            name=self.spec.name,
            eval=self.spec.name,
            spec_path=display_path(self.spec.path, self.config.rootpath),
            model=self.model.label if self.model else None,
            total=total,
            pass_rate_required=self.spec.pass_rate,
            config=self.spec.config_dict(),
            scorers=[
                {
                    "type": s.config.type,
                    "name": s.config.name,
                    "weight": s.config.weight,
                    "threshold": s.threshold,
                    "options": dict(s.config.options),
                }
                for s in self.scorers
            ],
        )
