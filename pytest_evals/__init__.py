"""pytest-evals: LLM evaluations as pytest tests.

The names conftest files and plugins build on: scorers (``pytest_evals_register_scorers``),
providers (``pytest_evals_register_providers``), and the values they receive and return.
They load on first use, so importing the package (pytest does, for the entry point) costs
nothing until an eval runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import EvalInputError, SampleError
    from .providers import ChatRequest, ChatResponse, Provider, ProviderError, ProviderRegistry
    from .records import Sample, TokenUsage
    from .scorers import ModelClient, ScorerConfigError, ScorerRegistry, ScoringContext, Verdict
    from .spec.connections import Connection
    from .spec.model import ModelRef

_HOMES = {
    "ChatRequest": ".providers",
    "ChatResponse": ".providers",
    "Connection": ".spec.connections",
    "EvalInputError": ".errors",
    "ModelClient": ".scorers",
    "ModelRef": ".spec.model",
    "Provider": ".providers",
    "ProviderError": ".providers",
    "ProviderRegistry": ".providers",
    "Sample": ".records",
    "SampleError": ".errors",
    "ScorerConfigError": ".scorers",
    "ScorerRegistry": ".scorers",
    "ScoringContext": ".scorers",
    "TokenUsage": ".records",
    "Verdict": ".scorers",
}

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Connection",
    "EvalInputError",
    "ModelClient",
    "ModelRef",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "Sample",
    "SampleError",
    "ScorerConfigError",
    "ScorerRegistry",
    "ScoringContext",
    "TokenUsage",
    "Verdict",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_evals' has no attribute {name!r}")
    return getattr(importlib.import_module(home, __name__), name)
