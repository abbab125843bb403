"""Scorers whose verdict a judge model gives: ``llm_judge`` and its presets ``factuality`` and
``closedqa``, OpenAI's ``label_model`` and ``score_model`` grader shapes, and ``rubric``.

Each factory checks its options at collection and returns an async scoring function: it
runs on the call engine's loop, so its judge call shares the cache, limits, budget and
retries of every model call, and its spend is counted apart from the sample's. The judge is
asked for a JSON verdict (``verdicts``) at temperature 0 with a fixed seed, unless the
model's own settings say otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from ...errors import BudgetExceeded, CallCancelled, SampleError
from ...spec.model import ModelRef
from ...values import not_text, number_problem
from ..base import (
    ScoreFunction,
    ScorerConfigError,
    ScorerFailure,
    ScoringContext,
    Verdict,
    number_option,
    text_option,
)
from . import prompts
from .verdicts import (
    ChoiceVerdict,
    Criterion,
    RangeVerdict,
    RubricVerdict,
    label_option,
    labels_option,
)

CONTEXT_PLACEHOLDER = "{context}"
"""Where a judge's prompt takes the datapoint's context (``faithfulness``)."""
CRITERIA_PLACEHOLDER = "{criteria}"
"""Where a preset's prompt takes its criteria (``closedqa``, ``rubric``)."""
_FILLS = {CONTEXT_PLACEHOLDER: "the datapoint's context", CRITERIA_PLACEHOLDER: "the criteria"}
_PROMPT = "a template over item.* and sample.*"
JUDGE_SEED = 0
"""Judges are seeded: an unseeded grader can flip its verdict between two runs."""
_ROLES = ("system", "user", "assistant", "developer")
# The grader's sampling_params that set the judge call's own settings, and their bounds.
_SAMPLING_NUMBERS: dict[str, dict[str, Any]] = {
    "temperature": {"minimum": 0.0},
    "seed": {"whole": True},
    "max_completions_tokens": {"whole": True, "minimum": 1},
    "max_tokens": {"whole": True, "minimum": 1},
}


class _Verdict(Protocol):
    def schema(self) -> dict[str, Any]: ...

    def instruction(self) -> str: ...


def judge_model(model: object, sampling: Mapping[str, Any] | None = None) -> ModelRef:
    """The judge as it is called: temperature 0 and a fixed seed unless set, then the
    grader's ``sampling_params`` on top."""
    if not isinstance(model, ModelRef):
        # The loader resolves `model` (or the default judge); only a caller building a
        # scorer by hand gets here.
        raise ScorerConfigError(
            "needs a judge 'model: CONNECTION/MODEL' (or judge_model in [tool.pytest-evals], "
            "or --evals-judge-model)",
            key="model",
        )
    judged = replace(
        model,
        temperature=0.0 if model.temperature is None else model.temperature,
        seed=JUDGE_SEED if model.seed is None else model.seed,
    )
    if not sampling:
        return judged
    problems = [
        f"'sampling_params.{key}' {problem}"
        for key, bounds in _SAMPLING_NUMBERS.items()
        if key in sampling and (problem := number_problem(sampling[key], **bounds)) is not None
    ]
    if problems:
        # All of them at once, like a model mapping's.
        raise ScorerConfigError("; ".join(problems), key="sampling_params")
    params = dict(judged.params)
    for key, value in sampling.items():
        if key == "temperature":
            judged = replace(judged, temperature=float(value))
        elif key == "seed":
            judged = replace(judged, seed=value)
        elif key in ("max_completions_tokens", "max_tokens"):
            judged = replace(judged, max_tokens=value)
        else:
            params[key] = value
    return replace(judged, params=params)


