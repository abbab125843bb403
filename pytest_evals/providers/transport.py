"""HTTP for the providers: httpx transports for each connection, and their failures turned
into ``TransportError`` with a message safe to show. No pytest import.

httpx brings what a team's network needs and a hand-written client lacked: ``HTTP(S)_PROXY``,
``ALL_PROXY`` and ``NO_PROXY`` (read as httpx's ``trust_env`` reads them), CONNECT tunnels
to HTTPS hosts, happy eyeballs, keep-alive with an idle expiry, HTTP/2 with the ``h2``
extra. The TLS context is built here: the environment's ``SSL_CERT_FILE``/``SSL_CERT_DIR``
(or certifi's bundle), plus a connection's ``ca_bundle`` and client certificate.

Deadlines are the engine's (``asyncio.wait_for`` around each attempt): httpx sets none of
its own. Answers are read as a stream and cut off at ``max_response_bytes`` of decoded
body, so neither a huge answer nor a decompression bomb can take the process's memory.
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

USER_AGENT = "pytest-evals"
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
KEEPALIVE_EXPIRY_S = 5.0
"""Idle connections are closed after this long: before most servers drop them unasked."""
_DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}


class TransportError(Exception):
    """The request could not be sent or its answer not read. ``connect``: no connection
    could be made at all (refused, no such host, a proxy or TLS handshake that failed):
    the kind of failure that says a connection is down."""

    def __init__(self, message: str, *, retryable: bool = True, connect: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.connect = connect


@dataclass(frozen=True)
class HTTPResponse:
    status: int
    headers: Mapping[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    body: bytes


@dataclass(frozen=True)
class TransportOptions:
    max_connections: int = 16
    proxy: str | None = None
    """A proxy URL for every call of the connection; None: the environment's; "": none."""
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    http2: bool = False
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


def tls_context(options: TransportOptions, environ: Mapping[str, str]) -> ssl.SSLContext:
    """The CAs every httpx-based tool trusts (``SSL_CERT_FILE``/``SSL_CERT_DIR``, else
    certifi's), the connection's ``ca_bundle`` besides them, and its client certificate."""
    cafile, capath = environ.get("SSL_CERT_FILE") or None, environ.get("SSL_CERT_DIR") or None
    try:
        if cafile or capath:
            context = ssl.create_default_context(cafile=cafile, capath=capath)
        else:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
        if options.ca_bundle is not None:
            context.load_verify_locations(cafile=str(options.ca_bundle))
        if options.client_cert is not None:
            context.load_cert_chain(
                str(options.client_cert),
                None if options.client_key is None else str(options.client_key),
            )
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(f"cannot set up TLS: {exc}", retryable=False) from None
    if options.http2:
        context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def proxy_for(url: str, options: TransportOptions, environ: Mapping[str, str]) -> str | None:
    """The proxy a call to ``url`` goes through, as httpx picks it: the connection's
    ``proxy``, else the environment's for the URL's scheme (or ``ALL_PROXY``) unless
    ``NO_PROXY`` names the host."""
    if options.proxy is not None:
        return options.proxy or None
    proxies = {
        name.lower()[: -len("_proxy")]: value
        for name, value in environ.items()
        if name.lower().endswith("_proxy") and value
    }
    parts = urlsplit(url)
    chosen = proxies.get(parts.scheme) or proxies.get("all")
    if not chosen:
        return None
    if "no" in proxies and urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        parts.hostname or "", proxies
    ):
        return None
    return chosen


def shown_proxy(proxy: str) -> str:
    """A proxy URL without its credentials (``http://user:secret@host``)."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


CONNECTIONS_PER_POOL = 4
"""httpcore's pool walks all its connections (a socket check each) on every request and
every answer: over a few dozen connections that walk costs more than the call itself. A
connection's calls are spread over pools of at most this many connections instead."""


class _Route:
    """The pools of the calls that go one way (straight, or through one proxy)."""

    def __init__(self, pools: list[httpx.AsyncHTTPTransport]) -> None:
        self.pools = pools
        self.in_flight = [0] * len(pools)

    def pick(self) -> int:
        """The pool with the fewest calls in flight, the first of those: while few calls
        are in flight they gather on the first pools' warm connections."""
        return self.in_flight.index(min(self.in_flight))


