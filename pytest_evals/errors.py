"""Errors the user can act on: each names where the bad input is and what was expected."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

# This module sits at the package's root: the folder of every plugin frame.
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class EvalInputError(Exception):
    """Malformed user input: a spec, dataset, template, scorer config or connection.

    Rendered as one line, ``FILE:LINE: datapoint 'ID': key 'KEY': MESSAGE``, leaving out the
    parts that are unknown, so the user sees where to look without a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        datapoint_id: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.datapoint_id = datapoint_id
        self.key = key

    def located(
        self,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        datapoint_id: str | None = None,
        key: str | None = None,
    ) -> EvalInputError:
        """A copy that fills in location parts this error does not know yet."""
        return EvalInputError(
            self.message,
            path=self.path if self.path is not None else path,
            line=self.line if self.line is not None else line,
            datapoint_id=self.datapoint_id if self.datapoint_id is not None else datapoint_id,
            key=self.key if self.key is not None else key,
        )

    def __str__(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        if self.datapoint_id is not None:
            parts.append(f"datapoint '{self.datapoint_id}'")
        if self.key is not None:
            parts.append(f"key '{self.key}'")
        parts.append(self.message)
        return ": ".join(parts)


class SampleError(Exception):
    """Producing the sample failed: the model call, the target, or a missing API key.

    The message is already safe to show (API keys redacted).
    """


class BudgetExceeded(SampleError):
    """``--evals-max-cost`` is reached: no new calls start. ``produced``: the samples of a
    datapoint's other repeats that were answered (and paid for) all the same."""

    def __init__(self, message: str, produced: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.produced = tuple(produced)


class CallCancelled(SampleError):
    """The session is stopping: the call was cancelled or never started."""


def _is_plugin_frame(tb: TracebackType, asyncio_dir: str) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith((_PACKAGE_DIR, asyncio_dir))


def user_traceback(exc: BaseException) -> str:
    """The traceback of an exception from the user's code (a target, a scorer), from its
    first frame outside this package and asyncio. When every frame is ours, a built-in
    rejected the input (say, a non-numeric expected): its message says it all, and a
    plugin traceback would only bury it."""
    # asyncio's frames are left out too, as async user code runs under them; imported here,
    # where it is loaded already, so that a plain pytest run does not pay for it.
    import asyncio

    asyncio_dir = str(Path(asyncio.__file__).resolve().parent)
    tb = exc.__traceback__
    while tb is not None and _is_plugin_frame(tb, asyncio_dir):
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
