"""An MCP server with two tools, written with the MCP SDK (`pip install 'react-agent[mcp]'`);
examples/mcp_agent.py starts it and lets an agent use its tools.

    python examples/mcp_units_server.py                # over stdio
    python examples/mcp_units_server.py --http 8000    # over streamable HTTP, at /mcp
"""

import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("units")

CELSIUS = {"C": (1.0, 0.0), "F": (5 / 9, -32.0), "K": (1.0, -273.15)}


@server.tool()
def temperature(value: float, from_scale: str, to_scale: str) -> float:
    """converts a temperature between the scales C, F and K."""
    for scale in (from_scale, to_scale):
        if scale not in CELSIUS:
            raise ToolError(f"unknown scale {scale!r}: use C, F or K")
    factor, offset = CELSIUS[from_scale]
    celsius = (value + offset) * factor
    factor, offset = CELSIUS[to_scale]
    return round(celsius / factor - offset, 2)


@server.tool()
def boiling_point(substance: str) -> str:
    """gives the boiling point of water, ethanol or mercury at sea level."""
    points = {"water": "100 C", "ethanol": "78.37 C", "mercury": "356.7 C"}
    if substance.lower() not in points:
        raise ToolError(f"no boiling point for {substance!r}")
    return points[substance.lower()]


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