class HTTPClient:
    """POSTs to one connection's URLs. Used on one event loop: the pools are made there, on
    the first call of each route.

    Calls go straight to httpx's transports, not through an ``httpx.AsyncClient``: the
    client's per-request work (URL merging, cookies, auth and redirect flows, event hooks)
    took a third of each call's CPU, and nothing here uses it. What the client's
    ``trust_env`` adds, the environment's proxies, ``proxy_for`` picks the same way."""

    def __init__(self, options: TransportOptions, environ: Mapping[str, str] | None = None):
        self.options = options
        self._environ = os.environ if environ is None else environ
        self._routes: dict[tuple[str, str | None], _Route] = {}
        self._by_url: dict[str, tuple[httpx.URL, _Route]] = {}
        self._tls: dict[bool, ssl.SSLContext] = {}

    def _route(self, url: str) -> tuple[httpx.URL, _Route]:
        known = self._by_url.get(url)
        if known is None:
            # The URL is parsed and the environment read once per URL, not once per call.
            parsed = httpx.URL(url)
            proxy = proxy_for(url, self.options, self._environ)
            route = self._routes.get((parsed.scheme, proxy))
            if route is None:
                route = _Route(self._pools(parsed.scheme, proxy))
                self._routes[parsed.scheme, proxy] = route
            known = self._by_url[url] = (parsed, route)
        return known

    def _verify(self, speaks_tls: bool) -> ssl.SSLContext:
        # Building a TLS context loads a CA bundle (a tenth of a second on a slow machine):
        # only once, and only when TLS is spoken. A bare context still verifies, trusting
        # nothing, should TLS ever be asked for where it wasn't expected.
        context = self._tls.get(speaks_tls)
        if context is None:
            context = self._tls[speaks_tls] = (
                tls_context(self.options, self._environ)
                if speaks_tls
                else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            )
        return context

    def _pools(self, scheme: str, proxy: str | None) -> list[httpx.AsyncHTTPTransport]:
        options = self.options
        size = max(options.max_connections, 1)
        sizes = [CONNECTIONS_PER_POOL] * (size // CONNECTIONS_PER_POOL)
        if size % CONNECTIONS_PER_POOL:
            sizes.append(size % CONNECTIONS_PER_POOL)
        verify = self._verify(scheme == "https" or (proxy or "").startswith("https:"))
        try:
            return [
                httpx.AsyncHTTPTransport(
                    verify=verify,
                    http2=options.http2,
                    limits=httpx.Limits(
                        max_connections=pool_size,
                        max_keepalive_connections=pool_size,
                        keepalive_expiry=KEEPALIVE_EXPIRY_S,
                    ),
                    proxy=proxy,
                )
                for pool_size in sizes
            ]
        except ImportError as exc:
            if options.http2 and "h2" in str(exc):
                needs = 'http2 = true needs the h2 package: pip install "pytest-evals[http2]"'
            else:
                needs = f"the proxy {shown_proxy(proxy or '')} needs a package: {exc}"
            raise TransportError(needs, retryable=False) from None

    async def post(self, url: str, *, headers: Mapping[str, str], body: bytes) -> HTTPResponse:
        """Send one request and read its whole answer (at most ``max_response_bytes``)."""
        limit = self.options.max_response_bytes
        route: _Route | None = None
        chosen = 0
        try:
            parsed, route = self._route(url)
            request = httpx.Request(
                "POST", parsed, headers={**_DEFAULT_HEADERS, **headers}, content=body
            )
            chosen = route.pick()
            route.in_flight[chosen] += 1
            answer = await route.pools[chosen].handle_async_request(request)
            try:
                declared = answer.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _too_large(limit, f"it announces {int(declared):,} bytes")
                chunks: list[bytes] = []
                size = 0
                # Decoded bytes are counted: a gzip bomb is cut off as it expands.
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(limit, "it is larger")
                    chunks.append(chunk)
                return HTTPResponse(answer.status_code, dict(answer.headers), b"".join(chunks))
            finally:
                await answer.aclose()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._explained(exc, url) from None
        finally:
            if route is not None:
                route.in_flight[chosen] -= 1

    def _explained(self, exc: httpx.HTTPError | httpx.InvalidURL, url: str) -> TransportError:
        parts = urlsplit(url)
        where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        reason = _reason(exc)
        proxy = proxy_for(url, self.options, self._environ)
        if isinstance(exc, httpx.ProxyError):
            return TransportError(
                f"the proxy {shown_proxy(proxy or '')} refused the call: {reason}", connect=True
            )
        if isinstance(exc, httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
                return TransportError(
                    f"TLS with {where} failed: {reason} (trust the CA that signed the server's "
                    "certificate with the connection's ca_bundle, or SSL_CERT_FILE)",
                    retryable=False,
                    connect=True,
                )
            if proxy is not None:
                return TransportError(
                    f"cannot connect to {where} through the proxy {shown_proxy(proxy)}: {reason}",
                    connect=True,
                )
            return TransportError(f"cannot connect to {where}: {reason}", connect=True)
        if isinstance(exc, httpx.LocalProtocolError):
            # The library's text may quote the offending value, which may be a key.
            return TransportError(
                "a request header's name or value is not valid HTTP", retryable=False
            )
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return TransportError(f"cannot call {url}: {reason}", retryable=False)
        if isinstance(exc, httpx.DecodingError):
            return TransportError(f"cannot decode the answer of {where}: {reason}")
        if isinstance(exc, httpx.RemoteProtocolError):
            return TransportError(f"invalid HTTP from {where}: {reason}")
        return TransportError(f"connection error with {where}: {reason}")

    async def aclose(self) -> None:
        routes, self._routes, self._by_url = self._routes, {}, {}
        for route in routes.values():
            for pool in route.pools:
                await pool.aclose()


def _reason(exc: BaseException) -> str:
    """The first words down the exception's chain: httpx's ``ReadError`` often has none of
    its own, where the cause underneath says "Connection reset by peer"."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        text = seen.strerror if isinstance(seen, OSError) and seen.strerror else str(seen)
        if text:
            return text if seen is exc else f"{type(exc).__name__}: {text}"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def _too_large(limit: int, how: str) -> TransportError:
    return TransportError(
        f"the answer is over max_response_bytes ({limit:,} bytes): {how}; raise the "
        "connection's max_response_bytes if it is meant to be",
        retryable=False,
    )
