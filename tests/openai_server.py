"""A small OpenAI-compatible server on 127.0.0.1 with scripted answers and a chosen delay: for
benchmarks of the runner (a slow server shows what concurrency buys) and for tests that need exact
answers or a server that fails on purpose. It streams completions as server-sent events, as
OpenAI's API does."""

from __future__ import annotations

import json
import socket
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


# The ways a server fails that a client must survive (see react_agent.models.openai).
FAULTS = (
    "500",  # an internal error
    "503",  # unavailable
    "429",  # too many requests, with Retry-After: 1
    "reset-before",  # the connection closes before any answer
    "reset-mid",  # the connection closes in the middle of the stream
    "stall",  # the stream stops sending, for longer than any client waits
    "malformed",  # an event that is not JSON
    "non-stream",  # one JSON body, although a stream was asked for
    "empty",  # a 200 answer with no body at all
)
ECHO_KEY = "echo-key"  # a 400 whose message repeats the request's Authorization header


def search_then_answer(prompt: str) -> str:
    """A deterministic 'model' for the ReAct layout: it searches the question's last word, then
    answers with the first two words of what it saw. It depends only on the task's own part of the
    prompt, so any order of play (workers, a resumed run, Ray actors) gives each task the same
    episode."""
    episode = prompt.rsplit("\nQuestion: ", 1)[1]
    question = episode.split("\n", 1)[0]
    steps = episode.count("\nObservation ")
    if steps == 0:
        return f" I look it up.\nAction 1: Search[{question.rstrip('?').split()[-1]}]"
    last_observation = episode.rsplit("\nObservation ", 1)[1].split(": ", 1)[1]
    return f" So it is this.\nAction {steps + 1}: Finish[{' '.join(last_observation.split()[:2])}]"


class ScriptedOpenAIHandler(BaseHTTPRequestHandler):
    """`POST /v1/completions` and `/v1/chat/completions`, streamed as server-sent events like
    OpenAI's API, each answer the next of `server.outputs` (or `server.answer_for(prompt)`), one
    chunk per word, the last with `finish_reason`; an answer that is an int is sent as that HTTP
    error status instead, one that is a dict is a chat reply with `content` and `tool_calls` (each
    `{"name", "arguments"}`, the arguments streamed in two pieces). `server.delay` seconds pass
    before each answer. `server.requests` records the JSON bodies.

    `server.faults(n, body)` may name a fault for the n-th request (1-based), one of `FAULTS`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.path.endswith("/completions"):  # no tokenize endpoint, as on api.openai.com
            self._error(404)
            return
        server: Any = self.server
        with server.lock:
            server.requests.append(body)
            number = len(server.requests)
            fault = server.faults(number, body) if getattr(server, "faults", None) else None
            if fault is None and getattr(server, "answer_for", None) is not None:
                output = server.answer_for(body.get("prompt") or body["messages"][-1]["content"])
            elif fault is None:
                output = server.outputs[min(number, len(server.outputs)) - 1]
            broken = number > getattr(server, "fail_after", number)
        if broken or fault == "reset-before":  # hang up without an answer, as a crashed server would
            self.close_connection = True
            return
        time.sleep(getattr(server, "delay", 0.0))
        if getattr(server, "gate", None) is not None:  # a test holds every answer until it opens
            server.gate.wait(timeout=120)
        if fault in ("500", "503", "429"):
            self._error(int(fault), retry_after=1 if fault == "429" else None)
            return
        if fault == ECHO_KEY:
            self._error(400, message=f"not allowed for {self.headers.get('Authorization')}")
            return
        if fault is not None:
            self._broken_answer(fault, body)
            return
        if isinstance(output, int):
            self._error(output)
            return
        chat = self.path.endswith("/chat/completions")
        calls = []
        if isinstance(output, dict):  # a chat reply with tool calls: {"content": ..., "tool_calls": [...]}
            output, calls = output.get("content") or "", output["tool_calls"]
        for stop in body.get("stop") or []:
            output = output.split(stop)[0]
        pieces = [word for word in output.split(" ")]
        pieces = [piece if i == 0 else " " + piece for i, piece in enumerate(pieces)]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in pieces:
            self._event(self._chunk(body, chat, piece, None))
        for index, call in enumerate(
            calls
        ):  # as OpenAI streams them: id and name, then the arguments in pieces
            half = len(call["arguments"]) // 2
            for k, arguments in enumerate((call["arguments"][:half], call["arguments"][half:])):
                function = {"arguments": arguments} | ({"name": call["name"]} if k == 0 else {})
                delta = {"index": index, "type": "function", "function": function}
                delta |= {"id": f"call_{index}"} if k == 0 else {}
                chunk = self._chunk(body, chat, "", None)
                chunk["choices"][0]["delta"] = {"tool_calls": [delta]}
                self._event(chunk)
        self._event(self._chunk(body, chat, "", "tool_calls" if calls else "stop"))
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

    def _chunk(self, body: dict[str, Any], chat: bool, text: str, finish: str | None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        choice.update({"delta": {"content": text}} if chat else {"text": text})
        return {"id": "x", "object": "chunk", "created": 0, "model": body["model"], "choices": [choice]}

    def _error(self, status: int, retry_after: int | None = None, message: str | None = None) -> None:
        text = message or f"scripted failure {status}"
        data = json.dumps({"error": {"message": text, "type": "server_error"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)

    def _broken_answer(self, fault: str, body: dict[str, Any]) -> None:
        chat = self.path.endswith("/chat/completions")
        if fault in ("non-stream", "empty"):
            data = (
                b"" if fault == "empty" else json.dumps(self._chunk(body, chat, "Finish[x]", "stop")).encode()
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self._event(self._chunk(body, chat, " I", None))
        self.wfile.flush()
        if fault == "malformed":
            self.wfile.write(b"data: {not json\n\n")
        elif fault == "stall":
            time.sleep(getattr(self.server, "stall_seconds", 30.0))
        elif fault == "reset-mid":
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())


@contextmanager
def scripted_openai_server(
    outputs: list[str | int | dict] | None = None,
    delay: float = 0.0,
    fail_after: int | None = None,
    answer_for: Callable[[str], str | int] | None = None,
    faults: Callable[[int, dict[str, Any]], str | None] | None = None,
) -> Iterator[ThreadingHTTPServer]:
    state = dict(
        outputs=outputs or [],
        delay=delay,
        requests=[],
        lock=threading.Lock(),
        answer_for=answer_for,
        faults=faults,
    )
    if fail_after is not None:
        state["fail_after"] = fail_after
    with serve(ScriptedOpenAIHandler, **state) as server:
        yield server
