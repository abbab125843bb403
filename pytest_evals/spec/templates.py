"""``{{ path }}`` templates: dotted look-ups into the datapoint and the sample, nothing else.

No code runs in a template. Item references are checked per datapoint at collection
(``check_template``); sample references can only be resolved once the sample exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..values import as_text

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$")

# Short forms users may write instead of the full path.
_ALIASES = {
    "input": "item.input",
    "expected": "item.expected",
    "output": "sample.output_text",
}
_ROOTS = ("item", "sample")


class TemplateError(Exception):
    """A template is malformed or refers to something that is not there."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Reference:
    """One placeholder: the path as written and as resolved from the short forms."""

    written: str
    path: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.path[0]


def references(template: str) -> list[Reference]:
    """Every placeholder of a template, resolved; raises TemplateError if one is malformed,
    or left open (``{{ item.input`` would be sent to the model as text, and paid for)."""
    leftover = _PLACEHOLDER.sub("", template)
    if "{{" in leftover or "}}" in leftover:
        brace = "{{" if "{{" in leftover else "}}"
        start = leftover.index(brace)
        snippet = leftover[max(0, start - 10) : start + 30]
        raise TemplateError(
            f"unbalanced '{brace}' in the template near {snippet!r}: a placeholder is written "
            "{{ item.field }}",
            field=None,
        )
    found: list[Reference] = []
    for match in _PLACEHOLDER.finditer(template):
        written = match.group(1)
        if not _PATH.match(written):
            raise TemplateError(
                f"'{{{{ {written} }}}}' is not a field reference; templates take dotted paths "
                "such as {{ item.question }}, {{ input }}, {{ expected }} or {{ output }}",
                field=written,
            )
        resolved = _ALIASES.get(written, written)
        path = tuple(resolved.split("."))
        if path[0] not in _ROOTS:
            raise TemplateError(
                f"'{{{{ {written} }}}}' must start with 'item.' or 'sample.' "
                "(or be one of input, expected, output)",
                field=written,
            )
        if len(path) == 1:
            raise TemplateError(f"'{{{{ {written} }}}}' names no field", field=written)
        found.append(Reference(written, path))
    return found


def _lookup(value: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for part in path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def check_template(template: str, item: Mapping[str, Any], *, allow_sample: bool) -> None:
    """Raise TemplateError when the template is malformed, refers to a field this datapoint
    lacks, or (when ``allow_sample`` is false) refers to the sample."""
    check_references(references(template), item, allow_sample=allow_sample)


def check_references(
    refs: Sequence[Reference], item: Mapping[str, Any], *, allow_sample: bool
) -> None:
    """``check_template`` for references parsed once and checked against many datapoints."""
    for ref in refs:
        if ref.root == "sample":
            if not allow_sample:
                raise TemplateError(
                    f"'{{{{ {ref.written} }}}}' refers to the sample, which only scorer "
                    "templates can use",
                    field=ref.written,
                )
            if ref.path[1] not in ("output_text", "output_json", "output"):
                raise TemplateError(
                    f"'{{{{ {ref.written} }}}}': the sample has output_text and output_json",
                    field=ref.written,
                )
            continue
        found, _ = _lookup(item, ref.path[1:])
        if not found:
            raise TemplateError(
                f"template field '{ref.written}' is missing from this datapoint",
                field=ref.written,
            )


def render(template: str, context: Mapping[str, Any]) -> str:
    """Fill every placeholder from ``context`` (``{"item": ..., "sample": ...}``)."""

    def replace(match: re.Match[str]) -> str:
        written = match.group(1)
        path = tuple(_ALIASES.get(written, written).split("."))
        found, value = _lookup(context, path)
        if not found:
            raise TemplateError(f"template field '{written}' has no value", field=written)
        return as_text(value)

    return _PLACEHOLDER.sub(replace, template)
