"""The baseline for `toolorch bench overhead`: a bare low-level mcp Server with the same echo
tool — the same declared input and output schemas, read from the bench registry, so the client
does the same work for both — and nothing else (no validation, engine, metrics or logging)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

_SPEC = json.loads((Path(__file__).resolve().parent / "registry" / "tools" / "00_echo.json").read_text())
ECHO = types.Tool(name="echo", description=_SPEC["description"], input_schema=_SPEC["input_schema"],
                  output_schema=_SPEC["output_schema"])


async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[ECHO])


async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
    out = {"text": (params.arguments or {})["text"]}
    return types.CallToolResult(content=[types.TextContent(type="text", text=out["text"])], structured_content=out)


async def main() -> None:
    server = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
