"""The parsed form of an eval spec file (SPEC §2). Built by ``load``; read by the plugin,
the sampler and the scorers. No pytest import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

RepeatRule = Literal["all", "any", "majority"]
REPEAT_RULES: tuple[RepeatRule, ...] = ("all", "any", "majority")


@dataclass(frozen=True)
class AtLeast:
    """``repeat_pass: {at_least: K}``: a datapoint passes when K of its repeats pass."""

    count: int

    def to_data(self) -> dict[str, int]:
        return {"at_least": self.count}


RepeatPass = RepeatRule | AtLeast
SPEC_SUFFIXES = (".eval.yaml", ".eval.yml")
# Keys every ``scorers:`` entry may carry besides its type's own options.
SCORER_COMMON_KEYS = ("type", "name", "weight", "threshold")


def is_spec_path(path: str | Path) -> bool:
    """Whether a file name is an eval spec's (``*.eval.yaml``, ``*.eval.yml``)."""
    return str(path).endswith(SPEC_SUFFIXES)


def default_name(path: Path) -> str:
    """The file name without ``.eval.yaml``."""
    for suffix in SPEC_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


@dataclass(frozen=True)
class ModelRef:
    """The model that produces samples: a connection plus a model name and its parameters."""

    connection: str
    name: str
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    # Mappings don't hash; refs are used as dict keys, and equal refs still hash alike.
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def label(self) -> str:
        """``CONNECTION/MODEL``, as users write it and as reports show it."""
        return f"{self.connection}/{self.name}"


@dataclass(frozen=True)
class ScorerConfig:
    """One entry of ``scorers:``: the scorer type, its display name, weight, threshold and
    the type-specific options (everything else in the entry)."""

    type: str
    name: str
    weight: float = 1.0
    threshold: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class Datapoint:
    """One datapoint: its stable id, the raw mapping and where it came from."""

    id: str
    data: Mapping[str, Any]
    source: Path
    line: int | None = None
    context: tuple[str, ...] = field(default=(), repr=False)
    """The texts its output is judged against: its ``context``, the text of its
    ``context_files``, the spec's ``documents``."""

    @property
    def input(self) -> Any:
        return self.data.get("input")

    @property
    def expected(self) -> Any:
        return self.data.get("expected")

    @property
    def has_output(self) -> bool:
        return "output" in self.data


@dataclass(frozen=True)
class EvalSpec:
    """One eval spec file, validated: every datapoint loaded, schema-checked and every
    template checked against it."""

    path: Path
    name: str
    datapoints: tuple[Datapoint, ...]
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    schema: Mapping[str, Any] | None = None
    models: tuple[ModelRef, ...] = ()
    model_matrix: bool = False
    """The spec lists ``models:``: test ids name the model."""
    target: str | None = None
    system_prompt: str | None = None
    prompt: str | None = None
    messages: tuple[Mapping[str, str], ...] | None = None
    scorers: tuple[ScorerConfig, ...] = ()
    threshold: float | None = None
    pass_rate: float = 1.0
    repeat: int = 1
    repeat_pass: RepeatPass = "all"
    concurrency: int | None = None
    timeout_s: float | None = None
    retries: int | None = None

    @property
    def grades_given_outputs(self) -> bool:
        """No model and no target: every datapoint carries its own ``output``."""
        return not self.models and self.target is None

    def config_dict(self) -> dict[str, Any]:
        """The run configuration as it appears in the JSON report."""
        return {
            "description": self.description,
            "metadata": dict(self.metadata),
            "tags": list(self.tags),
            "target": self.target,
            "models": [m.label for m in self.models],
            "system_prompt": self.system_prompt,
            "prompt": self.prompt,
            "messages": [dict(m) for m in self.messages] if self.messages is not None else None,
            "threshold": self.threshold,
            "pass_rate": self.pass_rate,
            "repeat": self.repeat,
            "repeat_pass": self.repeat_pass.to_data()
            if isinstance(self.repeat_pass, AtLeast)
            else self.repeat_pass,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "retries": self.retries,
        }
