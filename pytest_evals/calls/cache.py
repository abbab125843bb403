"""The on-disk response cache: one small JSON file per response, keyed by everything that
determines the response and never by the API key. No pytest import.

Several pytest-xdist workers may read and write the same cache at once: entries are written
to a temporary file and renamed into place, so a reader sees a whole entry or none. A corrupt
entry is a miss (and a warning), never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ..values import canonical_json

CacheMode = Literal["on", "off", "refresh", "replay"]
CACHE_MODES: tuple[CacheMode, ...] = ("on", "off", "refresh", "replay")
_FORMAT = 1


class EvalsCacheWarning(UserWarning):
    """The response cache could not be read or written; the run goes on without it."""


def warn_cache(message: str) -> None:
    # Located at the cache, not at our code: the user's fix is there.
    warnings.warn_explicit(message, EvalsCacheWarning, filename="pytest-evals cache", lineno=0)
    logging.getLogger(__name__).warning("%s", message)


@dataclass(frozen=True)
class CachedResponse:
    """A response as first received, with what the original call measured."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str | None
    latency_ms: float | None
    cost: float | None


def cache_key(material: Mapping[str, Any]) -> str:
    """A stable digest of the request: provider, base URL, model, messages, parameters.
    The caller must leave credentials out of ``material``."""
    canonical = canonical_json({"format": _FORMAT, **material})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def mode_reads(mode: CacheMode) -> bool:
    return mode in ("on", "replay")


def mode_writes(mode: CacheMode) -> bool:
    return mode in ("on", "refresh")


class ResponseCache:
    """Files under ``root/<2 hex>/<key>.json``."""

    def __init__(self, root: Path, *, warn: Callable[[str], None]) -> None:
        self.root = root
        self._warn = warn
        self._writable = True

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedResponse | None:
        path = self._path(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn(f"response cache: cannot read {path}: {exc.strerror}; calling the model")
            return None
        try:
            data = json.loads(raw)
            return CachedResponse(
                text=str(data["text"]),
                prompt_tokens=_optional_int(data.get("prompt_tokens")),
                completion_tokens=_optional_int(data.get("completion_tokens")),
                model=data.get("model"),
                latency_ms=_optional_float(data.get("latency_ms")),
                cost=_optional_float(data.get("cost")),
            )
        except (ValueError, KeyError, TypeError):
            self._warn(f"response cache: {path} is corrupt; ignoring it and calling the model")
            return None

    def put(self, key: str, response: CachedResponse) -> None:
        if not self._writable:
            return
        try:
            self._write(key, response)
        except OSError as exc:
            # A broken cache must not break the evals: one warning, then a fresh folder for
            # the rest of the session (or, if even that fails, no caching).
            broken = self.root
            try:
                self.root = Path(tempfile.mkdtemp(prefix="pytest-evals-cache-"))
                self._write(key, response)
            except OSError:
                self._writable = False
                self._warn(f"response cache: cannot write under {broken}: {exc}; not caching")
                return
            self._warn(
                f"response cache: cannot write under {broken}: {exc}; caching in a fresh "
                f"folder, {self.root}, for this session"
            )

    def _write(self, key: str, response: CachedResponse) -> None:
        """Whole or not at all: a temporary file renamed into place."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": _FORMAT, **asdict(response)}, handle, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int, got {value!r}")
    return value


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
