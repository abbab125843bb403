"""Fixtures shared by the whole suite."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# httpx's network stack imports parts of itself on first use (anyio's asyncio backend,
# httpcore's). pytester's in-process runs remove what a run imported, so a later run would
# import fresh copies whose exception classes the copies kept by this process don't know
# (a ConnectError that no `except httpx.HTTPError` catches). Imported here, they stay one.
# cryptography (under trustme) the same way: a copy imported afresh after a pytester test
# tore the first out no longer knows the curve classes its compiled core returns.
import anyio._backends._asyncio  # noqa: F401
import httpcore._backends.anyio  # noqa: F401
import httpx  # noqa: F401
import pytest

with contextlib.suppress(ImportError):  # a test dependency: absent for the examples alone
    import trustme  # noqa: F401

from .fakeserver import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started OpenAI-compatible server on 127.0.0.1, answering by echo."""
    with FakeOpenAI() as server:
        yield server
