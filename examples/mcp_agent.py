"""An agent that uses the tools of an MCP server: examples/mcp_units_server.py, started over stdio.

    pip install 'react-agent[mcp]'
    python examples/mcp_agent.py "What is the boiling point of ethanol in Fahrenheit?"

`McpTools` keeps one connection to the server; its `tools` carry the server's names, descriptions
and argument schemas, and an agent takes them as it takes its own functions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from react_agent import Agent, McpTools

SERVER = Path(__file__).with_name("mcp_units_server.py")


def main(question: str, model=None) -> str | None:
    if model is None:
        from react_agent.models import LlamaCppModel

        model = LlamaCppModel()  # the embedded SmolLM2-135M-Instruct
    with McpTools.stdio(sys.executable, [str(SERVER)]) as server:
        print("tools:", ", ".join(tool.signature for tool in server.tools))
        result = Agent(model, tools=server.tools, max_steps=5).run(question)
    for step in result.steps:
        print(f"{step.action.text} -> {step.observation}")
    print(f"answer: {result.answer} ({result.stop_reason.value})")
    return result.answer


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "What is the boiling point of ethanol in Fahrenheit?")
