"""The names ``pytest_evals`` states as its public API resolve, and stay light to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_evals


@pytest.mark.parametrize("name", pytest_evals.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(pytest_evals, name).__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        pytest_evals.Nope  # noqa: B018


def test_importing_the_package_and_its_entry_point_loads_no_engine_or_http() -> None:
    heavy = (
        "pytest_evals.calls.engine",
        "pytest_evals.calls.pipeline",
        "pytest_evals.providers.http",
        "pytest_evals.load",
        "h11",
        "jsonschema",
    )
    code = (
        "import sys, pytest_evals, pytest_evals.plugin; "
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_entry_point_hands_on_every_hook_of_the_hooks_module() -> None:
    import pytest_evals.plugin as entry_point
    from pytest_evals.plugin import hooks

    defined = {name for name in vars(hooks) if name.startswith("pytest_")}
    assert defined == {name for name in entry_point.__all__ if name.startswith("pytest_")}
