"""The controller's side: gathers every datapoint's record from the reports (its own or
pytest-xdist workers'), then writes the summary, the reports and the gate verdict.

Registered only on the controller, so workers print and write nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ..reporting import (
    GateVerdict,
    RunBook,
    build_report,
    evaluate_gate,
    session_exit_ok,
    summarize,
    summary_lines,
    summary_markdown,
    write_json_atomic,
)
from ..wire import carried
from .options import EvalsSettings

_RESULT_EXIT_CODES = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


def _write_markdown(path: Path, text: str) -> None:
    """Written anew, or appended to when ``path`` is the file GitHub names in
    ``$GITHUB_STEP_SUMMARY``: a job's steps add their summaries to one page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY") or ""
    appending = bool(step_summary) and Path(step_summary).resolve() == path.resolve()
    with path.open("a" if appending else "w", encoding="utf-8") as handle:
        handle.write(text)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _stopped_early(session: pytest.Session) -> bool:
    """``-x`` / ``--maxfail`` set ``shouldfail``; plugins and ``--sw`` set ``shouldstop``."""
    return bool(session.shouldstop) or bool(session.shouldfail)


class EvalsController:
    def __init__(self, config: pytest.Config, settings: EvalsSettings) -> None:
        self.config = config
        self.settings = settings
        self.book = RunBook()
        self.non_eval_failures = 0
        self.collection_errors = 0
        self.unwritten: list[str] = []
        """One line per report that could not be written."""
        self.started_at = _now()
        self.summaries: dict[str, dict[str, Any]] = {}
        self.verdicts: list[GateVerdict] = []
        self.finished = False

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        found = carried(report)
        if found is not None:
            self.book.add_record(found.run, found.record, position=found.position)
        elif report.failed:
            self.non_eval_failures += 1

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Workers' failed collection reports reach the controller through this hook too.
        if report.failed:
            self.collection_errors += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        interrupted = exitstatus not in _RESULT_EXIT_CODES or _stopped_early(session)
        self.book.finish(interrupted=interrupted, now=_now())
        runs = self.book.runs
        self.summaries = {run.id: summarize(run.records) for run in runs}
        self.verdicts = [
            evaluate_gate(
                run,
                self.summaries[run.id],
                fail_under=self.settings.fail_under,
                strict=self.settings.strict,
            )
            for run in runs
        ]
        self.finished = True
        if runs and session.exitstatus in _RESULT_EXIT_CODES:
            session.exitstatus = self._exit_status(session)
        self._write_reports(session)

    def _exit_status(self, session: pytest.Session) -> pytest.ExitCode:
        # A spec or module that did not collect is a check that did not run: never green,
        # with --continue-on-collection-errors or under xdist alike.
        failures = self.non_eval_failures + self.collection_errors
        if not session_exit_ok(self.verdicts, non_eval_failures=failures):
            return pytest.ExitCode.TESTS_FAILED
        complete = all(run.progress >= run.total for run in self.book.runs)
        if not complete or _stopped_early(session):
            # A run cut short by -x/--maxfail keeps pytest's verdict.
            return pytest.ExitCode(session.exitstatus)
        # Every gate holds: datapoint failures inside them are tolerated.
        return pytest.ExitCode.OK

    def _write_reports(self, session: pytest.Session) -> None:
        """The Markdown summary, then the JSON report (whose exit status then counts a
        Markdown write that failed). A report that can't be written is one line in the
        terminal summary and a failing exit status; the other reports are still written."""
        if self.config.option.collectonly:
            return  # nothing ran: the last run's reports stay as they were
        runs = self.book.runs
        md_path = self.settings.summary_md_path
        if md_path is not None:
            text = summary_markdown(runs, self.summaries, self.verdicts)
            self._write(
                session, "--evals-summary-md", md_path, lambda: _write_markdown(md_path, text)
            )
        json_path = self.settings.json_path
        if json_path is not None:

            def write_json() -> None:
                report = build_report(
                    runs,
                    self.summaries,
                    self.verdicts,
                    session={
                        "started_at": self.started_at,
                        "finished_at": _now(),
                        "exit_status": int(session.exitstatus),
                        "args": list(self.config.invocation_params.args),
                        "fail_under": self.settings.fail_under,
                        "strict": self.settings.strict,
                    },
                )
                write_json_atomic(json_path, report)

            self._write(session, "--evals-json", json_path, write_json)

    def _write(
        self, session: pytest.Session, flag: str, path: Path, write: Callable[[], None]
    ) -> None:
        try:
            write()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.unwritten.append(f"REPORT NOT WRITTEN {flag} {path}: {reason}")
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.finished or not (self.book.runs or self.unwritten):
            return
        width = self.config.get_terminal_writer().fullwidth
        terminalreporter.write_sep("=", "evals summary")
        for line in summary_lines(self.book.runs, self.summaries, self.verdicts, width=width):
            terminalreporter.write_line(line)
        for line in self.unwritten:
            terminalreporter.write_line(line, red=True, bold=True)
        if self.collection_errors:
            count = self.collection_errors
            plural = "s" if count != 1 else ""
            terminalreporter.write_line(
                f"{count} collection error{plural}: the session fails, whatever the gates say"
            )