def messages_option(value: object, key: str) -> tuple[dict[str, str], ...]:
    """A list of ``{role, content}`` message templates (OpenAI's ``input`` of a grader,
    which may also say ``type: message``)."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        given = "" if value is None else f", got {not_text(value)}"
        raise ScorerConfigError(
            f"'{key}' must be a non-empty list of messages such as "
            "{role: user, content: 'Is {{ sample.output_text }} polite?'}" + given,
            key=key,
        )
    messages: list[dict[str, str]] = []
    for position, entry in enumerate(value):
        where = f"{key}[{position}]"
        if not isinstance(entry, Mapping):
            raise ScorerConfigError(f"'{where}' must be a mapping with role and content", key=key)
        unknown = [k for k in entry if k not in ("role", "content", "type")]
        if unknown:
            raise ScorerConfigError(f"'{where}' has an unknown key '{unknown[0]}'", key=key)
        role, content = entry.get("role"), entry.get("content")
        if role not in _ROLES:
            raise ScorerConfigError(
                f"'{where}.role' must be one of {', '.join(_ROLES)}, got {role!r}", key=key
            )
        if not isinstance(content, str):
            raise ScorerConfigError(
                f"'{where}.content' must be text (a template), got {not_text(content)}", key=key
            )
        messages.append({"role": str(role), "content": content})
    return tuple(messages)


def _conversation(
    ctx: ScoringContext,
    prompt: str | None,
    messages: Sequence[Mapping[str, str]] | None,
    verdict: _Verdict,
) -> list[dict[str, str]]:
    """The judge's chat: the verdict's instructions first, then the rendered prompt (or
    messages)."""
    system = {"role": "system", "content": f"{prompts.JUDGE_SYSTEM}\n\n{verdict.instruction()}"}
    if messages is not None:
        rendered = [{"role": m["role"], "content": _filled(ctx, m["content"])} for m in messages]
        return [system, *rendered]
    return [system, {"role": "user", "content": _filled(ctx, prompt or "")}]


def _filled(ctx: ScoringContext, template: str) -> str:
    """The template rendered, ``{context}`` replaced by the datapoint's context. Rendered
    part by part: the context's own text is never read as a template."""
    parts = template.split(CONTEXT_PLACEHOLDER)
    if len(parts) == 1:
        return ctx.render(template)
    context = "\n\n".join(ctx.context)
    return context.join(ctx.render(part) for part in parts)


async def _ask(
    ctx: ScoringContext, model: ModelRef, chat: list[dict[str, str]], verdict: _Verdict
) -> str:
    if ctx.models is None:
        raise ScorerFailure("a judge scorer needs the call engine, which this context lacks")
    try:
        answer = await ctx.models.chat(model, chat, json_schema=verdict.schema())
    except (BudgetExceeded, CallCancelled):
        raise  # the session's stop, not this judge's failure
    except SampleError as exc:
        raise ScorerFailure(f"no verdict: {exc}") from None
    return answer.output_text


def _prompt_or_messages(
    prompt: object, messages: object
) -> tuple[str | None, tuple[dict[str, str], ...] | None]:
    if prompt is not None and messages is not None:
        raise ScorerConfigError("give either 'prompt' or 'messages', not both", key="messages")
    if messages is not None:
        return None, messages_option(messages, "messages")
    if prompt is None:
        raise ScorerConfigError(f"needs 'prompt' ({_PROMPT}) or 'messages'", key="prompt")
    return text_option("prompt", prompt, what=_PROMPT), None


def _preset_prompt(prompt: object, *placeholders: str) -> str:
    """A preset's prompt, its own or the user's: text that keeps every placeholder the
    preset fills. A prompt without ``{context}`` would never show the judge the context
    it is to judge against, and every verdict would be made up."""
    text = text_option("prompt", prompt, what=_PROMPT)
    for placeholder in placeholders:
        if placeholder not in text:
            raise ScorerConfigError(
                f"'prompt' must contain {placeholder}: it is where the judge is shown "
                f"{_FILLS[placeholder]}",
                key="prompt",
            )
    return text


def _scores_option(value: object, labels: Sequence[str] | None) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ScorerConfigError(
            "'choice_scores' must map each choice to a score in [0, 1], e.g. {A: 1, B: 0.5, C: 0}",
            key="choice_scores",
        )
    scores = {
        label_option("'choice_scores' labels", label, key="choice_scores"): number_option(
            f"choice_scores.{label}", score, minimum=0.0
        )
        for label, score in value.items()
    }
    for label, score in scores.items():
        if score > 1:
            raise ScorerConfigError(
                f"'choice_scores.{label}' must be in [0, 1], got {score:g}", key="choice_scores"
            )
    if labels is not None:
        missing = [label for label in labels if label not in scores]
        extra = [label for label in scores if label not in labels]
        if missing or extra:
            raise ScorerConfigError(
                "'choice_scores' must give a score for exactly the labels of 'choices'"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not a choice: {', '.join(extra)}" if extra else ""),
                key="choice_scores",
            )
    return scores


def range_option(value: object, key: str = "range") -> RangeVerdict:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ScorerConfigError(f"'{key}' must be [low, high], e.g. [1, 5]", key=key)
    low = number_option(f"{key}[0]", value[0])
    high = number_option(f"{key}[1]", value[1])
    if not low < high:
        raise ScorerConfigError(f"'{key}' must be [low, high] with low < high", key=key)
    return RangeVerdict(low, high)


