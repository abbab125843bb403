"""Summaries, reports and gates, built by pure functions from plain result records.

Nothing in this package imports pytest: the plugin gathers records on the controller and hands
them here, so every number and line is unit-testable on hand-made records.
"""

from __future__ import annotations

from .gate import GateVerdict, evaluate_gate, session_exit_ok, tolerance_line
from .json_report import build_report, write_json_atomic
from .markdown import summary_markdown
from .runs import Run, RunBook, RunStatus
from .summary import percentile, summarize
from .terminal import summary_lines

__all__ = [
    "GateVerdict",
    "Run",
    "RunBook",
    "RunStatus",
    "build_report",
    "evaluate_gate",
    "percentile",
    "session_exit_ok",
    "summarize",
    "summary_lines",
    "summary_markdown",
    "tolerance_line",
    "write_json_atomic",
]
