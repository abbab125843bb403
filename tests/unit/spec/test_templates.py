"""``{{ path }}`` templates: references parsed and checked per datapoint, and rendered."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_evals.spec.templates import TemplateError, check_template, references, render

ITEM = {"input": "France", "expected": "Paris", "meta": {"tags": ["geo", "eu"]}, "flag": True}


def test_short_forms_resolve_to_their_paths() -> None:
    refs = references("{{ input }} {{expected}} {{ output }} {{ item.meta.tags.1 }}")
    assert [r.path for r in refs] == [
        ("item", "input"),
        ("item", "expected"),
        ("sample", "output_text"),
        ("item", "meta", "tags", "1"),
    ]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ item.x + 1 }}", "is not a field reference"),
        ("{{ os.environ }}", "must start with 'item.' or 'sample.'"),
        ("{{ item }}", "names no field"),
    ],
)
def test_malformed_references(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        references(template)


def test_a_field_the_datapoint_lacks_is_named() -> None:
    with pytest.raises(TemplateError, match=r"'item\.country' is missing") as caught:
        check_template("{{ item.country }}", ITEM, allow_sample=False)
    assert caught.value.field == "item.country"


def test_the_sample_only_in_scorer_templates() -> None:
    check_template("{{ output }}", ITEM, allow_sample=True)
    with pytest.raises(TemplateError, match="only scorer templates"):
        check_template("{{ output }}", ITEM, allow_sample=False)
    with pytest.raises(TemplateError, match="output_text and output_json"):
        check_template("{{ sample.tokens }}", ITEM, allow_sample=True)


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("Capital of {{ input }}?", "Capital of France?"),
        ("{{ item.meta.tags.0 }}", "geo"),
        ("{{ item.meta }}", '{"tags": ["geo", "eu"]}'),
        ("{{ item.flag }}", "true"),
        ("{{ output }}", "Paris!"),
    ],
)
def test_render(template: str, text: str) -> None:
    context: dict[str, Any] = {"item": ITEM, "sample": {"output_text": "Paris!"}}
    assert render(template, context) == text


def test_single_braces_are_text() -> None:
    assert render("{ not a placeholder } {{input}}", {"item": ITEM}) == (
        "{ not a placeholder } France"
    )


@pytest.mark.parametrize(
    "template", ["{{ item.input", "{{ item.input }", "Answer: {{ input }} }}", "{ {{ input }"]
)
def test_an_unbalanced_brace_is_an_error_not_text_sent_to_the_model(template: str) -> None:
    with pytest.raises(TemplateError, match="unbalanced"):
        references(template)
