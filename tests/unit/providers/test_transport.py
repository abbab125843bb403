"""The HTTP/1.1 connection pool against real servers on 127.0.0.1 whose answers each test
scripts byte for byte: keep-alive, framing, encodings, servers that hang up, cancellation,
TLS."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_evals.providers.transport import ConnectionPool, TransportError, split_url

SECRET = "sk-test-DO-NOT-LEAK-51c0"


@dataclass
class Received:
    connection: int
    head: str
    body: bytes


@dataclass
class Reply:
    data: bytes = b""
    close: bool = False
    delay_s: float = 0.0


def ok(body: bytes = b'{"ok": true}', *headers: str) -> Reply:
    head = "".join(f"{h}\r\n" for h in headers)
    return Reply(f"HTTP/1.1 200 OK\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)


Script = Callable[[Received, int], Reply]


@dataclass
class ScriptedServer:
    """Answers the n-th request (counted from 0 over all connections) with ``script``."""

    script: Script
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    open_connections: int = 0
    most_open: int = 0
    closed_by_client: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    def tls(self) -> ssl.SSLContext | None:
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/chat/completions"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        self.open_connections += 1
        self.most_open = max(self.most_open, self.open_connections)
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.closed_by_client += 1
                    return
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                received = Received(number, head, await reader.readexactly(length))
                self.requests.append(received)
                reply = self.script(received, len(self.requests) - 1)
                await asyncio.sleep(reply.delay_s)
                writer.write(reply.data)
                await writer.drain()
                if reply.close:
                    return
        finally:
            self.open_connections -= 1
            writer.close()


def run(test: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(test())


async def post(pool: ConnectionPool, url: str, body: bytes = b"{}") -> Any:
    return await pool.request("POST", url, headers={"Content-Type": "application/json"}, body=body)


def test_requests_reuse_one_kept_alive_connection() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok(b"answer %d" % n)) as server:
            pool = ConnectionPool(max_connections=4)
            bodies = [(await post(pool, server.url, b'{"n": %d}' % i)).body for i in range(3)]
            await pool.aclose()
        assert bodies == [b"answer 0", b"answer 1", b"answer 2"]
        assert server.connections == 1
        assert [r.body for r in server.requests] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
        head = server.requests[0].head
        assert head.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
        assert f"host: 127.0.0.1:{server.port}\r\n" in head.lower()
        assert "content-length: 8\r\n" in head.lower()

    run(test)


def test_connections_are_bounded_and_each_carries_one_request_at_a_time() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(ok().data, delay_s=0.05)) as server:
            pool = ConnectionPool(max_connections=3)
            responses = await asyncio.gather(*(post(pool, server.url) for _ in range(12)))
            await pool.aclose()
        assert [r.status for r in responses] == [200] * 12
        assert server.connections == 3 and server.most_open == 3

    run(test)


def test_a_chunked_answer_is_put_together() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        b'5\r\n{"a":\r\n4\r\n 12}\r\n0\r\n\r\n'
    )

    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(chunked)) as server:
            pool = ConnectionPool(max_connections=1)
            first, second = await post(pool, server.url), await post(pool, server.url)
            await pool.aclose()
        assert first.body == second.body == b'{"a": 12}'
        assert first.headers["content-type"] == "application/json"
        assert server.connections == 1

    run(test)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_decoded(encoding: str) -> None:
    text = b'{"choices": []}' * 20
    packed = gzip.compress(text) if encoding == "gzip" else zlib.compress(text)

    async def test() -> None:
        reply = ok(packed, f"Content-Encoding: {encoding}")
        async with ScriptedServer(lambda r, n: reply) as server:
            pool = ConnectionPool(max_connections=1)
            response = await post(pool, server.url)
            await pool.aclose()
        assert response.body == text
        assert "accept-encoding: gzip, deflate\r\n" in server.requests[0].head.lower()

    run(test)


def test_an_unknown_content_encoding_is_an_error_naming_it() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok(b"???", "Content-Encoding: br")) as server:
            pool = ConnectionPool(max_connections=1)
            with pytest.raises(TransportError, match="unsupported Content-Encoding: br"):
                await post(pool, server.url)
            await pool.aclose()

    run(test)


def test_connection_close_from_the_server_means_a_new_connection_next() -> None:
    async def test() -> None:
        reply = Reply(ok(b"x", "Connection: close").data, close=True)
        async with ScriptedServer(lambda r, n: reply) as server:
            pool = ConnectionPool(max_connections=1)
            for _ in range(3):
                assert (await post(pool, server.url)).body == b"x"
            await pool.aclose()
        assert server.connections == 3

    run(test)


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def test() -> None:
        # The server hangs up after each answer without saying so in a header.
        async with ScriptedServer(lambda r, n: Reply(ok().data, close=True)) as server:
            pool = ConnectionPool(max_connections=1)
            await post(pool, server.url)
            await asyncio.sleep(0.05)  # the FIN arrives while the connection is idle
            assert (await post(pool, server.url)).status == 200
            await pool.aclose()
        assert server.connections == 2 and len(server.requests) == 2

    run(test)


def test_a_kept_alive_connection_dropped_under_a_request_is_retried_once_fresh() -> None:
    def script(received: Received, n: int) -> Reply:
        # The second request arrives on the old connection, which the server then drops
        # without a word (as servers do with connections they consider idle).
        return Reply(close=True) if n == 1 else ok(b"answer %d" % n)

    async def test() -> None:
        async with ScriptedServer(script) as server:
            pool = ConnectionPool(max_connections=1)
            await post(pool, server.url)
            assert (await post(pool, server.url)).body == b"answer 2"
            await pool.aclose()
        assert [r.connection for r in server.requests] == [0, 0, 1]

    run(test)


def test_a_fresh_connection_closed_without_an_answer_is_an_error() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(close=True)) as server:
            pool = ConnectionPool(max_connections=1)
            with pytest.raises(TransportError, match="closed the connection before answering"):
                await post(pool, server.url)
            await pool.aclose()
        assert len(server.requests) == 1  # not sent twice

    run(test)


def test_an_answer_cut_short_is_an_error_and_its_connection_is_dropped() -> None:
    def script(received: Received, n: int) -> Reply:
        if n == 0:
            return Reply(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"trunc', close=True)
        return ok()

    async def test() -> None:
        async with ScriptedServer(script) as server:
            pool = ConnectionPool(max_connections=1)
            with pytest.raises(TransportError, match="invalid HTTP from the server"):
                await post(pool, server.url)
            assert (await post(pool, server.url)).status == 200
            await pool.aclose()
        assert server.connections == 2 and len(server.requests) == 2

    run(test)


def test_a_request_cancelled_part_way_closes_its_connection() -> None:
    def slow_first(received: Received, n: int) -> Reply:
        return Reply(ok().data, delay_s=0.3 if n == 0 else 0)

    async def test() -> None:
        async with ScriptedServer(slow_first) as server:
            pool = ConnectionPool(max_connections=1)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(post(pool, server.url), 0.1)
            # Kept, the connection would hand its late answer to the next request.
            response = await post(pool, server.url)
            await asyncio.sleep(0.5)
            assert server.closed_by_client == 1  # the cut-short one, closed at once
            await pool.aclose()
        assert response.status == 200
        assert server.connections == 2

    run(test)


def test_a_refused_connection_names_the_address() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok()) as server:
            port = server.port
        pool = ConnectionPool(max_connections=1)
        with pytest.raises(TransportError, match=f"cannot connect to 127.0.0.1:{port}"):
            await post(pool, f"http://127.0.0.1:{port}/v1")

    run(test)


def test_an_invalid_header_value_is_refused_without_quoting_it() -> None:
    async def test() -> None:
        pool = ConnectionPool(max_connections=1)
        async with ScriptedServer(lambda r, n: ok()) as server:
            with pytest.raises(TransportError) as raised:
                await pool.request(
                    "POST", server.url, headers={"Authorization": f"Bearer {SECRET}\n"}, body=b""
                )
        assert SECRET not in str(raised.value)
        assert "header" in str(raised.value)
        assert server.requests == []

    run(test)


def test_urls_give_the_origin_and_request_target() -> None:
    origin, target = split_url("https://api.example.com/v1/chat/completions?api-version=2")
    assert (origin.scheme, origin.host, origin.port) == ("https", "api.example.com", 443)
    assert origin.host_header == "api.example.com"
    assert target == "/v1/chat/completions?api-version=2"
    origin, target = split_url("http://[::1]:8080")
    assert origin.host_header == "[::1]:8080" and target == "/"
    with pytest.raises(TransportError, match="not an http"):
        split_url("ftp://example.com/")


class _TLSServer(ScriptedServer):
    context: ssl.SSLContext | None = None

    def tls(self) -> ssl.SSLContext | None:
        return self.context


def test_https_with_a_trusted_certificate_and_refusal_of_an_untrusted_one() -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)

    def trusting() -> ssl.SSLContext:
        context = ssl.create_default_context()
        authority.configure_trust(context)
        return context

    async def test() -> None:
        server = _TLSServer(lambda r, n: ok(b"secure"))
        server.context = served
        async with server:
            url = f"https://127.0.0.1:{server.port}/v1/chat/completions"
            pool = ConnectionPool(max_connections=1, ssl_context=trusting)
            assert [(await post(pool, url)).body for _ in range(2)] == [b"secure", b"secure"]
            await pool.aclose()
            untrusting = ConnectionPool(max_connections=1)
            with pytest.raises(TransportError, match=r"TLS with 127\.0\.0\.1.*certificate"):
                await post(untrusting, url)
        assert server.connections == 1  # kept alive; the refused handshake never got served

    run(test)
