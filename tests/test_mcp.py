"""MCP tools against a real MCP server (tests/mcp_server.py, written with the SDK's server side),
started by the test over stdio and over streamable HTTP on 127.0.0.1."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port
from react_agent import Agent, StopReason
from react_agent.mcp_tools import McpTools, McpUnavailable
from react_agent.models import ScriptedModel

SERVER = str(Path(__file__).parent / "mcp_server.py")

RUN = [
    ' I add.\nAction 1: Add[{"a": 17, "b": 23}]',
    " I shout it.\nAction 2: Shout[forty]",
    ' I divide.\nAction 3: Divide[{"a": 1, "b": 0}]',
    ' A bad call.\nAction 4: Add[{"a": "many"}]',
    " Done.\nAction 5: Finish[40]",
]


def check(result, first_prompt):
    assert [step.observation for step in result.steps[:3]] == [
        "40",
        "FORTY",
        "Error executing tool divide: cannot divide by zero",
    ]
    assert result.steps[3].observation.startswith("Invalid input for add (a: Input should be a valid integer")
    assert (result.stop_reason, result.answer) == (StopReason.finished, "40")
    assert '(1) add[{"a": int, "b": int}] Add two whole numbers.\n' in first_prompt
    assert "(2) shout[text] Say a text in capitals.\n" in first_prompt


def test_an_agent_uses_the_tools_of_a_server_over_stdio():
    with McpTools.stdio(sys.executable, [SERVER]) as server:
        model = ScriptedModel(RUN)
        result = Agent(model, tools=server.tools).run("What is 17 plus 23?")
    check(result, model.requests[0].prompt)


@pytest.fixture
def http_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, SERVER, "--http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the MCP server did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_an_async_agent_uses_the_tools_of_a_server_over_http(http_server):
    with McpTools.http(http_server) as server:
        model = ScriptedModel(RUN)
        result = asyncio.run(Agent(model, tools=server.tools).arun("What is 17 plus 23?"))
    check(result, model.requests[0].prompt)


def test_a_server_that_cannot_be_reached_is_one_clear_error():
    with pytest.raises(McpUnavailable, match="cannot connect to the MCP server"):
        McpTools.http(f"http://127.0.0.1:{free_port()}/mcp", timeout=10)


def test_a_chat_model_calls_the_tools_of_a_server_as_tool_calls():
    """The tools format over MCP: the server's own schemas are the tools' definitions, and its
    answers, errors and refused arguments come back as tool messages."""
    from test_tool_calls import reply

    calls = [
        reply("I add.", ("add", {"a": 17, "b": 23})),
        reply("I shout it.", ("shout", {"text": "forty"})),
        reply("I divide.", ("divide", {"a": 1, "b": 0})),
        reply("A bad call.", ("add", {"a": "many"})),
        reply("Done.", ("Finish", {"answer": "40"})),
    ]
    with McpTools.stdio(sys.executable, [SERVER]) as server:
        model = ScriptedModel(calls)
        result = Agent(model, tools=server.tools, format="tools").run("What is 17 plus 23?")
        schemas = {tool.name: tool.schema for tool in server.tools}
    check(
        result,
        '(1) add[{"a": int, "b": int}] Add two whole numbers.\n(2) shout[text] Say a text in capitals.\n',
    )
    tools = {t["function"]["name"]: t["function"] for t in model.requests[0].tools or ()}
    assert (
        tools["add"]["parameters"] == schemas["add"]
        and tools["add"]["description"] == "Add two whole numbers."
    )
    assert model.requests[-1].messages[-1] == {  # type: ignore[index]
        "role": "tool",
        "tool_call_id": "call_4_1",
        "content": result.steps[3].observation,
    }
