"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for the tests, with
latency and fault injection. Standard library only, so it also runs on its own:

    python -m tests.fakeserver --port 8080 --latency 0.1 --answers docs/live-example/answers.jsonl

It answers ``POST /v1/chat/completions`` from a table of prompts (the last user message),
echoing anything else, and ``POST /v1/embeddings`` with vectors that depend on the text
only (``embedding_of``). Faults are queued for the next requests (``fail_next``) or drawn at
random with a seed (``fault_rates``):

- ``"429"``: Too Many Requests with ``Retry-After``;
- ``"500"``: an internal error;
- ``"malformed"``: status 200 and a truncated JSON body;
- ``"hang"``: no answer for ``hang_s`` seconds (longer than any client timeout in the tests).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FAULTS = ("429", "500", "malformed", "hang")
ANSWERED_FAULTS = ("429", "500", "hang")
Answer = Callable[[list[dict[str, Any]], dict[str, Any]], str]


class _QuietServer(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections when a test opens dozens at once,
    # and the client's SYN retry then adds a second to the measured wall time.
    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up mid-answer are what the tests are about.
        return


class FakeOpenAI:
    """Start with ``with FakeOpenAI(...) as server:``; point clients at ``server.base_url``."""

    def __init__(
        self,
        *,
        answers: Mapping[str, str] | None = None,
        answer: Answer | None = None,
        latency_s: float = 0.0,
        retry_after_s: float = 0.1,
        hang_s: float = 30.0,
        fault_rates: Mapping[str, float] | None = None,
        seed: int = 0,
        require_key: str | None = None,
        echo_key_in_errors: bool = False,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: serve HTTPS with this server-side context (``base_url`` says https)."""
        self.answers = dict(answers or {})
        self.answer = answer
        self.latency_s = latency_s
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.fault_rates = dict(fault_rates or {})
        self.require_key = require_key
        self.echo_key_in_errors = echo_key_in_errors
        self.requests: list[dict[str, Any]] = []
        self.faults_served: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queued: deque[str] = deque()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self.scheme = "http" if tls is None else "https"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def fail_next(self, count: int, kind: str) -> None:
        """The next ``count`` requests get fault ``kind``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {FAULTS}")
        with self._lock:
            self._queued.extend([kind] * count)

    def start(self) -> FakeOpenAI:
        # A short poll interval keeps close() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- behaviour ----------------------------------------------------------------------------

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._queued:
                return self._queued.popleft()
            # One draw per request, fault kinds in bands: the k-th request gets the same
            # fault on every run, whatever the concurrency.
            draw = self._random.random()
            for kind, rate in self.fault_rates.items():
                if draw < rate:
                    return kind
                draw -= rate
        return None

    def reply_text(self, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        if self.answer is not None:
            return self.answer(messages, body)
        user = [m for m in messages if m.get("role") == "user"]
        prompt = str(user[-1].get("content", "")) if user else ""
        return self.answers.get(prompt.strip(), prompt)

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record(self, body: Any, headers: Mapping[str, str]) -> None:
        with self._lock:
            self.requests.append({"body": body, "headers": dict(headers), "at": time.time()})


def _words(text: str) -> int:
    return max(1, len(text.split()))


EMBEDDING_DIMENSIONS = 64
_VECTOR = re.compile(r"^VEC(\[[-0-9., e]*\])$")


def embedding_of(text: str) -> list[float]:
    """``VEC[1, 0, 2]`` is that vector, padded with zeros (so a test knows every cosine);
    any other text its words counted into ``EMBEDDING_DIMENSIONS`` buckets (the same text,
    the same vector). Every vector has ``EMBEDDING_DIMENSIONS`` numbers, as a model's do."""
    given = _VECTOR.match(text.strip())
    if given:
        values = [float(x) for x in json.loads(given.group(1))]
        return values + [0.0] * (EMBEDDING_DIMENSIONS - len(values))
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIMENSIONS] += 1.0
    return vector


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real APIs

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, payload: bytes, headers: Mapping[str, str] = {}) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: int, message: str, headers: Mapping[str, str] = {}) -> None:
            if server.echo_key_in_errors:
                message += f" (you sent: {self.headers.get('Authorization', 'nothing')})"
            payload = {"error": {"message": message, "type": "fake_error", "code": status}}
            self._send(status, json.dumps(payload).encode(), headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            server.record(body, dict(self.headers.items()))
            server.enter()
            try:
                self._answer(body)
            finally:
                server.leave()

        def _answer(self, body: Any) -> None:
            anthropic = self.path.rstrip("/").endswith("/messages")
            if self.path.rstrip("/").endswith("/embeddings"):
                self._embeddings(body)
                return
            if not anthropic and not self.path.rstrip("/").endswith("/chat/completions"):
                self._error(404, f"no route {self.path}")
                return
            sent = self.headers.get("Authorization")
            if anthropic:  # the Messages API sends its key in x-api-key
                sent = f"Bearer {self.headers.get('x-api-key')}"
            if server.require_key is not None and sent != f"Bearer {server.require_key}":
                self._error(401, "Incorrect API key provided")
                return
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                self._error(400, "'messages' is required")
                return
            fault = self._wait_and_fault()
            if fault in ANSWERED_FAULTS:
                return
            text = server.reply_text(body["messages"], body)
            prompt_tokens = sum(_words(str(m.get("content", ""))) for m in body["messages"])
            if anthropic:
                message = {
                    "id": f"msg_{server.request_count}",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "fake"),
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn",
                    "usage": {"input_tokens": prompt_tokens, "output_tokens": _words(text)},
                }
                self._send(200, json.dumps(message).encode())
                return
            completion = {
                "id": f"chatcmpl-{server.request_count}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": _words(text),
                    "total_tokens": prompt_tokens + _words(text),
                },
            }
            payload = json.dumps(completion).encode()
            if fault == "malformed":
                payload = payload[: len(payload) // 2]
            self._send(200, payload)

        def _wait_and_fault(self) -> str | None:
            """The latency, then the next fault: those in ANSWERED_FAULTS are answered here;
            the caller spoils its own body for ``malformed``."""
            if server.latency_s:
                server.wait(server.latency_s)
            fault = server._next_fault()
            if fault is not None:
                with server._lock:
                    server.faults_served.append(fault)
            if fault == "429":
                self._error(429, "Rate limit reached", {"Retry-After": f"{server.retry_after_s:g}"})
            elif fault == "500":
                self._error(500, "The server had an error while processing your request")
            elif fault == "hang":
                server.wait(server.hang_s)
                self._error(504, "hung")
            return fault

        def _embeddings(self, body: Any) -> None:
            if server.require_key is not None and (
                self.headers.get("Authorization") != f"Bearer {server.require_key}"
            ):
                self._error(401, "Incorrect API key provided")
                return
            texts = body.get("input") if isinstance(body, dict) else None
            if isinstance(texts, str):
                texts = [texts]
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                self._error(400, "'input' must be a string or a list of strings")
                return
            fault = self._wait_and_fault()
            if fault in ANSWERED_FAULTS:
                return
            tokens = sum(_words(t) for t in texts)
            answer = {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": embedding_of(t)}
                    for i, t in enumerate(texts)
                ],
                "model": body.get("model", "fake"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
            payload = json.dumps(answer).encode()
            if fault == "malformed":
                payload = payload[: len(payload) // 2]
            self._send(200, payload)

    return Handler


def _load_answers(path: Path) -> dict[str, str]:
    answers: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            answers[str(row["prompt"]).strip()] = str(row["answer"])
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--answers", type=Path, help="JSONL of {prompt, answer}")
    args = parser.parse_args()
    answers = _load_answers(args.answers) if args.answers else {}
    server = FakeOpenAI(answers=answers, latency_s=args.latency, port=args.port)
    print(f"serving on {server.base_url}", flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
