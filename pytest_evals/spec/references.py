"""``"package.module:function"`` references in a spec (a ``target``, a ``python`` scorer's
``function``), imported as pytest imports test modules: a module next to the spec file
imports without configuration, besides installed ones and pytest's ``pythonpath``.

Importing leaves ``sys.path`` as it was. A module next to one spec whose name an earlier
spec's folder already took (two folders with a ``tools.py`` each) is imported afresh from
its own folder, not handed the other folder's module. No pytest import.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import EvalInputError
from .hints import did_you_mean

Target = Callable[[Mapping[str, Any]], Any]


class UnresolvedReference(Exception):
    """A reference that does not name an importable attribute; the message says why."""


def _lives_in(module: ModuleType, folder: Path) -> bool:
    location = getattr(module, "__file__", None)
    return location is not None and Path(location).resolve().is_relative_to(folder)


def _local_top(module_name: str, folder: Path) -> str | None:
    """The top-level package or module of ``module_name`` when it is a file in ``folder``."""
    top = module_name.split(".")[0]
    if (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file():
        return top
    return None


@contextlib.contextmanager
def _imports_from(folder: Path, top: str) -> Iterator[None]:
    """``folder`` first on sys.path while the import runs; a module named ``top`` that came
    from elsewhere is set aside for it and put back after, so each keeps its own."""
    entry = str(folder)
    clashing = {
        name: module
        for name, module in sys.modules.items()
        if (name == top or name.startswith(f"{top}.")) and not _lives_in(module, folder)
    }
    for name in clashing:
        del sys.modules[name]
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
        if clashing:
            for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
                del sys.modules[name]
            sys.modules.update(clashing)


def _import_module(module_name: str, folder: Path | None) -> ModuleType:
    if folder is not None:
        folder = folder.resolve()
        top = _local_top(module_name, folder)
        if top is not None:
            with _imports_from(folder, top):
                return importlib.import_module(module_name)
    return importlib.import_module(module_name)


def import_object(reference: object, *, folder: Path | None = None) -> Any:
    """What ``"package.module:attribute"`` names, looking next to the spec in ``folder``
    first; UnresolvedReference saying what is wrong otherwise."""
    if not isinstance(reference, str) or reference.count(":") != 1:
        raise UnresolvedReference(f"expected 'package.module:function', got {reference!r}")
    module_name, attribute = (part.strip() for part in reference.split(":"))
    if not module_name or not attribute:
        raise UnresolvedReference(f"expected 'package.module:function', got {reference!r}")
    try:
        module = _import_module(module_name, folder)
    except Exception as exc:
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and exc.name == module_name.split(".")[0]:
            hint = (
                " (a module of your project outside the spec's folder imports once its folder"
                " is on pytest's 'pythonpath' ini option, e.g. pythonpath = [\"src\"])"
            )
        raise UnresolvedReference(
            f"cannot import module '{module_name}': {type(exc).__name__}: {exc}{hint}"
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            public = [name for name in dir(value) if not name.startswith("_")]
            raise UnresolvedReference(
                f"module '{module_name}' has no attribute '{attribute}'{did_you_mean(part, public)}"
            )
        value = getattr(value, part)
    if not callable(value):
        raise UnresolvedReference(f"'{reference}' is not callable")
    return value


def import_target(reference: str, *, spec_dir: Path) -> Target:
    """The spec's ``target``; EvalInputError (key ``target``) when it cannot be imported."""
    try:
        target: Target = import_object(reference, folder=spec_dir)
    except UnresolvedReference as exc:
        raise EvalInputError(str(exc), key="target") from None
    return target


TARGET_PARAMETERS = ("item", "input", "prompt", "messages")


def target_parameters(target: Target) -> tuple[str, ...]:
    """What a target asks for by name, pytest-style: ``item`` (the datapoint), ``input``,
    ``prompt`` (the rendered user message), ``messages`` (the whole chat). Empty: it takes
    the datapoint as its one positional parameter."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return ()
    named = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    if named == ["item"] or not any(n in TARGET_PARAMETERS for n in named):
        return ()
    unknown = [
        p.name
        for p in parameters
        if p.name not in TARGET_PARAMETERS
        and p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if unknown:
        raise UnresolvedReference(
            f"the target asks for {unknown}, which a target can't be given: it takes "
            f"{', '.join(TARGET_PARAMETERS)} by name, or the datapoint as its one parameter"
        )
    return tuple(n for n in named if n in TARGET_PARAMETERS)


def is_async(function: Callable[..., Any]) -> bool:
    """A coroutine function, or a callable object with an ``async def __call__``."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        type(function).__call__
    )
