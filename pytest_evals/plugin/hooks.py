"""The pytest hooks: options, activation, collection, the prefetch window and the data each
report carries. The controller's aggregation and reports live in ``controller.py``,
everything that touches pytest-xdist in ``xdist.py``."""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import EvalInputError
from ..redact import redact

# PyYAML's C extension keeps references to the first yaml.nodes it saw, so yaml must not be
# imported afresh inside a session that pytester later unwinds (its in-process runs restore
# sys.modules); loading it with the plugin keeps one copy for the whole process.
from ..spec import yaml_source  # noqa: F401
from ..spec.model import is_spec_path
from ..wire import attach
from . import hookspecs
from .options import EvalsSettings, add_options, rerun_flag, resolve_settings
from .prefetch import window_for
from .services import Services, check_model_names
from .state import STATE_KEY, EvalsState

if TYPE_CHECKING:
    from .items import EvalSpecFile
    from .manifest import Manifest
    from .prefetch import Prefetcher

# Only options and state load with pytest: the plugin is inert unless --evals (or a spec
# file on the command line) asks for it, and then imports the rest.

_CONTROLLER_NAME = "pytest-evals-controller"
_XDIST_BRIDGE_NAME = "pytest-evals-xdist"
_WARNINGS_NAME = "pytest-evals-warnings"
_PREFETCH_KEY: pytest.StashKey[Prefetcher] = pytest.StashKey()
_SIGTERM_KEY = pytest.StashKey[Any]()
_OWNED_DIR_KEY = pytest.StashKey[Path]()
_MANIFEST_KEY: pytest.StashKey[Manifest] = pytest.StashKey()
"""What this process collected, when it is the controller and collects itself."""


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    # SIGTERM (a CI timeout, `kill`) ends the session like Ctrl-C: calls are cancelled and
    # the reports are still written.
    raise KeyboardInterrupt(f"received signal {signum}")


def _install_sigterm(config: pytest.Config) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        config.stash[_SIGTERM_KEY] = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _shared_dir(config: pytest.Config) -> Path:
    """A worker's is the controller's; the controller makes one and removes it at the end."""
    if hasattr(config, "workerinput"):
        from .xdist import worker_shared_dir

        handed = worker_shared_dir(config)
        if handed is not None:
            return handed
    folder = Path(tempfile.mkdtemp(prefix="pytest-evals-"))
    config.stash[_OWNED_DIR_KEY] = folder
    return folder


def _default_cache_dir(config: pytest.Config) -> Callable[[], Path]:
    # Not under .pytest_cache: `pytest --cache-clear` (which resets --lf) must not delete
    # paid recordings.
    return lambda: config.rootpath / ".pytest-evals" / "cache"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _explicit_spec_files(config: pytest.Config) -> frozenset[Path]:
    """Spec files named on the command line (``pytest evals/x.eval.yaml::x[1]`` too)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return frozenset()
    base = config.invocation_params.dir
    files = set()
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        if is_spec_path(path.name):
            files.add(path)
    return frozenset(files)


def _find_pyproject(config: pytest.Config) -> Path | None:
    if config.inipath is not None and config.inipath.name == "pyproject.toml":
        return config.inipath
    candidate = config.rootpath / "pyproject.toml"
    return candidate if candidate.is_file() else None


def _add_collection_args(config: pytest.Config, paths: tuple[Path, ...]) -> None:
    """``--evals PATH`` alone runs only the evals; with positional args, both."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(p) for p in paths]
        return
    present = {(config.invocation_params.dir / a.split("::")[0]).resolve() for a in config.args}
    for path in paths:
        if path not in present:
            config.args.append(str(path))


