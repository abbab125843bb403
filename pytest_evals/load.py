"""The one place that turns a ``*.eval.yaml`` file into a validated ``EvalSpec`` and its
bound scorers (SPEC §2).

Everything that can be checked before a call is made is checked here, so that bad input is
one collection error naming the file, line, datapoint and key: the references a spec makes
(models, and the models and functions scorers name) are resolved here too. No pytest import.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import EvalInputError
from .scorers.base import ScorerConfigError, ScorerRegistry
from .scorers.combine import BoundScorer, bind_scorers
from .spec.context import ContextError, datapoint_context, read_documents
from .spec.datasets import RawDatapoint, Selection, read_dataset
from .spec.hints import did_you_mean
from .spec.model import (
    REPEAT_RULES,
    SCORER_COMMON_KEYS,
    AtLeast,
    Datapoint,
    EvalSpec,
    ModelRef,
    RepeatPass,
    ScorerConfig,
    default_name,
)
from .spec.prompts import DEFAULT_PROMPT
from .spec.references import UnresolvedReference, import_object
from .spec.templates import Reference, TemplateError, check_references, references
from .spec.yaml_source import LineIndex, read_yaml
from .values import NotJSONData, json_value, number_problem

ModelParser = Callable[..., ModelRef]
DefaultJudge = Callable[[], ModelRef | None]
"""The session's judge, asked for only when a judge scorer names none."""

SPEC_KEYS = (
    "name",
    "description",
    "metadata",
    "tags",
    "cases",
    "dataset",
    "schema",
    "model",
    "models",
    "target",
    "system_prompt",
    "prompt",
    "messages",
    "scorers",
    "threshold",
    "pass_rate",
    "repeat",
    "repeat_pass",
    "concurrency",
    "timeout_s",
    "retries",
    "documents",
)
_DATASET_KEYS = ("path", "limit", "sample", "seed")
_ROLES = ("system", "user", "assistant", "developer", "tool")
_MARKER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# pytest's own markers change how items run: as a tag, `skip` would skip the whole eval.
_PYTEST_MARKERS = ("skip", "skipif", "xfail", "usefixtures", "filterwarnings", "parametrize")
_METADATA_MAX_PAIRS, _METADATA_MAX_KEY, _METADATA_MAX_VALUE = 16, 64, 512


@dataclass(frozen=True)
class LoadedSpec:
    """A spec file, validated, and its scorers, built and ready to score."""

    spec: EvalSpec
    scorers: tuple[BoundScorer, ...]

    @property
    def scorer_models(self) -> list[ModelRef]:
        """The models the scorers call (their ``model_options``), kept whatever
        ``--evals-model`` says."""
        return [m for s in self.scorers for m in s.models]


class _SpecReader:
    """Validation of one spec file's top-level keys; errors point at the key's line."""

    def __init__(self, path: Path, data: Mapping[str, Any], lines: LineIndex) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def error(self, message: str, *at: str | int, datapoint_id: str | None = None) -> Exception:
        key = _key_text(at) if at else None
        return EvalInputError(
            message, path=self.path, line=self.lines.line(*at), datapoint_id=datapoint_id, key=key
        )

    def string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"must be a string, got {_kind(value)}", key)
        return value

    def number(self, key: str, *, integer: bool, low: float, high: float | None = None) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        problem = number_problem(value, whole=integer, minimum=low, maximum=high)
        if problem is not None:
            raise self.error(problem, key)
        return value


