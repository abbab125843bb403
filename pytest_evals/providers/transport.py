"""HTTP/1.1 over asyncio with keep-alive: h11 parses and frames the messages, asyncio's
transports carry them (TLS included). No pytest import.

A model call spends ~100 ms waiting and should spend next to nothing of the process's CPU:
on a 2-core machine running pytest-xdist workers, CPU per call decides how many calls a
process keeps in flight. httpx's transport costs ~1.6 ms of CPU per call (anyio streams,
cancel scopes and pool bookkeeping on every read and write); h11 on an asyncio protocol
~0.2 ms, with the same HTTP/1.1 state machine httpx itself runs on (benchmarks/README.md).

Deadlines are the caller's: the engine bounds each attempt with ``asyncio.wait_for``, and a
request that is cancelled part-way closes its connection instead of returning it.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

USER_AGENT = "pytest-evals"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TransportError(Exception):
    """The request could not be sent or its answer not read (connection refused or reset,
    broken HTTP, an undecodable body). Worth trying again."""


class _Unanswered(TransportError):
    """The server closed the connection before a byte of the answer arrived."""


@dataclass(frozen=True)
class HTTPResponse:
    status: int
    headers: Mapping[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    body: bytes


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


# A provider posts to one URL over and over: parse it once.
@functools.lru_cache(maxsize=64)
def split_url(url: str) -> tuple[Origin, str]:
    """The origin and the request target (path and query) of an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise TransportError(f"not an http(s) URL: {url!r}")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise TransportError(f"bad port in {url!r}: {exc}") from None
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Origin(parts.scheme, parts.hostname, port), target


class _Inbox(asyncio.Protocol):
    """Buffers what the server sends until the connection's reader takes it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: list[bytes] = []
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read(self) -> bytes:
        """What has arrived, waiting for something; ``b""`` once the server has closed."""
        while not self.chunks and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


class _Connection:
    """One keep-alive connection: one request at a time."""

    def __init__(self, inbox: _Inbox) -> None:
        self._inbox = inbox
        self._h11 = h11.Connection(our_role=h11.CLIENT)

    @property
    def reusable(self) -> bool:
        # The server may have closed an idle connection (or sent stray bytes) since.
        return self._h11.our_state is h11.IDLE and not self._inbox.closed and not self._inbox.chunks

    def close(self) -> None:
        if self._inbox.transport is not None:
            self._inbox.transport.close()

    async def request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[HTTPResponse, bool]:
        """The response, and whether the connection can carry another request."""
        transport = self._inbox.transport
        assert transport is not None
        connection = self._h11
        try:
            message = b"".join(
                connection.send(event) or b""
                for event in (
                    h11.Request(method=method, target=target, headers=headers),
                    h11.Data(data=body),
                    h11.EndOfMessage(),
                )
            )
        except h11.LocalProtocolError:
            # h11's own text quotes the offending value, which may be a key.
            raise TransportError("a request header's name or value is not valid HTTP") from None
        transport.write(message)
        try:
            status, response_headers, parts = await self._read_response()
        except h11.RemoteProtocolError as exc:
            raise TransportError(f"invalid HTTP from the server: {exc}") from None
        keep = connection.our_state is h11.DONE and connection.their_state is h11.DONE
        if keep:
            connection.start_next_cycle()
        decoded = _decode(b"".join(parts), response_headers.get("content-encoding", ""))
        return HTTPResponse(status, response_headers, decoded), keep

    async def _read_response(self) -> tuple[int, dict[str, str], list[bytes]]:
        status = 0
        headers: dict[str, str] = {}
        parts: list[bytes] = []
        connection = self._h11
        answered = False
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                data = await self._inbox.read()
                if not data and not answered:
                    raise _Unanswered("the server closed the connection before answering")
                answered = True
                connection.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, headers, parts
            elif isinstance(event, h11.ConnectionClosed):
                raise TransportError("the server closed the connection mid-answer")
            # InformationalResponse (100 Continue and the like): keep reading.


def _decode(body: bytes, encoding: str) -> bytes:
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise TransportError(f"the server sent an unsupported Content-Encoding: {encoding}")
    try:
        # wbits 47: gzip or zlib, told apart by the header; deflate may also come raw.
        return zlib.decompress(body, 47 if coding != "deflate" else zlib.MAX_WBITS)
    except zlib.error:
        try:
            return zlib.decompress(body, -zlib.MAX_WBITS)
        except zlib.error as exc:
            raise TransportError(f"cannot decode the {coding} body: {exc}") from None


async def _exchange(
    connection: _Connection, method: str, target: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[HTTPResponse, bool]:
    try:
        return await connection.request(method, target, headers, body)
    except BaseException:
        # Failed, cancelled or timed out part-way: what the connection holds is unknown.
        connection.close()
        raise


class ConnectionPool:
    """Up to ``max_connections`` keep-alive connections to each origin, shared by the calls
    of one event loop. Create and use it inside that loop."""

    def __init__(
        self,
        *,
        max_connections: int,
        ssl_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
    ) -> None:
        self._slots = asyncio.Semaphore(max(max_connections, 1))
        self._idle: dict[Origin, list[_Connection]] = {}
        self._make_ssl_context = ssl_context
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    def _tls(self) -> ssl.SSLContext:
        # Building a context loads the CA bundle (tens of milliseconds): once per pool.
        if self._ssl is None:
            self._ssl = self._make_ssl_context()
        return self._ssl

    async def _connect(self, origin: Origin) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = self._tls() if origin.scheme == "https" else None
        try:
            _, inbox = await loop.create_connection(
                _Inbox, origin.host, origin.port, ssl=tls,
                server_hostname=origin.host if tls is not None else None,
            )  # fmt: skip
        except ssl.SSLError as exc:
            raise TransportError(f"TLS with {origin.host}:{origin.port} failed: {exc}") from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise TransportError(
                f"cannot connect to {origin.host}:{origin.port}: {reason}"
            ) from None
        return _Connection(inbox)

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()  # the most recently used is the least likely to be stale
            if connection.reusable:
                return connection
            connection.close()
        return None

    async def request(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes = b""
    ) -> HTTPResponse:
        """Send one request and read its whole answer."""
        if self._closed:
            raise TransportError("the connection pool is closed")
        origin, target = split_url(url)
        sent = [
            ("Host", origin.host_header),
            ("User-Agent", USER_AGENT),
            ("Accept-Encoding", "gzip, deflate"),
            *headers.items(),
            ("Content-Length", str(len(body))),
        ]
        async with self._slots:
            connection = self._take_idle(origin)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(origin)
            try:
                response, keep = await _exchange(connection, method, target, sent, body)
            except _Unanswered:
                if not reused:
                    raise
                # Servers drop idle keep-alive connections on their own schedule, and one
                # may close as the request goes out: it goes once more on a fresh one.
                connection = await self._connect(origin)
                response, keep = await _exchange(connection, method, target, sent, body)
            if keep and not self._closed:
                self._idle.setdefault(origin, []).append(connection)
            else:
                connection.close()
            return response

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
