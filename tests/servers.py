"""Small servers on 127.0.0.1 that answer like the real ones, for tests that cannot use the real
service (api.openai.com, Wikipedia) or need one that misbehaves on purpose."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], **state: Any) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
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
    OpenAI's API, each answer the next of `server.outputs`, one chunk per word; `server.delay`
    seconds before each answer. `server.requests` records the JSON bodies."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: Any = self.server
        with server.lock:
            server.requests.append(body)
            output = server.outputs[min(len(server.requests), len(server.outputs)) - 1]
            broken = len(server.requests) > getattr(server, "fail_after", len(server.requests))
        if broken:  # hang up without an answer, as a crashed server would
            self.close_connection = True
            return
        time.sleep(getattr(server, "delay", 0.0))
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

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())


@contextmanager
def scripted_openai_server(
    outputs: list[str], delay: float = 0.0, fail_after: int | None = None
) -> Iterator[ThreadingHTTPServer]:
    state = dict(outputs=outputs, delay=delay, requests=[], lock=threading.Lock())
    if fail_after is not None:
        state["fail_after"] = fail_after
    with serve(ScriptedOpenAIHandler, **state) as server:
        yield server


class MediaWikiHandler(BaseHTTPRequestHandler):
    """The parts of the MediaWiki API (`/w/api.php`) that the `wikipedia` package asks for:
    page info (with redirects and disambiguation page props), plain-text extracts, and search.
    `server.pages` maps titles to plain text; `server.disambiguation` is a set of titles."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query, keep_blank_values=True).items()}
        server: Any = self.server
        server.queries.append(params)
        if params.get("list") == "search":
            words = re.findall(r"\w+", params["srsearch"].lower())
            titles = [t for t in server.pages if set(words) & set(re.findall(r"\w+", t.lower()))]
            limit = int(params.get("srlimit", 10))
            answer = {"query": {"search": [{"title": t} for t in titles[:limit]], "searchinfo": {}}}
        else:
            answer = {"query": {"pages": self._pages(server, params)}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _pages(self, server: Any, params: dict[str, str]) -> dict[str, Any]:
        titles = list(server.pages)
        if "pageids" in params:
            title = titles[int(params["pageids"]) - 1]
        else:
            title = params["titles"]
        if title not in server.pages:
            return {"-1": {"ns": 0, "title": title, "missing": ""}}
        pageid = str(titles.index(title) + 1)
        page: dict[str, Any] = {"pageid": int(pageid), "ns": 0, "title": title}
        prop = params.get("prop", "")
        if "info" in prop:
            page["fullurl"] = f"https://en.wikipedia.org/wiki/{title.replace(' ', '_')}"
            if title in server.disambiguation:
                page["pageprops"] = {"disambiguation": ""}
        if "extracts" in prop:
            page["extract"] = server.pages[title]
            page["revisions"] = [{"revid": 1, "parentid": 0}]
        if "revisions" in prop and "rvparse" in params:  # the package reads a disambiguation page's links
            links = "".join(f'<li><a title="{t}">{t}</a></li>' for t in titles if t != title)
            page["revisions"] = [{"*": f"<ul>{links}</ul>"}]
        return {pageid: page}


@contextmanager
def mediawiki_server(
    pages: dict[str, str], disambiguation: set[str] = frozenset()
) -> Iterator[ThreadingHTTPServer]:
    with serve(MediaWikiHandler, pages=pages, disambiguation=set(disambiguation), queries=[]) as server:
        yield server
