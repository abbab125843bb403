"""A misspelt scorer option is named, with a hint, not reported as Python's TypeError."""

from __future__ import annotations

import pytest

from pytest_evals.scorers import ScorerConfigError, builtin_registry


def test_a_misspelt_option_gets_a_hint() -> None:
    with pytest.raises(ScorerConfigError) as caught:
        builtin_registry().build("regex", {"pattern": "x", "flgs": ["I"]})
    assert caught.value.key == "flgs"
    assert str(caught.value) == (
        "scorer type 'regex' has no option 'flgs'; did you mean 'flags'? "
        "(its options: pattern, flags)"
    )


def test_a_common_key_in_the_wrong_place_is_hinted_too() -> None:
    with pytest.raises(ScorerConfigError, match="did you mean 'weight'"):
        builtin_registry().build("exact_match", {"wieght": 2})


def test_factories_taking_any_keyword_accept_anything() -> None:
    registry = builtin_registry()
    received: dict[str, object] = {}

    def loose(**options: object) -> object:
        received.update(options)
        return lambda ctx: True

    registry.register("loose", loose)  # type: ignore[arg-type]
    registry.build("loose", {"anything": 1})
    assert received == {"anything": 1}


def test_a_factory_that_raises_is_a_config_error_naming_the_type() -> None:
    registry = builtin_registry()

    def broken(**options: object) -> object:
        raise ValueError("no model configured")

    registry.register("broken", broken)  # type: ignore[arg-type]
    with pytest.raises(
        ScorerConfigError, match="factory of scorer type 'broken' raised ValueError: no model"
    ):
        registry.build("broken", {})
