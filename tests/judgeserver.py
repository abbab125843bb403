"""A deterministic judge for ``FakeOpenAI(answer=judge_answer)``: each datapoint chooses
its verdict, so a test knows what every judge call answers.

The text the judge is shown (any non-system message) carries a directive:

- ``JUDGE{"choice": "B"}``: the judge answers that JSON object, with a ``reasoning``
  added (``"reasoning": "as directed"``) unless the directive gives one. A list of labels
  (``{"choice": ["supported", "relevant"]}``) answers each judge with the first label its
  schema allows, so two judges of one datapoint can get different verdicts;
- ``RAW:...`` up to the end of the line: the judge answers that text as it is;
- nothing: the judge echoes the last user message (not a verdict).

Calls that are not a judge's (a model producing a sample) carry no directive in their
prompt; give them a ``FakeOpenAI(answers=...)`` table through ``sample_answers``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_RAW = re.compile(r"RAW:(.*)")


def _shown(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") != "system")


def judge_answer(messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
    text = _shown(messages)
    raw = _RAW.search(text)
    if raw:
        return raw.group(1).strip()
    start = text.find("JUDGE{")
    if start >= 0:
        verdict, _ = json.JSONDecoder().raw_decode(text, start + len("JUDGE"))
        return json.dumps({"reasoning": "as directed", **_chosen(verdict, body)})
    user = [m for m in messages if m.get("role") == "user"]
    return str(user[-1].get("content", "")) if user else ""


def _chosen(verdict: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    format_ = body.get("response_format") or {}
    schema = (format_.get("json_schema") or {}).get("schema") or format_.get("schema") or {}
    properties = schema.get("properties") or {}
    chosen = dict(verdict)
    for field, value in verdict.items():
        allowed = (properties.get(field) or {}).get("enum")
        if isinstance(value, list) and allowed:
            chosen[field] = next((v for v in value if v in allowed), value[0])
    return chosen


def with_samples(
    answers: Mapping[str, str],
) -> Callable[[list[dict[str, Any]], dict[str, Any]], str]:
    """Judge calls answered by ``judge_answer``; the model's own calls (their last user
    message one of ``answers``) from the table."""

    def answer(messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        user = [m for m in messages if m.get("role") == "user"]
        prompt = str(user[-1].get("content", "")).strip() if user else ""
        if prompt in answers:
            return answers[prompt]
        return judge_answer(messages, body)

    return answer


def judge_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bodies of the calls a judge made: those that asked for a JSON verdict, or whose
    system message is a judge's."""
    bodies = [r["body"] for r in requests if isinstance(r.get("body"), dict)]
    return [
        b
        for b in bodies
        if "response_format" in b
        or any(
            m.get("role") == "system" and "evaluator" in str(m.get("content"))
            for m in b.get("messages", [])
        )
    ]
