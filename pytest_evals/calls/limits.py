"""State shared by every process of one pytest session on one machine (the controller and
its pytest-xdist workers): request and token rate limits, and the session's spend.

Each piece is one small file under a session directory, updated under an exclusive
``flock``; the critical sections are a read and a write of a few bytes. No pytest import.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: limits hold per process only
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _read_float(fd: int) -> float:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 64)
    try:
        return float(raw.decode("ascii").strip() or 0.0)
    except (UnicodeDecodeError, ValueError):
        return 0.0  # a torn or foreign file: start afresh rather than fail the run


def _write_float(fd: int, value: float) -> None:
    data = repr(value).encode("ascii")
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)


class RateLimit:
    """At most ``per_minute`` units a minute, across processes, as evenly spaced
    reservations (a generic cell rate algorithm): each caller reserves the next free slot
    and waits until it comes."""

    def __init__(self, path: Path, per_minute: float, *, clock: Callable[[], float] = time.time):
        self.path = path
        self.interval = 60.0 / per_minute
        self._clock = clock

    def reserve(self, units: float = 1.0) -> float:
        """Seconds to wait before going ahead; the slot is taken."""
        with _locked(self.path) as fd:
            now = self._clock()
            start = max(_read_float(fd), now)
            _write_float(fd, start + units * self.interval)
        return start - now


class SpendLedger:
    """The session's spend in USD, summed across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, usd: float) -> float:
        with _locked(self.path) as fd:
            total = _read_float(fd) + usd
            _write_float(fd, total)
        return total

    def total(self) -> float:
        with _locked(self.path) as fd:
            return _read_float(fd)


class SessionShared:
    """The session directory: one file per limit and one for the spend."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def rate_limit(self, name: str, per_minute: float) -> RateLimit:
        return RateLimit(self.directory / f"rate-{name}", per_minute)

    def ledger(self) -> SpendLedger:
        return SpendLedger(self.directory / "spend")
