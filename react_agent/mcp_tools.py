"""The tools of an MCP server (Model Context Protocol), for an agent: `pip install 'react-agent[mcp]'`.

    with McpTools.stdio("python", ["server.py"]) as server:      # or McpTools.http("http://.../mcp")
        agent = Agent(model, tools=server.tools)
        agent.run("What is 17 times 23?")

Each tool keeps the server's name, description and JSON schema (which validates the arguments the
model writes, as for `@tool` functions); calling it calls the server. One connection serves every
call: it lives on an event loop of its own, in a background thread, so that sync and async agents
share it. A tool the server reports as failed (`is_error`), a call that times out, or a server
that has gone away is a `ToolError`: the model sees what went wrong, and the episode goes on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from pydantic import create_model

from react_agent.environment import ToolError
from react_agent.toolbox import Tool

CALL_TIMEOUT = 60.0  # seconds for one tool call
_JSON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}


class McpUnavailable(RuntimeError):
    """The MCP server could not be started or reached."""


class McpTools:
    """A connection to an MCP server, and its tools (`tools`). Close it (or use `with`) when done."""

    def __init__(self, server: Any, *, timeout: float = CALL_TIMEOUT, name: str | None = None):
        """`server`: what `mcp.Client` connects to (a URL, `StdioServerParameters`, a transport);
        `McpTools.stdio` and `McpTools.http` make it. `name` says which server in errors."""
        try:
            import mcp  # noqa: F401
        except ImportError:
            raise McpUnavailable("MCP tools need the mcp package: pip install 'react-agent[mcp]'") from None
        self.timeout = timeout
        self.tools: list[Tool] = []
        self._loop = asyncio.new_event_loop()
        self._ready = concurrent.futures.Future[None]()
        self._stop: asyncio.Event | None = None
        self._client: Any = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._serve(server),), daemon=True
        )
        self._thread.start()
        try:
            self._ready.result(timeout=timeout)
        except Exception as error:
            self.close()
            raise McpUnavailable(f"cannot connect to the MCP server {name or server}: {error}") from None

    @classmethod
    def stdio(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: dict[str, str] | None = None,
        timeout: float = CALL_TIMEOUT,
    ) -> McpTools:
        """Start `command args...` and talk to it over its stdin and stdout. What the server writes
        on its stderr goes to this process's own stderr."""
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        parameters = StdioServerParameters(command=command, args=list(args), env=env)
        # The server needs a real file for its stderr, which sys.stderr is not in every host
        # (a notebook, a test capturing output): the process's own stderr is.
        errlog = sys.__stderr__ if sys.__stderr__ is not None else open(os.devnull, "w")  # noqa: SIM115
        return cls(stdio_client(parameters, errlog=errlog), timeout=timeout, name=" ".join([command, *args]))

    @classmethod
    def http(cls, url: str, *, timeout: float = CALL_TIMEOUT) -> McpTools:
        """Connect to a server over streamable HTTP (`http://host:port/mcp`)."""
        return cls(url, timeout=timeout, name=url)

    async def _serve(self, server: Any) -> None:
        from mcp import Client

        self._stop = asyncio.Event()
        try:
            async with Client(server) as client:
                self._client = client
                listing = await client.list_tools()
                self.tools = [self._tool(spec) for spec in listing.tools]
                self._ready.set_result(None)
                await self._stop.wait()
        except BaseException as error:
            if not self._ready.done():
                self._ready.set_exception(error)
            elif not isinstance(error, asyncio.CancelledError):
                raise

    def _tool(self, spec: Any) -> Tool:
        schema = spec.input_schema or {}
        required = set(schema.get("required", []))
        fields = {
            name: (_JSON_TYPES.get(prop.get("type"), Any), ... if name in required else prop.get("default"))
            for name, prop in schema.get("properties", {}).items()
        }

        def call(**arguments: Any) -> str:
            return self._call(spec.name, arguments)

        call.__name__ = spec.name
        return Tool(
            name=spec.name,
            description=(spec.description or "").strip(),
            function=call,
            arguments=create_model(f"{spec.name}_arguments", **fields),
            schema=schema or None,
        )

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        future = asyncio.run_coroutine_threadsafe(self._client.call_tool(name, arguments), self._loop)
        try:
            result = future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolError(f"The MCP tool {name} did not answer within {self.timeout:g} s.") from None
        except Exception as error:  # the connection, not the tool: the server went away
            raise ToolError(f"The MCP server failed: {type(error).__name__}: {error}") from None
        text = "\n".join(_content_text(item) for item in result.content)
        if result.is_error:
            raise ToolError(text or f"The MCP tool {name} failed.")
        return text

    def close(self) -> None:
        if self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=self.timeout)

    def __enter__(self) -> McpTools:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _content_text(item: Any) -> str:
    text = getattr(item, "text", None)
    return text if isinstance(text, str) else json.dumps(item.model_dump(mode="json", exclude_none=True))