def _choice_judge(
    model: ModelRef,
    prompt: str | None,
    messages: tuple[dict[str, str], ...] | None,
    verdict: ChoiceVerdict,
    scores: Mapping[str, float],
    passing: frozenset[str] | None = None,
) -> ScoreFunction:
    async def score(ctx: ScoringContext) -> Verdict:
        raw = await _ask(ctx, model, _conversation(ctx, prompt, messages, verdict), verdict)
        label, reasoning = verdict.read(raw)
        value = scores[label]
        return Verdict(
            value,
            None if passing is None else label in passing,
            f"the judge chose {label} ({value:g})" + (f": {reasoning}" if reasoning else ""),
            {"choice": label},
            reasoning=reasoning,
            raw=raw,
        )

    return score


def _range_judge(
    model: ModelRef,
    prompt: str | None,
    messages: tuple[dict[str, str], ...] | None,
    verdict: RangeVerdict,
    pass_threshold: float | None = None,
) -> ScoreFunction:
    async def score(ctx: ScoringContext) -> Verdict:
        raw = await _ask(ctx, model, _conversation(ctx, prompt, messages, verdict), verdict)
        value, reasoning = verdict.read(raw)
        return Verdict(
            verdict.normalised(value),
            None if pass_threshold is None else value >= pass_threshold,
            f"the judge scored {value:g} of {verdict.low:g}-{verdict.high:g}"
            + (f": {reasoning}" if reasoning else ""),
            {"judge_score": value},
            reasoning=reasoning,
            raw=raw,
        )

    return score


def llm_judge(
    *,
    model: object = None,
    prompt: str | None = None,
    messages: object = None,
    choices: object = None,
    choice_scores: object = None,
    range: object = None,
) -> ScoreFunction:
    """A judge model grades the sample from ``prompt`` (or ``messages``): it picks one of
    ``choices``, scored by ``choice_scores``, or gives a number in ``range``, scaled to
    [0, 1]."""
    judge = judge_model(model)
    text, conversation = _prompt_or_messages(prompt, messages)
    if range is not None:
        if choices is not None or choice_scores is not None:
            raise ScorerConfigError("give either 'choices' or 'range', not both", key="range")
        return _range_judge(judge, text, conversation, range_option(range))
    if choices is None and choice_scores is None:
        raise ScorerConfigError(
            "needs 'choices' with 'choice_scores' (e.g. {A: 1, B: 0}) or a numeric 'range'",
            key="choices",
        )
    labels = None if choices is None else labels_option(choices, "choices")
    scores = _scores_option(choice_scores, labels)
    verdict = ChoiceVerdict(labels or tuple(scores))
    return _choice_judge(judge, text, conversation, verdict, scores)


def factuality(*, model: object = None, prompt: object = prompts.FACTUALITY) -> ScoreFunction:
    """Is the output factually consistent with ``expected``? OpenAI's evals' A-E choices:
    subset 0.4, superset 0.6, the same 1, a disagreement 0, differences that don't matter 1."""
    verdict = ChoiceVerdict(tuple(prompts.FACTUALITY_SCORES))
    text = _preset_prompt(prompt)
    return _choice_judge(judge_model(model), text, None, verdict, prompts.FACTUALITY_SCORES)


_CRITERION = "what a good answer does, e.g. 'names the capital city'"


def closedqa(
    *, criteria: object = None, model: object = None, prompt: object = prompts.CLOSEDQA
) -> ScoreFunction:
    """Does the output meet ``criteria``? Y (1) or N (0)."""
    if criteria is None:
        raise ScorerConfigError(f"needs 'criteria': {_CRITERION}", key="criteria")
    wanted = text_option("criteria", criteria, what=_CRITERION).strip()
    verdict = ChoiceVerdict(("Y", "N"))
    text = _preset_prompt(prompt, CRITERIA_PLACEHOLDER).replace(CRITERIA_PLACEHOLDER, wanted)
    return _choice_judge(judge_model(model), text, None, verdict, {"Y": 1.0, "N": 0.0})


def faithfulness(*, model: object = None, prompt: object = prompts.FAITHFULNESS) -> ScoreFunction:
    """Is every claim of the output supported by the datapoint's context (``context``,
    ``context_files``, the spec's ``documents``)? supported 1, partly 0.5, unsupported 0."""
    verdict = ChoiceVerdict(tuple(prompts.FAITHFULNESS_SCORES))
    text = _preset_prompt(prompt, CONTEXT_PLACEHOLDER)
    return _choice_judge(judge_model(model), text, None, verdict, prompts.FAITHFULNESS_SCORES)


def relevance(*, model: object = None, prompt: object = prompts.RELEVANCE) -> ScoreFunction:
    """Does the output address ``item.input``? relevant 1, partly 0.5, irrelevant 0."""
    verdict = ChoiceVerdict(tuple(prompts.RELEVANCE_SCORES))
    text = _preset_prompt(prompt)
    return _choice_judge(judge_model(model), text, None, verdict, prompts.RELEVANCE_SCORES)


