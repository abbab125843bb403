"""A connection's HTTP client (httpx) against real servers on 127.0.0.1 whose answers each
test scripts byte for byte: keep-alive, encodings, bounded answers and decompression bombs,
refused connections, TLS with a private CA, forward and CONNECT proxies."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_evals.providers.transport import HTTPClient, TransportError, TransportOptions

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


def client(**options: Any) -> HTTPClient:
    return HTTPClient(TransportOptions(**options), environ={})


async def post(http: HTTPClient, url: str, body: bytes = b"{}") -> Any:
    return await http.post(url, headers={"Content-Type": "application/json"}, body=body)


def test_requests_reuse_one_kept_alive_connection() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok(b"answer %d" % n)) as server:
            http = client(max_connections=4)
            bodies = [(await post(http, server.url, b'{"n": %d}' % i)).body for i in range(3)]
            await http.aclose()
        assert bodies == [b"answer 0", b"answer 1", b"answer 2"]
        assert server.connections == 1
        assert [r.body for r in server.requests] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
        assert server.requests[0].head.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
        assert "user-agent: pytest-evals\r\n" in server.requests[0].head.lower()

    run(test)


def test_connections_are_bounded() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(ok().data, delay_s=0.05)) as server:
            http = client(max_connections=3)
            responses = await asyncio.gather(*(post(http, server.url) for _ in range(12)))
            await http.aclose()
        assert [r.status for r in responses] == [200] * 12
        assert server.connections == 3 and server.most_open == 3

    run(test)


def test_connections_are_bounded_across_the_pools_a_large_limit_is_spread_over() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(ok().data, delay_s=0.05)) as server:
            http = client(max_connections=10)
            responses = await asyncio.gather(*(post(http, server.url) for _ in range(60)))
            again = await asyncio.gather(*(post(http, server.url) for _ in range(10)))
            await http.aclose()
        assert [r.status for r in responses + again] == [200] * 70
        # All ten used at once, and kept alive for the next calls rather than reopened.
        assert server.most_open == 10 and server.connections == 10

    run(test)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_decoded(encoding: str) -> None:
    text = b'{"choices": []}' * 20
    packed = gzip.compress(text) if encoding == "gzip" else zlib.compress(text)

    async def test() -> None:
        async with ScriptedServer(
            lambda r, n: ok(packed, f"Content-Encoding: {encoding}")
        ) as server:
            http = client()
            response = await post(http, server.url)
            await http.aclose()
        assert response.body == text

    run(test)


def test_an_answer_over_the_limit_is_an_error_whether_announced_or_not() -> None:
    big = b"x" * 5000
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"3e8\r\n" + b"y" * 1000 + b"\r\n" for _ in range(5))
        + b"0\r\n\r\n"
    )

    async def test() -> None:
        for reply in (ok(big), Reply(chunked)):
            async with ScriptedServer(lambda r, n, reply=reply: reply) as server:
                http = client(max_response_bytes=4096)
                with pytest.raises(TransportError, match="over max_response_bytes") as raised:
                    await post(http, server.url)
                await http.aclose()
            assert not raised.value.retryable

    run(test)


def test_a_decompression_bomb_is_cut_off_as_it_expands() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB

    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok(bomb, "Content-Encoding: gzip")) as server:
            http = client(max_response_bytes=1024 * 1024)
            with pytest.raises(TransportError, match="over max_response_bytes"):
                await post(http, server.url)
            await http.aclose()

    run(test)


def test_a_refused_connection_names_the_address_and_is_a_connection_failure() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok()) as server:
            port = server.port
        http = client()
        with pytest.raises(TransportError, match=f"cannot connect to 127.0.0.1:{port}") as raised:
            await post(http, f"http://127.0.0.1:{port}/v1")
        assert raised.value.connect and raised.value.retryable

    run(test)


def test_a_server_that_hangs_up_without_answering_is_a_retryable_error() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: Reply(close=True)) as server:
            http = client()
            with pytest.raises(TransportError) as raised:
                await post(http, server.url)
            await http.aclose()
        assert raised.value.retryable and not raised.value.connect
        assert len(server.requests) == 1  # not sent twice behind the engine's back

    run(test)


def test_an_invalid_header_value_is_refused_without_quoting_it() -> None:
    async def test() -> None:
        http = client()
        async with ScriptedServer(lambda r, n: ok()) as server:
            with pytest.raises(TransportError) as raised:
                await http.post(
                    server.url, headers={"Authorization": f"Bearer {SECRET}\n"}, body=b""
                )
            await http.aclose()
        assert SECRET not in str(raised.value)
        assert server.requests == []

    run(test)


class _TLSServer(ScriptedServer):
    context: ssl.SSLContext | None = None

    def tls(self) -> ssl.SSLContext | None:
        return self.context


@pytest.fixture
def authority() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def _tls_server(authority: Any, script: Script) -> _TLSServer:
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)
    server = _TLSServer(script)
    server.context = served
    return server


def test_https_with_a_private_ca_through_ca_bundle_or_ssl_cert_file(
    authority: Any, tmp_path: Any
) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))

    async def test() -> None:
        async with _tls_server(authority, lambda r, n: ok(b"secure")) as server:
            url = f"https://127.0.0.1:{server.port}/v1/chat/completions"
            for http in (
                HTTPClient(TransportOptions(ca_bundle=bundle), environ={}),
                HTTPClient(TransportOptions(), environ={"SSL_CERT_FILE": str(bundle)}),
            ):
                assert (await post(http, url)).body == b"secure"
                await http.aclose()
            untrusting = client()
            with pytest.raises(TransportError, match="ca_bundle, or SSL_CERT_FILE") as raised:
                await post(untrusting, url)
            await untrusting.aclose()
        assert not raised.value.retryable and raised.value.connect

    run(test)


def test_a_client_certificate_for_a_server_that_asks_for_one(authority: Any, tmp_path: Any) -> None:
    bundle, cert, key = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    authority.cert_pem.write_to_path(str(bundle))
    issued = authority.issue_cert("evals-client@example.org")
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))

    async def test() -> None:
        server = _tls_server(authority, lambda r, n: ok(b"known client"))
        assert server.context is not None
        server.context.verify_mode = ssl.CERT_REQUIRED
        authority.configure_trust(server.context)
        async with server:
            url = f"https://127.0.0.1:{server.port}/v1/chat/completions"
            known = client(ca_bundle=bundle, client_cert=cert, client_key=key)
            assert (await post(known, url)).body == b"known client"
            await known.aclose()
            stranger = client(ca_bundle=bundle)
            with pytest.raises(TransportError) as refused:
                await post(stranger, url)
            await stranger.aclose()
        # The server's refusal, as a reset connection, named; never a bare "ReadError".
        assert len(server.requests) == 1
        assert f"127.0.0.1:{server.port}: ReadError: " in refused.value.message

    run(test)


def test_an_unreadable_client_certificate_is_one_clear_error(tmp_path: Any) -> None:
    missing = tmp_path / "nowhere.pem"

    async def test() -> None:
        http = client(client_cert=missing)
        with pytest.raises(TransportError, match="cannot set up TLS") as raised:
            await post(http, "https://127.0.0.1:9/v1/chat/completions")
        await http.aclose()
        assert not raised.value.retryable

    run(test)


@dataclass
class ForwardProxy:
    """An HTTP proxy: forwards absolute-URI requests, tunnels CONNECT; notes each request
    line it is sent."""

    seen: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        line, _, rest = head.partition(b"\r\n")
        method, target, version = line.decode().split(" ")
        self.seen.append(f"{method} {target}")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
            up_writer.write(f"{method} {parts.path} {version}\r\n".encode() + rest)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        sink.close()


def test_calls_go_through_the_environments_proxy_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def test() -> list[list[str]]:
        seen = []
        upstream = ScriptedServer(lambda r, n: Reply(ok(b"via").data, close=True))
        async with upstream as server, ForwardProxy() as proxy:
            for no_proxy in ("", "127.0.0.1"):
                monkeypatch.setenv("HTTP_PROXY", proxy.url)
                monkeypatch.setenv("NO_PROXY", no_proxy)
                http = HTTPClient(TransportOptions())
                assert (await post(http, server.url)).body == b"via"
                await http.aclose()
                seen.append(list(proxy.seen))
                proxy.seen.clear()
        return seen

    through, around = run(test)
    assert len(through) == 1 and through[0].startswith("POST http://127.0.0.1:")
    assert around == []


def test_a_connections_proxy_overrides_the_environment_and_empty_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there

    async def test() -> tuple[int, int]:
        upstream = ScriptedServer(lambda r, n: Reply(ok(b"x").data, close=True))
        async with upstream as server, ForwardProxy() as proxy:
            http = HTTPClient(TransportOptions(proxy=proxy.url))
            await post(http, server.url)
            await http.aclose()
            direct = HTTPClient(TransportOptions(proxy=""))
            await post(direct, server.url)
            await direct.aclose()
            return len(proxy.seen), len(server.requests)

    assert run(test) == (1, 2)


def test_https_goes_through_a_connect_tunnel(authority: Any, tmp_path: Any) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))

    async def test() -> list[str]:
        upstream = _tls_server(authority, lambda r, n: ok(b"tunnelled"))
        async with upstream as server, ForwardProxy() as proxy:
            http = HTTPClient(TransportOptions(proxy=proxy.url, ca_bundle=bundle), environ={})
            url = f"https://127.0.0.1:{server.port}/v1/chat/completions"
            assert (await post(http, url)).body == b"tunnelled"
            await http.aclose()
            return proxy.seen

    (line,) = run(test)
    assert line.startswith("CONNECT 127.0.0.1:")


def test_a_dead_proxy_is_an_error_that_says_proxy() -> None:
    async def test() -> None:
        async with ScriptedServer(lambda r, n: ok()) as server:
            http = HTTPClient(TransportOptions(proxy="http://user:pw@127.0.0.1:9"), environ={})
            with pytest.raises(TransportError, match=r"proxy http://127\.0\.0\.1:9") as raised:
                await post(http, server.url)
            await http.aclose()
        assert raised.value.connect and "pw" not in raised.value.message
        assert server.requests == []

    run(test)


def test_http2_when_the_extra_is_installed(authority: Any, tmp_path: Any) -> None:
    pytest.importorskip("h2")
    hypercorn_asyncio = pytest.importorskip("hypercorn.asyncio")
    from hypercorn.config import Config

    certificate = authority.issue_cert("127.0.0.1")
    certificate.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    versions: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        versions.append(scope["http_version"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"h2"})

    async def test() -> bytes:
        import socket

        with socket.socket() as probe:  # a free port for the server to bind
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.certfile = config.keyfile = str(tmp_path / "server.pem")
        stop = asyncio.Event()
        server = asyncio.create_task(
            hypercorn_asyncio.serve(app, config, shutdown_trigger=stop.wait)
        )
        for _ in range(100):
            await asyncio.sleep(0.02)
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            writer.close()
            break
        http = HTTPClient(TransportOptions(http2=True, ca_bundle=bundle), environ={})
        body = (await post(http, f"https://127.0.0.1:{port}/v1/chat/completions")).body
        await http.aclose()
        stop.set()
        await server
        return bytes(body)

    assert run(test) == b"h2"
    assert versions == ["2"]