def _key_text(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else type(value).__name__


def _check_keys(reader: _SpecReader) -> None:
    for key in reader.data:
        if key not in SPEC_KEYS:
            hint = did_you_mean(str(key), SPEC_KEYS)
            raise reader.error(f"unknown key '{key}'{hint}", str(key))


def _name(reader: _SpecReader) -> str:
    name = reader.string("name")
    if name is None:
        return default_name(reader.path)
    if not name.strip() or any(c in name for c in "[]\n") or "::" in name:
        raise reader.error("must be a non-empty name without '[', ']', '::' or newlines", "name")
    return name.strip()


def _metadata(reader: _SpecReader) -> dict[str, str]:
    value = reader.data.get("metadata")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise reader.error("must be a mapping of short strings", "metadata")
    if len(value) > _METADATA_MAX_PAIRS:
        raise reader.error(f"at most {_METADATA_MAX_PAIRS} pairs, got {len(value)}", "metadata")
    for key, text in value.items():
        if not isinstance(key, str) or len(key) > _METADATA_MAX_KEY:
            raise reader.error(
                f"keys must be strings of at most {_METADATA_MAX_KEY} characters", "metadata"
            )
        if not isinstance(text, str) or len(text) > _METADATA_MAX_VALUE:
            raise reader.error(
                f"values must be strings of at most {_METADATA_MAX_VALUE} characters",
                "metadata",
                key,
            )
    return dict(value)


def _tags(reader: _SpecReader) -> tuple[str, ...]:
    value = reader.data.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise reader.error("must be a list of marker names", "tags")
    for position, tag in enumerate(value):
        if not isinstance(tag, str) or not _MARKER_NAME.match(tag):
            raise reader.error(
                f"{tag!r} is not a marker name (letters, digits and _, not starting with a digit)",
                "tags",
                position,
            )
        if tag in _PYTEST_MARKERS:
            raise reader.error(
                f"'{tag}' is one of pytest's own markers and would change how every datapoint "
                "runs (not just label it): choose another tag name",
                "tags",
                position,
            )
    return tuple(dict.fromkeys(value))


def _models(reader: _SpecReader, parse_model: ModelParser) -> tuple[ModelRef, ...]:
    data = reader.data
    if "model" in data and "models" in data:
        raise reader.error("give either 'model' or 'models', not both", "models")
    if "target" in data and ("model" in data or "models" in data):
        raise reader.error("give either a model or a target, not both", "target")
    if "model" in data:
        entries: list[tuple[Any, tuple[str | int, ...]]] = [(data["model"], ("model",))]
    elif "models" in data:
        if not isinstance(data["models"], list) or not data["models"]:
            raise reader.error("must be a non-empty list of models", "models")
        entries = [(m, ("models", i)) for i, m in enumerate(data["models"])]
    else:
        return ()
    models: list[ModelRef] = []
    for value, at in entries:
        try:
            model = parse_model(value, key=_key_text(at))
        except EvalInputError as exc:
            raise exc.located(path=reader.path, line=reader.lines.line(*at)) from None
        if model in models:
            raise reader.error(f"'{model.label}' is listed twice", *at)
        models.append(model)
    return tuple(models)


def _messages(reader: _SpecReader) -> tuple[dict[str, str], ...] | None:
    value = reader.data.get("messages")
    if value is None:
        return None
    if "prompt" in reader.data:
        raise reader.error("give either 'prompt' or 'messages', not both", "messages")
    if not isinstance(value, list) or not value:
        raise reader.error("must be a non-empty list of {role, content}", "messages")
    messages: list[dict[str, str]] = []
    for position, message in enumerate(value):
        _check_message(message, lambda m, *k, p=position: reader.error(m, "messages", p, *k))
        messages.append({"role": message["role"], "content": message["content"]})
    return tuple(messages)


def _check_message(message: Any, error: Callable[..., Exception]) -> None:
    if not isinstance(message, Mapping) or set(message) != {"role", "content"}:
        raise error("each message is a mapping with exactly 'role' and 'content'")
    if message["role"] not in _ROLES:
        hint = did_you_mean(str(message["role"]), _ROLES)
        raise error(f"unknown role {message['role']!r}{hint}", "role")
    if not isinstance(message["content"], str):
        raise error("must be a string", "content")


def _selection(reader: _SpecReader) -> tuple[Path, Selection] | None:
    value = reader.data.get("dataset")
    if value is None:
        return None
    selection = Selection()
    if isinstance(value, Mapping):
        for key in value:
            if key not in _DATASET_KEYS:
                hint = did_you_mean(str(key), _DATASET_KEYS)
                raise reader.error(f"unknown key '{key}'{hint}", "dataset", str(key))
        numbers: dict[str, int | None] = {}
        for key, low in (("limit", 1), ("sample", 1), ("seed", None)):
            number = value.get(key)
            problem = None if number is None else number_problem(number, whole=True, minimum=low)
            if problem is not None:
                raise reader.error(problem, "dataset", key)
            numbers[key] = number
        selection = Selection(numbers["limit"], numbers["sample"], numbers["seed"] or 0)
        value = value.get("path")
    if not isinstance(value, str) or not value.strip():
        raise reader.error(
            "must be a file path (relative to the spec) or {path, limit, sample, seed}", "dataset"
        )
    file = reader.path.parent / value
    if file.is_dir():
        raise reader.error(f"dataset '{value}' is a directory, not a file ({file})", "dataset")
    if not file.is_file():
        raise reader.error(f"dataset file '{value}' not found (looked for {file})", "dataset")
    return file, selection


def _raw_datapoints(reader: _SpecReader) -> list[tuple[RawDatapoint, Path, tuple[str | int, ...]]]:
    """Inline cases then the dataset's rows, with where each came from."""
    rows: list[tuple[RawDatapoint, Path, tuple[str | int, ...]]] = []
    cases = reader.data.get("cases")
    if cases is not None:
        if not isinstance(cases, list):
            raise reader.error("must be a list of datapoints", "cases")
        for position, case in enumerate(cases):
            if not isinstance(case, Mapping):
                raise reader.error(
                    f"each datapoint is a mapping of fields, got {_kind(case)}", "cases", position
                )
            line = reader.lines.line("cases", position)
            rows.append((RawDatapoint(position, case, line), reader.path, ("cases", position)))
    chosen = _selection(reader)
    if chosen is not None:
        file, selection = chosen
        offset = len(rows)
        for row in selection.apply(read_dataset(file)):
            shifted = RawDatapoint(row.index + offset, row.data, row.line)
            rows.append((shifted, file, ()))
    if not rows:
        raise reader.error("the eval has no datapoints: give 'cases' or 'dataset'")
    return rows


def _datapoint_error(
    message: str, row: RawDatapoint, source: Path, datapoint_id: str | None, key: str | None
) -> EvalInputError:
    return EvalInputError(message, path=source, line=row.line, datapoint_id=datapoint_id, key=key)


def _at_datapoint(datapoint: Datapoint, message: str, key: str) -> EvalInputError:
    """An error at a loaded datapoint: its file and line (the spec's or the dataset's)."""
    return EvalInputError(
        message, path=datapoint.source, line=datapoint.line, datapoint_id=datapoint.id, key=key
    )


def _check_datapoint_chat(chat: Any, row: RawDatapoint, source: Path, datapoint_id: str) -> None:
    if not isinstance(chat, list) or not chat:
        raise _datapoint_error(
            "must be a non-empty list of {role, content}", row, source, datapoint_id, "messages"
        )
    for position, message in enumerate(chat):

        def error(text: str, *key: str, at: int = position) -> Exception:
            return _datapoint_error(
                text, row, source, datapoint_id, _key_text(("messages", at, *key))
            )

        _check_message(message, error)


def _datapoints(reader: _SpecReader, *, needs_output: bool) -> tuple[Datapoint, ...]:
    seen: dict[str, int | None] = {}
    datapoints: list[Datapoint] = []
    for row, source, _ in _raw_datapoints(reader):
        data = row.data
        raw_id = data.get("id", row.index)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or str(raw_id) == "":
            raise _datapoint_error(
                f"'id' must be a string or a whole number, got {raw_id!r}", row, source, None, "id"
            )
        datapoint_id = str(raw_id)
        if datapoint_id in seen:
            where = f" (first on line {seen[datapoint_id]})" if seen[datapoint_id] else ""
            raise _datapoint_error(
                f"duplicate id{where}: ids must be unique", row, source, datapoint_id, "id"
            )
        seen[datapoint_id] = row.line
        if "messages" in data:
            _check_datapoint_chat(data["messages"], row, source, datapoint_id)
        if "metadata" in data and not isinstance(data["metadata"], Mapping):
            raise _datapoint_error("must be a mapping", row, source, datapoint_id, "metadata")
        if needs_output and "output" not in data:
            raise _datapoint_error(
                "the eval has no model and no target, so every datapoint needs its 'output' "
                "(the sample to grade)",
                row,
                source,
                datapoint_id,
                "output",
            )
        try:
            plain = json_value(data)
        except NotJSONData as exc:
            at = _key_text(exc.path) or None
            raise _datapoint_error(exc.message, row, source, datapoint_id, at) from None
        datapoints.append(Datapoint(datapoint_id, plain, source, row.line))
    return tuple(datapoints)


def _repeat_pass(reader: _SpecReader, repeat: int) -> RepeatPass:
    value = reader.data.get("repeat_pass", "all")
    if isinstance(value, Mapping):
        written = value.get("at_least")
        if set(value) != {"at_least"} or number_problem(written, whole=True, minimum=1):
            raise reader.error(
                "must be all, any, majority or {at_least: K} with K a whole number >= 1",
                "repeat_pass",
            )
        count = int(written)  # type: ignore[arg-type]
        if count > repeat:
            raise reader.error(
                f"at_least {count} of {repeat} repeat(s) can never pass: raise 'repeat' or "
                "lower at_least",
                "repeat_pass",
                "at_least",
            )
        return AtLeast(count)
    for rule in REPEAT_RULES:
        if value == rule:
            return rule
    hint = did_you_mean(str(value), REPEAT_RULES)
    raise reader.error(f"must be one of all, any, majority or {{at_least: K}}{hint}", "repeat_pass")


def _with_context(reader: _SpecReader, datapoints: tuple[Datapoint, ...]) -> tuple[Datapoint, ...]:
    """Each datapoint with the texts it is judged against, files read now: a missing one is
    this collection's error, not every datapoint's at run time."""
    folder = reader.path.parent
    documents: tuple[str, ...] = ()
    if reader.data.get("documents") is not None:
        try:
            documents = read_documents(reader.data["documents"], folder)
        except ContextError as exc:
            raise reader.error(exc.message, *_key_path(exc.key)) from None
    if not documents and not any(
        "context" in d.data or "context_files" in d.data for d in datapoints
    ):
        return datapoints
    with_context: list[Datapoint] = []
    for datapoint in datapoints:
        try:
            context = datapoint_context(datapoint.data, folder, documents)
        except ContextError as exc:
            raise _at_datapoint(datapoint, exc.message, exc.key) from None
        with_context.append(replace(datapoint, context=context))
    return tuple(with_context)


def _key_path(key: str) -> tuple[str | int, ...]:
    """``documents[1]`` as the parts a line look-up takes."""
    name, _, rest = key.partition("[")
    return (name, int(rest.rstrip("]"))) if rest else (name,)


def _check_schema(reader: _SpecReader, datapoints: Sequence[Datapoint]) -> Mapping[str, Any] | None:
    schema = reader.data.get("schema")
    if schema is None:
        return None
    if not isinstance(schema, Mapping):
        raise reader.error("must be a JSON Schema (a mapping)", "schema")
    import jsonschema  # only specs with a schema pay for its import

    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(dict(schema))
    except jsonschema.SchemaError as exc:
        raise reader.error(f"not a valid JSON Schema: {exc.message}", "schema") from None
    validator = validator_class(dict(schema))
    for datapoint in datapoints:
        if validator.is_valid(datapoint.data):
            continue
        found = jsonschema.exceptions.best_match(validator.iter_errors(datapoint.data))
        where = "/".join(str(p) for p in found.absolute_path) if found else ""
        message = found.message if found else "does not match the schema"
        raise _at_datapoint(
            datapoint,
            f"violates the schema{f' at {where!r}' if where else ''}: {message}",
            "schema",
        )
    return schema


def _scorer_configs(reader: _SpecReader, datapoints: Sequence[Datapoint]) -> list[ScorerConfig]:
    value = reader.data.get("scorers")
    if value is None:
        # SPEC §2: exact_match when datapoints have expected; otherwise record the output.
        default = "exact_match" if any("expected" in d.data for d in datapoints) else "none"
        return [ScorerConfig(type=default, name=default)]
    if not isinstance(value, list) or not value:
        raise reader.error("must be a non-empty list of scorers", "scorers")
    configs: list[ScorerConfig] = []
    names: set[str] = set()
    for position, entry in enumerate(value):
        at = ("scorers", position)
        if isinstance(entry, str):
            entry = {"type": entry}
        if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
            raise reader.error("each scorer is a type name or a mapping with 'type'", *at)
        name = entry.get("name", entry["type"])
        if not isinstance(name, str) or not name:
            raise reader.error("must be a non-empty string", *at, "name")
        if name in names:
            raise reader.error(
                f"two scorers are named '{name}': give one of them a 'name'", *at, "name"
            )
        names.add(name)
        configs.append(
            ScorerConfig(
                type=entry["type"],
                name=name,
                weight=entry.get("weight", 1.0),
                threshold=entry.get("threshold"),
                options={k: v for k, v in entry.items() if k not in SCORER_COMMON_KEYS},
                line=reader.lines.line(*at),
            )
        )
    return configs


def _resolved_options(
    reader: _SpecReader,
    config: ScorerConfig,
    registry: ScorerRegistry,
    parse_model: ModelParser,
    at: tuple[str | int, ...],
    default_judge: DefaultJudge,
) -> dict[str, Any]:
    """The scorer's model references as ModelRefs (a judge that names none gets the
    session's) and its function references imported from next to the spec, like the spec's
    own model and target."""
    scorer_type = registry.get(config.type)
    resolved: dict[str, Any] = {}
    if scorer_type.default_judge and config.options.get("model") is None:
        judge = default_judge()
        if judge is None:
            raise reader.error(
                f"scorer '{config.name}' names no judge: give it 'model: CONNECTION/MODEL', "
                "or set judge_model in [tool.pytest-evals] (or --evals-judge-model)",
                *at,
            )
        resolved["model"] = judge
    for option in scorer_type.model_options:
        if config.options.get(option) is not None:
            try:
                resolved[option] = parse_model(config.options[option], key=_key_text((*at, option)))
            except EvalInputError as exc:
                raise exc.located(path=reader.path, line=reader.lines.line(*at, option)) from None
    for option in scorer_type.import_options:
        reference = config.options.get(option)
        if isinstance(reference, str):
            try:
                resolved[option] = import_object(reference, folder=reader.path.parent)
            except UnresolvedReference as exc:
                raise reader.error(f"'{option}': {exc}", *at, option) from None
    return resolved


def _shows_context(config: ScorerConfig) -> bool:
    """Whether a judge's prompt or messages show it the datapoint's context (``{context}``):
    an empty one would have the judge grade against nothing."""

    shown = ("prompt", "messages", "input")
    return any(
        "{context}" in text for key in shown for text, _ in _texts(config.options.get(key), (key,))
    )


def _check_scorers(
    reader: _SpecReader,
    configs: Sequence[ScorerConfig],
    registry: ScorerRegistry,
    datapoints: Sequence[Datapoint],
    parse_model: ModelParser,
    *,
    scorers_given: bool,
    default_judge: DefaultJudge,
) -> list[BoundScorer]:
    """Every entry built (the items score with these) and checked against the datapoints."""
    bound: list[BoundScorer] = []
    for position, config in enumerate(configs):
        at: tuple[str | int, ...] = ("scorers", position) if scorers_given else ()
        try:
            resolved = _resolved_options(
                reader, config, registry, parse_model, at or ("scorers",), default_judge
            )
            bound.extend(bind_scorers([config], registry, resolved=[resolved]))
        except ScorerConfigError as exc:
            key_at = (*at, exc.key) if exc.key and at else at
            raise reader.error(_of_scorer(config, exc), *key_at) from None
        scorer_type = registry.get(config.type)
        if scorer_type.needs_context or (scorer_type.default_judge and _shows_context(config)):
            for datapoint in datapoints:
                if not datapoint.context:
                    raise _at_datapoint(
                        datapoint,
                        f"scorer '{config.name}' judges the output against the datapoint's "
                        "context, which this datapoint lacks: give it 'context' (text or a "
                        "list), 'context_files', or give the spec 'documents'",
                        "context",
                    )
        if scorer_type.needs_expected:
            for datapoint in datapoints:
                if "expected" not in datapoint.data:
                    raise _at_datapoint(
                        datapoint,
                        f"scorer '{config.name}' compares the output with 'expected', which "
                        "this datapoint lacks",
                        "expected",
                    )
        defaults = _option_defaults(scorer_type.factory)
        for option in scorer_type.template_options:
            template = config.options.get(option, defaults.get(option))
            for text, where in _texts(template, (option,)):
                _check_templates(
                    reader,
                    text,
                    datapoints,
                    at=(*at, *where) if at else ("scorers",),
                    allow_sample=True,
                )
    return bound


def _of_scorer(config: ScorerConfig, error: ScorerConfigError) -> str:
    """The message naming its scorer: a key path such as ``scorers[3]`` says little in a
    list of judges."""
    message = str(error)
    if message.startswith("scorer ") or error.key == "type":
        return message  # it names the scorer (or its unknown type) already
    return f"scorer '{config.name}': {message}"


def _texts(value: Any, at: tuple[str | int, ...]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """The texts of a template option and where each is: the option itself, or every text
    inside it (a grader's ``input`` messages, a rubric's criteria), as each is rendered."""
    if isinstance(value, str):
        yield value, at
    elif isinstance(value, Mapping):
        for key, entry in value.items():
            yield from _texts(entry, (*at, str(key)))
    elif isinstance(value, list):
        for position, entry in enumerate(value):
            yield from _texts(entry, (*at, position))


def _option_defaults(factory: Callable[..., Any]) -> dict[str, Any]:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _check_templates(
    reader: _SpecReader,
    template: str,
    datapoints: Sequence[Datapoint],
    *,
    at: tuple[str | int, ...],
    allow_sample: bool,
) -> None:
    """Every reference of ``template`` must resolve in every datapoint."""
    try:
        refs: list[Reference] = references(template)
    except TemplateError as exc:
        raise reader.error(str(exc), *at) from None
    if not refs:
        return
    for datapoint in datapoints:
        try:
            check_references(refs, datapoint.data, allow_sample=allow_sample)
        except TemplateError as exc:
            message = str(exc)
            if datapoint.source != reader.path:
                shown = datapoint.source.name + (f":{datapoint.line}" if datapoint.line else "")
                message += f" (the datapoint is at {shown})"
            raise EvalInputError(
                message,
                path=reader.path,
                line=reader.lines.line(*at),
                datapoint_id=datapoint.id,
                key=_key_text(at),
            ) from None


def _check_prompts(
    reader: _SpecReader,
    datapoints: Sequence[Datapoint],
    *,
    prompt: str | None,
    system_prompt: str | None,
    messages: Sequence[Mapping[str, str]] | None,
    default_needs_input: bool = True,
) -> None:
    """Prompt templates are rendered for datapoints that call the model (or a target that
    asks for its prompt); check those."""
    calling = [d for d in datapoints if not d.has_output]
    without_chat = [d for d in calling if "messages" not in d.data]
    if system_prompt is not None:
        _check_templates(reader, system_prompt, calling, at=("system_prompt",), allow_sample=False)
    if messages is not None:
        for position, message in enumerate(messages):
            _check_templates(
                reader,
                message["content"],
                without_chat,
                at=("messages", position, "content"),
                allow_sample=False,
            )
    elif prompt is not None:
        _check_templates(reader, prompt, without_chat, at=("prompt",), allow_sample=False)
    elif default_needs_input:
        # The default prompt is the datapoint's input: point at the datapoint, not the spec.
        for datapoint in without_chat:
            if "input" not in datapoint.data:
                raise _at_datapoint(
                    datapoint,
                    f"the datapoint has no 'input' (the default prompt is {DEFAULT_PROMPT}): "
                    "give it an 'input', or give the spec a 'prompt' or 'messages'",
                    "input",
                )


def load_spec(
    path: Path,
    *,
    registry: ScorerRegistry,
    parse_model: ModelParser,
    default_judge: DefaultJudge = lambda: None,
) -> LoadedSpec:
    """Read and validate one spec file and build its scorers. ``parse_model(value, key=...)``
    turns a ``model`` entry into a ModelRef (it knows the connections); ``default_judge``
    is the judge of judge scorers that name none. Raises EvalInputError."""
    data, lines = read_yaml(path)
    reader = _SpecReader(path, data if isinstance(data, Mapping) else {}, lines)
    if data is None:
        raise reader.error("the file is empty: an eval spec needs datapoints ('cases:')")
    if not isinstance(data, Mapping):
        raise reader.error(f"an eval spec is a mapping of keys, got {_kind(data)}")
    _check_keys(reader)
    name = _name(reader)
    description = reader.string("description")
    metadata = _metadata(reader)
    tags = _tags(reader)
    models = _models(reader, parse_model)
    target = reader.string("target")
    if target is not None and (":" not in target or target.startswith(":")):
        raise reader.error(f"expected 'package.module:function', got {target!r}", "target")
    system_prompt = reader.string("system_prompt")
    prompt = reader.string("prompt")
    messages = _messages(reader)
    threshold = reader.number("threshold", integer=False, low=0.0, high=1.0)
    pass_rate = reader.number("pass_rate", integer=False, low=0.0, high=1.0)
    repeat = reader.number("repeat", integer=True, low=1)
    repeat_pass = _repeat_pass(reader, repeat or 1)
    concurrency = reader.number("concurrency", integer=True, low=1)
    timeout_s = reader.number("timeout_s", integer=False, low=0.001)
    retries = reader.number("retries", integer=True, low=0)

    datapoints = _with_context(
        reader, _datapoints(reader, needs_output=not models and target is None)
    )
    schema = _check_schema(reader, datapoints)
    if models or target is not None:
        # A target may take the rendered prompt too (``prompt``, ``messages``): its
        # templates are checked like a model's, without requiring the default's input.
        _check_prompts(
            reader,
            datapoints,
            prompt=prompt,
            system_prompt=system_prompt,
            messages=messages,
            default_needs_input=bool(models),
        )
    scorer_configs = _scorer_configs(reader, datapoints)
    bound_scorers = _check_scorers(
        reader,
        scorer_configs,
        registry,
        datapoints,
        parse_model,
        scorers_given="scorers" in reader.data,
        default_judge=default_judge,
    )
    spec = EvalSpec(
        path=path,
        name=name,
        datapoints=datapoints,
        description=description,
        metadata=metadata,
        tags=tags,
        schema=schema,
        models=models,
        model_matrix="models" in reader.data,
        target=target,
        system_prompt=system_prompt,
        prompt=prompt,
        messages=messages,
        scorers=tuple(scorer_configs),
        threshold=None if threshold is None else float(threshold),
        pass_rate=1.0 if pass_rate is None else float(pass_rate),
        repeat=repeat or 1,
        repeat_pass=repeat_pass,
        concurrency=concurrency,
        timeout_s=None if timeout_s is None else float(timeout_s),
        retries=retries,
    )
    return LoadedSpec(spec, tuple(bound_scorers))
