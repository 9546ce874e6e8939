"""Small servers on 127.0.0.1 that answer like the real ones, for tests that cannot use the real
service (api.openai.com, Wikipedia) or need one that misbehaves on purpose. The OpenAI-like one is
in openai_server.py, which the runner's benchmarks use too."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from openai_server import scripted_openai_server, serve, url_of

__all__ = ["mediawiki_server", "scripted_openai_server", "url_of"]


class MediaWikiHandler(BaseHTTPRequestHandler):
    """The parts of the MediaWiki API (`/w/api.php`) that the `wikipedia` package asks for:
    page info (with redirects and disambiguation page props), plain-text extracts, and search.
    `server.pages` maps titles to plain text; `server.disambiguation` is a set of titles. A title
    with characters MediaWiki forbids is answered `invalid`, as the real API does; `server.delay`
    seconds pass before each answer; `server.fault` ("503", "garbage") makes every answer fail."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query, keep_blank_values=True).items()}
        server: Any = self.server
        server.queries.append(params)
        time.sleep(server.delay)
        if server.fault == "503":  # an overloaded site answers with an HTML error page
            self._send(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if server.fault == "garbage":
            self._send(200, b"\x00\xffnot json at all", "application/json")
            return
        if params.get("list") == "search":
            words = re.findall(r"\w+", params["srsearch"].lower())
            titles = [t for t in server.pages if set(words) & set(re.findall(r"\w+", t.lower()))]
            limit = int(params.get("srlimit", 10))
            answer = {"query": {"search": [{"title": t} for t in titles[:limit]], "searchinfo": {}}}
        else:
            answer = {"query": {"pages": self._pages(server, params)}}
        self._send(200, json.dumps(answer).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _pages(self, server: Any, params: dict[str, str]) -> dict[str, Any]:
        titles = list(server.pages)
        if "pageids" in params:
            title = titles[int(params["pageids"]) - 1]
        else:
            title = params["titles"]
        if forbidden := re.search(r"[\[\]{}|#<>]", title):
            reason = f'The requested page title contains invalid characters: "{forbidden.group()}".'
            return {"-1": {"title": title, "invalidreason": reason, "invalid": ""}}
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
    pages: dict[str, str], disambiguation: set[str] = frozenset(), delay: float = 0.0
) -> Iterator[ThreadingHTTPServer]:
    state = dict(pages=pages, disambiguation=set(disambiguation), queries=[], delay=delay, fault=None)
    with serve(MediaWikiHandler, **state) as server:
        yield server
