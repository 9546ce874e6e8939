"""A small OpenAI-compatible server on 127.0.0.1 with scripted answers and a chosen delay: for
benchmarks of the runner (a slow server shows what concurrency buys) and for tests that need exact
answers or a server that fails on purpose. It streams completions as server-sent events, as
OpenAI's API does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading once it has what it needs (a whole action) hangs up mid-stream.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], **state: Any) -> Iterator[ThreadingHTTPServer]:
    server = _Server(("127.0.0.1", 0), handler)
    for key, value in state.items():
        setattr(server, key, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url_of(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


class ScriptedOpenAIHandler(BaseHTTPRequestHandler):
    """`POST /v1/completions` and `/v1/chat/completions`, streamed as server-sent events like
    OpenAI's API, each answer the next of `server.outputs` (or `server.answer_for(prompt)`), one
    chunk per word; an answer that is an int is sent as that HTTP error status instead.
    `server.delay` seconds pass before each answer. `server.requests` records the JSON bodies."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: Any = self.server
        with server.lock:
            server.requests.append(body)
            if getattr(server, "answer_for", None) is not None:
                output = server.answer_for(body.get("prompt") or body["messages"][-1]["content"])
            else:
                output = server.outputs[min(len(server.requests), len(server.outputs)) - 1]
            broken = len(server.requests) > getattr(server, "fail_after", len(server.requests))
        if broken:  # hang up without an answer, as a crashed server would
            self.close_connection = True
            return
        time.sleep(getattr(server, "delay", 0.0))
        if isinstance(output, int):
            self._error(output)
            return
        chat = self.path.endswith("/chat/completions")
        for stop in body.get("stop") or []:
            output = output.split(stop)[0]
        pieces = [word for word in output.split(" ")]
        pieces = [piece if i == 0 else " " + piece for i, piece in enumerate(pieces)]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in pieces:
            choice = {"index": 0, "finish_reason": None}
            choice.update({"delta": {"content": piece}} if chat else {"text": piece})
            self._event(
                {"id": "x", "object": "chunk", "created": 0, "model": body["model"], "choices": [choice]}
            )
        usage = {
            "prompt_tokens": len(str(body.get("prompt") or body.get("messages")).split()),
            "completion_tokens": len(pieces),
            "total_tokens": 0,
        }
        self._event(
            {
                "id": "x",
                "object": "chunk",
                "created": 0,
                "model": body["model"],
                "choices": [],
                "usage": usage,
            }
        )
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _error(self, status: int) -> None:
        data = json.dumps(
            {"error": {"message": f"scripted failure {status}", "type": "server_error"}}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())


@contextmanager
def scripted_openai_server(
    outputs: list[str | int] | None = None,
    delay: float = 0.0,
    fail_after: int | None = None,
    answer_for: Callable[[str], str | int] | None = None,
) -> Iterator[ThreadingHTTPServer]:
    state = dict(
        outputs=outputs or [], delay=delay, requests=[], lock=threading.Lock(), answer_for=answer_for
    )
    if fail_after is not None:
        state["fail_after"] = fail_after
    with serve(ScriptedOpenAIHandler, **state) as server:
        yield server
