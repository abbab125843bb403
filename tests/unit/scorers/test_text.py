from __future__ import annotations

import pytest

from pytest_evals.scorers import ScorerConfigError, builtin_registry
from pytest_evals.scorers.text import contains, exact_match, icontains, regex, string_check

from .helpers import verdict

# -- exact_match ---------------------------------------------------------------------------


def test_exact_match_passes_after_stripping() -> None:
    result = verdict(exact_match(), "  Paris\n", "Paris")
    assert (result.score, result.passed) == (1.0, True)


def test_exact_match_miss_says_what_was_expected_and_got() -> None:
    result = verdict(exact_match(), "Lyon", "Paris")
    assert (result.score, result.passed) == (0.0, False)
    assert result.reason == "expected 'Paris', got 'Lyon'"


def test_exact_match_is_case_sensitive_by_default() -> None:
    assert verdict(exact_match(), "paris", "Paris").passed is False


def test_exact_match_ignore_case() -> None:
    assert verdict(exact_match(ignore_case=True), "PARIS", "paris").passed is True


def test_exact_match_normalize_strips_punctuation_and_collapses_whitespace() -> None:
    scorer = exact_match(normalize=True)
    assert verdict(scorer, "New   York!", "New York").passed is True
    assert verdict(scorer, "“Paris”…", "Paris").passed is True
    # normalize alone keeps case.
    assert verdict(scorer, "new york", "New York").passed is False
    assert verdict(exact_match(normalize=True, ignore_case=True), "new york.", "New York").passed


def test_exact_match_without_normalize_keeps_punctuation() -> None:
    assert verdict(exact_match(), "Paris.", "Paris").passed is False


def test_exact_match_list_means_any_of() -> None:
    scorer = exact_match()
    assert verdict(scorer, "Paris", ["Lyon", "Paris"]).passed is True
    miss = verdict(scorer, "Nice", ["Lyon", "Paris"])
    assert miss.passed is False
    assert miss.reason == "expected one of ['Lyon', 'Paris'], got 'Nice'"


def test_exact_match_non_string_expected_compares_as_text() -> None:
    assert verdict(exact_match(), "42", 42).passed is True
    assert verdict(exact_match(), "42", [41, 42]).passed is True
    assert verdict(exact_match(), "42.0", 42).passed is False


def test_exact_match_mapping_expected_matches_structured_output() -> None:
    assert verdict(exact_match(), {"b": 2, "a": 1}, {"a": 1, "b": 2}).passed is True


def test_exact_match_truncates_long_output_in_reason() -> None:
    result = verdict(exact_match(), "x" * 5000, "Paris")
    assert result.passed is False
    assert len(result.reason) < 260
    assert result.reason.endswith("…")


def test_exact_match_without_expected_fails_with_reason() -> None:
    result = verdict(exact_match(), "Paris")
    assert result.passed is False
    assert "no expected value" in result.reason


@pytest.mark.parametrize("key", ["ignore_case", "normalize"])
def test_exact_match_rejects_non_bool_options(key: str) -> None:
    with pytest.raises(ScorerConfigError, match="true or false") as info:
        exact_match(**{key: "yes"})  # type: ignore[arg-type]
    assert info.value.key == key


def test_unknown_option_is_a_config_error_naming_it() -> None:
    with pytest.raises(ScorerConfigError, match="ignorecase"):
        builtin_registry().build("exact_match", {"ignorecase": True})


# -- contains / icontains ------------------------------------------------------------------


def test_contains_finds_expected_in_output() -> None:
    assert verdict(contains(), "The capital is Paris.", "Paris").passed is True


def test_contains_is_case_sensitive_and_explains_a_miss() -> None:
    result = verdict(contains(), "the capital is paris", "Paris")
    assert result.passed is False
    assert result.reason == "expected output to contain 'Paris', got 'the capital is paris'"


def test_icontains_ignores_case() -> None:
    assert verdict(icontains(), "THE CAPITAL IS PARIS", "Paris").passed is True
    assert verdict(icontains(), "Lyon", "Paris").passed is False


def test_contains_list_means_any_of() -> None:
    assert verdict(contains(), "It is Lyon", ["Paris", "Lyon"]).passed is True
    miss = verdict(icontains(), "It is Nice", ["Paris", "Lyon"])
    assert miss.passed is False
    assert "one of ['Paris', 'Lyon']" in miss.reason


# -- string_check --------------------------------------------------------------------------


def test_string_check_eq_and_ne() -> None:
    assert verdict(string_check(operation="eq"), "Paris\n", "Paris").passed is True
    miss = verdict(string_check(operation="eq"), "Lyon", "Paris")
    assert (miss.passed, miss.reason) == (False, "expected 'Paris', got 'Lyon'")
    assert verdict(string_check(operation="ne"), "Lyon", "Paris").passed is True
    same = verdict(string_check(operation="ne"), "Paris", "Paris")
    assert (same.passed, same.reason) == (False, "expected anything but 'Paris'")