def label_model(
    *,
    model: object = None,
    input: object = None,
    labels: object = None,
    passing_labels: object = None,
) -> ScoreFunction:
    """OpenAI's ``label_model`` grader: the judge labels the sample with one of ``labels``;
    it passes (score 1) when the label is one of ``passing_labels``."""
    conversation = messages_option(input, "input")
    allowed = labels_option(labels, "labels")
    passing = labels_option(passing_labels, "passing_labels")
    stray = [label for label in passing if label not in allowed]
    if stray:
        raise ScorerConfigError(
            f"'passing_labels' names {', '.join(stray)}, not among 'labels'", key="passing_labels"
        )
    scores = {label: 1.0 if label in passing else 0.0 for label in allowed}
    verdict = ChoiceVerdict(allowed, field="label")
    return _choice_judge(
        judge_model(model), None, conversation, verdict, scores, frozenset(passing)
    )


def score_model(
    *,
    model: object = None,
    input: object = None,
    range: object = None,
    pass_threshold: object = None,
    sampling_params: object = None,
) -> ScoreFunction:
    """OpenAI's ``score_model`` grader: the judge gives a number in ``range`` (default [0,
    1]); the score is that number scaled to [0, 1], and it passes when the number reaches
    ``pass_threshold`` (given in the range's units), else by the scorer's ``threshold``."""
    if sampling_params is not None and not isinstance(sampling_params, Mapping):
        raise ScorerConfigError("'sampling_params' must be a mapping", key="sampling_params")
    judge = judge_model(model, sampling_params)
    conversation = messages_option(input, "input")
    verdict = range_option([0, 1] if range is None else range)
    threshold = None
    if pass_threshold is not None:
        threshold = number_option("pass_threshold", pass_threshold)
        if not verdict.low <= threshold <= verdict.high:
            raise ScorerConfigError(
                f"'pass_threshold' {threshold:g} is outside the range "
                f"[{verdict.low:g}, {verdict.high:g}]",
                key="pass_threshold",
            )
    return _range_judge(judge, None, conversation, verdict, threshold)


def _criteria_option(value: object) -> tuple[Criterion, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        given = "" if value is None else f", got {not_text(value)}"
        raise ScorerConfigError(
            f"'criteria' must be a non-empty list of {{name, points, description}}{given}",
            key="criteria",
        )
    criteria: list[Criterion] = []
    for position, entry in enumerate(value):
        where = f"criteria[{position}]"
        if not isinstance(entry, Mapping):
            raise ScorerConfigError(
                f"'{where}' must be a mapping: name, points, description", key="criteria"
            )
        unknown = [k for k in entry if k not in ("name", "points", "description")]
        if unknown:
            raise ScorerConfigError(f"'{where}' has an unknown key '{unknown[0]}'", key="criteria")
        name = label_option(f"'{where}.name'", entry.get("name"), key="criteria")
        description = text_option(
            f"{where}.description",
            entry.get("description"),
            what="what earns the points",
            key="criteria",
        )
        points = number_option(f"{where}.points", entry.get("points"), above=0.0)
        if any(c.name == name for c in criteria):
            raise ScorerConfigError(f"two criteria are named '{name}'", key="criteria")
        criteria.append(Criterion(name, points, description.strip()))
    return tuple(criteria)


def rubric(
    *, criteria: object = None, model: object = None, prompt: object = prompts.RUBRIC
) -> ScoreFunction:
    """The judge awards points per criterion (at most each criterion's ``points``), with a
    reason each; the score is the points earned over the points possible."""
    listed = _criteria_option(criteria)
    verdict = RubricVerdict(listed)
    judge = judge_model(model)
    lines = "\n".join(f"- {c.name} ({c.points:g} points): {c.description}" for c in listed)
    text = _preset_prompt(prompt, CRITERIA_PLACEHOLDER).replace(CRITERIA_PLACEHOLDER, lines)
    possible = math.fsum(c.points for c in listed)

    async def score(ctx: ScoringContext) -> Verdict:
        raw = await _ask(ctx, judge, _conversation(ctx, text, None, verdict), verdict)
        awards, reasoning = verdict.read(raw)
        earned = math.fsum(a.points for a in awards)
        return Verdict(
            earned / possible,
            None,
            f"earned {earned:g} of {possible:g} points"
            + "".join(f"; {a.name} {a.points:g}/{a.possible:g}" for a in awards),
            {
                "earned_points": earned,
                "possible_points": possible,
                "percentage": round(100 * earned / possible, 2),
                "criteria": [a.to_dict() for a in awards],
            },
            reasoning=reasoning,
            raw=raw,
        )

    return score
