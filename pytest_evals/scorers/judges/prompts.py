"""The built-in judges' prompts. Each is a template over ``item.*`` and ``sample.*`` like
any a user writes, and each judge scorer takes a ``prompt`` that replaces it."""

from __future__ import annotations

JUDGE_SYSTEM = (
    "You are a careful, impartial evaluator of what an AI system produced. Judge only what "
    "you are asked to judge, from the text you are given."
)

FACTUALITY = """\
Compare the facts of a submitted answer with those of an expert answer to the same question.

[Question]: {{ item.input }}
[Expert answer]: {{ item.expected }}
[Submission]: {{ sample.output_text }}

Ignore differences of style, grammar and punctuation. Pick the one statement that fits best:
(A) The submission is a subset of the expert answer and fully consistent with it.
(B) The submission is a superset of the expert answer and fully consistent with it.
(C) The submission contains all the same details as the expert answer.
(D) The submission and the expert answer disagree.
(E) The answers differ, but the differences don't matter for factuality."""

FACTUALITY_SCORES = {"A": 0.4, "B": 0.6, "C": 1.0, "D": 0.0, "E": 1.0}

CLOSEDQA = """\
Assess a submitted answer to a task against a criterion.

[Task]: {{ item.input }}
[Submission]: {{ sample.output_text }}
[Criterion]: {criteria}

Does the submission meet the criterion? Choose Y for yes or N for no."""

RUBRIC = """\
Grade a submitted answer against a rubric.

[Task]: {{ item.input }}
[Submission]: {{ sample.output_text }}

The rubric's criteria, each with the most points it can earn:
{criteria}"""

FAITHFULNESS = """\
Check whether an answer is supported by the context it was meant to draw on.

[Context]:
{context}

[Question]: {{ item.input }}
[Answer]: {{ sample.output_text }}

Is every claim the answer makes supported by the context? Choose "supported" if every claim
is, "partly" if some claims are not, "unsupported" if the answer's main claims are not. Judge
support only: an answer can be supported and incomplete."""

FAITHFULNESS_SCORES = {"supported": 1.0, "partly": 0.5, "unsupported": 0.0}

RELEVANCE = """\
Check whether an answer addresses the question it was given.

[Question]: {{ item.input }}
[Answer]: {{ sample.output_text }}

Does the answer address the question? Choose "relevant" if it answers it, "partly" if it
answers only part of it or mostly talks about something else, "irrelevant" if it doesn't
answer it. Judge relevance only, not whether the answer is correct."""

RELEVANCE_SCORES = {"relevant": 1.0, "partly": 0.5, "irrelevant": 0.0}