def test_string_check_like_is_case_sensitive_substring() -> None:
    assert verdict(string_check(operation="like"), "in Paris, France", "Paris").passed is True
    miss = verdict(string_check(operation="like"), "in paris", "Paris")
    assert miss.passed is False
    assert miss.reason == "'Paris' does not occur in 'in paris'"


def test_string_check_ilike_ignores_case() -> None:
    assert verdict(string_check(operation="ilike"), "in PARIS", "paris").passed is True
    miss = verdict(string_check(operation="ilike"), "in Lyon", "paris")
    assert miss.passed is False
    assert "ignoring case" in miss.reason


def test_string_check_renders_input_and_reference_templates() -> None:
    scorer = string_check(
        operation="eq", input="{{ sample.output_json.city }}", reference="{{ item.answer }}"
    )
    assert verdict(scorer, '{"city": "Paris"}', answer="Paris").passed is True
    miss = verdict(scorer, '{"city": "Lyon"}', answer="Paris")
    assert miss.reason == "expected 'Paris', got 'Lyon'"


def test_string_check_needs_an_operation() -> None:
    with pytest.raises(ScorerConfigError, match="required") as info:
        string_check()
    assert info.value.key == "operation"


def test_string_check_unknown_operation_suggests_one() -> None:
    with pytest.raises(ScorerConfigError, match="did you mean 'ilike'") as info:
        string_check(operation="ilke")
    assert info.value.key == "operation"


@pytest.mark.parametrize("key", ["input", "reference"])
def test_string_check_rejects_malformed_templates(key: str) -> None:
    with pytest.raises(ScorerConfigError, match="not a field reference") as info:
        string_check(operation="eq", **{key: "{{ 1 + 1 }}"})
    assert info.value.key == key


def test_string_check_rejects_non_string_template() -> None:
    with pytest.raises(ScorerConfigError, match="template string") as info:
        string_check(operation="eq", reference=3)  # type: ignore[arg-type]
    assert info.value.key == "reference"


# -- regex ---------------------------------------------------------------------------------


def test_regex_searches_anywhere_and_records_the_match() -> None:
    result = verdict(regex(pattern=r"\d{4}"), "It was 1969, I think.")
    assert result.passed is True
    assert result.details == {"match": "1969"}


def test_regex_miss_names_pattern_and_output() -> None:
    result = verdict(regex(pattern=r"^\d+$"), "forty-two")
    assert result.passed is False
    assert result.reason == r"pattern '^\\d+$' not found in 'forty-two'"


@pytest.mark.parametrize("flags", [["IGNORECASE"], ["i"], "ignorecase", ["I"]])
def test_regex_ignorecase_flag_spellings(flags: list[str] | str) -> None:
    assert verdict(regex(pattern="paris"), "PARIS").passed is False
    assert verdict(regex(pattern="paris", flags=flags), "PARIS").passed is True


def test_regex_multiline_and_dotall_flags() -> None:
    text = "intro\nanswer: yes\nend"
    assert verdict(regex(pattern="^answer"), text).passed is False
    assert verdict(regex(pattern="^answer", flags=["MULTILINE"]), text).passed is True
    assert verdict(regex(pattern="intro.end"), "intro\nend").passed is False
    assert verdict(regex(pattern="intro.end", flags=["s"]), "intro\nend").passed is True
    assert verdict(regex(pattern="^ANSWER", flags=["m", "i"]), text).passed is True


def test_regex_needs_a_pattern() -> None:
    with pytest.raises(ScorerConfigError, match="required") as info:
        regex()
    assert info.value.key == "pattern"


def test_regex_invalid_pattern_fails_at_build_time() -> None:
    with pytest.raises(ScorerConfigError, match="invalid regular expression") as info:
        regex(pattern="(unclosed")
    assert info.value.key == "pattern"


def test_regex_unknown_flag_suggests_one() -> None:
    with pytest.raises(ScorerConfigError, match="did you mean 'IGNORECASE'") as info:
        regex(pattern="x", flags=["IGNORCASE"])
    assert info.value.key == "flags"


def test_regex_flags_must_be_names() -> None:
    with pytest.raises(ScorerConfigError, match="list of flag names") as info:
        regex(pattern="x", flags=2)  # type: ignore[arg-type]
    assert info.value.key == "flags"


def test_regex_scores_the_output_text_of_structured_output() -> None:
    scorer = regex(pattern='"city": "Paris"')
    assert verdict(scorer, {"city": "Paris"}).passed is True


@pytest.mark.parametrize(
    ("output", "expected"),
    [("true", True), ("false", False), ("3", 3), ("2.5", 2.5), ('{"a": 1}', {"a": 1})],
)
def test_a_non_string_expected_reads_as_json_writes_it(output: str, expected: object) -> None:
    # A model answers in text; `expected: true` in YAML is the bool, and must still match.
    assert verdict(exact_match(), output, expected).passed is True
    assert verdict(contains(), f"answer: {output}", expected).passed is True


def test_string_check_renders_non_strings_alike() -> None:
    scorer = string_check(operation="eq", input="{{ output }}", reference="{{ item.flag }}")
    assert verdict(scorer, "true", flag=True).passed is True
