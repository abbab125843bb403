"""pytest hooks: options, activation, collection, per-item report data. The controller's
aggregation and reports live in ``controller.py``."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from . import hookspecs
from .controller import EvalsController
from .items import STATE_KEY, DatapointItem, EvalSampleError, EvalSpecFile
from .options import add_options, resolve_settings
from .state import EvalsState

SPEC_SUFFIXES = (".eval.yaml", ".eval.yml")
_CONTROLLER_NAME = "pytest-evals-controller"
_META_SENT_KEY = pytest.StashKey[set[str]]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def is_spec_file(path: Path) -> bool:
    return path.name.endswith(SPEC_SUFFIXES)


def _explicit_spec_files(config: pytest.Config) -> frozenset[Path]:
    """Spec files named on the command line (``pytest evals/x.eval.yaml::x[1]`` too)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return frozenset()
    base = config.invocation_params.dir
    files = set()
    for arg in config.args:
        path = (base / arg.split("::")[0]).resolve()
        if is_spec_file(path):
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


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = resolve_settings(config)
    explicit = _explicit_spec_files(config)
    if not settings.active and not explicit:
        return
    config.stash[STATE_KEY] = EvalsState(
        settings=settings, pyproject=_find_pyproject(config), explicit_files=explicit
    )
    config.stash[_META_SENT_KEY] = set()
    if settings.active:
        _add_collection_args(config, settings.paths)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(EvalsController(config, settings), _CONTROLLER_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        state.close()


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return False
    resolved = file_path.resolve()
    if resolved in state.explicit_files:
        return True
    return any(resolved == root or root in resolved.parents for root in state.settings.paths)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> EvalSpecFile | None:
    if is_spec_file(file_path) and _wanted(parent.config, file_path):
        spec_file: EvalSpecFile = EvalSpecFile.from_parent(parent, path=file_path)
        return spec_file
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Count each run's items after deselection: the size every report is measured by."""
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    totals: dict[str, int] = {}
    for item in session.items:
        if isinstance(item, DatapointItem):
            totals[item.run_id] = totals.get(item.run_id, 0) + 1
    state.run_totals = totals


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (
        isinstance(item, DatapointItem)
        and call.when == "setup"
        and call.excinfo is not None
        and isinstance(call.excinfo.value, EvalSampleError)
    ):
        # pytest shows setup errors as tracebacks, bypassing repr_failure; a broken call
        # reads better as the datapoint and the provider's or target's message.
        report.longrepr = item.repr_failure(call.excinfo)
    if isinstance(item, DatapointItem) and item.record is not None and call.when != "teardown":
        # Plain builtins: pytest-xdist serializes report attributes to the controller.
        report.eval_record = item.record.to_dict()  # type: ignore[attr-defined]
        sent = item.config.stash[_META_SENT_KEY]
        if item.run_id not in sent:
            sent.add(item.run_id)
            state = item.config.stash[STATE_KEY]
            report.eval_run = item.run_meta(state.run_totals.get(item.run_id, 0))  # type: ignore[attr-defined]
        else:
            report.eval_run = {"id": item.run_id}  # type: ignore[attr-defined]
    return report
