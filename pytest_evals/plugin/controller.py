"""The controller's side: gathers every datapoint's record from the reports (its own or
pytest-xdist workers'), then writes the summary, the reports and the gate verdict.

Registered only on the controller, so workers print and write nothing.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..records import ResultRecord
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
from .options import EvalsSettings, rerun_flag
from .rerun import (
    STORE_FOLDER,
    KeptResults,
    ResultStore,
    keep_earlier_results,
    store_results,
)

if TYPE_CHECKING:
    from .manifest import Manifest, PlannedItem

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


def _crash_message(report: pytest.TestReport) -> str:
    # xdist's own line ("worker 'gw0' crashed while running ..."), without the platform
    # header it puts above it in the terminal.
    text = report.longrepr if isinstance(report.longrepr, str) else report.longreprtext
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "its worker crashed"


def _stopped_early(session: pytest.Session) -> bool:
    """``-x`` / ``--maxfail`` set ``shouldfail``; plugins and ``--sw`` set ``shouldstop``."""
    return bool(session.shouldstop) or bool(session.shouldfail)


class EvalsController:
    def __init__(
        self,
        config: pytest.Config,
        settings: EvalsSettings,
        manifest: Callable[[], Manifest | None],
    ) -> None:
        """``manifest`` finds what collection planned (``plugin.manifest``): the runs, their
        datapoints, which node id is which; it gives None while that is not known."""
        self.config = config
        self.settings = settings
        self._find_manifest = manifest
        self._manifest: Manifest | None = None
        self.book = RunBook()
        self.tests_ran = False
        self.crashes = 0
        """Items whose xdist worker died while running them."""
        self.kept: KeptResults | None = None
        self.non_eval_failures = 0
        self.collection_errors = 0
        self.unwritten: list[str] = []
        """One line per report that could not be written."""
        self.started_at = _now()
        self.summaries: dict[str, dict[str, Any]] = {}
        self.verdicts: list[GateVerdict] = []
        self.finished = False

    def manifest(self) -> Manifest | None:
        if self._manifest is None:
            self._manifest = self._find_manifest()
        return self._manifest

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tests_ran = True
        found = carried(report)
        if found is not None:
            self.book.add_record(found.run, found.record, position=found.position)
            return
        # xdist's made-up report for an item whose worker died: its datapoint is an error.
        if report.when == "???" and report.failed:  # type: ignore[comparison-overlap]
            self.crashes += 1
            manifest = self.manifest()
            planned = None if manifest is None else manifest.items.get(report.nodeid)
            if manifest is not None and planned is not None:
                self._record_crash(report, manifest, planned)
                return
        if report.failed:
            self.non_eval_failures += 1

    def _record_crash(
        self, report: pytest.TestReport, manifest: Manifest, planned: PlannedItem
    ) -> None:
        meta = manifest.runs[planned.run_id].meta
        record = ResultRecord(
            datapoint_id=planned.datapoint_id,
            eval=meta["name"],
            model=meta["model"],
            input=None,
            expected=None,
            status="error",
            error=f"{_crash_message(report)}: the datapoint's result is lost",
        )
        self.book.add_record(meta, record.to_dict(), position=planned.position, crashed=True)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # Workers' failed collection reports reach the controller through this hook too.
        if report.failed:
            self.collection_errors += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return  # nothing ran: no summary, no report, nothing stored
        # A worker that crashed may have taken items with it that no other worker ran
        # (``--max-worker-restart``): the runs they leave short were cut short, not done.
        interrupted = (
            exitstatus not in _RESULT_EXIT_CODES or _stopped_early(session) or self.crashes > 0
        )
        manifest = self.manifest()
        store = self._result_store() if manifest is not None else None
        if manifest is not None:
            for planned in manifest.runs.values():
                # Runs that never started are reported when the session was cut short (a
                # run whose items were all skipped is no run); one none of whose
                # datapoints was re-run (--lf) is reported if results are kept.
                if planned.selected and interrupted:
                    self.book.plan(planned.meta, now=self.started_at)
            if store is not None and rerun_flag(self.config):
                self.kept = keep_earlier_results(self.book, manifest, store)
        self.book.finish(interrupted=interrupted, now=_now(), tests_ran=self.tests_ran)
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
        if manifest is not None and store is not None:
            self._store_results(store, manifest)

    def _result_store(self) -> ResultStore | None:
        """Where the results --lf keeps are stored: pytest's cache, if it is on."""
        cache: pytest.Cache | None = getattr(self.config, "cache", None)
        if cache is None:
            return None
        try:
            return ResultStore(cache.mkdir(STORE_FOLDER))
        except OSError:
            return None

    def _store_results(self, store: ResultStore, manifest: Manifest) -> None:
        """Each datapoint's latest result, where pytest keeps what --lf reads."""
        try:
            store_results(self.book, manifest, store)
        except OSError as exc:
            # Like pytest's own cache: a read-only checkout still gets its verdict.
            warnings.warn(
                pytest.PytestCacheWarning(f"pytest-evals could not store results: {exc}"),
                stacklevel=1,
            )

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
        runs = self.book.runs
        md_path = self.settings.summary_md_path
        if md_path is not None:
            text = summary_markdown(runs, self.summaries, self.verdicts, notes=self.session_notes())
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
                        "collection_errors": self.collection_errors,
                        "non_eval_failures": self.non_eval_failures,
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

    def session_notes(self) -> list[str]:
        """What the summaries say of the session beyond its runs: results kept by --lf,
        and what fails the session whatever the gates say (a green table must not hide it)."""
        notes = []
        flag = rerun_flag(self.config)
        if self.kept is not None and flag is not None and (self.kept.kept or self.kept.missing):
            notes.append(self.kept.line(flag))
        if self.collection_errors:
            count = self.collection_errors
            plural = "s" if count != 1 else ""
            notes.append(
                f"{count} collection error{plural}: the session fails, whatever the gates say"
            )
        if self.non_eval_failures:
            count = self.non_eval_failures
            noun = "test that is not an eval" if count == 1 else "tests that are not evals"
            notes.append(f"{count} {noun} failed: the session fails, whatever the gates say")
        return notes

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        notes = self.session_notes()
        if not self.finished or not (self.book.runs or self.unwritten or notes):
            return
        width = self.config.get_terminal_writer().fullwidth
        terminalreporter.write_sep("=", "evals summary")
        for line in summary_lines(self.book.runs, self.summaries, self.verdicts, width=width):
            terminalreporter.write_line(line)
        for line in notes:
            terminalreporter.write_line(line)
        for line in self.unwritten:
            terminalreporter.write_line(line, red=True, bold=True)
