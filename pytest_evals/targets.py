"""The user's own Python code as the thing under evaluation (``target: "pkg.mod:fn"``).

No pytest import. Modules next to the spec file import without configuration.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import EvalInputError, SampleError
from .records import Sample, TokenUsage

Target = Callable[[Mapping[str, Any]], Any]


def make_importable(folder: Path) -> None:
    """Let modules next to a spec file import by name, as pytest does for test folders."""
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def import_target(reference: str, *, spec_dir: Path) -> Target:
    """Import ``package.module:function``; raise EvalInputError (key ``target``) when it
    cannot be imported or is not callable."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise EvalInputError(f"expected 'package.module:function', got {reference!r}", key="target")
    make_importable(spec_dir)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise EvalInputError(
            f"cannot import module '{module_name}': {type(exc).__name__}: {exc}", key="target"
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise EvalInputError(
                f"module '{module_name}' has no attribute '{attribute}'", key="target"
            )
        value = getattr(value, part)
    if not callable(value):
        raise EvalInputError(f"'{reference}' is not callable", key="target")
    target: Target = value
    return target


def is_async(target: Target) -> bool:
    # A callable object with an ``async def __call__`` is async too.
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(type(target).__call__)


def sample_from_return(value: Any, *, latency_ms: float) -> Sample:
    """A target returns a string, or a mapping with ``output`` and optional ``tokens``,
    ``cost`` and ``metadata``."""
    if isinstance(value, Mapping):
        if "output" not in value:
            raise SampleError(
                f"the target returned a mapping without 'output' (keys: {sorted(value)})"
            )
        tokens_value = value.get("tokens")
        tokens: TokenUsage | None = None
        if isinstance(tokens_value, Mapping):
            tokens = TokenUsage(tokens_value.get("prompt"), tokens_value.get("completion"))
        elif isinstance(tokens_value, int):
            tokens = TokenUsage(None, tokens_value)
        cost = value.get("cost")
        return Sample(
            output=value["output"],
            latency_ms=latency_ms,
            tokens=tokens,
            cost=float(cost) if isinstance(cost, (int, float)) else None,
            metadata=dict(value.get("metadata") or {}),
        )
    return Sample(output=value, latency_ms=latency_ms)