def _check_model_names(
    config: pytest.Config, settings: EvalsSettings, pyproject: Path | None
) -> None:
    """A bad model flag, or ``judge_model``, is a usage error like a malformed flag value."""
    try:
        check_model_names(settings, pyproject)
    except EvalInputError as exc:
        from .items import display_path

        if exc.path is not None:
            exc.path = display_path(Path(exc.path), config.rootpath)
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = resolve_settings(config)
    explicit = _explicit_spec_files(config)
    if not settings.active and not explicit:
        return
    pyproject = _find_pyproject(config)
    _check_model_names(config, settings, pyproject)
    shared_dir = _shared_dir(config)
    services = Services(
        settings,
        pyproject=pyproject,
        shared_dir=shared_dir,
        default_cache_dir=_default_cache_dir(config),
        register_providers=lambda registry: config.hook.pytest_evals_register_providers(
            registry=registry
        ),
    )
    config.stash[STATE_KEY] = EvalsState(
        settings, services, explicit_files=explicit, shared_dir=shared_dir
    )
    config.pluginmanager.register(_WarningRedactor(services.secrets), _WARNINGS_NAME)
    if settings.active:
        _add_collection_args(config, settings.paths)
    if not hasattr(config, "workerinput"):
        from .controller import EvalsController

        def manifest() -> Manifest | None:
            own = config.stash.get(_MANIFEST_KEY, None)
            if own is not None:
                return own
            from .manifest import read_worker_manifest

            return read_worker_manifest(shared_dir)

        controller = EvalsController(config, settings, manifest)
        config.pluginmanager.register(controller, _CONTROLLER_NAME)
        if config.pluginmanager.hasplugin("xdist"):
            from .xdist import XdistBridge

            bridge = XdistBridge(shared_dir, services.largest_window)
            config.pluginmanager.register(bridge, _XDIST_BRIDGE_NAME)
    _install_sigterm(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        state.services.close()
    previous = config.stash.get(_SIGTERM_KEY, None)
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
    owned = config.stash.get(_OWNED_DIR_KEY, None)
    if owned is not None:
        shutil.rmtree(owned, ignore_errors=True)


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return False
    resolved = file_path.resolve()
    if resolved in state.explicit_files:
        return True
    return any(resolved == root or root in resolved.parents for root in state.settings.paths)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> EvalSpecFile | None:
    if is_spec_path(file_path.name) and _wanted(parent.config, file_path):
        from .items import EvalSpecFile

        spec_file: EvalSpecFile = EvalSpecFile.from_parent(parent, path=file_path)
        return spec_file
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Before -k/-m deselect anything: which spec files share a name is a fact of the
    collection, and the run ids built on it must not change with a selection."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    from .items import separate_namesakes

    separate_namesakes(items, config.rootpath)
    if rerun_flag(config) is not None and not _narrowed(config):
        # --lf/--sw will deselect the evals whose datapoints all passed; their last results
        # are still the session's to report, so their runs are remembered now.
        from .items import DatapointItem

        state.collected_evals = {
            item.run_id: item for item in reversed(items) if isinstance(item, DatapointItem)
        }


def _narrowed(config: pytest.Config) -> bool:
    """-k, -m or --deselect: the user chose what to look at."""
    option = config.option
    return bool(
        getattr(option, "keyword", "")
        or getattr(option, "markexpr", "")
        or getattr(option, "deselect", None)
    )


@pytest.hookimpl(tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport | None:
    """Under --lf, pytest skips the files none of whose tests failed last time, and so would
    neither see an eval broken since nor report the last results of one that held. Eval
    spec files are collected whatever --lf says (its deselection still runs only the
    failures)."""
    if rerun_flag(collector.config) is None or collector.config.stash.get(STATE_KEY, None) is None:
        return None
    from .items import EvalSpecFile

    if not isinstance(collector, EvalSpecFile):
        return None
    try:
        from _pytest.runner import pytest_make_collect_report as collect_normally
    except ImportError:  # a pytest that moved it: --lf then skips as it likes
        return None
    report: pytest.CollectReport = collect_normally(collector)
    return report


def pytest_collection_finish(session: pytest.Session) -> None:
    """Count each run's items after deselection: the size every report is measured by."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    from .items import DatapointItem

    totals: dict[str, int] = {}
    limits: set[int] = set()
    for item in session.items:
        if isinstance(item, DatapointItem):
            totals[item.run_id] = totals.get(item.run_id, 0) + 1
            limits.update(item.concurrency_limits())
    state.run_totals = totals
    state.prefetch_window = window_for(limits, state.settings.concurrency)
    from .manifest import Manifest, write_worker_manifest

    workerinput = getattr(session.config, "workerinput", None)
    unselected = [item for run, item in state.collected_evals.items() if run not in totals]
    manifest = Manifest.of(
        session.items,
        totals,
        by_node=workerinput is not None,
        unselected=unselected,
        # Only results stored in pytest's cache for --lf need them: a hash per datapoint.
        fingerprints=getattr(session.config, "cache", None) is not None,
    )
    if workerinput is None:
        session.config.stash[_MANIFEST_KEY] = manifest
    elif manifest.runs and state.shared_dir is not None:
        # The controller under xdist collects nothing: it learns the runs from here. Without
        # it the controller reports what arrives, as before: no reason to fail the worker.
        with contextlib.suppress(OSError):
            write_worker_manifest(state.shared_dir, workerinput["workerid"], manifest)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is not None:
        from .prefetch import Prefetcher

        prefetcher = Prefetcher(
            session.items, state.prefetch_window, session.config.pluginmanager.get_plugins()
        )
        session.config.stash[_PREFETCH_KEY] = prefetcher
        state.ahead_of = prefetcher.ahead


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    prefetcher = item.config.stash.get(_PREFETCH_KEY, None)
    state = item.config.stash.get(STATE_KEY, None)
    stopped = state is not None and state.services.budget_stopped()
    # After a budget stop an item started now would only be refused.
    if prefetcher is not None and not stopped:
        prefetcher.before(item)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop what was started ahead for items that will not run (``-x``, ``--maxfail``)."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is not None:
        state.services.cancel_calls()


class _WarningRedactor:
    """Takes the keys out of a warning user code raised with one in its text
    (``warnings.warn("... " + key)``), before the terminal's warnings summary, or an xdist
    worker sending it on, reads it."""

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        self._secrets = secrets

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        secrets = self._secrets()
        text = str(warning_message.message)
        if not secrets or not any(secret in text for secret in secrets):
            return
        cleaned = redact(text, secrets)
        try:
            warning_message.message = type(warning_message.message)(cleaned)
        except Exception:  # a warning class whose constructor takes other arguments
            warning_message.message = UserWarning(cleaned)


def _redact_report(report: pytest.TestReport, secrets: tuple[str, ...]) -> None:
    """API keys out of what the target and scorers printed or logged (pytest shows it, JUnit
    keeps it) and out of any traceback; the record is redacted where it is made."""
    if not secrets:
        return
    report.sections = [(title, redact(text, secrets)) for title, text in report.sections]
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], redact(longrepr[2], secrets))
    elif longrepr is not None:
        text = str(longrepr)
        if any(secret in text for secret in secrets):
            report.longrepr = redact(text, secrets)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    state = item.config.stash.get(STATE_KEY, None)
    if state is None:
        return report
    from .items import DatapointItem, EvalSampleError, junit_properties

    if not isinstance(item, DatapointItem):
        return report
    if call.excinfo is not None and isinstance(call.excinfo.value, EvalSampleError):
        # pytest shows setup errors as tracebacks, bypassing repr_failure; a broken call
        # reads better as the datapoint and the provider's or target's message.
        report.longrepr = item.repr_failure(call.excinfo)
    _redact_report(report, state.services.secrets())
    record = item.record
    if record is None:
        return report
    if call.when == "teardown":
        # pytest's junitxml reads user properties off the teardown report; only it needs them.
        report.user_properties = [*report.user_properties, *junit_properties(record)]
        item.release()
        return report
    # The run's description goes with its first record from this process; later ones name
    # the run only.
    described = item.run_id in state.described_runs
    state.described_runs.add(item.run_id)
    total = state.run_totals.get(item.run_id, 0)
    attach(report, record, item.run_id if described else item.run_meta(total), item.position)
    return report
